"""Factories for requests for information, and information points to route them to."""

from __future__ import annotations

import datetime
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from senda.accounts.models import Organisation
from senda.accounts.tests.factories import OrganisationFactory
from senda.directory.models import Service
from senda.directory.tests.factories import LocationFactory, ServiceFactory
from senda.geo.models import AdminArea
from senda.inquiries.models import Inquiry, ReplyChannel, RoutedBy


def information_point(
    *, owner: Organisation, area: str, latitude: float | None = None, **fields: Any
) -> Service:
    """A published migration-information service at one location in ``area``."""
    place = AdminArea.objects.get(pk=area)
    location = LocationFactory.create(
        owner=owner,
        country_id=place.country_id,
        admin_area_id=place.pcode,
        latitude=place.latitude if latitude is None else latitude,
        longitude=fields.pop("longitude", place.longitude),
    )
    return ServiceFactory.create(
        owner=owner,
        published=True,
        categories=fields.pop("categories", ["migration.information"]),
        locations=[location],
        **fields,
    )


class InquiryFactory(DjangoModelFactory[Inquiry]):
    class Meta:
        model = Inquiry

    question = "¿Qué documentos necesito para trabajar en México? (ejemplo)"
    reply_channel = ReplyChannel.WHATSAPP
    contact = factory.Sequence(lambda n: f"+504 0000-{n % 10000:04d}")
    name = factory.Sequence(lambda n: f"Persona de ejemplo {n}")
    country_id = "HN"
    area_id = "HN0801"
    consent_at = factory.LazyFunction(timezone.now)
    consent_version = "test"
    language = "es"
    organisation = factory.SubFactory(OrganisationFactory)
    routed_by = RoutedBy.AREA

    @classmethod
    def _create(cls, model_class: type[Inquiry], *args: Any, **kwargs: Any) -> Inquiry:
        created_at: datetime.datetime | None = kwargs.pop("created_at", None)
        inquiry = super()._create(model_class, *args, **kwargs)
        if created_at is not None:
            # auto_now_add ignores a given value: set it afterwards.
            Inquiry.objects.filter(pk=inquiry.pk).update(created_at=created_at)
            inquiry.created_at = created_at
        return inquiry
