"""How a signed-in request finds its user: Django's model backend, with the user's active
memberships (and their organisations) read in the same query.

Every staff page asks what the user may do (the menu, the footer, each query's scope), so the
memberships are read on every request. As two ORM queries (the user, then the memberships)
compiling them cost more than the database spent answering them; this is one plain
statement, its values converted by the models' own fields, the instances built as the ORM
builds them (``Model.from_db``). Who may log in and how is unchanged: authentication,
permissions and ``user_can_authenticate`` are ``ModelBackend``'s.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

from senda.accounts.models import Membership, Organisation, User

# What reads a model's row: its concrete fields' attribute names and, per field, the
# converters that turn a raw value into what the ORM gives (per database connection).
_Plan = tuple[list[str], list[tuple[Any, list[Any]]]]
_PLANS: weakref.WeakKeyDictionary[BaseDatabaseWrapper, dict[type[Model], _Plan]] = (
    weakref.WeakKeyDictionary()
)


def _fields(model: type[Model]) -> list[Field[Any, Any]]:
    return [field for field in model._meta.concrete_fields if isinstance(field, Field)]


def _plan(connection: BaseDatabaseWrapper, model: type[Model]) -> _Plan:
    plans = _PLANS.setdefault(connection, {})
    plan = plans.get(model)
    if plan is None:
        converters = []
        for field in _fields(model):
            expression = field.get_col(model._meta.db_table)
            functions = connection.ops.get_db_converters(expression)
            converters.append((expression, functions + expression.get_db_converters(connection)))
        plan = ([field.attname for field in _fields(model)], converters)
        plans[model] = plan
    return plan


def row_instance(connection: BaseDatabaseWrapper, model: type[Model], values: Sequence[Any]) -> Any:
    """``model``'s instance from its concrete fields' raw ``values`` (in field order), converted
    by the fields and built as the ORM builds it (``Model.from_db``)."""
    attnames, converters = _plan(connection, model)
    converted = list(values)
    for index, (expression, functions) in enumerate(converters):
        value = converted[index]
        for function in functions:
            value = function(value, expression, connection)
        converted[index] = value
    return model.from_db(connection.alias, attnames, converted)


def column(connection: BaseDatabaseWrapper, model: type[Model], alias: str, name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    return f"{alias}.{connection.ops.quote_name(str(field.column))}"


def columns(connection: BaseDatabaseWrapper, model: type[Model], alias: str) -> list[str]:
    """Every concrete column of ``model`` under ``alias``, in field order (``row_instance``)."""
    quote = connection.ops.quote_name
    return [f"{alias}.{quote(str(field.column))}" for field in _fields(model)]


# The parameters of ``memberships_join``'s joins, which come before the statement's own.
MEMBERSHIP_JOIN_PARAMETERS = (True, True)


def memberships_join(connection: BaseDatabaseWrapper, user_id: str) -> tuple[list[str], str, str]:
    """What reads a user's active memberships in the statement that reads the user: the
    columns (each membership's, alias ``m``, then its organisation's, ``mo``), the joins on
    ``user_id`` (the user's id column there) and the ORDER BY that puts them oldest first.

    A membership that does not count (inactive, or its organisation is) leaves the
    organisation's columns NULL; a user without any still comes back, once."""
    quote = connection.ops.quote_name
    selected = columns(connection, Membership, "m") + columns(connection, Organisation, "mo")
    joins = (
        f" LEFT OUTER JOIN {quote(Membership._meta.db_table)} m"
        f" ON {column(connection, Membership, 'm', 'user')} = {user_id}"
        f" AND {column(connection, Membership, 'm', 'is_active')} = %s"
        f" LEFT OUTER JOIN {quote(Organisation._meta.db_table)} mo"
        f" ON {column(connection, Organisation, 'mo', 'id')}"
        f" = {column(connection, Membership, 'm', 'organisation')}"
        f" AND {column(connection, Organisation, 'mo', 'is_active')} = %s"
    )
    order = (
        f"{column(connection, Membership, 'm', 'created_at')},"
        f" {column(connection, Membership, 'm', 'id')}"
    )
    return selected, joins, order


def keep_memberships(
    connection: BaseDatabaseWrapper, user: User, rows: Sequence[Sequence[Any]], start: int
) -> None:
    """Build the memberships that ``memberships_join`` read into ``rows`` from column ``start``
    and keep them as ``user.active_memberships()`` gives them, each with its organisation and
    user: neither is read again."""
    organisation_start = start + len(_fields(Membership))
    memberships: list[Membership] = []
    for row in rows:
        if row[organisation_start] is None:
            continue  # no membership, or one that does not count
        membership: Membership = row_instance(connection, Membership, row[start:organisation_start])
        organisation = row_instance(connection, Organisation, row[organisation_start:])
        Membership._meta.get_field("organisation").set_cached_value(membership, organisation)
        Membership._meta.get_field("user").set_cached_value(membership, user)
        memberships.append(membership)
    user._active_memberships = memberships


def user_with_memberships(user_id: Any) -> User | None:
    """The user ``user_id`` with ``active_memberships()`` already read (active memberships in
    active organisations, oldest first, each with its organisation): one query."""
    connection = connections[router.db_for_read(User)]
    user_columns = columns(connection, User, "u")
    user_key = column(connection, User, "u", "id")
    membership_columns, joins, order = memberships_join(connection, user_key)
    sql = (
        f"SELECT {', '.join([*user_columns, *membership_columns])}"  # noqa: S608
        f" FROM {connection.ops.quote_name(User._meta.db_table)} u{joins}"
        f" WHERE {user_key} = %s ORDER BY {order}"
    )
    primary_key = User._meta.get_field("id")
    assert isinstance(primary_key, Field)
    key = primary_key.get_db_prep_value(primary_key.to_python(user_id), connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*MEMBERSHIP_JOIN_PARAMETERS, key])
        rows = cursor.fetchall()
    if not rows:
        return None
    user: User = row_instance(connection, User, rows[0][: len(user_columns)])
    keep_memberships(connection, user, rows, len(user_columns))
    return user


class UserBackend(ModelBackend):
    """``ModelBackend`` whose per-request user read also reads the user's memberships."""

    def get_user(self, user_id: Any) -> User | None:
        user = user_with_memberships(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
