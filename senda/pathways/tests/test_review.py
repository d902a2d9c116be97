"""The review step of guides: edits of a published guide wait in a working revision (readers
keep the published text) until a publisher publishes them; submit for review, request changes
and discard, each audited and refused to everyone else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from senda.accounts.models import Organisation, User
from senda.accounts.roles import CAPABILITIES, Capability, Role
from senda.accounts.testing import login_verified
from senda.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from senda.core.models import AuditEntry
from senda.directory.tests.factories import ServiceFactory
from senda.pathways import actions, queries
from senda.pathways.models import Channel, Explainer, GuideStatus, GuideVersion, ReviewState
from senda.pathways.tests.factories import (
    ChannelDocumentFactory,
    ChannelFactory,
    DocumentFactory,
    ExplainerFactory,
)

pytestmark = pytest.mark.django_db

EDITOR = Role.CONTENT_EDITOR
CHECKLIST = "/en/guides/checklist/"
ANSWERS: dict[str, Any] = {
    "nationality": "GT",
    "current_country": "GT",
    "destination": "MX",
    "purpose": "work",
    "age_group": "18_24",
    "documents_held": ["passport"],
    "documents_done": "1",
}


@pytest.fixture
def live(org_a: Organisation) -> Channel:
    """A published channel for workers, asking for a passport."""
    channel = ChannelFactory.create(
        owner=org_a,
        published=True,
        slug="worker",
        name="Trabajador fronterizo",
        translations={"en": {"name": "Border worker", "summary": "Work in the south."}},
        eligibility={"answer": "purpose", "in": ["work"]},
    )
    ChannelDocumentFactory.create(
        channel=channel, document=DocumentFactory.create(slug="passport", name="Pasaporte")
    )
    return channel


def _audit(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).latest("id")


# Editing: drafts in place, published guides in the working revision.


def test_a_draft_is_edited_in_place(users_a: dict[str, User], org_a: Organisation) -> None:
    channel = ChannelFactory.create(owner=org_a, name="Borrador")
    actions.channel_update(actor=users_a[EDITOR], channel=channel, fields={"name": "Nuevo"})
    channel.refresh_from_db()
    assert channel.name == "Nuevo"
    assert channel.pending is None
    assert _audit("pathways.channel_update").details["pending"] is False


def test_an_edit_of_a_published_channel_waits_in_the_working_revision(
    users_a: dict[str, User], live: Channel
) -> None:
    editor = users_a[EDITOR]
    DocumentFactory.create(slug="job-offer")
    service = ServiceFactory.create(published=True)
    actions.channel_update(
        actor=editor,
        channel=live,
        fields={
            "name": "Visitante trabajador",
            "eligibility": {"answer": "purpose", "in": ["study"]},
        },
        translations={"en": {"name": "Worker visitor"}},
    )
    actions.channel_set_documents(
        actor=editor, channel=live, documents=[actions.DocumentLink(slug="job-offer")]
    )
    actions.channel_set_where_to_apply(actor=editor, channel=live, service_ids=[service.pk])
    live.refresh_from_db()
    # What readers see has not moved.
    assert live.name == "Trabajador fronterizo"
    assert live.tr("name", "en") == "Border worker"
    assert live.eligibility == {"answer": "purpose", "in": ["work"]}
    assert [link.document.slug for link in live.document_links.all()] == ["passport"]
    assert not live.where_to_apply_services.exists()
    # The editor's work is kept, whole.
    work = queries.working_content(live)
    assert work["fields"]["name"] == "Visitante trabajador"
    assert work["fields"]["eligibility"] == {"answer": "purpose", "in": ["study"]}
    assert work["translations"]["en"] == {"name": "Worker visitor", "summary": "Work in the south."}
    assert [link["slug"] for link in work["documents"]] == ["job-offer"]
    assert work["services"] == [str(service.pk)]
    assert live.pending_saved_by == editor
    assert live.has_unpublished_changes
    assert _audit("pathways.channel_update").details["pending"] is True


def test_the_working_revision_is_validated_when_saved(
    users_a: dict[str, User], live: Channel
) -> None:
    editor = users_a[EDITOR]
    with pytest.raises(ValidationError) as raised:
        actions.channel_update(
            actor=editor, channel=live, fields={"eligibility": {"answer": "purpose", "in": ["x"]}}
        )
    assert "eligibility" in raised.value.errors
    with pytest.raises(ValidationError):
        actions.channel_set_documents(
            actor=editor, channel=live, documents=[actions.DocumentLink(slug="nope")]
        )
    with pytest.raises(ValidationError):
        actions.channel_update(actor=editor, channel=live, fields={"name": ""})
    live.refresh_from_db()
    assert live.pending is None


def test_an_edit_is_invisible_to_readers_until_published(
    users_a: dict[str, User], live: Channel, client: Client
) -> None:
    editor = users_a[EDITOR]
    actions.channel_update(
        actor=editor,
        channel=live,
        fields={"name": "Permiso de trabajo"},
        translations={"en": {"name": "Work permit", "summary": "Renamed summary."}},
    )

    def seen(url: str, data: dict[str, Any] | None = None) -> str:
        response = client.get(url, data)
        assert response.status_code == 200
        return response.content.decode()

    for text in (seen("/en/guides/MX/worker/"), seen("/en/guides/MX/"), seen(CHECKLIST, ANSWERS)):
        assert "Border worker" in text
        assert "Work permit" not in text
    actions.guide_submit_for_review(actor=editor, guide=live, note="Renamed.")
    assert "Work permit" not in seen("/en/guides/MX/worker/")

    actions.guide_publish(actor=editor, guide=live, change_note="New name for the permit.")

    for text in (seen("/en/guides/MX/worker/"), seen("/en/guides/MX/"), seen(CHECKLIST, ANSWERS)):
        assert "Work permit" in text
        assert "Border worker" not in text
    assert "New name for the permit." in seen("/en/guides/MX/worker/")


def test_a_changed_rule_reaches_the_checklist_only_when_published(
    users_a: dict[str, User], live: Channel, client: Client
) -> None:
    editor = users_a[EDITOR]
    actions.channel_update(
        actor=editor, channel=live, fields={"eligibility": {"answer": "purpose", "in": ["study"]}}
    )

    def fitting() -> list[str]:
        return [
            fit.channel.slug for fit in client.get(CHECKLIST, ANSWERS).context["result"].fitting
        ]

    assert fitting() == ["worker"]
    actions.guide_publish(actor=editor, guide=live, change_note="Only for students now.")
    assert fitting() == []


def test_publishing_applies_the_working_revision_and_keeps_the_version(
    users_a: dict[str, User], live: Channel
) -> None:
    editor = users_a[EDITOR]
    DocumentFactory.create(slug="job-offer")
    kept = ServiceFactory.create(published=True)
    withdrawn = ServiceFactory.create(published=True)
    actions.channel_update(actor=editor, channel=live, fields={"fees": "USD 10"})
    actions.channel_set_documents(
        actor=editor,
        channel=live,
        documents=[actions.DocumentLink(slug="job-offer"), actions.DocumentLink(slug="passport")],
    )
    actions.channel_set_where_to_apply(
        actor=editor, channel=live, service_ids=[kept.pk, withdrawn.pk]
    )
    withdrawn.publication_status = "draft"
    withdrawn.save()

    actions.guide_publish(actor=editor, guide=live, change_note="Fee and documents.")

    live.refresh_from_db()
    assert live.fees == "USD 10"
    assert [link.document.slug for link in live.document_links.all()] == ["job-offer", "passport"]
    # A service unpublished since the edit is left out rather than shown to readers.
    assert list(live.where_to_apply_services.all()) == [kept]
    assert live.pending is None
    assert live.review_state == ReviewState.NONE
    version = GuideVersion.objects.get(channel=live, number=1)
    assert version.snapshot["fees"] == "USD 10"
    assert version.snapshot["documents"] == ["job-offer", "passport"]
    assert _audit("pathways.channel_publish").details["applied_changes"] is True


def test_publishing_without_changes_is_refused(users_a: dict[str, User], live: Channel) -> None:
    with pytest.raises(ValidationError):
        actions.guide_publish(actor=users_a[EDITOR], guide=live, change_note="Again.")
    assert not GuideVersion.objects.exists()


def test_an_explainer_edit_waits_for_publication(
    users_a: dict[str, User], org_a: Organisation, client: Client
) -> None:
    editor = users_a[EDITOR]
    explainer = ExplainerFactory.create(owner=org_a, published=True)
    actions.explainer_update(
        actor=editor,
        explainer=explainer,
        fields={"title": "¿Cómo migrar?"},
        translations={"en": {"title": "How to migrate?"}},
    )
    explainer.refresh_from_db()
    assert explainer.title == "¿Regular o irregular?"
    page = client.get("/en/guides/MX/regular-or-irregular/").content.decode()
    assert "Regular or irregular?" in page
    assert "How to migrate?" not in page
    actions.guide_publish(actor=editor, guide=explainer, change_note="Clearer title.")
    page = client.get("/en/guides/MX/regular-or-irregular/").content.decode()
    assert "How to migrate?" in page
    explainer.refresh_from_db()
    assert explainer.title == "¿Cómo migrar?"
    assert explainer.versions.get().snapshot["translations"]["en"]["title"] == "How to migrate?"


# Review transitions.


def test_submit_then_request_changes_then_resubmit_then_publish(
    users_a: dict[str, User], live: Channel
) -> None:
    editor = users_a[EDITOR]
    actions.channel_update(actor=editor, channel=live, fields={"fees": "Gratis"})

    actions.guide_submit_for_review(actor=editor, guide=live, note="  Fees checked.  ")
    live.refresh_from_db()
    assert live.review_state == ReviewState.IN_REVIEW
    assert (live.submitted_by, live.submit_note) == (editor, "Fees checked.")
    assert live.submitted_at is not None
    with pytest.raises(ValidationError):
        actions.guide_submit_for_review(actor=editor, guide=live)

    with pytest.raises(ValidationError) as raised:
        actions.guide_request_changes(actor=editor, guide=live, comment=" ")
    assert "comment" in raised.value.errors
    actions.guide_request_changes(actor=editor, guide=live, comment="Cite the official fee table.")
    live.refresh_from_db()
    assert live.review_state == ReviewState.CHANGES_REQUESTED
    assert (live.reviewed_by, live.review_comment) == (editor, "Cite the official fee table.")
    with pytest.raises(ValidationError):
        actions.guide_request_changes(actor=editor, guide=live, comment="Again.")

    actions.channel_update(actor=editor, channel=live, fields={"source_name": "INM tarifas"})
    actions.guide_submit_for_review(actor=editor, guide=live)
    live.refresh_from_db()
    assert live.review_state == ReviewState.IN_REVIEW

    actions.guide_publish(actor=editor, guide=live, change_note="Fees.")
    live.refresh_from_db()
    assert (live.fees, live.source_name) == ("Gratis", "INM tarifas")
    assert live.review_state == ReviewState.NONE
    assert live.submitted_by is None and live.review_comment == ""
    assert _audit("pathways.channel_publish").details["was_in_review"] is True
    assert [entry.action for entry in AuditEntry.objects.order_by("id")][-6:] == [
        "pathways.channel_update",
        "pathways.channel_submit_for_review",
        "pathways.channel_request_changes",
        "pathways.channel_update",
        "pathways.channel_submit_for_review",
        "pathways.channel_publish",
    ]


def test_a_draft_can_be_submitted_and_a_published_guide_only_with_changes(
    users_a: dict[str, User], org_a: Organisation, live: Channel
) -> None:
    draft = ChannelFactory.create(owner=org_a)
    actions.guide_submit_for_review(actor=users_a[EDITOR], guide=draft)
    assert Channel.objects.get(pk=draft.pk).review_state == ReviewState.IN_REVIEW
    with pytest.raises(ValidationError):
        actions.guide_submit_for_review(actor=users_a[EDITOR], guide=live)
    with pytest.raises(ValidationError):
        actions.guide_submit_for_review(actor=users_a[EDITOR], guide=draft, note="x" * 1001)


def test_discard_forgets_the_working_revision(users_a: dict[str, User], live: Channel) -> None:
    editor = users_a[EDITOR]
    actions.channel_update(actor=editor, channel=live, fields={"name": "Otro"})
    actions.guide_submit_for_review(actor=editor, guide=live)

    actions.guide_discard_changes(actor=editor, guide=live)

    live.refresh_from_db()
    assert live.pending is None
    assert live.review_state == ReviewState.NONE
    assert live.name == "Trabajador fronterizo"
    assert queries.working_content(live)["fields"]["name"] == "Trabajador fronterizo"
    assert _audit("pathways.channel_discard_changes").actor == editor
    with pytest.raises(ValidationError):
        actions.guide_discard_changes(actor=editor, guide=live)


def test_a_never_published_draft_has_nothing_to_discard(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    draft = ChannelFactory.create(owner=org_a)
    with pytest.raises(ValidationError):
        actions.guide_discard_changes(actor=users_a[EDITOR], guide=draft)


# Who may do what: every role of both organisations against organisation A's guide.


def _pending_channel(org: Organisation, editor: User) -> Channel:
    channel = ChannelFactory.create(owner=org, published=True, name="Original")
    actions.channel_update(actor=editor, channel=channel, fields={"name": "Pendiente"})
    actions.guide_submit_for_review(actor=editor, guide=channel)
    return Channel.objects.get(pk=channel.pk)


OPERATIONS: dict[str, Callable[[User, Channel], Any]] = {
    "update": lambda actor, channel: actions.channel_update(
        actor=actor, channel=channel, fields={"name": "Changed"}
    ),
    "submit": lambda actor, channel: actions.guide_submit_for_review(actor=actor, guide=channel),
    "request_changes": lambda actor, channel: actions.guide_request_changes(
        actor=actor, guide=channel, comment="No."
    ),
    "discard": lambda actor, channel: actions.guide_discard_changes(actor=actor, guide=channel),
    "publish": lambda actor, channel: actions.guide_publish(
        actor=actor, guide=channel, change_note="x"
    ),
}


@pytest.mark.parametrize("org_key", ["a", "b"])
@pytest.mark.parametrize("role", list(Role.values))
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_review_permission_matrix(
    users_a: dict[str, User],
    users_b: dict[str, User],
    org_a: Organisation,
    role: str,
    org_key: str,
    operation: str,
) -> None:
    channel = _pending_channel(org_a, users_a[EDITOR])
    if operation == "submit":
        # Sent back first, so that a new submission is possible.
        actions.guide_request_changes(actor=users_a[EDITOR], guide=channel, comment="Fix.")
    channel.refresh_from_db()
    before = (channel.review_state, channel.pending, AuditEntry.objects.count())
    actor = (users_a if org_key == "a" else users_b)[role]
    if (role, org_key) == (EDITOR, "a"):
        OPERATIONS[operation](actor, channel)
        assert AuditEntry.objects.count() == before[2] + 1
        return
    with pytest.raises((NotFoundError, PermissionDeniedError)):
        OPERATIONS[operation](actor, channel)
    channel.refresh_from_db()
    assert (channel.review_state, channel.pending, AuditEntry.objects.count()) == before
    assert channel.name == "Original"
    assert channel.versions.count() == 0


@pytest.fixture
def writer_role(monkeypatch: pytest.MonkeyPatch) -> str:
    """The viewer role, given the right to write guides but not to publish them: no role of
    today's list separates the two, and the actions must."""
    monkeypatch.setitem(CAPABILITIES, Role.VIEWER, frozenset({Capability.GUIDE_EDIT}))
    return Role.VIEWER


def test_a_writer_submits_but_cannot_publish_or_request_changes(
    users_a: dict[str, User], live: Channel, writer_role: str
) -> None:
    writer = users_a[writer_role]
    actions.channel_update(actor=writer, channel=live, fields={"fees": "USD 5"})
    actions.guide_submit_for_review(actor=writer, guide=live, note="Please check.")
    with pytest.raises(PermissionDeniedError):
        actions.guide_publish(actor=writer, guide=live, change_note="Mine.")
    with pytest.raises(PermissionDeniedError):
        actions.guide_request_changes(actor=writer, guide=live, comment="Mine.")
    live.refresh_from_db()
    assert live.fees == ""
    assert live.review_state == ReviewState.IN_REVIEW
    waiting_for_writer = queries.staff_overview(user=writer).waiting
    assert waiting_for_writer == []
    assert queries.staff_overview(user=users_a[EDITOR]).waiting == [live]
    actions.guide_publish(actor=users_a[EDITOR], guide=live, change_note="Fee.")
    live.refresh_from_db()
    assert live.fees == "USD 5"


def test_a_network_editor_reviews_a_partners_guide(
    users_a: dict[str, User], users_b: dict[str, User], org_b: Organisation, live: Channel
) -> None:
    org_b.is_network_editor = True
    org_b.save()
    actions.channel_update(actor=users_a[EDITOR], channel=live, fields={"fees": "USD 1"})
    actions.guide_submit_for_review(actor=users_a[EDITOR], guide=live)
    reviewer = users_b[EDITOR]
    assert queries.staff_overview(user=reviewer).waiting == [live]
    actions.guide_request_changes(actor=reviewer, guide=live, comment="Source?")
    assert queries.staff_overview(user=users_a[EDITOR]).changes_requested == [live]


# The staff pages.


def _channel_form(**changes: Any) -> dict[str, Any]:
    data = {
        "name_es": "Trabajador fronterizo",
        "name_en": "Border worker",
        "summary_es": "Resumen del canal.",
        "summary_en": "Work in the south.",
        "who_can_apply_es": "",
        "who_can_apply_en": "",
        "steps_es": "Paso uno\nPaso dos",
        "steps_en": "",
        "fees_es": "",
        "fees_en": "",
        "processing_time_es": "",
        "processing_time_en": "",
        "source_url": "",
        "source_name": "",
        "documents": "passport",
        "eligibility": '{"answer": "purpose", "in": ["work"]}',
    }
    data.update(changes)
    return data


def test_the_edit_page_loads_the_working_revision_and_discards_it(
    users_a: dict[str, User], live: Channel, client: Client
) -> None:
    login_verified(client, users_a[EDITOR])
    url = f"/en/staff/guides/channels/{live.pk}/"
    response = client.post(url, _channel_form(name_en="Worker permit", fees_es="USD 20"))
    assert response.status_code == 302
    live.refresh_from_db()
    assert live.tr("name", "en") == "Border worker"
    page = client.get(url)
    text = page.content.decode()
    assert page.context["form"].initial["name_en"] == "Worker permit"
    assert page.context["form"].initial["fees_es"] == "USD 20"
    assert "Unpublished changes" in text
    assert f"/en/staff/guides/channel/{live.pk}/discard/" in text
    assert "Readers see them once they are published." in " ".join(
        str(m) for m in page.context["messages"]
    )
    assert client.post(f"/en/staff/guides/channel/{live.pk}/discard/").status_code == 302
    page = client.get(url)
    assert page.context["form"].initial["name_en"] == "Border worker"
    assert f"/en/staff/guides/channel/{live.pk}/discard/" not in page.content.decode()


def test_submit_request_changes_and_publish_through_the_pages(
    users_a: dict[str, User], org_a: Organisation, live: Channel, client: Client
) -> None:
    login_verified(client, users_a[EDITOR])
    client.post(f"/en/staff/guides/channels/{live.pk}/", _channel_form(fees_es="USD 30"))
    base = f"/en/staff/guides/channel/{live.pk}"
    client.post(f"{base}/submit/", {"note": "New fee from the INM site."})
    home = client.get("/en/staff/guides/").content.decode()
    waiting = home.split("Waiting for review", 1)[1].split("<h2>", 1)[0]
    assert "Trabajador fronterizo" in waiting
    assert "New fee from the INM site." in waiting
    edit = client.get(f"/en/staff/guides/channels/{live.pk}/").content.decode()
    assert "Submitted for review" in edit
    assert f"{base}/request-changes/" in edit

    client.post(f"{base}/request-changes/", {"comment": "Link the fee table."})
    live.refresh_from_db()
    assert live.review_state == ReviewState.CHANGES_REQUESTED
    home = client.get("/en/staff/guides/").content.decode()
    assert "Waiting for review" not in home
    sent_back = home.split("Changes requested", 1)[1]
    assert "Link the fee table." in sent_back
    assert (
        "Link the fee table."
        in client.get(f"/en/staff/guides/channels/{live.pk}/").content.decode()
    )

    client.post(f"{base}/publish/", {"change_note": "Fee raised to USD 30."})
    live.refresh_from_db()
    assert live.fees == "USD 30"
    assert live.status == GuideStatus.PUBLISHED
    assert "Fee raised to USD 30." in client.get("/en/guides/MX/worker/").content.decode()


def test_review_pages_refuse_other_organisations_and_roles(
    users_a: dict[str, User], users_b: dict[str, User], org_a: Organisation, client: Client
) -> None:
    channel = _pending_channel(org_a, users_a[EDITOR])
    base = f"/en/staff/guides/channel/{channel.pk}"
    for actor in (users_b[EDITOR], users_a[Role.VIEWER], users_a[Role.ORG_ADMIN]):
        login_verified(client, actor)
        for path, data in (
            ("request-changes/", {"comment": "No."}),
            ("discard/", {}),
            ("submit/", {}),
            ("publish/", {"change_note": "x"}),
        ):
            assert client.post(f"{base}/{path}", data).status_code in (403, 404)
    channel.refresh_from_db()
    assert channel.review_state == ReviewState.IN_REVIEW
    assert channel.pending is not None
    assert channel.name == "Original"
    assert not AuditEntry.objects.filter(
        action__in=["pathways.channel_request_changes", "pathways.channel_discard_changes"]
    ).exists()


def test_home_query_count_does_not_grow_with_guides_in_review(
    users_a: dict[str, User],
    org_a: Organisation,
    client: Client,
    django_assert_max_num_queries: Any,
) -> None:
    editor = users_a[EDITOR]
    login_verified(client, editor)
    _pending_channel(org_a, editor)
    client.get("/en/staff/guides/")
    for country_code in ("GT", "HN", "SV", "NI"):
        channel = _pending_channel(org_a, editor)
        actions.guide_request_changes(actor=editor, guide=channel, comment="Fix.")
        explainer = ExplainerFactory.create(owner=org_a, country_id=country_code)
        actions.guide_submit_for_review(actor=editor, guide=explainer)
    with django_assert_max_num_queries(15):
        page = client.get("/en/staff/guides/")
    assert page.status_code == 200
    assert len(page.context["overview"].waiting) == 5
    assert len(page.context["overview"].changes_requested) == 4
    assert Explainer.objects.filter(review_state=ReviewState.IN_REVIEW).count() == 4
