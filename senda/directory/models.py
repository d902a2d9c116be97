"""The service directory, shaped after HSDS 3.0 (Open Referral).

Field names follow HSDS so that import, export and the /hsds/ API map one to one. Senda adds:
the owning partner organisation (tenancy), a publication workflow, who verified a service, its
source, translations (see ``TranslatableModel``), and derived columns that make public search
and "near me" fast (search tokens, weekly opening hours, grid cells, is_free).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from senda.core.models import TranslatableModel


def hsds_id() -> uuid.UUID:
    return uuid.uuid4()


class Taxonomy(models.Model):
    id = models.UUIDField(primary_key=True, default=hsds_id)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"))
    uri = models.URLField(blank=True, max_length=500)
    version = models.CharField(max_length=50, blank=True)

    class Meta:
        verbose_name = _("taxonomy")
        verbose_name_plural = _("taxonomies")

    def __str__(self) -> str:
        return self.name


class TaxonomyTerm(TranslatableModel):
    translatable_fields = ("name", "description")

    id = models.UUIDField(primary_key=True, default=hsds_id)
    code = models.CharField(_("code"), max_length=100, blank=True, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    taxonomy = models.ForeignKey(
        Taxonomy, null=True, blank=True, on_delete=models.CASCADE, related_name="terms"
    )
    # HSDS free-text name of the taxonomy when no taxonomy object is given.
    taxonomy_name = models.CharField(max_length=200, blank=True)
    term_uri = models.URLField(blank=True, max_length=500)

    class Meta:
        ordering = ["code", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return str(self.tr("name"))


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_REVIEW = "pending_review", _("Waiting for review")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class OwnedModel(TranslatableModel):
    """A directory row maintained by one partner organisation (the tenant)."""

    owner = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("maintained by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


class Organization(OwnedModel):
    """HSDS organization: who provides services (not necessarily a Senda tenant)."""

    translatable_fields = ("name", "alternate_name", "description")

    id = models.UUIDField(primary_key=True, default=hsds_id)
    name = models.CharField(_("name"), max_length=300)
    alternate_name = models.CharField(_("alternate name"), max_length=300, blank=True)
    description = models.TextField(_("description"))
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True, max_length=500)
    tax_status = models.CharField(max_length=100, blank=True)
    tax_id = models.CharField(max_length=100, blank=True)
    year_incorporated = models.PositiveSmallIntegerField(null=True, blank=True)
    legal_status = models.CharField(max_length=100, blank=True)
    logo = models.URLField(blank=True, max_length=500)
    uri = models.URLField(blank=True, max_length=500)
    parent_organization = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("provider organisation")
        verbose_name_plural = _("provider organisations")

    def __str__(self) -> str:
        return str(self.tr("name"))


class ServiceStatus(models.TextChoices):
    """HSDS service.status."""

    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")
    DEFUNCT = "defunct", _("Defunct")
    TEMPORARILY_CLOSED = "temporarily closed", _("Temporarily closed")


class Service(OwnedModel):
    translatable_fields = (
        "name",
        "alternate_name",
        "description",
        "interpretation_services",
        "application_process",
        "fees_description",
        "wait_time",
        "fees",
        "accreditations",
        "eligibility_description",
        "licenses",
        "alert",
    )

    id = models.UUIDField(primary_key=True, default=hsds_id)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="services",
        verbose_name=_("provider organisation"),
    )
    name = models.CharField(_("name"), max_length=300)
    alternate_name = models.CharField(_("alternate name"), max_length=300, blank=True)
    description = models.TextField(_("what it offers"), blank=True)
    url = models.URLField(_("web page"), blank=True, max_length=500)
    email = models.EmailField(_("email"), blank=True)
    status = models.CharField(
        _("operating status"),
        max_length=20,
        choices=ServiceStatus.choices,
        default=ServiceStatus.ACTIVE,
    )
    interpretation_services = models.TextField(_("interpretation"), blank=True)
    application_process = models.TextField(_("how to apply"), blank=True)
    fees_description = models.TextField(_("cost"), blank=True)
    wait_time = models.CharField(_("wait time"), max_length=300, blank=True)
    fees = models.TextField(blank=True)  # deprecated in HSDS 3.0, kept for round trips
    accreditations = models.TextField(_("accreditations"), blank=True)
    eligibility_description = models.TextField(_("who can use it"), blank=True)
    minimum_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    maximum_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    # HSDS assured_date/assurer_email: Senda's "last verified" date and who verified it.
    assured_date = models.DateField(_("last verified"), null=True, blank=True, db_index=True)
    assurer_email = models.EmailField(_("verified by (email)"), blank=True)
    licenses = models.TextField(_("licences"), blank=True)
    alert = models.TextField(_("alert"), blank=True)
    last_modified = models.DateTimeField(_("last modified"), null=True, blank=True)

    # Senda extensions.
    publication_status = models.CharField(
        _("publication"),
        max_length=20,
        choices=PublicationStatus.choices,
        default=PublicationStatus.DRAFT,
        db_index=True,
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("verified by"),
    )
    source = models.CharField(
        _("source"),
        max_length=500,
        blank=True,
        help_text=_("Where this information comes from (a web page, a call, a visit)."),
    )
    is_free = models.BooleanField(_("free of cost"), default=False, db_index=True)
    categories = models.ManyToManyField(
        TaxonomyTerm, blank=True, related_name="services", verbose_name=_("categories")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return str(self.tr("name"))


class LocationType(models.TextChoices):
    PHYSICAL = "physical", _("Physical")
    POSTAL = "postal", _("Postal")
    VIRTUAL = "virtual", _("Virtual")


class Location(OwnedModel):
    translatable_fields = ("name", "alternate_name", "description", "transportation")

    id = models.UUIDField(primary_key=True, default=hsds_id)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="locations"
    )
    location_type = models.CharField(
        _("type"), max_length=10, choices=LocationType.choices, default=LocationType.PHYSICAL
    )
    url = models.URLField(blank=True, max_length=500)
    name = models.CharField(_("name"), max_length=300, blank=True)
    alternate_name = models.CharField(_("alternate name"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    transportation = models.TextField(_("how to get there"), blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    external_identifier = models.CharField(max_length=200, blank=True)
    external_identifier_type = models.CharField(max_length=200, blank=True)

    # Senda: where it is, for filters and "near me".
    country = models.ForeignKey(
        "geo.Country", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    admin_area = models.ForeignKey(
        "geo.AdminArea",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("area"),
    )
    # A 0.1 degree grid cell index (see senda.directory.geo); null without coordinates.
    grid_cell = models.IntegerField(null=True, blank=True, db_index=True)
    timezone = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("location")
        verbose_name_plural = _("locations")

    def __str__(self) -> str:
        return str(self.tr("name")) or str(self.id)


class ServiceAtLocation(TranslatableModel):
    translatable_fields = ("description",)

    id = models.UUIDField(primary_key=True, default=hsds_id)
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="service_at_locations"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, related_name="service_at_locations"
    )
    description = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "location"], name="one_sal_per_pair")
        ]


class Address(models.Model):
    class AddressType(models.TextChoices):
        PHYSICAL = "physical", _("Physical")
        POSTAL = "postal", _("Postal")
        VIRTUAL = "virtual", _("Virtual")

    id = models.UUIDField(primary_key=True, default=hsds_id)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="addresses")
    attention = models.CharField(max_length=200, blank=True)
    address_1 = models.CharField(_("address"), max_length=300)
    address_2 = models.CharField(_("address (line 2)"), max_length=300, blank=True)
    city = models.CharField(_("city"), max_length=150)
    region = models.CharField(_("region"), max_length=150, blank=True)
    state_province = models.CharField(_("state or province"), max_length=150)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2)
    address_type = models.CharField(
        max_length=10, choices=AddressType.choices, default=AddressType.PHYSICAL
    )


class Phone(TranslatableModel):
    translatable_fields = ("description",)

    class PhoneType(models.TextChoices):
        TEXT = "text", _("Text")
        VOICE = "voice", _("Voice")
        FAX = "fax", _("Fax")
        CELL = "cell", _("Mobile")
        VIDEO = "video", _("Video")
        PAGER = "pager", _("Pager")
        TEXTPHONE = "textphone", _("Textphone")

    id = models.UUIDField(primary_key=True, default=hsds_id)
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    number = models.CharField(_("number"), max_length=50)
    extension = models.CharField(_("extension"), max_length=20, blank=True)
    type = models.CharField(_("type"), max_length=10, choices=PhoneType.choices, blank=True)
    description = models.TextField(blank=True)
    # Senda: the number takes WhatsApp messages (shown as a wa.me link).
    whatsapp = models.BooleanField(_("WhatsApp"), default=False)


class Schedule(TranslatableModel):
    translatable_fields = ("description", "notes")

    id = models.UUIDField(primary_key=True, default=hsds_id)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="schedules"
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="schedules"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="schedules",
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    dtstart = models.DateField(null=True, blank=True)
    timezone = models.FloatField(null=True, blank=True)  # HSDS: UTC offset in hours
    until = models.DateField(null=True, blank=True)
    count = models.PositiveIntegerField(null=True, blank=True)
    wkst = models.CharField(max_length=2, blank=True)
    freq = models.CharField(max_length=10, blank=True)  # WEEKLY or MONTHLY
    interval = models.PositiveIntegerField(null=True, blank=True)
    byday = models.CharField(max_length=60, blank=True)  # e.g. "MO,TU,WE"
    byweekno = models.CharField(max_length=100, blank=True)
    bymonthday = models.CharField(max_length=100, blank=True)
    byyearday = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    opens_at = models.TimeField(null=True, blank=True)
    closes_at = models.TimeField(null=True, blank=True)
    schedule_link = models.URLField(blank=True, max_length=500)
    attending_type = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)


class CostOption(TranslatableModel):
    translatable_fields = ("option", "amount_description")

    id = models.UUIDField(primary_key=True, default=hsds_id)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="cost_options")
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    option = models.CharField(_("option"), max_length=300, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    amount_description = models.TextField(_("amount description"), blank=True)


class RequiredDocument(TranslatableModel):
    translatable_fields = ("document",)

    id = models.UUIDField(primary_key=True, default=hsds_id)
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="required_documents"
    )
    document = models.TextField(_("document"))
    uri = models.URLField(blank=True, max_length=500)


class Language(models.Model):
    id = models.UUIDField(primary_key=True, default=hsds_id)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="languages"
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="languages"
    )
    phone = models.ForeignKey(
        Phone, null=True, blank=True, on_delete=models.CASCADE, related_name="languages"
    )
    name = models.CharField(_("language"), max_length=100, blank=True)
    code = models.CharField(_("code"), max_length=12, blank=True, db_index=True)  # ISO 639
    note = models.TextField(blank=True)


class ServiceArea(TranslatableModel):
    translatable_fields = ("name", "description")

    id = models.UUIDField(primary_key=True, default=hsds_id)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="service_areas"
    )
    name = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    extent = models.TextField(blank=True)
    extent_type = models.CharField(max_length=20, blank=True)
    uri = models.URLField(blank=True, max_length=500)
    # Senda: the admin area this service area is, when it is one.
    admin_area = models.ForeignKey(
        "geo.AdminArea", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )


class Accessibility(TranslatableModel):
    translatable_fields = ("description", "details")

    id = models.UUIDField(primary_key=True, default=hsds_id)
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="accessibility"
    )
    description = models.TextField(blank=True)
    details = models.TextField(blank=True)
    url = models.URLField(blank=True, max_length=500)


class Contact(TranslatableModel):
    translatable_fields = ("title", "department")

    id = models.UUIDField(primary_key=True, default=hsds_id)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="contacts"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="contacts"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=200, blank=True)
    department = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)


class Attribute(models.Model):
    """HSDS attribute: links a taxonomy term to any object. Service categories are mirrored
    into ``Service.categories`` for fast filtering; other links are kept as they came."""

    id = models.UUIDField(primary_key=True, default=hsds_id)
    link_id = models.UUIDField(db_index=True)
    link_type = models.CharField(max_length=100, blank=True)
    link_entity = models.CharField(max_length=50)
    taxonomy_term = models.ForeignKey(TaxonomyTerm, on_delete=models.CASCADE, related_name="+")
    value = models.TextField(blank=True)


class ServiceSearchToken(models.Model):
    """Inverted index for public search: one row per (published service, folded word, country).

    Written only by ``senda.directory.derived``. The filters a person can set are copied onto
    every row (the "|code|" strings include the ancestors of each category and area) so that
    a search with filters reads one index range and never joins.
    """

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=40)
    weight = models.PositiveSmallIntegerField()
    country = models.CharField(max_length=2, blank=True)
    categories = models.TextField(blank=True)
    areas = models.TextField(blank=True)
    languages = models.CharField(max_length=200, blank=True)
    is_free = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["token", "service"], name="search_token_idx"),
            # Covers a search with a country (the usual case) without reading the table.
            models.Index(
                fields=["country", "token", "categories", "is_free", "weight", "service"],
                name="search_token_country_idx",
            ),
        ]


class ServicePoint(models.Model):
    """Where a published service can be found on the map: one row per (service, location with
    coordinates), on the "near me" grid, with the same copied filters as the search index."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    grid_cell = models.IntegerField()
    latitude = models.FloatField()
    longitude = models.FloatField()
    country = models.CharField(max_length=2, blank=True)
    categories = models.TextField(blank=True)
    areas = models.TextField(blank=True)
    languages = models.CharField(max_length=200, blank=True)
    is_free = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["grid_cell", "service"], name="service_point_cell_idx")]


class WeeklyOpening(models.Model):
    """Weekly opening intervals derived from schedules, in local minutes, for "open now".

    An interval that crosses midnight is stored as two rows (until 1440, then from 0 on the
    next day); ``timezone`` is the IANA zone of the location it applies to.
    """

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="weekly_openings")
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    weekday = models.PositiveSmallIntegerField()  # 0 = Monday
    opens_minute = models.PositiveSmallIntegerField()
    closes_minute = models.PositiveSmallIntegerField()  # may be 1440 for midnight
    timezone = models.CharField(max_length=64)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["timezone", "weekday", "opens_minute"])]


from senda.directory.models_import import ImportJob  # noqa: E402,F401
