"""Compute and store every active programme's dashboard figures (meant for cron, every few
minutes, more often than SENDA_INSIGHTS_MAX_AGE): nobody waits for a cold computation of a
dashboard as it opens."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from senda.insights.dashboard_actions import figures_refresh
from senda.insights.models import Programme
from senda.insights.stored import figures_prune


class Command(BaseCommand):
    help = "Compute and store the default dashboard figures of every active programme."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--programme", action="append", default=[], help="only this programme (its slug)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        # Active: not ended yet (a programme without an end runs on).
        programmes = Programme.objects.exclude(period_end__lt=today).order_by("slug")
        if options["programme"]:
            programmes = programmes.filter(slug__in=options["programme"])
        for programme in programmes:
            started = time.perf_counter()
            tables = figures_refresh(programme=programme)
            elapsed = time.perf_counter() - started
            self.stdout.write(f"{programme.slug}: {tables} tables in {elapsed:.1f} s")
        # Figures of programmes no longer refreshed (ended, or filtered views) age out too.
        deleted = figures_prune()
        self.stdout.write(f"Stored figures too old to be read deleted: {deleted}.")
