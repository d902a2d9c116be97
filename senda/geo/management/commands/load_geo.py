from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from senda.geo.models import AdminArea, Country
from senda.geo.reference import load_reference


class Command(BaseCommand):
    help = "Create or update the countries and admin areas shipped in senda/geo/data."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            countries, areas = load_reference(Country, AdminArea)
        self.stdout.write(f"{countries} countries, {areas} areas")
