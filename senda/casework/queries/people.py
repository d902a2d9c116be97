"""Reads of people: search by card code, name words or phone (through keyed hashes), a person's
record with its history (audited), possible duplicates at registration and for supervisors."""

from __future__ import annotations

import datetime
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Capability, PeopleScope, people_scope
from senda.casework.access import (
    active_memberships,
    organisations_where,
    people_visible_sql,
    people_visible_to,
    people_workable_by,
)
from senda.casework.keys import name_lookup_digests, phone_lookup_digests
from senda.casework.models import (
    AgeGroup,
    ConsentEvent,
    FollowUp,
    Person,
    PersonSearchKey,
    SearchKeyKind,
    age_group_for,
)
from senda.casework.queries import plain
from senda.core.audit import audit_read
from senda.core.errors import NotFoundError
from senda.core.queries import get_or_not_found
from senda.inquiries.models import Inquiry, ReplyChannel

# "PA-7K3M-Q9XD", typed with or without dashes, in any case.
CARD_CODE = re.compile(r"^[A-Za-z]{2}-?[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}$")
MAX_CANDIDATES = 10


def _normalised_code(text: str) -> str:
    compact = text.replace("-", "").replace(" ", "").upper()
    return f"{compact[:2]}-{compact[2:6]}-{compact[6:]}"


def _organisation_ids(people: QuerySet[Person]) -> QuerySet[Person, Any]:
    return people.values("organisation_id").distinct()


def _matching_words(people: QuerySet[Person], text: str) -> QuerySet[Person]:
    """Every word typed must match a word of the name or its sound (any order)."""
    digests_by_word = name_lookup_digests(text)
    if not digests_by_word:
        return people.none()
    for digests in digests_by_word.values():
        people = people.filter(
            pk__in=PersonSearchKey.objects.filter(
                organisation_id__in=_organisation_ids(people), digest__in=digests
            ).values("person_id")
        )
    return people


def people_search(*, user: User, text: str = "") -> QuerySet[Person]:
    """People the user may see matching ``text``: a card code, a phone number, or name words
    (accents, case, order and spelling variants that sound alike do not matter)."""
    people = people_visible_to(user=user).select_related("nationality", "area")
    text = text.strip()[:200]
    if not text:
        return people.order_by("-registered_at", "pk")
    if CARD_CODE.match(text):
        by_code = people.filter(code=_normalised_code(text))
        # A code may be all letters, and ten letters may be a name: a code wins if it exists.
        if any(ch.isdigit() for ch in text) or by_code.exists():
            return by_code
    letters = any(ch.isalpha() for ch in text)
    if not letters:
        digests = phone_lookup_digests(text)
        if not digests:
            return people.none()
        return people.filter(
            pk__in=PersonSearchKey.objects.filter(
                organisation_id__in=_organisation_ids(people),
                kind=SearchKeyKind.PHONE,
                digest__in=digests,
            ).values("person_id")
        ).order_by("-registered_at", "pk")
    return _matching_words(people, text).order_by("-registered_at", "pk")


def person_get(*, user: User, person_id: uuid.UUID | str) -> Person:
    """A person the user may see (also merged or erased records); not audited: for checks
    before an action. Use ``person_open`` to show the record."""
    return get_or_not_found(
        people_visible_to(user=user, include_inactive=True).select_related(
            "organisation", "nationality", "area", "registered_by", "merged_into", "inquiry"
        ),
        person_id,
    )


def person_get_for_work(*, user: User, person_id: uuid.UUID | str) -> Person:
    """A person the user may work with (edit, record consent); NotFoundError otherwise."""
    return get_or_not_found(
        people_workable_by(user=user).select_related("organisation", "nationality", "area"),
        person_id,
    )


def person_open(*, user: User, person_id: uuid.UUID | str, purpose: str = "view") -> Person:
    """A person's record, shown to the user: the read is written to the audit trail."""
    person = person_get(user=user, person_id=person_id)
    audit_read(
        actor=user, obj=person, organisation=person.organisation, details={"purpose": purpose}
    )
    return person


@dataclass(frozen=True)
class PersonHistory:
    consent_events: list[ConsentEvent]
    follow_ups: list[FollowUp]
    merged_from: list[Person]


def person_history(*, person: Person) -> PersonHistory:
    """Consents, follow-ups and merged records of a person (orientations and referrals have
    their own includes on the person page)."""
    return PersonHistory(
        consent_events=list(person.consent_events.select_related("recorded_by")),
        follow_ups=list(person.follow_ups.select_related("assigned_to")[:100]),
        merged_from=list(person.merged_from.all()),
    )


def kept_person_for(*, user: User, person: Person) -> Person | None:
    """Where a merged record now lives, if the user may see it."""
    target = person
    # A chain is possible when a kept record was later merged again.
    for _ in range(10):
        if target.merged_into_id is None:
            break
        try:
            target = person_get(user=user, person_id=target.merged_into_id)
        except NotFoundError:
            return None
    return None if target.pk == person.pk else target


# ---------------------------------------------------------------------------------------------
# Possible duplicates


def _age_windows(year_of_birth: int | None, age_group: str) -> list[tuple[str, list[Any]]]:
    """The close ages, as plain conditions on ``p`` (each one range of an index; their OR
    would not be): the year of birth +-1, or, for people recorded without one, the same age
    group."""
    year, group_column = (
        plain.column(Person, "year_of_birth", "p"),
        plain.column(Person, "age_group", "p"),
    )
    if year_of_birth is not None:
        group = age_group_for(timezone.localdate().year - year_of_birth)
        return [
            (f"{year} BETWEEN %s AND %s", [year_of_birth - 1, year_of_birth + 1]),
            (f"{year} IS NULL AND {group_column} = %s", [group]),
        ]
    if age_group in AgeGroup.values:
        return [(f"{group_column} = %s", [age_group])]
    return []


def duplicate_candidates(
    *,
    user: User,
    organisation: Organisation,
    given_name: str,
    family_name: str,
    phone: str,
    year_of_birth: int | None,
    age_group: str,
    exclude: Person | None = None,
) -> list[Person]:
    """People the user may see in ``organisation`` who may be the person being registered:
    the same phone, or a name word (or its sound) in common and a close age. Never anyone
    the user may not see, so nothing leaks about other people's existence."""
    # Plain SQL (``plain``): the ORM spent longer compiling this union than the database
    # spent answering it. The people the user sees here, active records only:
    seen = people_visible_sql(user, organisation.pk)
    if seen is None:
        return []
    visible, visible_parameters = seen
    if exclude is not None:
        visible.append(f"{plain.column(Person, 'id', 'p')} <> %s")
        visible_parameters.append(plain.param(Person, "id", exclude.pk))
    key_table, person_id = plain.table(PersonSearchKey), plain.column(Person, "id", "p")
    key_organisation = plain.column(PersonSearchKey, "organisation", "k")
    key_digest, key_person = (
        plain.column(PersonSearchKey, "digest", "k"),
        plain.column(PersonSearchKey, "person", "k"),
    )
    organisation_parameter = plain.param(PersonSearchKey, "organisation", organisation.pk)
    # Each way of matching is its own indexed query, and the answer their union: an OR of the
    # two would make the database test every person of the organisation against both.
    branches: list[tuple[str, list[Any]]] = []
    phone_digests = phone_lookup_digests(phone)
    if phone_digests:
        branches.append(
            (
                f"{person_id} IN (SELECT {key_person} FROM {key_table} k"  # noqa: S608
                f" WHERE {key_organisation} = %s"
                f" AND {key_digest} IN ({plain.placeholders(len(phone_digests))})"
                f" AND {plain.column(PersonSearchKey, 'kind', 'k')} = %s)",
                [organisation_parameter, *phone_digests, SearchKeyKind.PHONE],
            )
        )
    name_digests = [
        digest
        for digests in name_lookup_digests(f"{given_name} {family_name}").values()
        for digest in digests
    ]
    if name_digests:
        # The people of a close age (a few thousand in a large organisation, read from the
        # index of active people by organisation and year of birth) who hold one of the
        # name's keys (a common word is held by thousands: read from the key index alone).
        holds_name = (
            f"EXISTS (SELECT 1 FROM {key_table} k WHERE {key_organisation} = %s"  # noqa: S608
            f" AND {key_digest} IN ({plain.placeholders(len(name_digests))})"
            f" AND {key_person} = {person_id})"
        )
        for window, window_parameters in _age_windows(year_of_birth, age_group):
            branches.append(
                (
                    f"{window} AND {holds_name}",
                    [*window_parameters, organisation_parameter, *name_digests],
                )
            )
    if not branches:
        return []
    # Only the matches' ids go through the union (a few hundred at most), then the page of
    # people is read by primary key.
    people = plain.table(Person)
    union = " UNION ".join(
        f"SELECT {person_id} FROM {people} p WHERE {' AND '.join(visible)} AND {branch}"  # noqa: S608
        for branch, _parameters in branches
    )
    parameters = [
        value
        for _branch, branch_parameters in branches
        for value in (*visible_parameters, *branch_parameters)
    ]
    registered_at = plain.column(Person, "registered_at", "p")
    return plain.instances(
        Person,
        f"FROM {people} p WHERE {person_id} IN ({union})"
        f" ORDER BY {registered_at} DESC, {person_id} ASC LIMIT {MAX_CANDIDATES}",
        parameters,
        "p",
    )


def card_code_taken(*, code: str) -> bool:
    """Whether a card code is already printed on someone's card (any organisation: codes are
    unique). For registration, which draws codes until one is free."""
    rows = plain.fetch(
        f"SELECT 1 FROM {plain.table(Person)} WHERE {plain.column(Person, 'code')} = %s LIMIT 1",  # noqa: S608
        [code],
        [None],
    )
    return bool(rows)


@dataclass(frozen=True)
class DuplicatePair:
    first: Person
    second: Person
    same_phone: bool
    shared_name_sounds: int


def _pairs_sharing(
    keys: QuerySet[PersonSearchKey], kind: str, limit: int
) -> dict[tuple[str, str], int]:
    """(person, person) -> how many digests of ``kind`` they share, for digests held by more
    than one person (the person ids of a pair in order)."""
    shared = (
        keys.filter(kind=kind)
        .values("digest")
        .annotate(people=Count("person_id", distinct=True))
        .filter(people__gt=1)
        .values("digest")
    )
    holders: dict[str, list[str]] = defaultdict(list)
    for digest, person_id in (
        keys.filter(kind=kind, digest__in=shared)
        .order_by("digest", "person_id")
        .values_list("digest", "person_id")[: limit * 20]
    ):
        holders[digest].append(str(person_id))
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for people in holders.values():
        for first, second in combinations(sorted(set(people)), 2):
            counts[(first, second)] += 1
    return counts


def duplicate_pairs(*, user: User, limit: int = 100) -> list[DuplicatePair]:
    """For a supervisor: pairs of people they see (where they supervise) that may be one
    person: the same phone, or two name sounds in common (one for single-word names) and
    years of birth at most one apart."""
    organisations = organisations_where(user, Capability.CASE_SUPERVISE)
    if not organisations:
        return []
    visible = people_visible_to(user=user).filter(organisation__in=organisations)
    keys = PersonSearchKey.objects.filter(
        organisation__in=organisations, person__in=visible.values("pk")
    )
    phone_pairs = _pairs_sharing(keys, SearchKeyKind.PHONE, limit)
    name_pairs = _pairs_sharing(keys, SearchKeyKind.NAME_SOUND, limit)
    ids = {pk for pair in (*phone_pairs, *name_pairs) for pk in pair}
    people = {str(p.pk): p for p in visible.filter(pk__in=ids).prefetch_related("search_keys")}
    sounds = {
        pk: sum(1 for key in person.search_keys.all() if key.kind == SearchKeyKind.NAME_SOUND)
        for pk, person in people.items()
    }
    pairs: list[DuplicatePair] = []
    for pair in sorted(set(phone_pairs) | set(name_pairs)):
        first, second = people.get(pair[0]), people.get(pair[1])
        if first is None or second is None:
            continue
        same_phone = pair in phone_pairs
        shared = name_pairs.get(pair, 0)
        needed = 1 if min(sounds[pair[0]], sounds[pair[1]]) <= 1 else 2
        close_age = (
            first.year_of_birth is not None
            and second.year_of_birth is not None
            and abs(first.year_of_birth - second.year_of_birth) <= 1
        ) or (
            (first.year_of_birth is None or second.year_of_birth is None)
            and first.age_group == second.age_group
        )
        if same_phone or (shared >= needed and close_age):
            pairs.append(DuplicatePair(first, second, same_phone, shared))
        if len(pairs) >= limit:
            break
    return pairs


# ---------------------------------------------------------------------------------------------
# From a portal request


def inquiry_prefill(*, inquiry: Inquiry) -> dict[str, object]:
    """What a request already tells about the person, to start their registration."""
    words = inquiry.name.split()
    prefill: dict[str, object] = {
        "given_name": words[0] if words else "",
        "family_name": " ".join(words[1:]),
    }
    if inquiry.reply_channel in (ReplyChannel.PHONE, ReplyChannel.WHATSAPP):
        prefill["phone"] = inquiry.contact
        prefill["phone_has_whatsapp"] = inquiry.reply_channel == ReplyChannel.WHATSAPP
    if inquiry.area_id:
        prefill["area"] = inquiry.area_id
    return prefill


def people_for_retention(*, now: datetime.datetime, days: int) -> QuerySet[Person]:
    """Records whose personal data is due for erasure (no activity for ``days``). For the
    retention command, which acts for no user."""
    return Person.objects.filter(
        erased_at__isnull=True, last_activity_at__lt=now - datetime.timedelta(days=days)
    ).order_by("last_activity_at", "pk")


def may_see_people(*, user: User) -> bool:
    """Whether the user's roles show any person at all."""
    return any(
        people_scope(membership.role) is not PeopleScope.NONE
        for membership in active_memberships(user)
    )


def registration_organisations(*, user: User) -> list[Organisation]:
    """Where the user may register people."""
    return organisations_where(user, Capability.CASE_WORK)


def may_supervise(*, user: User) -> bool:
    return bool(organisations_where(user, Capability.CASE_SUPERVISE))


def may_erase(*, user: User, person: Person) -> bool:
    return person.organisation in organisations_where(user, Capability.PEOPLE_ERASE)


def may_work_with(*, user: User, person: Person) -> bool:
    return (
        person.is_active_record
        and person.organisation in registration_organisations(user=user)
        and people_workable_by(user=user).filter(pk=person.pk).exists()
    )


def person_by_code(*, user: User, code: str) -> Person:
    """A person the user may see, by the card code typed (any case, dashes optional)."""
    if not CARD_CODE.match(code.strip()):
        raise NotFoundError(code)
    person = people_visible_to(user=user).filter(code=_normalised_code(code.strip())).first()
    if person is None:
        raise NotFoundError(code)
    return person


def inquiry_person(*, user: User, inquiry: Inquiry) -> tuple[Person | None, bool]:
    """For a request's page: the person registered from it (if the user may see them), and
    whether the user may register one from it now."""
    person = people_visible_to(user=user).filter(inquiry=inquiry).first()
    if person is not None:
        return person, False
    may_register = (
        inquiry.organisation in registration_organisations(user=user)
        and not Person.objects.filter(inquiry=inquiry).exists()
    )
    return None, may_register
