"""Escalate requests left unanswered past the escalation time. Run from cron every hour."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from senda.inquiries.actions import inquiries_escalate_overdue


class Command(BaseCommand):
    help = "Escalate requests for information not answered within SENDA_INQUIRY_ESCALATION_HOURS."

    def handle(self, *args: Any, **options: Any) -> None:
        count = inquiries_escalate_overdue(now=timezone.now())
        self.stdout.write(f"Escalated {count} request(s).")
