"""Guides pages: the public guides and checklist (anonymous, read-only) and the staff pages.

Public views store nothing: checklist answers live only in the address. Staff views parse,
call one query or action, and render; permission lives in the queries and actions.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from senda.accounts.models import User
from senda.campaigns.actions import placement_record_event
from senda.campaigns.attribution import placement_code
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.core.views import staff_page_with
from senda.directory.nearby import services_near
from senda.directory.search import ServiceFilters, search_services
from senda.geo.models import Country
from senda.geo.queries import area_get
from senda.pathways import actions, checklist, queries
from senda.pathways.forms import (
    ChannelForm,
    DocumentForm,
    ExplainerForm,
    PublishForm,
    RequestChangesForm,
    SourceFormSet,
    SubmitForReviewForm,
    WhereToApplyForm,
    channel_initial,
    document_initial,
    explainer_initial,
    source_initial,
)
from senda.pathways.models import Channel, Document, Explainer, GuideContent

View = Callable[..., HttpResponse]
OPPORTUNITY_CATEGORIES = ("education", "employment", "entrepreneurship")
# One definition for the result online and offline.
INFO_POINT_CATEGORY = checklist.INFO_POINT_CATEGORY
NEARBY_LIMIT = checklist.NEARBY_LIMIT


def _public(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFoundError as exc:
            raise Http404 from exc

    return wrapper


def _via_context(request: HttpRequest) -> dict[str, Any]:
    via = placement_code(request)
    return {"via": via, "via_query": urlencode({"via": via}) if via else ""}


# ---------------------------------------------------------------------------------------------
# Public


@_public
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "pathways/index.html",
        {"countries": queries.countries_with_guides(), **_via_context(request)},
    )


@_public
def country(request: HttpRequest, country_code: str) -> HttpResponse:
    destination = queries.country_get_public(country_code=country_code)
    return render(
        request,
        "pathways/country.html",
        {
            "country": destination,
            "channels": queries.channels_public(country_code=destination.code),
            "has_explainer": queries.explainer_exists(country_code=destination.code),
            **_via_context(request),
        },
    )


def _inquiry_query(request: HttpRequest, country_code: str, topic: str = "") -> str:
    pairs = [("country", country_code)]
    if topic:
        pairs.append(("topic", topic))
    via = placement_code(request)
    if via:
        pairs.append(("via", via))
    return urlencode(pairs)


@_public
def channel(request: HttpRequest, country_code: str, slug: str) -> HttpResponse:
    guide = queries.channel_get_public(country_code=country_code, slug=slug)
    return render(
        request,
        "pathways/channel.html",
        {
            "channel": guide,
            "country": guide.country,
            "steps": guide.tr("steps") or [],
            "stale": queries.is_stale(guide),
            "stale_days": queries.stale_after_days(),
            "versions": list(guide.versions.all()),
            "inquiry_query": _inquiry_query(request, guide.country_id, "pathways"),
            **_via_context(request),
        },
    )


@_public
def explainer(request: HttpRequest, country_code: str) -> HttpResponse:
    guide = queries.explainer_get_public(country_code=country_code)
    return render(
        request,
        "pathways/explainer.html",
        {
            "explainer": guide,
            "country": guide.country,
            "stale": queries.is_stale(guide),
            "stale_days": queries.stale_after_days(),
            "versions": list(guide.versions.all()),
            "inquiry_query": _inquiry_query(request, guide.country_id, "pathways"),
            **_via_context(request),
        },
    )


def _info_points(country_code: str, area_pcode: str) -> list[Any]:
    area = area_get(pcode=area_pcode) if area_pcode else None
    if area is not None and area.country_id == country_code:
        latitude, longitude = area.latitude, area.longitude
    else:
        place = queries.country_get_public(country_code=country_code)
        latitude, longitude = place.latitude, place.longitude
    return services_near(
        latitude,
        longitude,
        ServiceFilters(category_codes=(INFO_POINT_CATEGORY,), country_code=country_code),
        limit=NEARBY_LIMIT,
    )


@_public
def checklist_view(request: HttpRequest) -> HttpResponse:
    screen = checklist.next_screen(request.GET)
    extra = checklist.carried(request.GET)
    if screen is not None:
        status = 400 if screen.error else 200
        return render(
            request,
            "pathways/checklist_step.html",
            {"screen": screen, "total": len(checklist.STEPS), **_via_context(request)},
            status=status,
        )
    answers, _errors = checklist.parse(request.GET)
    result = checklist.build_result(answers)
    via = placement_code(request)
    if via:
        placement_record_event(code=via, event="checklist")
    query = checklist.result_query(answers, extra)
    result_url = request.build_absolute_uri(f"{reverse('pathways:checklist')}?{query}")
    area = dict(extra).get("area", "")
    opportunities_query = urlencode(
        [("country", answers["current_country"]), *([("area", area)] if area else [])]
        + ([("via", via)] if via else [])
    )
    return render(
        request,
        "pathways/checklist_result.html",
        {
            "result": result,
            "info_points": _info_points(answers["current_country"], area),
            "share_url": f"https://wa.me/?text={quote(result_url, safe='')}",
            "edit_query": urlencode([*dict(extra).items(), ("edit", "nationality")]) + "&" + query,
            "inquiry_query": _inquiry_query(request, answers["current_country"], "pathways"),
            "opportunities_query": opportunities_query,
            "via": via,
        },
    )


@_public
def opportunities(request: HttpRequest) -> HttpResponse:
    country_code = (request.GET.get("country") or "").strip().upper()[:2]
    area_pcode = (request.GET.get("area") or "").strip()[:20]
    area = area_get(pcode=area_pcode) if area_pcode else None
    place = None
    if country_code:
        try:
            place = queries.country_get_public(country_code=country_code)
        except NotFoundError:
            place = None
    sections = []
    if place is not None:
        for code in OPPORTUNITY_CATEGORIES:
            page = search_services(
                "",
                ServiceFilters(
                    category_codes=(code,),
                    country_code=place.code,
                    area_pcode=area.pcode if area and area.country_id == place.code else "",
                ),
                per_page=settings.SENDA_PAGE_SIZE,
            )
            sections.append((code, [hit.service for hit in page.hits]))
    return render(
        request,
        "pathways/opportunities.html",
        {
            "place": place,
            "area": area if area and place and area.country_id == place.code else None,
            "sections": sections,
            "countries": Country.objects.order_by("name"),
            "inquiry_query": _inquiry_query(request, place.code if place else "", ""),
            **_via_context(request),
        },
    )


# ---------------------------------------------------------------------------------------------
# Staff


staff_page = staff_page_with("pathways/forbidden.html")


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _require_editor(user: User) -> None:
    if not queries.user_may_edit_guides(user=user):
        raise PermissionDeniedError(_("Your role does not include editing guides."))


def _guide(user: User, kind: str, guide_id: uuid.UUID) -> GuideContent:
    if kind not in ("channel", "explainer"):
        raise NotFoundError(kind)
    if kind == "channel":
        return queries.channel_get_for_edit(user=user, channel_id=guide_id)
    return queries.explainer_get_for_edit(user=user, explainer_id=guide_id)


def _after(guide: GuideContent) -> HttpResponse:
    if isinstance(guide, Channel):
        return redirect("pathways_staff:channel_edit", channel_id=guide.pk)
    return redirect("pathways_staff:explainer_edit", explainer_id=guide.pk)


def _review_context(user: User, guide: Channel | Explainer) -> dict[str, Any]:
    """What the edit page shows about publication and review, and the forms to act on it."""
    return {
        "publish_form": PublishForm(),
        "submit_form": SubmitForReviewForm(),
        "request_changes_form": RequestChangesForm(),
        "may_edit": queries.user_may_edit(user=user, owner=guide.owner),
        "may_publish": queries.user_may_publish(user=user, owner=guide.owner),
        "stale": queries.is_stale(guide),
        "versions": list(guide.versions.all()[:10]),
    }


def _saved_message(guide: GuideContent) -> str:
    if guide.pending is not None:
        return _("Changes saved. Readers see them once they are published.")
    return _("Changes saved.")


@staff_page
def staff_home(request: HttpRequest) -> HttpResponse:
    overview = queries.staff_overview(user=_user(request))
    if not overview.works_on_guides:
        raise PermissionDeniedError(_("Your role does not include editing guides."))
    return render(
        request,
        "pathways/staff_home.html",
        {
            "overview": overview,
            "channels": overview.channels,
            "explainers": overview.explainers,
            "today": timezone.localdate(),
            "stale_since": queries.stale_cutoff(),
        },
    )


@staff_page
def staff_stale(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_editor(user)
    return render(
        request,
        "pathways/staff_stale.html",
        {
            "channels": queries.channels_stale(user=user),
            "explainers": queries.explainers_stale(user=user),
            "stale_since": queries.stale_cutoff(),
        },
    )


@staff_page
def channel_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_editor(user)
    owners = queries.owners_for(user=user)
    form = ChannelForm(request.POST or None, owners=owners)
    if request.method == "POST" and form.is_valid():
        fields, translations = form.fields_and_translations()
        try:
            guide = actions.channel_create(
                actor=user,
                owner=form.cleaned_data["owner"],
                country_code=form.cleaned_data["country"].code,
                slug=form.cleaned_data["slug"],
                fields=fields,
                translations=translations,
            )
            if form.cleaned_data["documents"]:
                actions.channel_set_documents(
                    actor=user, channel=guide, documents=form.cleaned_data["documents"]
                )
        except ValidationError as exc:
            # The action's transaction rolled back; keep everything typed on the form.
            form.apply_errors(exc)
        else:
            messages.success(request, _("Channel saved as a draft."))
            return redirect("pathways_staff:channel_edit", channel_id=guide.pk)
    return render(request, "pathways/channel_form.html", {"form": form, "channel": None})


@staff_page
def channel_edit(request: HttpRequest, channel_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    guide = queries.channel_get_for_edit(user=user, channel_id=channel_id)
    form = ChannelForm(
        request.POST or None,
        owners=[],
        editing=True,
        initial=channel_initial(queries.working_content(guide)),
    )
    if request.method == "POST" and form.is_valid():
        fields, translations = form.fields_and_translations()
        try:
            saved = _save_channel(user, guide, fields, translations, form.cleaned_data["documents"])
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _saved_message(saved))
            return redirect("pathways_staff:channel_edit", channel_id=guide.pk)
    return render(
        request,
        "pathways/channel_form.html",
        {"form": form, "channel": guide, "guide": guide, **_review_context(user, guide)},
    )


def _save_channel(
    user: User,
    guide: Channel,
    fields: dict[str, Any],
    translations: dict[str, dict[str, Any]],
    documents: list[actions.DocumentLink],
) -> Channel:
    # One transaction: the texts and the document list are saved together or not at all.
    with transaction.atomic():
        actions.channel_update(actor=user, channel=guide, fields=fields, translations=translations)
        return actions.channel_set_documents(actor=user, channel=guide, documents=documents)


@staff_page
@require_POST
def guide_publish(request: HttpRequest, kind: str, guide_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    guide = _guide(user, kind, guide_id)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            actions.guide_publish(
                actor=user, guide=guide, change_note=form.cleaned_data["change_note"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Published. Readers see this version now."))
    else:
        messages.error(request, _("Say what changed, for readers."))
    return _after(guide)


@staff_page
@require_POST
def guide_submit(request: HttpRequest, kind: str, guide_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    guide = _guide(user, kind, guide_id)
    form = SubmitForReviewForm(request.POST)
    if form.is_valid():
        try:
            actions.guide_submit_for_review(actor=user, guide=guide, note=form.cleaned_data["note"])
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Submitted for review. A publisher will look at it."))
    else:
        messages.error(request, _("Use at most %(limit)d characters.") % {"limit": 1000})
    return _after(guide)


@staff_page
@require_POST
def guide_request_changes(request: HttpRequest, kind: str, guide_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    guide = _guide(user, kind, guide_id)
    form = RequestChangesForm(request.POST)
    if form.is_valid():
        try:
            actions.guide_request_changes(
                actor=user, guide=guide, comment=form.cleaned_data["comment"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Sent back to the editors with your comment."))
    else:
        messages.error(request, _("Say what the editor should change."))
    return _after(guide)


@staff_page
@require_POST
def guide_discard(request: HttpRequest, kind: str, guide_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    guide = _guide(user, kind, guide_id)
    try:
        actions.guide_discard_changes(actor=user, guide=guide)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Unpublished changes discarded."))
    return _after(guide)


@staff_page
@require_POST
def guide_archive(request: HttpRequest, kind: str, guide_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    guide = _guide(user, kind, guide_id)
    actions.guide_archive(actor=user, guide=guide)
    messages.success(request, _("Archived: it is no longer on the public pages."))
    return _after(guide)


@staff_page
@require_POST
def guide_verify(request: HttpRequest, kind: str, guide_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    guide = _guide(user, kind, guide_id)
    actions.guide_mark_verified(actor=user, guide=guide)
    messages.success(request, _("Marked as verified today."))
    return _after(guide)


@staff_page
def explainer_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_editor(user)
    form = ExplainerForm(request.POST or None, owners=queries.owners_for(user=user))
    if request.method == "POST" and form.is_valid():
        fields, translations = form.fields_and_translations()
        try:
            guide = actions.explainer_create(
                actor=user,
                owner=form.cleaned_data["owner"],
                country_code=form.cleaned_data["country"].code,
                fields=fields,
                translations=translations,
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("Explainer saved as a draft."))
            return redirect("pathways_staff:explainer_edit", explainer_id=guide.pk)
    return render(request, "pathways/explainer_form.html", {"form": form, "guide": None})


@staff_page
def explainer_edit(request: HttpRequest, explainer_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    guide = queries.explainer_get_for_edit(user=user, explainer_id=explainer_id)
    form = ExplainerForm(
        request.POST or None,
        owners=[],
        editing=True,
        initial=explainer_initial(queries.working_content(guide)),
    )
    if request.method == "POST" and form.is_valid():
        fields, translations = form.fields_and_translations()
        try:
            saved = actions.explainer_update(
                actor=user, explainer=guide, fields=fields, translations=translations
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _saved_message(saved))
            return redirect("pathways_staff:explainer_edit", explainer_id=guide.pk)
    return render(
        request,
        "pathways/explainer_form.html",
        {"form": form, "guide": guide, "kind": "explainer", **_review_context(user, guide)},
    )


# ---------------------------------------------------------------------------------------------
# Staff: documents and where they are obtained


@staff_page
def document_list(request: HttpRequest) -> HttpResponse:
    _require_editor(_user(request))
    documents = queries.documents_all().prefetch_related("sources")
    return render(request, "pathways/document_list.html", {"documents": documents})


@staff_page
def document_create(request: HttpRequest) -> HttpResponse:
    return _document_page(request, None)


@staff_page
def document_edit(request: HttpRequest, document_id: uuid.UUID) -> HttpResponse:
    document = queries.document_get_for_edit(user=_user(request), document_id=document_id)
    return _document_page(request, document)


class _RowError(Exception):
    """A source row was refused: roll back the whole save and show the form again."""


def _document_page(request: HttpRequest, document: Document | None) -> HttpResponse:
    user = _user(request)
    _require_editor(user)
    data = request.POST if request.method == "POST" else None
    form = DocumentForm(
        data,
        editing=document is not None,
        initial=document_initial(document) if document else None,
    )
    rows = SourceFormSet(
        data, prefix="sources", initial=source_initial(document) if document else None
    )
    valid = data is not None and all([form.is_valid(), rows.is_valid()])
    if valid and _no_duplicates(rows):
        try:
            saved = _save_document(user, document, form, rows)
        except ValidationError as exc:
            form.apply_errors(exc)
        except _RowError:
            pass
        else:
            messages.success(request, _("Document saved."))
            return redirect("pathways_staff:document_edit", document_id=saved.pk)
    return render(
        request, "pathways/document_form.html", {"form": form, "rows": rows, "document": document}
    )


def _no_duplicates(rows: Any) -> bool:
    seen: set[str] = set()
    ok = True
    for row in rows:
        country = row.cleaned_data.get("country")
        if country is None or row.cleaned_data.get("remove"):
            continue
        if country.code in seen:
            row.add_error("country", _("This country has another row already."))
            ok = False
        seen.add(country.code)
    return ok


def _save_document(
    user: User, document: Document | None, form: DocumentForm, rows: Any
) -> Document:
    # One transaction: the document and every source row are saved together or not at all.
    with transaction.atomic():
        slug = document.slug if document else form.cleaned_data["slug"]
        if document is None and queries.documents_all().filter(slug=slug).exists():
            raise ValidationError({"slug": [_("Another document has this short name.")]})
        saved = actions.document_save(actor=user, slug=slug, **form.action_kwargs())
        kept: set[str] = set()
        for row in rows:
            if row.is_spare or row.cleaned_data.get("remove"):
                continue
            try:
                actions.document_set_source(actor=user, document=saved, **row.action_kwargs())
            except ValidationError as exc:
                row.apply_errors(exc)
                raise _RowError from exc
            kept.add(row.cleaned_data["country"].code)
        for country_code in saved.sources.values_list("country_id", flat=True):
            if country_code not in kept:
                actions.document_remove_source(
                    actor=user, document=saved, country_code=country_code
                )
    return saved


# ---------------------------------------------------------------------------------------------
# Staff: where to apply for a channel


@staff_page
def channel_where(request: HttpRequest, channel_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    guide = queries.channel_get_for_edit(user=user, channel_id=channel_id)
    choices = queries.where_to_apply_choices(channel=guide)
    content = queries.working_content(guide)
    current = {"services": content["services"], "locations": content["locations"]}
    data = request.POST if request.method == "POST" else None
    form = WhereToApplyForm(data, choices=choices, initial=current)
    if data is not None and form.is_valid():
        try:
            saved = actions.channel_set_where_to_apply(
                actor=user,
                channel=guide,
                service_ids=form.cleaned_data["services"],
                location_ids=form.cleaned_data["locations"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _saved_message(saved))
            return redirect("pathways_staff:channel_where", channel_id=guide.pk)
    chosen_services = set(form["services"].value() or [])
    chosen_locations = set(form["locations"].value() or [])
    rows = [
        (
            service,
            str(service.pk) in chosen_services,
            [(place, str(place.pk) in chosen_locations) for place in places],
        )
        for service, places in choices
    ]
    return render(
        request,
        "pathways/channel_where.html",
        {"channel": guide, "form": form, "rows": rows},
    )
