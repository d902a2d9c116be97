"""``manage.py expire_referrals``: open referrals with no news for the configured days expire.

Run it daily (cron or a systemd timer). Each expiry is a referral step like any other: a history
row and an audit entry, with no actor.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from senda.casework import conf
from senda.casework.actions.referrals import referrals_expire


class Command(BaseCommand):
    help = "Expire open referrals with no news for SENDA_REFERRAL_EXPIRE_DAYS days."

    def handle(self, *args: Any, **options: Any) -> None:
        expired = referrals_expire()
        self.stdout.write(
            f"{expired} referral(s) expired (no news for {conf.referral_expire_days()} days)."
        )
