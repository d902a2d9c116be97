"""The insights demo over the demo organisations and campaigns."""

from __future__ import annotations

import datetime

import pytest

from senda.accounts.models import User
from senda.core.demo import accounts, campaigns
from senda.core.demo.world import DemoWorld
from senda.insights import demo
from senda.insights.engine import Filters, indicator_table, indicators_for
from senda.insights.models import Indicator, Programme
from senda.insights.queries import programmes_visible_to

pytestmark = pytest.mark.django_db


def test_the_demo_programmes_load_once_and_show_suppressed_figures_to_the_coordination() -> None:
    world = DemoWorld(today=datetime.date(2026, 5, 1))
    accounts.load(world)
    campaigns.load(world)

    demo.load(world)
    assert "insights" in world.loaded
    assert demo.load_demo(today=world.today) == []  # idempotent

    health = Programme.objects.get(slug=demo.HEALTH_SLUG)
    regional = Programme.objects.get(slug=demo.CAMPAIGNS_SLUG)
    assert {o.slug for o in health.organisations.all()} == {"demo-pa", "demo-pa-salud"}
    assert regional.campaigns.count() == 5
    assert Indicator.objects.filter(code="people-reached").exists()

    officer = User.objects.get(username="oficial")
    donor = User.objects.get(username="donante")
    assert set(programmes_visible_to(user=donor)) == {health, regional}
    visits = next(
        i for i in indicators_for(user=officer, programme=regional) if i.code == "campaign-visits"
    )
    filters = Filters(
        programme=regional, start=world.today - datetime.timedelta(days=60), end=world.today
    )
    table = indicator_table(user=donor, indicator=visits, filters=filters, by=["campaign"])
    assert table.suppression_applied
    assert len(table.cells) == 5
    assert table.total.value and table.total.value > 100
    assert demo.summary().startswith("Insights: 2 programmes")
    demo.reset()
    assert not Programme.objects.filter(slug__in=demo.DEMO_SLUGS).exists()
