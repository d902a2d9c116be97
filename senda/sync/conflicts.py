"""The conflict rules of the sync protocol, per field, never silent.

- A person's scalar fields: a three-way merge with the ``base`` the device last saw. The server
  unchanged since → the device's value; both the same → nothing to do; else → a conflict (the
  server's value stays, the worker decides).
- Free text (a person's notes, a completed task's note): both versions are kept, the server's
  first, then the device's marked with who wrote it and when.
- Referral status and task completion: decided in ``senda.sync.protocol`` from the lifecycle.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from senda.casework.models import Person
from senda.geo.models import AdminArea, Country

# The wire name of each person field the device may send, and the model field behind it.
PERSON_FIELDS: dict[str, str] = {
    "given_name": "given_name",
    "family_name": "family_name",
    "phone": "phone",
    "whatsapp": "phone_has_whatsapp",
    "sex": "sex",
    "year_of_birth": "year_of_birth",
    "age_group": "age_group",
    "nationality": "nationality",
    "area": "area",
    "community": "community",
    "notes": "notes",
}
FREE_TEXT_FIELDS = frozenset({"notes"})
MERGED_NOTE_MAX = 4000


def person_wire_value(person: Person, name: str) -> Any:
    """A person's field as the protocol sends it (codes for the country and the area)."""
    if name == "nationality":
        return person.nationality_id
    if name == "area":
        return person.area_id
    return getattr(person, PERSON_FIELDS[name])


def _same(first: Any, second: Any) -> bool:
    def normal(value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, str):
            return value.strip()
        return value

    return bool(normal(first) == normal(second))


def type_error(name: str, value: Any) -> str:
    """The message when a person field's wire value is not of its type (the types a create is
    held to: "false" is not False, an object is not text), else ""."""
    if name == "whatsapp":
        return "" if isinstance(value, bool) else _("Enter true or false.")
    if name == "year_of_birth":
        whole = value in (None, "") or (isinstance(value, int) and not isinstance(value, bool))
        return "" if whole else _("Enter a whole number.")
    return "" if isinstance(value, str | None) else _("Enter text.")


def person_changes(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The keyword arguments of ``person_update`` for wire values, and the errors of values
    that name no known country or area."""
    changes: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        if name not in PERSON_FIELDS:
            errors[name] = [_("This field cannot be changed.")]
            continue
        wrong = type_error(name, value)
        if wrong:
            errors[name] = [wrong]
            continue
        if name == "nationality":
            country = None
            if value:
                country = Country.objects.filter(code=str(value).upper()[:2]).first()
                if country is None:
                    errors[name] = [_("Choose a country from the list.")]
            changes["nationality"] = country
        elif name == "area":
            area = None
            if value:
                area = AdminArea.objects.filter(pcode=str(value)[:20]).first()
                if area is None:
                    errors[name] = [_("Choose an area from the list.")]
            changes["area"] = area
        else:
            changes[PERSON_FIELDS[name]] = value
    return changes, errors


def marked_note(*, server: str, device: str, who: str, when: datetime.datetime) -> str:
    """Both versions of a free text: the server's, then the device's with who and when."""
    local = timezone.localtime(when)
    header = _("%(who)s, in the field app, %(when)s:") % {
        "who": who,
        "when": local.strftime("%Y-%m-%d %H:%M"),
    }
    return f"{server.rstrip()}\n\n{header}\n{device.strip()}"


@dataclass
class FieldConflict:
    field: str
    device: Any
    server: Any


@dataclass
class PersonMerge:
    """What to apply of a device's change to a person, and what stays for the worker."""

    apply: dict[str, Any] = field(default_factory=dict)
    conflicts: list[FieldConflict] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)


def merge_person(
    *,
    person: Person,
    data: dict[str, Any],
    base: dict[str, Any],
    who: str,
    when: datetime.datetime,
) -> PersonMerge:
    """Three-way merge of the device's ``data`` with the server's ``person`` over ``base``.

    A field sent without its base value counts as changed on both sides unless the values
    agree: a conflict rather than a silent overwrite."""
    result = PersonMerge()
    for name, device_value in data.items():
        if name not in PERSON_FIELDS:
            result.apply[name] = device_value  # refused by person_update, with its message
            continue
        server_value = person_wire_value(person, name)
        if _same(server_value, device_value):
            continue
        unchanged_on_server = name in base and _same(base[name], server_value)
        if name in FREE_TEXT_FIELDS:
            if unchanged_on_server or not str(server_value or "").strip():
                result.apply[name] = device_value
            elif not str(device_value or "").strip():
                continue  # the device emptied it while the server wrote more: keep the server's
            else:
                result.apply[name] = marked_note(
                    server=str(server_value), device=str(device_value), who=who, when=when
                )
                result.merged.append(name)
        elif unchanged_on_server:
            result.apply[name] = device_value
        else:
            result.conflicts.append(
                FieldConflict(field=name, device=device_value, server=server_value)
            )
    return result
