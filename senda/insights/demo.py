"""The insights demo: the default indicators and two programmes over the demo organisations
and campaigns, written through the insights actions by the coordination's programme officer.

- "Salud sin Fronteras Panamá (ejemplo)": the Panama health project's field work (the
  promoters' and volunteers' tenant and the health district receiving their referrals).
- "Informarse antes de migrar (ejemplo)": the five national campaigns and the information
  points of the region (their requests for information).

The coordination leads both; its members see the figures as aggregates with small numbers
hidden (none of them sees the partners' people). Called by the demo loader (``load(world)``,
idempotent) like the other domains; ``load_demo`` is the same for callers outside it.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import transaction

from senda.accounts.models import Organisation, User
from senda.campaigns.models import Campaign
from senda.geo.models import Country
from senda.insights.actions import ProgrammeInput, indicators_install_defaults, programme_create
from senda.insights.models import Indicator, Programme

if TYPE_CHECKING:
    from senda.core.demo.world import DemoWorld

OFFICER = "oficial"
COORDINATION = "demo-coordinacion"
HEALTH_SLUG = "salud-sin-fronteras-pa"
CAMPAIGNS_SLUG = "informarse-antes-de-migrar"
DEMO_SLUGS = (HEALTH_SLUG, CAMPAIGNS_SLUG)
CAMPAIGN_SLUGS = (
    "migrar-informados",
    "echale-ganas",
    "ponele-plan",
    "conecta-con-tu-futuro",
    "yocamino",
)
INFO_POINT_TENANTS = ("demo-mx", "demo-gt", "demo-hn", "demo-sv", "demo-ni", "demo-cr")


def load(world: DemoWorld) -> None:
    """Add the default indicators and the demo programmes that are missing."""
    if load_demo(today=world.today):
        world.loaded.append("insights")


@transaction.atomic
def load_demo(*, today: datetime.date) -> list[Programme]:
    """Create what is missing; returns the programmes created (none on a second run)."""
    indicators_install_defaults(actor=None)
    existing = set(Programme.objects.filter(slug__in=DEMO_SLUGS).values_list("slug", flat=True))
    organisations = {
        organisation.slug: organisation
        for organisation in Organisation.objects.filter(slug__startswith="demo-")
    }
    officer = User.objects.filter(username=OFFICER).first()
    lead = organisations.get(COORDINATION)
    if officer is None or lead is None:
        return []  # the accounts demo is not loaded: nothing to lead the programmes
    created = []
    start = today - datetime.timedelta(days=365)
    end = today + datetime.timedelta(days=180)
    if HEALTH_SLUG not in existing:
        created.append(
            programme_create(
                actor=officer,
                fields=ProgrammeInput(
                    slug=HEALTH_SLUG,
                    name="Salud sin Fronteras Panamá (ejemplo)",
                    name_en="Health without Borders Panama (example)",
                    description="Promoción de salud, referencias y vacunación con personas "
                    "migrantes y comunidades de acogida en Panamá. Contenido de ejemplo.",
                    description_en="Health promotion, referrals and vaccination with migrants "
                    "and host communities in Panama. Example content.",
                    lead=lead,
                    partners=[
                        organisations[slug]
                        for slug in ("demo-pa", "demo-pa-salud")
                        if slug in organisations
                    ],
                    countries=list(Country.objects.filter(code="PA")),
                    donor="Donante de ejemplo",
                    period_start=start,
                    period_end=end,
                ),
            )
        )
    if CAMPAIGNS_SLUG not in existing:
        partners = [organisations[slug] for slug in INFO_POINT_TENANTS if slug in organisations]
        owners = {lead.pk, *(partner.pk for partner in partners)}
        campaigns = [
            campaign
            for campaign in Campaign.objects.filter(slug__in=CAMPAIGN_SLUGS).defer("logo")
            if campaign.owner_id in owners
        ]
        created.append(
            programme_create(
                actor=officer,
                fields=ProgrammeInput(
                    slug=CAMPAIGNS_SLUG,
                    name="Informarse antes de migrar (ejemplo)",
                    name_en="Get informed before migrating (example)",
                    description="Campañas nacionales y puntos de información sobre migración "
                    "regular en la región. Contenido de ejemplo.",
                    description_en="National campaigns and information points on regular "
                    "migration in the region. Example content.",
                    lead=lead,
                    partners=partners,
                    campaigns=campaigns,
                    countries=list(
                        Country.objects.filter(code__in=["MX", "GT", "HN", "SV", "NI", "CR"])
                    ),
                    donor="Donante de ejemplo",
                    period_start=start,
                    period_end=end,
                ),
            )
        )
    return created


def summary() -> str:
    """One line on what the insights demo holds."""
    programmes = Programme.objects.filter(slug__in=DEMO_SLUGS).count()
    indicators = Indicator.objects.filter(is_active=True).count()
    return f"Insights: {programmes} programmes, {indicators} active indicators."


@transaction.atomic
def reset() -> None:
    """Delete the demo programmes (their own indicators and reports go with them); the
    shared default indicators stay (a fresh database has them too)."""
    Programme.objects.filter(slug__in=DEMO_SLUGS).delete()
