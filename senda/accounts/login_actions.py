"""Audited login events: successes, failures (counted by the throttle) and lockouts."""

from __future__ import annotations

from django.db import transaction

from senda.accounts import login_throttle
from senda.accounts.models import Organisation, User
from senda.core.audit import audit


def _organisation_of(user: User | None) -> Organisation | None:
    membership = user.active_membership() if user is not None else None
    return membership.organisation if membership is not None else None


@transaction.atomic
def login_succeeded(*, user: User, step: str) -> None:
    """Record a login step passed ("password" or "second_factor"); forget earlier failures."""
    login_throttle.clear_username(user.get_username())
    if step == "password":
        audit(actor=user, action="accounts.login", obj=user, organisation=_organisation_of(user))


@transaction.atomic
def login_failed(
    *, username: str, address: str, step: str, locked_already: bool = False
) -> login_throttle.FailureResult:
    """Count and record a failed attempt at ``step`` ("password" or "second_factor").

    The entry names the account tried (when it exists) so that its organisation's admin sees
    attempts on their members; a lockout gets an entry of its own."""
    target = User.objects.filter(username__iexact=username.strip()).first() if username else None
    organisation = _organisation_of(target)
    # While locked, attempts are refused unchecked and do not extend the lockout.
    result = (
        login_throttle.FailureResult(username_locked=False, address_locked=False)
        if locked_already
        else login_throttle.record_failure(username=username, address=address)
    )
    audit(
        actor=None,
        action="accounts.login_failure",
        obj=target,
        organisation=organisation,
        details={"username": username[:150], "step": step, "locked": locked_already},
    )
    if result.username_locked or result.address_locked:
        audit(
            actor=None,
            action="accounts.login_lockout",
            obj=target,
            organisation=organisation,
            details={
                "username": username[:150],
                "user_name_locked": result.username_locked,
                "address_locked": result.address_locked,
                "minutes": login_throttle.lockout_seconds() // 60,
            },
        )
    return result
