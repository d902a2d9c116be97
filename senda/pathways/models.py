"""Destination-country guides: regular migration channels, the documents they ask for, an
explainer on regular and irregular migration per country, and every published version.

Eligibility is data (``Channel.eligibility``, see ``senda.pathways.eligibility``): editors change
who a channel fits without a code change.

Review: the columns of a channel or explainer are what readers see. Once a guide is published,
an edit is kept in ``pending`` (the working revision) and only reaches the columns when a
publisher publishes it, as Wagtail keeps the live page until a new revision is published.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from senda.core.models import TranslatableModel


class GuideStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class ReviewState(models.TextChoices):
    NONE = "none", _("Not submitted")
    IN_REVIEW = "in_review", _("Waiting for review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")


class GuideContent(TranslatableModel):
    """What channels and explainers share: owner, status, source, verification and review."""

    # The fields an editor changes (besides ``translations``), kept in a working revision.
    content_fields: tuple[str, ...] = ()

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    country = models.ForeignKey("geo.Country", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("publication status"),
        max_length=12,
        choices=GuideStatus.choices,
        default=GuideStatus.DRAFT,
        db_index=True,
    )
    source_url = models.URLField(_("official source (web address)"), blank=True, max_length=500)
    source_name = models.CharField(_("official source (name)"), max_length=300, blank=True)
    verified_on = models.DateField(_("last verified"), null=True, blank=True, db_index=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_example = models.BooleanField(_("example content"), default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    # The working revision of a published guide: {"fields", "translations"} and, for a
    # channel, "documents", "services" and "locations". None = nothing unpublished.
    pending = models.JSONField(_("unpublished changes"), null=True, blank=True)
    pending_saved_at = models.DateTimeField(null=True, blank=True)
    pending_saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    review_state = models.CharField(
        _("review"),
        max_length=20,
        choices=ReviewState.choices,
        default=ReviewState.NONE,
        db_index=True,
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submit_note = models.TextField(_("note for the reviewer"), blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    review_comment = models.TextField(_("changes requested"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def has_unpublished_changes(self) -> bool:
        """Whether publishing would change what readers see (a draft, an archived guide or
        a working revision of a published one)."""
        return self.status != GuideStatus.PUBLISHED or self.pending is not None


class Channel(GuideContent):
    """A regular migration channel of a destination country (a visa, a permit, refuge...)."""

    translatable_fields = ("name", "summary", "who_can_apply", "steps", "fees", "processing_time")
    content_fields = (
        *translatable_fields,
        "eligibility",
        "source_url",
        "source_name",
        "is_example",
        "language",
    )

    slug = models.SlugField(_("short name in the address"), max_length=80)
    name = models.CharField(_("name"), max_length=200)
    summary = models.TextField(_("summary"))
    who_can_apply = models.TextField(_("who can apply"), blank=True)
    # Ordered list of strings; a translation holds its own list.
    steps = models.JSONField(_("steps"), default=list, blank=True)
    fees = models.TextField(_("fees"), blank=True)
    processing_time = models.CharField(_("processing time"), max_length=300, blank=True)
    where_to_apply_locations = models.ManyToManyField(
        "directory.Location", blank=True, related_name="+"
    )
    where_to_apply_services = models.ManyToManyField(
        "directory.Service", blank=True, related_name="+"
    )
    eligibility = models.JSONField(_("eligibility rule"), default=dict, blank=True)
    documents: models.ManyToManyField[Document, ChannelDocument] = models.ManyToManyField(
        "Document", through="ChannelDocument", related_name="channels", blank=True
    )

    class Meta:
        ordering = ["country_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["country", "slug"], name="pathways_channel_slug")
        ]
        verbose_name = _("migration channel")
        verbose_name_plural = _("migration channels")

    def __str__(self) -> str:
        return str(self.tr("name"))


class Document(TranslatableModel):
    """A type of document a channel may ask for (passport, birth certificate...)."""

    translatable_fields = ("name", "description")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("what it is"), blank=True)
    is_identity = models.BooleanField(
        _("identity document"),
        default=False,
        help_text=_("Offered in the checklist's question on documents the person already has."),
    )
    is_example = models.BooleanField(_("example content"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return str(self.tr("name"))


class DocumentSource(TranslatableModel):
    """Where a national of ``country`` obtains a document, what it usually costs and takes."""

    translatable_fields = ("where", "usual_cost", "usual_time")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="sources")
    country = models.ForeignKey("geo.Country", on_delete=models.PROTECT, related_name="+")
    where = models.TextField(_("where to obtain it"))
    usual_cost = models.CharField(_("usual cost"), max_length=200, blank=True)
    usual_time = models.CharField(_("usual time"), max_length=200, blank=True)
    source_url = models.URLField(_("official source"), blank=True, max_length=500)

    class Meta:
        ordering = ["document_id", "country_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "country"], name="pathways_document_source_country"
            )
        ]

    def __str__(self) -> str:
        return f"{self.document} ({self.country_id})"


class ChannelDocument(TranslatableModel):
    """A document a channel asks for, in the order a reader gathers them."""

    translatable_fields = ("note",)

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="document_links")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["channel_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "document"], name="pathways_channel_document"
            )
        ]


class Explainer(GuideContent):
    """Regular and irregular migration to one country, and the risks of irregular routes,
    written for young people."""

    translatable_fields = ("title", "regular_text", "irregular_text", "risks_text")
    content_fields = (*translatable_fields, "source_url", "source_name", "is_example", "language")

    title = models.CharField(_("title"), max_length=200)
    regular_text = models.TextField(_("what regular migration means"))
    irregular_text = models.TextField(_("what irregular migration means"))
    risks_text = models.TextField(_("risks of irregular routes"))

    class Meta:
        ordering = ["country_id"]
        constraints = [
            models.UniqueConstraint(fields=["country"], name="pathways_explainer_country")
        ]
        verbose_name = _("explainer")
        verbose_name_plural = _("explainers")

    def __str__(self) -> str:
        return str(self.tr("title"))


class GuideVersion(models.Model):
    """A snapshot of a channel or explainer as published, so readers see what changed when."""

    id = models.BigAutoField(primary_key=True)
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="versions"
    )
    explainer = models.ForeignKey(
        Explainer, null=True, blank=True, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    change_note = models.TextField(_("what changed"))
    snapshot = models.JSONField(default=dict)

    class Meta:
        ordering = ["-published_at", "-number"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(channel__isnull=False, explainer__isnull=True)
                    | models.Q(channel__isnull=True, explainer__isnull=False)
                ),
                name="pathways_version_one_subject",
            ),
            models.UniqueConstraint(
                fields=["channel", "number"],
                condition=models.Q(channel__isnull=False),
                name="pathways_version_channel_number",
            ),
            models.UniqueConstraint(
                fields=["explainer", "number"],
                condition=models.Q(explainer__isnull=False),
                name="pathways_version_explainer_number",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.number} {self.published_at:%Y-%m-%d}"
