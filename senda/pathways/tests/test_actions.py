"""Guide actions against the database: validation, publication with versions, verification,
and the permission matrix (every role of two organisations)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.core.models import AuditEntry
from senda.pathways import actions, queries
from senda.pathways.models import Channel, GuideStatus, GuideVersion
from senda.pathways.tests.factories import (
    ChannelFactory,
    DocumentFactory,
    ExplainerFactory,
    days_ago,
)

pytestmark = pytest.mark.django_db

EDITOR = Role.CONTENT_EDITOR
FIELDS = {"name": "Tarjeta", "summary": "Resumen.", "steps": ["Uno", " ", "Dos"]}


def test_channel_create_saves_a_draft_with_translations_and_audit(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    channel = actions.channel_create(
        actor=users_a[EDITOR],
        owner=org_a,
        country_code="mx",
        slug="tarjeta",
        fields={**FIELDS, "eligibility": {"answer": "purpose", "in": ["work"]}},
        translations={"en": {"name": "Card", "steps": ["One", "Two"]}},
    )
    assert channel.status == GuideStatus.DRAFT
    assert channel.country_id == "MX"
    assert channel.steps == ["Uno", "Dos"]
    assert channel.tr("name", "en") == "Card"
    assert channel.tr("steps", "en") == ["One", "Two"]
    assert AuditEntry.objects.filter(action="pathways.channel_create").count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"source_url": "not a url"}, "source_url"),
        ({"eligibility": {"all": []}}, "eligibility"),
        ({"steps": "one"}, "steps"),
        ({"owner": 1}, "owner"),
    ],
)
def test_channel_create_refuses_bad_input_and_saves_nothing(
    users_a: dict[str, User], org_a: Organisation, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        actions.channel_create(
            actor=users_a[EDITOR],
            owner=org_a,
            country_code="MX",
            slug="tarjeta",
            fields={**FIELDS, **changes},
        )
    assert field in raised.value.errors
    assert not Channel.objects.exists()


def test_slug_must_be_unique_per_country_and_well_formed(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    actions.channel_create(
        actor=users_a[EDITOR], owner=org_a, country_code="MX", slug="a", fields=FIELDS
    )
    with pytest.raises(ValidationError):
        actions.channel_create(
            actor=users_a[EDITOR], owner=org_a, country_code="MX", slug="a", fields=FIELDS
        )
    with pytest.raises(ValidationError):
        actions.channel_create(
            actor=users_a[EDITOR], owner=org_a, country_code="MX", slug="Bad Slug", fields=FIELDS
        )
    # The same slug in another country is fine.
    actions.channel_create(
        actor=users_a[EDITOR], owner=org_a, country_code="GT", slug="a", fields=FIELDS
    )


def test_publish_keeps_each_version_with_its_note(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    channel = ChannelFactory.create(owner=org_a)
    link = DocumentFactory.create(slug="passport")
    actions.channel_set_documents(
        actor=users_a[EDITOR], channel=channel, documents=[actions.DocumentLink(slug=link.slug)]
    )
    actions.guide_publish(actor=users_a[EDITOR], guide=channel, change_note="First.")
    actions.channel_update(actor=users_a[EDITOR], channel=channel, fields={"fees": "USD 10"})
    actions.guide_publish(actor=users_a[EDITOR], guide=channel, change_note="Fee changed.")
    versions = list(GuideVersion.objects.filter(channel=channel).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[1].change_note == "Fee changed."
    assert versions[1].snapshot["fees"] == "USD 10"
    assert versions[0].snapshot["documents"] == ["passport"]
    assert versions[1].published_by == users_a[EDITOR]
    channel.refresh_from_db()
    assert channel.status == GuideStatus.PUBLISHED


def test_publish_needs_a_change_note(users_a: dict[str, User], org_a: Organisation) -> None:
    channel = ChannelFactory.create(owner=org_a)
    with pytest.raises(ValidationError):
        actions.guide_publish(actor=users_a[EDITOR], guide=channel, change_note="  ")
    channel.refresh_from_db()
    assert channel.status == GuideStatus.DRAFT
    assert not GuideVersion.objects.exists()


def test_explainer_publish_archive_and_verify(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    explainer = ExplainerFactory.create(owner=org_a)
    actions.guide_publish(actor=users_a[EDITOR], guide=explainer, change_note="New.")
    assert explainer.versions.count() == 1
    actions.guide_mark_verified(actor=users_a[EDITOR], guide=explainer)
    explainer.refresh_from_db()
    assert explainer.verified_on == timezone.localdate()
    assert explainer.verified_by == users_a[EDITOR]
    actions.guide_archive(actor=users_a[EDITOR], guide=explainer)
    explainer.refresh_from_db()
    assert explainer.status == GuideStatus.ARCHIVED


def test_verification_date_cannot_be_in_the_future(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    channel = ChannelFactory.create(owner=org_a)
    with pytest.raises(ValidationError):
        actions.guide_mark_verified(
            actor=users_a[EDITOR],
            guide=channel,
            verified_on=timezone.localdate() + datetime.timedelta(days=1),
        )


def test_set_documents_refuses_unknown_and_duplicates(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    channel = ChannelFactory.create(owner=org_a)
    DocumentFactory.create(slug="passport")
    for links in (["nope"], ["passport", "passport"]):
        with pytest.raises(ValidationError):
            actions.channel_set_documents(
                actor=users_a[EDITOR],
                channel=channel,
                documents=[actions.DocumentLink(slug=slug) for slug in links],
            )
    assert not channel.document_links.exists()


def test_stale_list_uses_the_setting(users_a: dict[str, User], org_a: Organisation) -> None:
    fresh = ChannelFactory.create(owner=org_a, published=True, verified_on=days_ago(10))
    old = ChannelFactory.create(owner=org_a, published=True, verified_on=days_ago(100))
    never = ChannelFactory.create(owner=org_a, published=True, verified_on=None)
    ChannelFactory.create(owner=org_a, verified_on=None)  # a draft is not "stale"
    stale = set(queries.channels_stale(user=users_a[EDITOR]))
    assert stale == {old, never}
    with override_settings(SENDA_STALE_GUIDE_DAYS=5):
        assert fresh in set(queries.channels_stale(user=users_a[EDITOR]))


def test_network_editor_edits_every_organisations_guides(
    users_a: dict[str, User], org_a: Organisation, org_b: Organisation, users_b: dict[str, User]
) -> None:
    org_a.is_network_editor = True
    org_a.save()
    channel = ChannelFactory.create(owner=org_b)
    actions.guide_publish(actor=users_a[EDITOR], guide=channel, change_note="Reviewed.")
    assert channel.versions.count() == 1


# The permission matrix: each role of each organisation against organisation A's channel.

ALLOWED = {(EDITOR, "a")}


@pytest.mark.parametrize("org_key", ["a", "b"])
@pytest.mark.parametrize("role", list(Role.values))
@pytest.mark.parametrize("operation", ["update", "publish", "archive", "verify", "create"])
def test_permission_matrix(
    users_a: dict[str, User],
    users_b: dict[str, User],
    org_a: Organisation,
    role: str,
    org_key: str,
    operation: str,
) -> None:
    actor = (users_a if org_key == "a" else users_b)[role]
    channel = ChannelFactory.create(owner=org_a, name="Original")
    calls = {
        "update": lambda: actions.channel_update(
            actor=actor, channel=channel, fields={"name": "Changed"}
        ),
        "publish": lambda: actions.guide_publish(actor=actor, guide=channel, change_note="x"),
        "archive": lambda: actions.guide_archive(actor=actor, guide=channel),
        "verify": lambda: actions.guide_mark_verified(actor=actor, guide=channel),
        "create": lambda: actions.channel_create(
            actor=actor, owner=org_a, country_code="MX", slug="new-one", fields=FIELDS
        ),
    }
    before = AuditEntry.objects.count()
    if (role, org_key) in ALLOWED:
        calls[operation]()
        assert AuditEntry.objects.count() == before + 1
        return
    with pytest.raises((NotFoundError, PermissionDeniedError)):
        calls[operation]()
    channel.refresh_from_db()
    assert channel.name == "Original"
    assert channel.status == GuideStatus.DRAFT
    assert channel.verified_on is None
    assert Channel.objects.count() == 1
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize("org_key", ["a", "b"])
@pytest.mark.parametrize("role", list(Role.values))
def test_staff_pages_matrix(
    users_a: dict[str, User],
    users_b: dict[str, User],
    org_a: Organisation,
    role: str,
    org_key: str,
    client: Client,
) -> None:
    actor = (users_a if org_key == "a" else users_b)[role]
    channel = ChannelFactory.create(owner=org_a, name="Original")
    login_verified(client, actor)
    home = client.get("/en/staff/guides/")
    edit = client.get(f"/en/staff/guides/channels/{channel.pk}/")
    publish = client.post(
        f"/en/staff/guides/channel/{channel.pk}/publish/", {"change_note": "Try."}
    )
    channel.refresh_from_db()
    if role == EDITOR:
        assert home.status_code == 200
        assert (channel.name in home.content.decode()) == (org_key == "a")
    else:
        assert home.status_code == 403
    if (role, org_key) in ALLOWED:
        assert edit.status_code == 200
        assert publish.status_code == 302
        assert channel.status == GuideStatus.PUBLISHED
    else:
        assert edit.status_code in (403, 404)
        assert publish.status_code in (403, 404)
        assert channel.status == GuideStatus.DRAFT
