"""INSERT many rows of a model at once, cheaper in Python than ``QuerySet.bulk_create``.

``bulk_create`` compiles every value through the ORM's generic path (``pre_save``,
``get_db_prep_save``, the compiler's per-value checks for expressions): for the field app's
upload (a batch of 200 people is about 3,600 rows) that cost more CPU than the database spent
storing them. Here each column gets one converter, chosen once per field and database, that
passes a value already of the column's type straight through (a ``str`` to a text column, an
``int`` to an integer one, a ``UUID`` to PostgreSQL's uuid) and sends anything else through the
field's own ``get_db_prep_save``, as ``bulk_create`` does. A field type not known here (an
encrypted field, JSON) always goes through its own method.

The SQL is what Django writes for ``bulk_create``: on PostgreSQL one ``INSERT ... SELECT * FROM
UNNEST(...)`` (one array a column), elsewhere ``INSERT ... VALUES`` in chunks the database
takes. Primary keys the database assigns are not read back, and no signals are sent
(``bulk_create`` sends none either).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper

Converter = Callable[[Any], Any]

_TEXT = (models.CharField, models.TextField, models.SlugField, models.EmailField)
_INTEGER = (
    models.IntegerField,
    models.SmallIntegerField,
    models.BigIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.PositiveBigIntegerField,
    models.AutoField,
    models.BigAutoField,
    models.SmallAutoField,
)
_converters: dict[tuple[Any, str], Converter] = {}


def _converter(field: Any, connection: BaseDatabaseWrapper) -> Converter:
    """The function that prepares ``field``'s values for ``connection`` (see the docstring)."""
    cache_key = (field, connection.vendor)
    if cache_key in _converters:
        return _converters[cache_key]

    def generic(value: Any) -> Any:
        return field.get_db_prep_save(value, connection)

    # A foreign key's column holds its target's type; the exact class, never a subclass, since
    # a subclass may prepare its values its own way.
    column = type(field.target_field if field.is_relation else field)
    converter: Converter = generic
    if column in _TEXT:

        def converter(value: Any) -> Any:
            # Also a str subclass (a TextChoices member): the field passes it on unchanged too.
            return value if value is None or isinstance(value, str) else generic(value)

    elif column is models.BooleanField:

        def converter(value: Any) -> Any:
            return value if value is None or type(value) is bool else generic(value)

    elif column in _INTEGER:

        def converter(value: Any) -> Any:
            return value if value is None or type(value) is int else generic(value)

    elif column is models.UUIDField:
        native = connection.features.has_native_uuid_field

        def converter(value: Any) -> Any:
            if type(value) is uuid.UUID:
                return value if native else value.hex
            return value if value is None else generic(value)

    elif column is models.DateTimeField:
        adapt = connection.ops.adapt_datetimefield_value

        def converter(value: Any) -> Any:
            if type(value) is datetime.datetime and value.tzinfo is not None:
                return adapt(value)
            return value if value is None else generic(value)

    _converters[cache_key] = converter
    return converter


def insert_rows(
    model: type[models.Model], field_names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """INSERT ``rows`` (Python values, in the order of ``field_names``) into ``model``'s table;
    the number of rows. Fields left out take their database default (an auto id)."""
    rows = list(rows)
    if not rows:
        return 0
    connection = connections[router.db_for_write(model)]
    fields: list[Any] = [model._meta.get_field(name) for name in field_names]
    converters = [_converter(field, connection) for field in fields]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    prepared = [
        [convert(value) for convert, value in zip(converters, row, strict=True)] for row in rows
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and _unnestable(fields, connection):
            # Casts without their parameters (varchar, not varchar(20)): nothing is truncated.
            types = [field.db_type(connection).split("(")[0] for field in fields]
            arrays = ", ".join(f"(%s)::{db_type}[]" for db_type in types)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT * FROM UNNEST({arrays})",  # noqa: S608
                [list(column) for column in zip(*prepared, strict=True)],
            )
        else:
            size = max(1, connection.ops.bulk_batch_size(fields, prepared))
            size = min(size, max(1, 60_000 // len(fields)))
            placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
            for start in range(0, len(prepared), size):
                chunk = prepared[start : start + size]
                values = ", ".join([placeholders] * len(chunk))
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) VALUES {values}",  # noqa: S608
                    [value for row in chunk for value in row],
                )
    return len(rows)


def _unnestable(fields: Sequence[Any], connection: BaseDatabaseWrapper) -> bool:
    """Django's own test for its UNNEST insert: standard column types, one placeholder."""
    return not any(hasattr(field, "get_placeholder") for field in fields) and all(
        (field.target_field if field.is_relation else field).get_internal_type()
        in connection.data_types
        for field in fields
    )


def insert_objects(model: type[models.Model], objects: Sequence[models.Model]) -> int:
    """INSERT unsaved ``objects`` of ``model``, as ``bulk_create`` would (``auto_now`` fields
    set, an auto primary key left to the database and not read back); the number of rows."""
    if not objects:
        return 0
    opts = model._meta
    pk = opts.pk
    auto_pk = isinstance(pk, models.AutoField | models.BigAutoField | models.SmallAutoField)
    without_pk = sum(obj.pk is None for obj in objects)
    if auto_pk and 0 < without_pk < len(objects):
        raise ValueError("insert_objects: give every object its id, or none")
    fields = [
        field for field in opts.concrete_fields if not (auto_pk and field is pk and without_pk)
    ]
    stamped = [
        field
        for field in fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    rows = []
    for obj in objects:
        # bulk_create's check: a related object not saved yet is refused, and one saved since
        # it was assigned gives its id.
        obj._prepare_related_fields_for_save(operation_name="insert_objects")  # type: ignore[attr-defined]
        for field in stamped:
            field.pre_save(obj, add=True)
        rows.append([getattr(obj, field.attname) for field in fields])
    count = insert_rows(model, [field.name for field in fields], rows)
    alias = router.db_for_write(model)
    for obj in objects:
        obj._state.adding = False
        obj._state.db = alias
    return count
