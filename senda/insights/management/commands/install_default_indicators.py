"""Add the default indicators whose codes are missing (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from senda.insights.actions import indicators_install_defaults


class Command(BaseCommand):
    help = "Add the default indicators (issue 6's list) whose codes are missing."

    def handle(self, *args: Any, **options: Any) -> None:
        created = indicators_install_defaults(actor=None)
        codes = ", ".join(indicator.code for indicator in created) or "none"
        self.stdout.write(f"Default indicators added: {codes}.")
