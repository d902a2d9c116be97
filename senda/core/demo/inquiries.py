"""Demo requests for information: clearly synthetic people ("Persona de ejemplo N", phone
numbers +504 0000-00NN) asking the demo information points, in every state of the inbox,
two of them overdue (one already escalated). Written through the inquiries actions."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from senda.core.demo import directory_data as data
from senda.core.demo.accounts import demo_slugs
from senda.core.demo.world import DemoWorld
from senda.geo.models import AdminArea
from senda.inquiries import actions
from senda.inquiries.models import Inquiry, InquiryStatus, Outcome, ReplyChannel
from senda.inquiries.queries import assignable_members

NAME_PREFIX = "Persona de ejemplo"

QUESTIONS = (
    "¿Qué documentos necesito para pedir un permiso de trabajo en México? (ejemplo)",
    "Quiero estudiar en otro país: ¿hay becas y cómo las pido? (ejemplo)",
    "Perdí mi pasaporte en el camino, ¿cómo lo repongo? (ejemplo)",
    "¿Cómo pido la tarjeta de visitante regional? (ejemplo)",
    "Mi familia vive en Costa Rica, ¿puedo reunirme con ellos de forma regular? (ejemplo)",
    "¿Dónde hay cursos de formación técnica cerca de mí? (ejemplo)",
    "No puedo volver a mi país porque corro peligro, ¿qué hago? (ejemplo)",
)
CHANNELS = (ReplyChannel.WHATSAPP, ReplyChannel.PHONE, ReplyChannel.EMAIL, ReplyChannel.VISIT)
# What happens to each request, in turn.
STAGES = ("new", "assigned", "answered", "closed", "overdue", "escalated", "closed_referred")
DEMO_COUNT = 14


def _contact(number: int, channel: str) -> str:
    if channel == ReplyChannel.VISIT:
        return ""
    if channel == ReplyChannel.EMAIL:
        return f"persona.ejemplo{number}@example.org"
    return f"+504 0000-00{number:02d}"


def demo_inquiries() -> list[Inquiry]:
    # Names are encrypted: pick the demo's own requests out of the demo organisations' ones.
    inquiries = Inquiry.objects.filter(organisation__slug__in=demo_slugs()).order_by("created_at")
    return [inquiry for inquiry in inquiries if inquiry.name.startswith(NAME_PREFIX)]


def load(world: DemoWorld) -> None:
    """Add the demo requests unless they are there already."""
    if demo_inquiries():
        return
    now = timezone.now()
    areas = {area.pk: area for area in AdminArea.objects.select_related("country", "parent")}
    points = [point for point in data.INFO_POINTS if point.area in areas]
    with transaction.atomic():
        for number in range(1, DEMO_COUNT + 1):
            point = points[(number - 1) % len(points)]
            area = areas[point.area]
            channel = CHANNELS[number % len(CHANNELS)]
            inquiry = actions.inquiry_submit(
                question=QUESTIONS[number % len(QUESTIONS)],
                reply_channel=channel,
                contact=_contact(number, channel),
                name=f"{NAME_PREFIX} {number}",
                country=area.country,
                area=area,
                consent=True,
                language="es",
                topic="",
            )
            _play(inquiry, STAGES[(number - 1) % len(STAGES)], now=now, number=number)
    world.loaded.append("inquiries")


def _play(inquiry: Inquiry, stage: str, *, now: datetime.datetime, number: int) -> None:
    """Move one demo request to its stage through the actions."""
    # Spread the requests over the last two days (the overdue ones three and four days ago).
    hours_ago = {"overdue": 72, "escalated": 96}.get(stage, number * 3)
    Inquiry.objects.filter(pk=inquiry.pk).update(
        created_at=now - datetime.timedelta(hours=hours_ago)
    )
    inquiry.refresh_from_db()
    members = assignable_members(inquiry=inquiry)
    if stage in ("new", "overdue", "escalated") or not members:
        if stage == "escalated":
            actions.inquiries_escalate_overdue(now=now)
        return
    handler = members[0]
    actions.inquiry_assign(user=handler, inquiry=inquiry, assignee=handler)
    if stage == "assigned":
        return
    channel = inquiry.reply_channel if inquiry.reply_channel != ReplyChannel.VISIT else "phone"
    actions.inquiry_reply(
        user=handler,
        inquiry=inquiry,
        text="Le expliqué los requisitos y dónde pedir cita. (ejemplo)",
        channel=channel,
    )
    if stage == "answered":
        return
    outcome = Outcome.REFERRED if stage == "closed_referred" else Outcome.ANSWERED_PHONE
    actions.inquiry_close(user=handler, inquiry=inquiry, outcome=outcome)


def summary() -> str:
    """One line on the demo requests."""
    inquiries = demo_inquiries()
    open_count = sum(
        1 for i in inquiries if i.status in (InquiryStatus.NEW, InquiryStatus.ASSIGNED)
    )
    escalated = sum(1 for i in inquiries if i.escalated_at is not None)
    return (
        f"Inquiries: {len(inquiries)} requests for information ({open_count} open,"
        f" {escalated} escalated)."
    )


@transaction.atomic
def reset() -> None:
    """Delete the demo requests (their history goes with them)."""
    Inquiry.objects.filter(pk__in=[inquiry.pk for inquiry in demo_inquiries()]).delete()
