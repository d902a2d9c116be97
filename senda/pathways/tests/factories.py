"""Test data for guides. Channels are drafts unless created with ``published=True``."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from senda.accounts.tests.factories import OrganisationFactory
from senda.pathways.models import (
    Channel,
    ChannelDocument,
    Document,
    DocumentSource,
    Explainer,
    GuideStatus,
)


class DocumentFactory(DjangoModelFactory[Document]):
    class Meta:
        model = Document
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"document-{n}")
    name = factory.Sequence(lambda n: f"Documento {n}")
    translations = factory.LazyAttribute(lambda d: {"en": {"name": f"Document {d.slug}"}})
    is_identity = True


class DocumentSourceFactory(DjangoModelFactory[DocumentSource]):
    class Meta:
        model = DocumentSource

    document = factory.SubFactory(DocumentFactory)
    country_id = "GT"
    where = "RENAP"


class ChannelFactory(DjangoModelFactory[Channel]):
    class Meta:
        model = Channel

    class Params:
        published = factory.Trait(
            status=GuideStatus.PUBLISHED,
            verified_on=factory.LazyFunction(timezone.localdate),
            published_at=factory.LazyFunction(timezone.now),
        )

    owner = factory.SubFactory(OrganisationFactory)
    country_id = "MX"
    slug = factory.Sequence(lambda n: f"channel-{n}")
    name = factory.Sequence(lambda n: f"Canal {n}")
    summary = "Resumen del canal."
    translations = factory.LazyAttribute(
        lambda c: {"en": {"name": f"Channel {c.slug}", "summary": "Channel summary."}}
    )
    steps = factory.LazyFunction(lambda: ["Paso uno", "Paso dos"])
    eligibility = factory.LazyFunction(dict)


class ChannelDocumentFactory(DjangoModelFactory[ChannelDocument]):
    class Meta:
        model = ChannelDocument

    channel = factory.SubFactory(ChannelFactory)
    document = factory.SubFactory(DocumentFactory)
    position = factory.Sequence(int)


class ExplainerFactory(DjangoModelFactory[Explainer]):
    class Meta:
        model = Explainer

    class Params:
        published = factory.Trait(
            status=GuideStatus.PUBLISHED,
            verified_on=factory.LazyFunction(timezone.localdate),
        )

    owner = factory.SubFactory(OrganisationFactory)
    country_id = "MX"
    title = "¿Regular o irregular?"
    regular_text = "Regular."
    irregular_text = "Irregular."
    risks_text = "Trata, extorsión, detención."
    translations = factory.LazyFunction(
        lambda: {"en": {"title": "Regular or irregular?", "risks_text": "Trafficking."}}
    )


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)
