"""The demo requests load through the actions, in every state, idempotently."""

from __future__ import annotations

import pytest

from senda.core import demo
from senda.core.demo import inquiries as demo_inquiries
from senda.inquiries.models import InquiryStatus

pytestmark = pytest.mark.django_db


def test_demo_inquiries_load_once_and_reset() -> None:
    world = demo.load_all(upto=demo_inquiries)

    demo_inquiries.load(world)
    demo_inquiries.load(world)

    loaded = demo_inquiries.demo_inquiries()
    assert 10 <= len(loaded) <= 20
    assert {i.status for i in loaded} == set(InquiryStatus.values)
    assert sum(1 for i in loaded if i.escalated_at is not None) >= 1
    assert len({i.organisation_id for i in loaded}) >= 5
    assert all(i.name.startswith("Persona de ejemplo") for i in loaded)
    assert "Inquiries:" in demo_inquiries.summary()

    demo_inquiries.reset()
    assert demo_inquiries.demo_inquiries() == []
