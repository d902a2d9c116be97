"""Every write to the guides. Each action is atomic, checks permission and writes audit.

The staff pages and the demo loader both come through here.

Review: a draft is edited in place (nobody reads it). Once a guide is published, the edit
actions write a working revision (``pending``) instead, and readers keep the published text
until ``guide_publish`` applies it. Editors submit for review (``guide_submit_for_review``);
publishers publish or send it back (``guide_request_changes``).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from senda.accounts.models import Organisation, User
from senda.core.audit import audit
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.core.queries import get_or_not_found
from senda.directory.models import Location, PublicationStatus, Service
from senda.geo.models import Country
from senda.pathways import queries
from senda.pathways.eligibility import validate_rule
from senda.pathways.models import (
    Channel,
    ChannelDocument,
    Document,
    DocumentSource,
    Explainer,
    GuideContent,
    GuideStatus,
    GuideVersion,
    ReviewState,
)

G = TypeVar("G", bound=GuideContent)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LANGUAGES = ("es", "en")
COMMON_FIELDS = frozenset({"source_url", "source_name", "is_example", "language"})
CHANNEL_FIELDS = COMMON_FIELDS | frozenset(
    {"name", "summary", "who_can_apply", "steps", "fees", "processing_time", "eligibility"}
)
EXPLAINER_FIELDS = COMMON_FIELDS | frozenset(
    {"title", "regular_text", "irregular_text", "risks_text"}
)
REQUIRED = {
    Channel: ("name", "summary"),
    Explainer: ("title", "regular_text", "irregular_text", "risks_text"),
}
LIMITS = {
    "name": 200,
    "title": 200,
    "processing_time": 300,
    "source_name": 300,
    "source_url": 500,
}
Translations = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class DocumentLink:
    """A document a channel asks for, with an optional note per language."""

    slug: str
    note: str = ""
    translations: Translations = field(default_factory=dict)


def _require_edit(actor: User, owner: Organisation) -> None:
    if not queries.user_may_edit(user=actor, owner=owner):
        raise PermissionDeniedError(_("You cannot edit guides for this organisation."))


def _require_publish(actor: User, owner: Organisation) -> None:
    if not queries.user_may_publish(user=actor, owner=owner):
        raise PermissionDeniedError(_("Your role does not include publishing guides."))


def _clean_steps(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(step, str) for step in value):
        raise ValidationError({"steps": [_("Steps must be a list of texts.")]})
    return [step.strip() for step in value if step.strip()]


def _clean(model: type[GuideContent], fields: dict[str, Any], allowed: frozenset[str]) -> None:
    """Check and normalise ``fields`` in place; raise one error listing every problem."""
    errors: dict[str, list[str]] = {}
    unknown = set(fields) - allowed
    for name in sorted(unknown):
        errors[name] = [_("This field cannot be set.")]
    for name, value in list(fields.items()):
        if isinstance(value, str):
            value = value.strip()
            fields[name] = value
            limit = LIMITS.get(name)
            if limit and len(value) > limit:
                errors[name] = [_("Use at most %(limit)d characters.") % {"limit": limit}]
    for name in REQUIRED[model]:
        if name in fields and not fields[name]:
            errors[name] = [_("This field is required.")]
    if fields.get("source_url"):
        try:
            URLValidator(schemes=["http", "https"])(fields["source_url"])
        except DjangoValidationError:
            errors["source_url"] = [_("Enter a full web address starting with https://.")]
    if "steps" in fields:
        try:
            fields["steps"] = _clean_steps(fields["steps"])
        except ValidationError as exc:
            errors.update(exc.errors)
    if "eligibility" in fields:
        try:
            validate_rule(fields["eligibility"])
        except ValidationError as exc:
            errors.update(exc.errors)
    if fields.get("language", "es") not in LANGUAGES:
        errors["language"] = [_("Choose Spanish or English.")]
    if errors:
        raise ValidationError(errors)


def _merge_translations(obj: GuideContent, translations: Translations) -> None:
    for language, values in translations.items():
        if language not in LANGUAGES:
            raise ValidationError(
                {"translations": [_("Unknown language: %(code)s.") % {"code": language}]}
            )
        for name, value in values.items():
            if name not in obj.translatable_fields:
                raise ValidationError({name: [_("This field cannot be translated.")]})
            if name == "steps":
                value = _clean_steps(value)
            elif isinstance(value, str):
                value = value.strip()
            obj.set_translation(language, name, value)


def _country(code: str) -> Country:
    try:
        return Country.objects.get(code=code.upper())
    except Country.DoesNotExist as exc:
        raise ValidationError({"country": [_("Choose a country.")]}) from exc


def _slug(slug: str) -> str:
    slug = slug.strip().lower()
    if not SLUG.match(slug) or len(slug) > 80:
        raise ValidationError(
            {"slug": [_("Use lowercase letters, digits and hyphens, like tarjeta-visitante.")]}
        )
    return slug


@transaction.atomic
def channel_create(
    *,
    actor: User,
    owner: Organisation,
    country_code: str,
    slug: str,
    fields: dict[str, Any],
    translations: Translations | None = None,
) -> Channel:
    """A new draft channel of a destination country."""
    _require_edit(actor, owner)
    fields = dict(fields)
    for name in REQUIRED[Channel]:
        fields.setdefault(name, "")
    _clean(Channel, fields, CHANNEL_FIELDS)
    country = _country(country_code)
    slug = _slug(slug)
    if Channel.objects.filter(country=country, slug=slug).exists():
        raise ValidationError({"slug": [_("Another channel of this country has this name.")]})
    channel = Channel(owner=owner, country=country, slug=slug, **fields)
    _merge_translations(channel, translations or {})
    channel.save()
    audit(actor=actor, action="pathways.channel_create", obj=channel, organisation=owner)
    return channel


def _lock(actor: User, guide: G) -> G:
    """The guide, locked for the rest of the transaction, if the actor works on guides of
    its owner; else NotFoundError (never say whether it exists)."""
    if isinstance(guide, Channel):
        queryset: Any = queries.channels_for_staff(user=actor)
    else:
        queryset = queries.explainers_for_staff(user=actor)
    locked: G = get_or_not_found(queryset.select_for_update(of=("self",)), guide.pk)
    return locked


def _edits_wait_for_review(guide: GuideContent) -> bool:
    # Once readers have a version, every edit waits in the working revision until published.
    return guide.status == GuideStatus.PUBLISHED or guide.pending is not None


def _save_pending(actor: User, guide: GuideContent, content: dict[str, Any]) -> None:
    guide.pending = content
    guide.pending_saved_at = timezone.now()
    guide.pending_saved_by = actor
    guide.save(update_fields=["pending", "pending_saved_at", "pending_saved_by", "updated_at"])


def _update_texts(
    actor: User,
    guide: GuideContent,
    fields: dict[str, Any],
    translations: Translations,
) -> bool:
    """Apply cleaned ``fields`` and ``translations`` to the live guide or to its working
    revision; True when they went to the working revision."""
    if not _edits_wait_for_review(guide):
        for name, value in fields.items():
            setattr(guide, name, value)
        _merge_translations(guide, translations)
        guide.save()
        return False
    content = dict(queries.working_content(guide))
    # An unsaved copy takes the edit, so the same merge rules apply and the live row is
    # left exactly as readers see it.
    working = type(guide)(
        **{**content["fields"], **fields}, translations=dict(content["translations"])
    )
    _merge_translations(working, translations)
    content["fields"] = {name: getattr(working, name) for name in guide.content_fields}
    content["translations"] = working.translations
    _save_pending(actor, guide, content)
    return True


@transaction.atomic
def channel_update(
    *,
    actor: User,
    channel: Channel,
    fields: dict[str, Any],
    translations: Translations | None = None,
) -> Channel:
    """Change a channel's texts, rule or source. A draft changes in place; a published
    channel keeps what readers see and the change waits for the next publication."""
    channel = _lock(actor, channel)
    _require_edit(actor, channel.owner)
    fields = dict(fields)
    _clean(Channel, fields, CHANNEL_FIELDS)
    pending = _update_texts(actor, channel, fields, translations or {})
    audit(
        actor=actor,
        action="pathways.channel_update",
        obj=channel,
        organisation=channel.owner,
        details={"fields": sorted(fields), "pending": pending},
    )
    return channel


def _documents_by_slug(slugs: Sequence[str]) -> dict[str, Document]:
    if len(set(slugs)) != len(slugs):
        raise ValidationError({"documents": [_("A document is listed twice.")]})
    found = {document.slug: document for document in Document.objects.filter(slug__in=slugs)}
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        raise ValidationError(
            {"documents": [_("Unknown documents: %(slugs)s.") % {"slugs": ", ".join(missing)}]}
        )
    return found


def _write_document_links(channel: Channel, documents: Sequence[DocumentLink]) -> None:
    found = _documents_by_slug([link.slug for link in documents])
    channel.document_links.all().delete()
    for position, link in enumerate(documents):
        row = ChannelDocument(
            channel=channel, document=found[link.slug], position=position, note=link.note.strip()
        )
        for language, values in link.translations.items():
            for name, value in values.items():
                row.set_translation(language, name, value)
        row.save()


@transaction.atomic
def channel_set_documents(
    *, actor: User, channel: Channel, documents: Sequence[DocumentLink]
) -> Channel:
    """Replace the documents a channel asks for, in the given order (in the working
    revision once the channel is published)."""
    channel = _lock(actor, channel)
    _require_edit(actor, channel.owner)
    slugs = [link.slug for link in documents]
    _documents_by_slug(slugs)
    pending = _edits_wait_for_review(channel)
    if pending:
        content = dict(queries.working_content(channel))
        content["documents"] = [
            {"slug": link.slug, "note": link.note.strip(), "translations": link.translations}
            for link in documents
        ]
        _save_pending(actor, channel, content)
    else:
        _write_document_links(channel, documents)
    audit(
        actor=actor,
        action="pathways.channel_set_documents",
        obj=channel,
        organisation=channel.owner,
        details={"documents": slugs, "pending": pending},
    )
    return channel


@transaction.atomic
def explainer_create(
    *,
    actor: User,
    owner: Organisation,
    country_code: str,
    fields: dict[str, Any],
    translations: Translations | None = None,
) -> Explainer:
    """The draft explainer of a destination country (one per country)."""
    _require_edit(actor, owner)
    fields = dict(fields)
    for name in REQUIRED[Explainer]:
        fields.setdefault(name, "")
    _clean(Explainer, fields, EXPLAINER_FIELDS)
    country = _country(country_code)
    if Explainer.objects.filter(country=country).exists():
        raise ValidationError({"country": [_("This country already has an explainer.")]})
    explainer = Explainer(owner=owner, country=country, **fields)
    _merge_translations(explainer, translations or {})
    explainer.save()
    audit(actor=actor, action="pathways.explainer_create", obj=explainer, organisation=owner)
    return explainer


@transaction.atomic
def explainer_update(
    *,
    actor: User,
    explainer: Explainer,
    fields: dict[str, Any],
    translations: Translations | None = None,
) -> Explainer:
    """Change an explainer's texts or source; once published, the change waits for the next
    publication."""
    explainer = _lock(actor, explainer)
    _require_edit(actor, explainer.owner)
    fields = dict(fields)
    _clean(Explainer, fields, EXPLAINER_FIELDS)
    pending = _update_texts(actor, explainer, fields, translations or {})
    audit(
        actor=actor,
        action="pathways.explainer_update",
        obj=explainer,
        organisation=explainer.owner,
        details={"fields": sorted(fields), "pending": pending},
    )
    return explainer


# ---------------------------------------------------------------------------------------------
# Publication and verification (channels and explainers alike)


def snapshot(guide: GuideContent) -> dict[str, Any]:
    """What a reader saw in this version: every text and its translations."""
    data: dict[str, Any] = {name: getattr(guide, name) for name in guide.translatable_fields}
    data.update(
        {
            "language": guide.language,
            "translations": guide.translations,
            "source_url": guide.source_url,
            "source_name": guide.source_name,
            "verified_on": guide.verified_on.isoformat() if guide.verified_on else None,
        }
    )
    if isinstance(guide, Channel):
        data["eligibility"] = guide.eligibility
        data["documents"] = [
            link.document.slug
            for link in guide.document_links.select_related("document").order_by("position")
        ]
    return data


def _kind(guide: GuideContent) -> str:
    return "channel" if isinstance(guide, Channel) else "explainer"


def _note(value: str, field_name: str, *, required: bool) -> str:
    value = value.strip()
    if required and not value:
        messages = {
            "change_note": _("Say what changed, for readers."),
            "comment": _("Say what the editor should change."),
        }
        raise ValidationError({field_name: [messages[field_name]]})
    if len(value) > 1000:
        raise ValidationError(
            {field_name: [_("Use at most %(limit)d characters.") % {"limit": 1000}]}
        )
    return value


def _apply_pending(guide: GuideContent) -> None:
    """Make the working revision what readers see (the caller saves the guide)."""
    content = guide.pending
    if content is None:
        return
    for name in guide.content_fields:
        if name in content["fields"]:
            setattr(guide, name, content["fields"][name])
    guide.translations = content["translations"]
    if isinstance(guide, Channel):
        _write_document_links(
            guide,
            [
                DocumentLink(
                    slug=link["slug"], note=link["note"], translations=link["translations"]
                )
                for link in content["documents"]
            ],
        )
        # Entries unpublished or deleted since the edit are left out rather than shown.
        guide.where_to_apply_services.set(
            Service.objects.filter(
                pk__in=content["services"], publication_status=PublicationStatus.PUBLISHED
            )
        )
        guide.where_to_apply_locations.set(Location.objects.filter(pk__in=content["locations"]))


def _clear_review(guide: GuideContent) -> None:
    guide.pending = None
    guide.pending_saved_at = None
    guide.pending_saved_by = None
    guide.review_state = ReviewState.NONE
    guide.submitted_at = None
    guide.submitted_by = None
    guide.submit_note = ""
    guide.reviewed_at = None
    guide.reviewed_by = None
    guide.review_comment = ""


@transaction.atomic
def guide_submit_for_review(*, actor: User, guide: G, note: str = "") -> G:
    """Ask a publisher to review the guide's unpublished changes, with an optional note."""
    guide = _lock(actor, guide)
    _require_edit(actor, guide.owner)
    note = _note(note, "note", required=False)
    if not guide.has_unpublished_changes:
        raise ValidationError({"__all__": [_("There are no unpublished changes to review.")]})
    if guide.review_state == ReviewState.IN_REVIEW:
        raise ValidationError({"__all__": [_("This guide is already waiting for review.")]})
    guide.review_state = ReviewState.IN_REVIEW
    guide.submitted_at = timezone.now()
    guide.submitted_by = actor
    guide.submit_note = note
    guide.save(
        update_fields=["review_state", "submitted_at", "submitted_by", "submit_note", "updated_at"]
    )
    audit(
        actor=actor,
        action=f"pathways.{_kind(guide)}_submit_for_review",
        obj=guide,
        organisation=guide.owner,
        details={"note": bool(note)},
    )
    return guide


@transaction.atomic
def guide_request_changes(*, actor: User, guide: G, comment: str) -> G:
    """Send a guide waiting for review back to its editors with what to change."""
    guide = _lock(actor, guide)
    _require_publish(actor, guide.owner)
    comment = _note(comment, "comment", required=True)
    if guide.review_state != ReviewState.IN_REVIEW:
        raise ValidationError({"__all__": [_("This guide is not waiting for review.")]})
    guide.review_state = ReviewState.CHANGES_REQUESTED
    guide.reviewed_at = timezone.now()
    guide.reviewed_by = actor
    guide.review_comment = comment
    guide.save(
        update_fields=["review_state", "reviewed_at", "reviewed_by", "review_comment", "updated_at"]
    )
    audit(
        actor=actor,
        action=f"pathways.{_kind(guide)}_request_changes",
        obj=guide,
        organisation=guide.owner,
    )
    return guide


@transaction.atomic
def guide_discard_changes(*, actor: User, guide: G) -> G:
    """Throw away the unpublished changes of a published guide; readers saw none of them."""
    guide = _lock(actor, guide)
    _require_edit(actor, guide.owner)
    if guide.pending is None:
        raise ValidationError({"__all__": [_("There are no unpublished changes to discard.")]})
    _clear_review(guide)
    guide.save()
    audit(
        actor=actor,
        action=f"pathways.{_kind(guide)}_discard_changes",
        obj=guide,
        organisation=guide.owner,
    )
    return guide


@transaction.atomic
def guide_publish(*, actor: User, guide: G, change_note: str) -> G:
    """Publish a channel or explainer (with its unpublished changes, if any) and keep this
    version with a note on what changed. A publisher may publish without a prior submission:
    publishing is the review."""
    guide = _lock(actor, guide)
    _require_publish(actor, guide.owner)
    change_note = _note(change_note, "change_note", required=True)
    if not guide.has_unpublished_changes:
        raise ValidationError(
            {"__all__": [_("Readers already see this version: there is nothing to publish.")]}
        )
    was_in_review = guide.review_state == ReviewState.IN_REVIEW
    applied = guide.pending is not None
    _apply_pending(guide)
    _clear_review(guide)
    now = timezone.now()
    guide.status = GuideStatus.PUBLISHED
    guide.published_at = now
    guide.save()
    subject = {_kind(guide): guide}
    last = GuideVersion.objects.filter(**subject).aggregate(last=Max("number"))["last"] or 0
    version = GuideVersion.objects.create(
        **subject,
        number=last + 1,
        published_at=now,
        published_by=actor,
        change_note=change_note,
        snapshot=snapshot(guide),
    )
    audit(
        actor=actor,
        action=f"pathways.{_kind(guide)}_publish",
        obj=guide,
        organisation=guide.owner,
        details={
            "version": version.number,
            "applied_changes": applied,
            "was_in_review": was_in_review,
        },
    )
    return guide


@transaction.atomic
def guide_archive(*, actor: User, guide: G) -> G:
    """Take a channel or explainer off the public pages; its versions stay on record."""
    guide = _lock(actor, guide)
    _require_publish(actor, guide.owner)
    guide.status = GuideStatus.ARCHIVED
    guide.save(update_fields=["status", "updated_at"])
    audit(
        actor=actor, action=f"pathways.{_kind(guide)}_archive", obj=guide, organisation=guide.owner
    )
    return guide


@transaction.atomic
def guide_mark_verified(*, actor: User, guide: G, verified_on: datetime.date | None = None) -> G:
    """Record that the actor checked the guide against its official source."""
    guide = _lock(actor, guide)
    _require_edit(actor, guide.owner)
    today = timezone.localdate()
    verified_on = verified_on or today
    if verified_on > today:
        raise ValidationError({"verified_on": [_("The verification date is in the future.")]})
    guide.verified_on = verified_on
    guide.verified_by = actor
    guide.save(update_fields=["verified_on", "verified_by", "updated_at"])
    audit(
        actor=actor,
        action=f"pathways.{_kind(guide)}_mark_verified",
        obj=guide,
        organisation=guide.owner,
        details={"verified_on": verified_on.isoformat()},
    )
    return guide


# ---------------------------------------------------------------------------------------------
# Documents (shared by every organisation's channels)


def _require_any_editor(actor: User) -> None:
    if not queries.user_may_edit_guides(user=actor):
        raise PermissionDeniedError(_("Your role does not include editing guides."))


@transaction.atomic
def document_save(
    *,
    actor: User,
    slug: str,
    name: str,
    description: str = "",
    is_identity: bool = False,
    is_example: bool = False,
    translations: Translations | None = None,
) -> Document:
    """Create or change the document type with this short name."""
    _require_any_editor(actor)
    slug = _slug(slug)
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationError({"name": [_("Give the document a name (at most 200 characters).")]})
    document = Document.objects.select_for_update().filter(slug=slug).first() or Document(slug=slug)
    document.name = name
    document.description = description.strip()
    document.is_identity = is_identity
    document.is_example = is_example
    for language, values in (translations or {}).items():
        for field_name, value in values.items():
            if field_name not in Document.translatable_fields:
                raise ValidationError({field_name: [_("This field cannot be translated.")]})
            document.set_translation(language, field_name, value.strip())
    document.save()
    audit(actor=actor, action="pathways.document_save", obj=document)
    return document


@transaction.atomic
def document_set_source(
    *,
    actor: User,
    document: Document,
    country_code: str,
    where: str,
    usual_cost: str = "",
    usual_time: str = "",
    source_url: str = "",
    translations: Translations | None = None,
) -> DocumentSource:
    """Where nationals of a country obtain ``document``; replaces what was recorded."""
    _require_any_editor(actor)
    country = _country(country_code)
    where = where.strip()
    if not where:
        raise ValidationError({"where": [_("Say where to obtain it.")]})
    if source_url:
        try:
            URLValidator(schemes=["http", "https"])(source_url)
        except DjangoValidationError as exc:
            raise ValidationError(
                {"source_url": [_("Enter a full web address starting with https://.")]}
            ) from exc
    source = DocumentSource.objects.filter(document=document, country=country).first()
    source = source or DocumentSource(document=document, country=country)
    source.where = where
    source.usual_cost = usual_cost.strip()[:200]
    source.usual_time = usual_time.strip()[:200]
    source.source_url = source_url
    source.translations = {}
    for language, values in (translations or {}).items():
        for field_name, value in values.items():
            source.set_translation(language, field_name, value.strip())
    source.save()
    audit(
        actor=actor,
        action="pathways.document_set_source",
        obj=document,
        details={"country": country.code},
    )
    return source


@transaction.atomic
def document_remove_source(*, actor: User, document: Document, country_code: str) -> None:
    """Forget where nationals of a country obtain ``document`` (nothing to do if unrecorded)."""
    _require_any_editor(actor)
    country = _country(country_code)
    deleted, _rows = DocumentSource.objects.filter(document=document, country=country).delete()
    if deleted:
        audit(
            actor=actor,
            action="pathways.document_remove_source",
            obj=document,
            details={"country": country.code},
        )


@transaction.atomic
def channel_set_where_to_apply(
    *,
    actor: User,
    channel: Channel,
    service_ids: Sequence[Any] = (),
    location_ids: Sequence[Any] = (),
) -> Channel:
    """Link the directory services and places where a person applies (published ones only);
    once the channel is published, in its working revision."""
    channel = _lock(actor, channel)
    _require_edit(actor, channel.owner)
    services = list(
        Service.objects.filter(pk__in=service_ids, publication_status=PublicationStatus.PUBLISHED)
    )
    locations = list(Location.objects.filter(pk__in=location_ids))
    if len(services) != len(set(service_ids)) or len(locations) != len(set(location_ids)):
        raise ValidationError({"where_to_apply": [_("Choose published directory entries.")]})
    pending = _edits_wait_for_review(channel)
    if pending:
        content = dict(queries.working_content(channel))
        content["services"] = sorted(str(service.pk) for service in services)
        content["locations"] = sorted(str(location.pk) for location in locations)
        _save_pending(actor, channel, content)
    else:
        channel.where_to_apply_services.set(services)
        channel.where_to_apply_locations.set(locations)
    audit(
        actor=actor,
        action="pathways.channel_set_where_to_apply",
        obj=channel,
        organisation=channel.owner,
        details={
            "services": [str(s.pk) for s in services],
            "locations": len(locations),
            "pending": pending,
        },
    )
    return channel
