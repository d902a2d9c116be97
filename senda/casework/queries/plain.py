"""Plain reads for the busiest field-work lists (my tasks, the referral inbox, the duplicate
check): SQL written here, identifiers and placeholders only, rows as lists of values.

For a page of 25 rows, compiling an ORM query (and building a model instance per row) cost
more than the database spent answering it. The values still go through Django's own field
converters (dates and UUIDs from SQLite's text, JSON, decryption of personal fields), so a
row reads exactly as the ORM would have read it; the choice labels a page shows are made once
per language (``labels``), not once per row.
"""

from __future__ import annotations

import functools
import json
import weakref
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Choices, Field, Model
from django.utils import translation

from senda.core.crypto import decrypt_text

_CONVERTERS: weakref.WeakKeyDictionary[Any, dict[tuple[type[Model], str], Any]] = (
    weakref.WeakKeyDictionary()
)
_PLANS: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], list[tuple[int, Any, list[Any]]]]] = (
    weakref.WeakKeyDictionary()
)
_LABELS: dict[tuple[str, type[Choices]], dict[str, str]] = {}


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


@functools.lru_cache(maxsize=512)
def _column(vendor: str, model: type[Model], name: str, alias: str) -> str:
    del vendor  # the cache key: the quoting is the database's
    quoted = quote(str(model._meta.get_field(name).column))  # type: ignore[union-attr]
    return f"{alias}.{quoted}" if alias else quoted


def table(model: type[Model]) -> str:
    """The quoted table name of ``model``."""
    return quote(model._meta.db_table)


def column(model: type[Model], name: str, alias: str = "") -> str:
    """The quoted column of the field ``name`` of ``model``, under a table alias if given."""
    return _column(connection.vendor, model, name, alias)


def param(model: type[Model], name: str, value: Any) -> Any:
    """``value`` as a query parameter for the field ``name`` (a UUID is hex text on SQLite, an
    aware datetime is UTC text there, and so on: what the ORM would send)."""
    field = model._meta.get_field(name)
    if field.is_relation:
        field = field.target_field  # type: ignore[union-attr]
    assert isinstance(field, Field)
    return field.get_db_prep_value(value, connection, prepared=False)


def params(model: type[Model], name: str, values: Iterable[Any]) -> list[Any]:
    return [param(model, name, value) for value in values]


def placeholders(count: int) -> str:
    """``%s, %s, ...`` for an ``IN (...)`` of ``count`` values (never empty: callers check)."""
    assert count > 0
    return ", ".join(["%s"] * count)


def counted(column_sql: str, condition: str) -> str:
    """``COUNT(column)`` of the rows meeting ``condition``, as the ORM writes
    ``Count(..., filter=...)`` for this database."""
    if connection.features.supports_aggregate_filter_clause:
        return f"COUNT({column_sql}) FILTER (WHERE {condition})"
    return f"COUNT(CASE WHEN {condition} THEN {column_sql} ELSE NULL END)"


def decrypted(value: str | None) -> str:
    """A personal field read as stored, decrypted (what ``EncryptedTextField`` gives)."""
    return decrypt_text(value) if value else ""


def _converters(wrapper: Any, model: type[Model], name: str) -> Any:
    known = _CONVERTERS.setdefault(wrapper, {})
    key = (model, name)
    if key not in known:
        field = model._meta.get_field(name)
        assert isinstance(field, Field)
        expression = field.get_col(model._meta.db_table)
        functions = wrapper.ops.get_db_converters(expression) + expression.get_db_converters(
            wrapper
        )
        known[key] = (expression, functions)
    return known[key]


def _conversions(
    wrapper: Any, fields: Sequence[tuple[type[Model], str] | None]
) -> list[tuple[int, Any, list[Any]]]:
    """For the columns of ``fields`` that need converting: (position, column, converters),
    worked out once per connection and list of fields."""
    plans = _PLANS.setdefault(wrapper, {})
    key = tuple(fields)
    plan = plans.get(key)
    if plan is None:
        plan = []
        for index, field in enumerate(key):
            if field is not None:
                expression, functions = _converters(wrapper, *field)
                if functions:
                    plan.append((index, expression, functions))
        plans[key] = plan
    return plan


def fetch(
    sql: str, parameters: Sequence[Any], fields: Sequence[tuple[type[Model], str] | None]
) -> list[list[Any]]:
    """Run ``sql`` and return its rows, each value converted as the field of ``fields`` at its
    position converts it (``None``: taken as the database gives it, such as a count)."""
    # The connection itself, not the ``connection`` proxy: every attribute read through the
    # proxy looks up the current connection again, and the converters read a few per value.
    wrapper = connections[DEFAULT_DB_ALIAS]
    converting = _conversions(wrapper, fields)
    with wrapper.cursor() as cursor:
        cursor.execute(sql, list(parameters))
        rows = cursor.fetchall()
    if not converting:
        return [list(row) for row in rows]
    result = []
    for row in rows:
        values = list(row)
        for index, expression, functions in converting:
            value = values[index]
            for function in functions:
                value = function(value, expression, wrapper)
            values[index] = value
        result.append(values)
    return result


def instances(
    model: type[Model], from_where: str, parameters: Sequence[Any], alias: str
) -> list[Any]:
    """Model instances of every column of ``model`` (table alias ``alias``) ``from_where``,
    in one query, as the ORM would build them (for the few rows a result shows)."""
    fields = [field for field in model._meta.concrete_fields]
    rows = fetch(
        f"SELECT {', '.join(column(model, field.name, alias) for field in fields)} {from_where}",
        parameters,
        [(model, field.name) for field in fields],
    )
    attnames = [field.attname for field in fields]
    return [model.from_db(connection.alias, attnames, row) for row in rows]


def labels(choices: type[Choices]) -> dict[str, str]:
    """The labels of ``choices`` in the active language, made once per language."""
    language = translation.get_language() or ""
    key = (language, choices)
    made = _LABELS.get(key)
    if made is None:
        made = {str(value): str(label) for value, label in choices.choices}
        _LABELS[key] = made
    return made


def translated(value: str, field: str, language: str, translations: Any, wanted: str) -> str:
    """What ``TranslatableModel.tr(field)`` gives, from the row's plain values: its text in
    the ``wanted`` language if it has one, else its own (``value``, written in ``language``)."""
    if wanted and wanted != language and isinstance(translations, dict):
        text = (translations.get(wanted) or {}).get(field)
        if text:
            return str(text)
    return value


class Translations:
    """``translated`` for rows whose translations column was read as the database gives it
    (JSON text): decoded only for a row not in the wanted language, and each distinct text
    once (a page's rows repeat the same few services and places)."""

    def __init__(self, wanted: str) -> None:
        self.wanted = wanted
        self._decoded: dict[str, Any] = {}

    def __call__(self, value: str, field: str, language: str, raw: Any) -> str:
        if not self.wanted or self.wanted == language or not raw:
            return value
        if isinstance(raw, str):
            decoded = self._decoded.get(raw)
            if decoded is None:
                # What ``JSONField.from_db_value`` does with the column's text.
                decoded = self._decoded[raw] = json.loads(raw)
            raw = decoded
        return translated(value, field, language, raw, self.wanted)


def page_language() -> str:
    """The active language as ``tr`` reads it ("es" of "es-mx"; "" when none is active)."""
    return (translation.get_language() or "").split("-")[0]
