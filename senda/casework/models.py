"""Field work: people reached (with consent), orientations, referrals across organisations,
follow-up tasks, outreach tallies, vaccination sessions and trainings.

Personal fields are ``EncryptedTextField``s; what must stay searchable is kept beside them as
keyed hashes (``PersonSearchKey``). Every row carries the organisation that owns it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from senda.core.fields import EncryptedTextField
from senda.core.models import TranslatableModel

# ---------------------------------------------------------------------------------------------
# Shared vocabularies (also the disaggregations of every tally)


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other or not stated")


class AgeGroup(models.TextChoices):
    UNDER_5 = "0-4", _("0–4 years")
    CHILD = "5-11", _("5–11 years")
    ADOLESCENT = "12-17", _("12–17 years")
    YOUTH = "18-29", _("18–29 years")
    ADULT = "30-59", _("30–59 years")
    OLDER = "60+", _("60 years or more")


AGE_GROUP_BOUNDS: dict[str, tuple[int, int]] = {
    AgeGroup.UNDER_5: (0, 4),
    AgeGroup.CHILD: (5, 11),
    AgeGroup.ADOLESCENT: (12, 17),
    AgeGroup.YOUTH: (18, 29),
    AgeGroup.ADULT: (30, 59),
    AgeGroup.OLDER: (60, 200),
}


def age_group_for(age: int) -> str:
    for group, (low, high) in AGE_GROUP_BOUNDS.items():
        if low <= age <= high:
            return str(group)
    return str(AgeGroup.OLDER)


class Community(models.TextChoices):
    MIGRANT = "migrant", _("Migrant")
    HOST = "host", _("Host community")


# ---------------------------------------------------------------------------------------------
# Teams and where focal points work


class Team(models.Model):
    """Field workers led by a supervisor: what a supervisor sees is their team's work."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="teams"
    )
    name = models.CharField(_("name"), max_length=120)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="teams_supervised",
        verbose_name=_("supervisor"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="teams", verbose_name=_("members")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="team_name_per_org")
        ]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class CentreAssignment(models.Model):
    """A focal point works at these directory locations (health centres): their referral
    inbox shows referrals to them. A focal point with none sees all of the organisation's."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="centre_assignments"
    )
    location = models.ForeignKey(
        "directory.Location", on_delete=models.CASCADE, related_name="centre_assignments"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "location"], name="one_assignment_per_centre")
        ]
        verbose_name = _("centre assignment")
        verbose_name_plural = _("centre assignments")


# ---------------------------------------------------------------------------------------------
# Topics (configurable lists for orientations and trainings)


class TopicUse(models.TextChoices):
    ORIENTATION = "orientation", _("Orientations")
    TRAINING = "training", _("Trainings")


class Topic(TranslatableModel):
    """An entry of a configurable list: the topics of orientations and of trainings."""

    translatable_fields = ("name",)

    slug = models.SlugField(_("short name"), max_length=60)
    use = models.CharField(_("used for"), max_length=12, choices=TopicUse.choices)
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["use", "position", "slug"]
        constraints = [models.UniqueConstraint(fields=["use", "slug"], name="topic_slug_per_use")]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return str(self.tr("name"))


# ---------------------------------------------------------------------------------------------
# People and consent


class Person(models.Model):
    """A person reached who agreed to be recorded. The minimum, and nothing in clear text that
    names them: given name, family name, phone and notes are encrypted at rest."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: every index on people that starts with it serves (one less to keep
    # up on each registration).
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="people", db_index=False
    )
    # Printed on the card the person keeps: says nothing about them.
    code = models.CharField(_("card code"), max_length=16, unique=True)
    given_name = EncryptedTextField(_("given name"))
    family_name = EncryptedTextField(_("family name"))
    phone = EncryptedTextField(_("phone"))
    phone_has_whatsapp = models.BooleanField(_("WhatsApp on this number"), default=False)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices)
    year_of_birth = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    age_group = models.CharField(_("age group"), max_length=8, choices=AgeGroup.choices)
    nationality = models.ForeignKey(
        "geo.Country",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("nationality"),
    )
    area = models.ForeignKey(
        "geo.AdminArea",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("area"),
    )
    community = models.CharField(
        _("migrant or host community"), max_length=8, choices=Community.choices
    )
    # Purpose: what a worker needs to know to follow up (e.g. "pregnant, 7 months").
    notes = EncryptedTextField(_("follow-up notes"))
    # Consent as it stands (the history is in ConsentEvent).
    consents_to_contact = models.BooleanField(_("agrees to be contacted"), default=False)
    consents_to_share = models.BooleanField(
        _("agrees to sharing with the organisation a referral goes to"), default=False
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # When the person was registered (on the phone, which may sync later).
    registered_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The retention clock: personal data goes after a period without activity.
    last_activity_at = models.DateTimeField(db_index=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )
    erased_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The portal request this person was registered from, if any.
    inquiry = models.OneToOneField(
        "inquiries.Inquiry",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    # Set by the offline app: the same upload twice creates one person.
    client_uuid = models.UUIDField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-registered_at"]
        indexes = [
            models.Index(fields=["organisation", "registered_by", "registered_at"]),
            # The duplicate check's people of a close age, with all it filters on (scope
            # included), so that it reads no table row to find them.
            models.Index(
                fields=["organisation", "year_of_birth", "age_group", "registered_by", "id"],
                name="person_active_by_age",
                condition=models.Q(erased_at__isnull=True, merged_into__isnull=True),
            ),
        ]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.code

    @property
    def is_active_record(self) -> bool:
        return self.erased_at is None and self.merged_into_id is None


class SearchKeyKind(models.TextChoices):
    NAME_WORD = "name", _("word of the name")
    NAME_SOUND = "sound", _("sound of a word of the name")
    PHONE = "phone", _("phone")


class PersonSearchKey(models.Model):
    """A keyed hash of one normalised word of a person's name, its sound, or their phone:
    how people are found and duplicates spotted without names in clear text."""

    id = models.BigAutoField(primary_key=True)
    # A dozen rows a person, written on every registration: no index of their own for person
    # and organisation (the unique constraint and the lookup index start with them), and the
    # organisation, a copy of the person's (whose own key is checked), is not checked again
    # for each row.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="search_keys", db_index=False
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    kind = models.CharField(max_length=6, choices=SearchKeyKind.choices)
    digest = models.CharField(max_length=64)

    class Meta:
        # With the person: who holds a digest is read from the index alone (a common name's
        # word is held by thousands of people in a large organisation).
        indexes = [
            models.Index(fields=["organisation", "digest", "person"], name="search_key_lookup")
        ]
        constraints = [
            models.UniqueConstraint(fields=["person", "kind", "digest"], name="one_key_per_value")
        ]


class ConsentScope(models.TextChoices):
    RECORD = "record", _("Record their data")
    CONTACT = "contact", _("Be contacted for follow-up")
    SHARE = "share", _("Share with the organisation a referral goes to")


class ConsentEvent(models.Model):
    """One consent given or withdrawn: what, when, recorded by whom. Never edited."""

    id = models.BigAutoField(primary_key=True)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consent_events")
    scope = models.CharField(_("consent to"), max_length=8, choices=ConsentScope.choices)
    granted = models.BooleanField(_("granted"))
    at = models.DateTimeField(_("when"), db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("consent event")
        verbose_name_plural = _("consent events")


# ---------------------------------------------------------------------------------------------
# Orientations


class ContactChannel(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    WHATSAPP = "whatsapp", _("WhatsApp")
    VIRTUAL = "virtual", _("Video call or online")


class PlaceType(models.TextChoices):
    METRO = "metro", _("Metro station")
    SUPERMARKET = "supermarket", _("Supermarket")
    SCHOOL = "school", _("School")
    COMMUNITY = "community", _("Community")
    HEALTH_CENTRE = "health_centre", _("Health centre")
    INFO_POINT = "info_point", _("Information point")
    ONLINE = "online", _("Online")


class OrientationOutcome(models.TextChoices):
    INFORMED = "informed", _("Informed")
    REFERRED = "referred", _("Referred to a service")
    FOLLOW_UP = "follow_up", _("Needs a follow-up")
    DECLINED = "declined", _("Did not want to continue")


class Orientation(models.Model):
    """A session with a person: what was covered, how and where, and how it ended."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="orientations")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = models.DateTimeField(_("when"), db_index=True)
    topics = models.ManyToManyField(Topic, related_name="+", verbose_name=_("topics"))
    channel = models.CharField(_("channel"), max_length=10, choices=ContactChannel.choices)
    place_type = models.CharField(_("place"), max_length=14, choices=PlaceType.choices)
    area = models.ForeignKey(
        "geo.AdminArea", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=OrientationOutcome.choices)
    note = EncryptedTextField(_("note"))
    created_at = models.DateTimeField(auto_now_add=True)
    client_uuid = models.UUIDField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["organisation", "occurred_at"])]
        verbose_name = _("orientation")
        verbose_name_plural = _("orientations")


# ---------------------------------------------------------------------------------------------
# Referrals


class ReferralReason(models.TextChoices):
    VACCINATION = "vaccination", _("Vaccination")
    MEDICAL_CARE = "medical_care", _("Medical care")
    PRENATAL_CARE = "prenatal_care", _("Prenatal care")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    SUSPECTED_COVID = "suspected_covid", _("Suspected COVID-19")
    LEGAL = "legal", _("Documentation or legal aid")
    PROTECTION = "protection", _("Protection")
    EDUCATION = "education", _("Education")
    WORK = "work", _("Work")


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    SOON = "soon", _("Within a few days")
    URGENT = "urgent", _("Urgent (today)")


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    RECEIVED = "received", _("Received")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    ATTENDED = "attended", _("Attended")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


# The lifecycle: which status may follow which. Closing needs an outcome.
REFERRAL_TRANSITIONS: dict[str, frozenset[str]] = {
    ReferralStatus.SENT: frozenset(
        {ReferralStatus.RECEIVED, ReferralStatus.CANCELLED, ReferralStatus.EXPIRED}
    ),
    ReferralStatus.RECEIVED: frozenset(
        {
            ReferralStatus.ACCEPTED,
            ReferralStatus.DECLINED,
            ReferralStatus.CANCELLED,
            ReferralStatus.EXPIRED,
        }
    ),
    ReferralStatus.ACCEPTED: frozenset(
        {ReferralStatus.ATTENDED, ReferralStatus.CANCELLED, ReferralStatus.EXPIRED}
    ),
    ReferralStatus.ATTENDED: frozenset({ReferralStatus.CLOSED}),
    ReferralStatus.DECLINED: frozenset(),
    ReferralStatus.CLOSED: frozenset(),
    ReferralStatus.CANCELLED: frozenset(),
    ReferralStatus.EXPIRED: frozenset(),
}
OPEN_REFERRAL_STATUSES = frozenset(
    {ReferralStatus.SENT, ReferralStatus.RECEIVED, ReferralStatus.ACCEPTED, ReferralStatus.ATTENDED}
)


class ReferralOutcome(models.TextChoices):
    SERVED = "served", _("Service given")
    VACCINATED = "vaccinated", _("Vaccinated")
    TESTED_NEGATIVE = "tested_negative", _("Tested: negative")
    TESTED_POSITIVE = "tested_positive", _("Tested: positive")
    NOT_TESTED = "not_tested", _("Not tested")
    REFERRED_ON = "referred_on", _("Referred on to another service")
    NOT_SERVED = "not_served", _("Could not be served")


# Outcomes that only make sense for some reasons; the others accept every other outcome.
COVID_OUTCOMES = frozenset(
    {ReferralOutcome.TESTED_NEGATIVE, ReferralOutcome.TESTED_POSITIVE, ReferralOutcome.NOT_TESTED}
)


class Referral(models.Model):
    """A person sent by a worker of one organisation to a service at a location in the
    directory, usually of another organisation, with the whole lifecycle and its feedback."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The referring organisation owns the referral; the receiving one sees the shared part.
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="referrals_sent"
    )
    receiving_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="referrals_received"
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="referrals")
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    service = models.ForeignKey(
        "directory.Service", on_delete=models.PROTECT, related_name="referrals"
    )
    location = models.ForeignKey(
        "directory.Location", on_delete=models.PROTECT, related_name="referrals"
    )
    reason = models.CharField(_("reason"), max_length=16, choices=ReferralReason.choices)
    urgency = models.CharField(
        _("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.ROUTINE
    )
    note = EncryptedTextField(_("note for the receiving organisation"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ReferralStatus.choices,
        default=ReferralStatus.SENT,
        db_index=True,
    )
    status_changed_at = models.DateTimeField()
    decline_reason = EncryptedTextField(_("reason for declining"))
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=ReferralOutcome.choices, blank=True
    )
    outcome_note = EncryptedTextField(_("outcome note"))
    sent_at = models.DateTimeField(db_index=True)
    received_at = models.DateTimeField(null=True, blank=True)
    attended_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # When it becomes overdue if nothing happens (set from the configured delays).
    receive_by = models.DateTimeField()
    attend_by = models.DateTimeField()
    client_uuid = models.UUIDField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-sent_at"]
        indexes = [
            # The inbox: its filters, its order and what its counts read, so that the counts
            # and the choice of a page read this index only, never the table.
            models.Index(
                fields=[
                    "receiving_organisation",
                    "status",
                    "sent_at",
                    "id",
                    "receive_by",
                    "attend_by",
                ],
                name="referral_inbox",
            ),
            # The open referrals in the inbox's order: a page of them is the first entries of
            # the organisation's range. Without it PostgreSQL walks the sent_at index from the
            # oldest referral (all finished) to reach the open ones. SQLite, whose planner
            # does not match a partial index to a bound parameter list, sorts the organisation's
            # open entries of the index above instead (also without reading the table).
            models.Index(
                fields=[
                    "receiving_organisation",
                    "sent_at",
                    "id",
                    "location",
                    "status",
                    "receive_by",
                    "attend_by",
                ],
                name="referral_inbox_open",
                condition=models.Q(
                    status__in=[
                        ReferralStatus.SENT,
                        ReferralStatus.RECEIVED,
                        ReferralStatus.ACCEPTED,
                        ReferralStatus.ATTENDED,
                    ]
                ),
            ),
            models.Index(fields=["location", "status", "sent_at"]),
            models.Index(fields=["organisation", "status", "sent_at"]),
        ]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")


class ReferralEvent(models.Model):
    """One change in a referral's life: from which status to which, by whom, when. Kept."""

    id = models.BigAutoField(primary_key=True)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    note = EncryptedTextField(_("note"))

    class Meta:
        ordering = ["at", "id"]


# ---------------------------------------------------------------------------------------------
# Follow-up tasks


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("To do")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class FollowUpTrigger(models.TextChoices):
    PERSON_REGISTERED = "person_registered", _("A person is registered")
    REFERRAL_SENT = "referral_sent", _("A referral is sent")
    REFERRAL_ATTENDED = "referral_attended", _("A referral is attended")
    REFERRAL_CLOSED = "referral_closed", _("A referral is closed")


class FollowUpRule(TranslatableModel):
    """ "Check attendance 7 days after a referral": a task created for the worker when
    something happens. Programme-wide when ``organisation`` is empty."""

    translatable_fields = ("title",)

    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    trigger = models.CharField(_("when"), max_length=20, choices=FollowUpTrigger.choices)
    # Only for referrals with this reason (empty: every reason).
    reason = models.CharField(
        _("referral reason"), max_length=16, choices=ReferralReason.choices, blank=True
    )
    days_after = models.PositiveSmallIntegerField(_("days after"))
    title = models.CharField(_("task"), max_length=200)
    # The task means contacting the person: never created for someone who did not agree.
    requires_contact = models.BooleanField(_("means contacting the person"), default=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["trigger", "days_after"]
        verbose_name = _("follow-up rule")
        verbose_name_plural = _("follow-up rules")

    def __str__(self) -> str:
        return str(self.tr("title"))


class FollowUp(models.Model):
    """A task for a worker about a person (and maybe a referral), due on a day."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of their own for the organisation and the assignee: the task indexes start
    # with them.
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="follow_ups")
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.CASCADE, related_name="follow_ups"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rule = models.ForeignKey(
        FollowUpRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(_("task"), max_length=200)
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = EncryptedTextField(_("note"))
    created_at = models.DateTimeField(auto_now_add=True)
    client_uuid = models.UUIDField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["due_on", "created_at"]
        indexes = [
            # "My tasks": its filters and order, and the columns its counts read (the
            # organisation checked, the person joined), so that the table is read for the
            # page's rows only.
            models.Index(
                fields=["assigned_to", "status", "due_on", "created_at", "organisation", "person"],
                name="followup_mine",
            ),
            models.Index(fields=["organisation", "status", "due_on"]),
        ]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")


# ---------------------------------------------------------------------------------------------
# Outreach and vaccination sessions: tallies, never people


class OutreachActivity(models.Model):
    """A day of outreach somewhere: how many people were reached, by sex, age group and
    migrant or host community, and what material was given."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    date = models.DateField(_("date"), db_index=True)
    place_type = models.CharField(_("place"), max_length=14, choices=PlaceType.choices)
    place_name = models.CharField(_("place name"), max_length=200, blank=True)
    area = models.ForeignKey(
        "geo.AdminArea", on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    # {"leaflet": 120, "condoms": 40}: material given, by kind.
    materials = models.JSONField(_("materials given"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    client_uuid = models.UUIDField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-date"]
        verbose_name = _("outreach activity")
        verbose_name_plural = _("outreach activities")


class OutreachTally(models.Model):
    activity = models.ForeignKey(OutreachActivity, on_delete=models.CASCADE, related_name="tallies")
    sex = models.CharField(max_length=8, choices=Sex.choices)
    age_group = models.CharField(max_length=8, choices=AgeGroup.choices)
    community = models.CharField(max_length=8, choices=Community.choices)
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "sex", "age_group", "community"], name="one_tally_per_cell"
            )
        ]


class Vaccine(models.TextChoices):
    COVID19 = "covid19", _("COVID-19")
    INFLUENZA = "influenza", _("Influenza")
    MMR = "mmr", _("Measles, mumps and rubella")
    TD = "td", _("Tetanus and diphtheria")
    HPV = "hpv", _("HPV")
    HEPATITIS_B = "hepatitis_b", _("Hepatitis B")
    POLIO = "polio", _("Polio")
    YELLOW_FEVER = "yellow_fever", _("Yellow fever")


class VaccinationSession(models.Model):
    """A vaccination day: doses given by vaccine and age group, and people referred on."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    date = models.DateField(_("date"), db_index=True)
    location = models.ForeignKey(
        "directory.Location",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("health centre"),
    )
    place_name = models.CharField(_("place"), max_length=200, blank=True)
    area = models.ForeignKey(
        "geo.AdminArea", on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    people_referred = models.PositiveIntegerField(_("people referred onwards"), default=0)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    client_uuid = models.UUIDField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-date"]
        verbose_name = _("vaccination session")
        verbose_name_plural = _("vaccination sessions")


class DoseTally(models.Model):
    session = models.ForeignKey(VaccinationSession, on_delete=models.CASCADE, related_name="doses")
    vaccine = models.CharField(max_length=14, choices=Vaccine.choices)
    age_group = models.CharField(max_length=8, choices=AgeGroup.choices)
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "vaccine", "age_group"], name="one_dose_tally_per_cell"
            )
        ]


# ---------------------------------------------------------------------------------------------
# Trainings


class TrainingMode(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    VIRTUAL = "virtual", _("Virtual")


class TrainingEvent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    topics = models.ManyToManyField(Topic, related_name="+", verbose_name=_("topics"))
    mode = models.CharField(_("mode"), max_length=10, choices=TrainingMode.choices)
    starts_on = models.DateField(_("starts on"), db_index=True)
    ends_on = models.DateField(_("ends on"))
    facilitator = models.CharField(_("facilitator"), max_length=200, blank=True)
    area = models.ForeignKey(
        "geo.AdminArea", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("training")
        verbose_name_plural = _("trainings")

    def __str__(self) -> str:
        return self.title


class ParticipantRole(models.TextChoices):
    PROMOTER = "promoter", _("Health promoter")
    VOLUNTEER = "volunteer", _("Community volunteer")
    PARTNER_STAFF = "partner_staff", _("Partner staff")


class ParticipationStatus(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    COMPLETED = "completed", _("Completed")
    DID_NOT_COMPLETE = "incomplete", _("Did not complete")


class TrainingParticipant(models.Model):
    """Someone trained: a Senda user, or a partner's staff member named here."""

    event = models.ForeignKey(TrainingEvent, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="trainings",
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    participant_organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=14, choices=ParticipantRole.choices)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ParticipationStatus.choices,
        default=ParticipationStatus.ENROLLED,
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True)

    class Meta:
        ordering = ["event", "name"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
