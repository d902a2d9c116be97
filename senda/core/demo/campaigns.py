"""The five national campaigns of the demo, their placements and a synthetic reach history.

Every figure here is made up and generated deterministically from the campaign and placement
names: the same demo gives the same counts on every machine.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction

from senda.accounts.models import Organisation
from senda.campaigns.actions import (
    CampaignFields,
    campaign_create,
    campaign_set_status,
    placement_counts_import,
    placement_create,
)
from senda.campaigns.models import Campaign, CampaignStatus, PlacementEvent, PlacementKind
from senda.core.demo.accounts import TENANTS, demo_slugs
from senda.core.demo.world import EXAMPLE_NOTE_EN, EXAMPLE_NOTE_ES, DemoWorld, Text, stable_int
from senda.geo.models import Country

FUNDER = "Donante de ejemplo"
HISTORY_DAYS = 60
COORDINATION = "coord"


@dataclass(frozen=True)
class PlacementSpec:
    kind: str
    description: str
    # Typical visits on a day; the synthetic history spreads around it.
    daily_visits: int


@dataclass(frozen=True)
class CampaignSpec:
    slug: str
    tenant: str
    country: str
    name: Text
    tagline: Text
    description: Text
    key_messages: tuple[Text, ...]
    social: tuple[str, ...]
    primary_colour: str
    accent_colour: str
    placements: tuple[PlacementSpec, ...]


CAMPAIGNS: tuple[CampaignSpec, ...] = (
    CampaignSpec(
        slug="migrar-informados",
        tenant="mx",
        country="MX",
        name=("Migrar Informados", "Migrar Informados (Migrate Informed)"),
        tagline=(
            "Antes de migrar, infórmate: hay caminos regulares y seguros.",
            "Before you migrate, get informed: there are regular and safe routes.",
        ),
        description=(
            "Campaña de información para personas jóvenes en México que piensan en migrar.",
            "An information campaign for young people in Mexico who are thinking of migrating.",
        ),
        key_messages=(
            (
                "Saber qué documentos necesitas es el primer paso.",
                "Knowing which documents you need is the first step.",
            ),
            (
                "Los puntos de información te orientan gratis.",
                "Information points advise you for free.",
            ),
            (
                "Nadie puede quitarte tus documentos de identidad.",
                "Nobody may take your identity documents from you.",
            ),
        ),
        social=("Facebook", "Instagram", "TikTok"),
        primary_colour="#1b5e20",
        accent_colour="#8e2424",
        placements=(
            PlacementSpec(PlacementKind.POSTER, "Cartel en la central de autobuses", 9),
            PlacementSpec(PlacementKind.RADIO_SPOT, "Cuña en la radio comunitaria", 5),
            PlacementSpec(PlacementKind.SOCIAL_POST, "Publicación en Facebook", 14),
        ),
    ),
    CampaignSpec(
        slug="echale-ganas",
        tenant="gt",
        country="GT",
        name=("Échale Ganas", "Échale Ganas (Give It Your All)"),
        tagline=(
            "Tu futuro también está aquí: estudia, trabaja, emprende.",
            "Your future is here too: study, work, start a business.",
        ),
        description=(
            "Campaña para jóvenes de Guatemala sobre migración regular y oportunidades locales.",
            "A campaign for young people in Guatemala on regular migration and local "
            "opportunities.",
        ),
        key_messages=(
            (
                "Hay becas y empleos cerca de ti.",
                "There are scholarships and jobs near you.",
            ),
            (
                "Si decides migrar, hazlo por la vía regular.",
                "If you decide to migrate, do it the regular way.",
            ),
        ),
        social=("Facebook", "WhatsApp"),
        primary_colour="#0d47a1",
        accent_colour="#b3261e",
        placements=(
            PlacementSpec(
                PlacementKind.SCHOOL_VISIT, "Charla en un instituto de Quetzaltenango", 6
            ),
            PlacementSpec(PlacementKind.FLYER, "Volante en el mercado municipal", 4),
        ),
    ),
    CampaignSpec(
        slug="ponele-plan",
        tenant="hn",
        country="HN",
        name=("Ponele Plan a Tu Vida", "Ponele Plan a Tu Vida (Make a Plan for Your Life)"),
        tagline=(
            "Un plan bien informado vale más que un viaje a ciegas.",
            "A well-informed plan is worth more than a journey in the dark.",
        ),
        description=(
            "Campaña para jóvenes de Honduras: canales regulares, documentos y oportunidades.",
            "A campaign for young people in Honduras: regular channels, documents and "
            "opportunities.",
        ),
        key_messages=(
            (
                "Conoce los canales regulares para trabajar o estudiar fuera.",
                "Learn about the regular channels to work or study abroad.",
            ),
            (
                "Prepara tus documentos con tiempo.",
                "Get your documents ready in good time.",
            ),
            (
                "Pide información personalizada a un punto de información.",
                "Ask an information point for personalised information.",
            ),
        ),
        social=("Facebook", "Instagram"),
        primary_colour="#4a148c",
        accent_colour="#00695c",
        placements=(
            PlacementSpec(PlacementKind.POSTER, "Cartel en el parque central de San Pedro Sula", 8),
            PlacementSpec(PlacementKind.RADIO_SPOT, "Cuña en la radio de Choluteca", 4),
            PlacementSpec(PlacementKind.SCHOOL_VISIT, "Visita a un colegio de Tegucigalpa", 3),
            PlacementSpec(PlacementKind.SOCIAL_POST, "Video en Instagram", 11),
        ),
    ),
    CampaignSpec(
        slug="conecta-con-tu-futuro",
        tenant="sv",
        country="SV",
        name=("Conectá con tu Futuro", "Conectá con tu Futuro (Connect with Your Future)"),
        tagline=(
            "Conectá con la información correcta antes de decidir.",
            "Connect with the right information before you decide.",
        ),
        description=(
            "Campaña para jóvenes de El Salvador sobre migración segura y regular.",
            "A campaign for young people in El Salvador on safe and regular migration.",
        ),
        key_messages=(
            (
                "La migración irregular tiene riesgos que podés evitar.",
                "Irregular migration carries risks you can avoid.",
            ),
            (
                "Hay oportunidades de formación y empleo en tu municipio.",
                "There are training and job opportunities in your municipality.",
            ),
        ),
        social=("Facebook", "TikTok"),
        primary_colour="#004d80",
        accent_colour="#a0410d",
        placements=(
            PlacementSpec(PlacementKind.POSTER, "Cartel en la terminal de San Salvador", 7),
            PlacementSpec(PlacementKind.SOCIAL_POST, "Publicación en TikTok", 12),
            PlacementSpec(PlacementKind.FLYER, "Volante en una feria de empleo", 3),
        ),
    ),
    CampaignSpec(
        slug="yocamino",
        tenant="ni",
        country="NI",
        name=("#YoCamino", "#YoCamino (#IWalk)"),
        tagline=(
            "Caminá informado: conocé la diferencia entre viajar regular e irregularmente.",
            "Walk informed: know the difference between regular and irregular travel.",
        ),
        description=(
            "Campaña para adolescentes y jóvenes de Nicaragua.",
            "A campaign for adolescents and young people in Nicaragua.",
        ),
        key_messages=(
            (
                "Viajar de forma regular te protege.",
                "Travelling regularly protects you.",
            ),
            (
                "Un Centro de Información sobre Migración te puede ayudar.",
                "A Migration Information Centre can help you.",
            ),
        ),
        social=("Facebook", "Instagram"),
        primary_colour="#7b1f3a",
        accent_colour="#005f73",
        placements=(
            PlacementSpec(PlacementKind.SCHOOL_VISIT, "Charla en un colegio de Managua", 5),
            PlacementSpec(PlacementKind.POSTER, "Cartel en el mercado de Estelí", 6),
        ),
    ),
)


def _tenant_name(key: str) -> str:
    return next(tenant.name for tenant in TENANTS if tenant.key == key)


def _fields(spec: CampaignSpec, country: Country, today: datetime.date) -> CampaignFields:
    description_es, description_en = spec.description
    return CampaignFields(
        slug=spec.slug,
        country=country,
        name=spec.name[0],
        name_en=spec.name[1],
        tagline=spec.tagline[0],
        tagline_en=spec.tagline[1],
        description=f"{description_es} {EXAMPLE_NOTE_ES}",
        description_en=f"{description_en} {EXAMPLE_NOTE_EN}",
        key_messages=tuple(spanish for spanish, _english in spec.key_messages),
        key_messages_en=tuple(english for _spanish, english in spec.key_messages),
        period_start=today - datetime.timedelta(days=90 + stable_int(spec.slug, 0, 30)),
        period_end=today + datetime.timedelta(days=180 + stable_int(spec.slug + "/end", 0, 90)),
        partners=(_tenant_name(spec.tenant), _tenant_name(COORDINATION)),
        funder=FUNDER,
        social_links=tuple(
            (network, f"https://example.org/{spec.slug}/{network.lower()}")
            for network in spec.social
        ),
        primary_colour=spec.primary_colour,
        accent_colour=spec.accent_colour,
    )


def _history(
    key: str, daily_visits: int, today: datetime.date
) -> dict[tuple[datetime.date, str], int]:
    """Synthetic daily counts over the last 60 days: about a third of visitors take the
    checklist and a few ask for personalised information."""
    counts: dict[tuple[datetime.date, str], int] = {}
    for days_ago in range(1, HISTORY_DAYS + 1):
        day = today - datetime.timedelta(days=days_ago)
        visits = stable_int(f"{key}/{day}/visit", 0, daily_visits * 2)
        checklists = stable_int(f"{key}/{day}/checklist", 0, visits // 2)
        inquiries = stable_int(f"{key}/{day}/inquiry", 0, max(0, checklists // 3))
        counts[(day, PlacementEvent.VISIT)] = visits
        counts[(day, PlacementEvent.CHECKLIST)] = checklists
        counts[(day, PlacementEvent.INQUIRY)] = inquiries
    return counts


def load(world: DemoWorld) -> None:
    """Create the five campaigns with their placements and reach, unless already there."""
    existing = set(
        Campaign.objects.filter(slug__in=[spec.slug for spec in CAMPAIGNS]).values_list(
            "slug", flat=True
        )
    )
    countries = Country.objects.in_bulk([spec.country for spec in CAMPAIGNS])
    created = 0
    for spec in CAMPAIGNS:
        if spec.slug in existing:
            continue
        owner = world.organisations.get(spec.tenant) or Organisation.objects.get(
            slug=f"demo-{spec.tenant}"
        )
        campaign = campaign_create(
            actor=None, owner=owner, fields=_fields(spec, countries[spec.country], world.today)
        )
        campaign_set_status(actor=None, campaign=campaign, status=CampaignStatus.PUBLISHED)
        for index, placement_spec in enumerate(spec.placements):
            placement = placement_create(
                actor=None,
                campaign=campaign,
                kind=placement_spec.kind,
                description=placement_spec.description,
            )
            placement_counts_import(
                actor=None,
                placement=placement,
                counts=_history(f"{spec.slug}/{index}", placement_spec.daily_visits, world.today),
            )
        created += 1
    if created:
        world.loaded.append("campaigns")


def summary() -> str:
    """One line on what the demo campaigns hold."""
    campaigns = Campaign.objects.filter(owner__slug__in=demo_slugs())
    placements = sum(campaign.placements.count() for campaign in campaigns)
    return f"Campaigns: {campaigns.count()} campaigns with {placements} placements."


@transaction.atomic
def reset() -> None:
    """Delete the demo tenants' campaigns (their placements and counts go with them)."""
    Campaign.objects.filter(owner__slug__in=demo_slugs()).delete()
