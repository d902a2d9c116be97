from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from senda.accounts.tests.factories import OrganisationFactory
from senda.campaigns.attribution import new_code
from senda.campaigns.models import Campaign, CampaignStatus, Placement, PlacementKind
from senda.geo.models import Country


class CampaignFactory(DjangoModelFactory[Campaign]):
    class Meta:
        model = Campaign

    slug = factory.Sequence(lambda n: f"campaign-{n}")
    country = factory.LazyFunction(lambda: Country.objects.get(code="HN"))
    owner = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Campaña {n}")
    tagline = "Infórmate antes de migrar"
    key_messages = ["Migrar de forma regular es posible"]
    translations = {
        "en": {
            "name": "Campaign in English",
            "tagline": "Get informed before you migrate",
            "key_messages": ["Migrating regularly is possible"],
        }
    }
    partners = ["Partner One"]
    funder = "Donante de ejemplo"
    social_links = [{"network": "Facebook", "url": "https://example.org/facebook"}]
    status = CampaignStatus.PUBLISHED


class PlacementFactory(DjangoModelFactory[Placement]):
    class Meta:
        model = Placement

    campaign = factory.SubFactory(CampaignFactory)
    code = factory.LazyFunction(new_code)
    kind = PlacementKind.POSTER
    description = "Poster at the bus station"
