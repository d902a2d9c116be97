"""``manage.py apply_retention``: erase the personal data of people without activity for
SENDA_RETENTION_DAYS. Run it daily (see the README: a cron line or a systemd timer)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from senda.casework import conf
from senda.casework.actions.people import people_apply_retention
from senda.casework.queries.people import people_for_retention


class Command(BaseCommand):
    help = "Erase the personal data of people without activity for the retention period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=200)
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count the records that would be erased."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = conf.retention_days()
        now = timezone.now()
        if options["dry_run"]:
            count = people_for_retention(now=now, days=days).count()
            self.stdout.write(f"{count} records without activity for {days} days (dry run).")
            return
        erased = people_apply_retention(
            now=now,
            batch_size=max(1, options["batch_size"]),
            progress=lambda done: self.stdout.write(f"{done} erased so far"),
        )
        self.stdout.write(f"{erased} records erased (no activity for {days} days).")
