"""Pulling from KoboToolbox's API v2, against a real HTTP server on loopback that answers as
Kobo does (pages with ``next``, the token checked, the ``query`` filter applied): paged and
incremental pulls, and every failure refused with nothing saved."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.db import connection
from django.utils import translation

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.core.models import AuditEntry
from senda.surveys import actions, kobo
from senda.surveys.importers import ImportResult
from senda.surveys.models import Submission, Survey
from senda.surveys.tests.builders import make_survey, programme_led_by

TOKEN = "0123456789abcdef0123456789abcdef01234567"
ASSET = "aKoboAsset123"


def record(number: int, submitted: str, **answers: Any) -> dict[str, Any]:
    """A submission as Kobo's API answers it (metadata, lists and objects included)."""
    uuid = f"5e0c0000-0000-4000-8000-{number:012d}"
    return {
        "_id": number,
        "formhub/uuid": "f0rmhub",
        "start": "2025-03-01T09:00:00.000-06:00",
        "end": "2025-03-01T09:12:00.000-06:00",
        "deviceid": "collect:abc123",
        "profile/country": "mx",
        "profile/sex": "f",
        "profile/age": "30",
        "profile/migrant": "yes",
        "full_name": "María Pérez",
        "comments": "Private words",
        "location": "14.1 -87.2 0 5",
        "needs": "info health",
        "knows_documents": "no",
        "weight": "1.25",
        "stratum": "mx-yes",
        "__version__": "vABC",
        "meta/instanceID": f"uuid:{uuid}",
        "_xform_id_string": ASSET,
        "_uuid": uuid,
        "_attachments": [],
        "_status": "submitted_via_web",
        "_geolocation": [14.1, -87.2],
        "_submission_time": submitted,
        "_tags": [],
        "_notes": [],
        "_validation_status": {},
        "_submitted_by": "enumerator1",
        **answers,
    }


@dataclass
class KoboServer:
    """What the fake Kobo holds, how it misbehaves, and what it was asked."""

    records: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 2
    # "", "slow", "garbage", "fail_second_page", "foreign_next", "no_results", "redirect"
    mode: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    base_url: str = ""


def _handler(state: KoboServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            params = {key: values[0] for key, values in parse_qs(parts.query).items()}
            state.requests.append(
                {"path": parts.path, "params": params, "auth": self.headers.get("Authorization")}
            )
            if self.headers.get("Authorization") != f"Token {TOKEN}":
                self._send(401, b'{"detail": "Invalid token."}')
                return
            if parts.path != f"/api/v2/assets/{ASSET}/data/":
                self._send(404, b'{"detail": "Not found."}')
                return
            start = int(params.get("start", 0))
            if state.mode == "redirect":
                self.send_response(302)
                self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if state.mode == "slow":
                time.sleep(1.5)
            if state.mode == "garbage":
                self._send(200, b"<html>Sign in</html>", "text/html")
                return
            if state.mode == "fail_second_page" and start > 0:
                self._send(502, b"Bad gateway", "text/plain")
                return
            if state.mode == "no_results":
                self._send(200, b'{"count": 3}')
                return
            matching = state.records
            if "query" in params:
                since = json.loads(params["query"])["_submission_time"]["$gte"]
                matching = [r for r in matching if r["_submission_time"] >= since]
            matching = sorted(matching, key=lambda r: r["_submission_time"])
            size = min(int(params.get("limit", 1000)), state.page_size)
            page = matching[start : start + size]
            next_url = None
            if start + size < len(matching):
                query = {**params, "start": str(start + size)}
                host = "http://evil.example" if state.mode == "foreign_next" else state.base_url
                next_url = f"{host}{parts.path}?{urlencode(query)}"
            body = {"count": len(matching), "next": next_url, "previous": None, "results": page}
            self._send(200, json.dumps(body).encode())

    return Handler


@pytest.fixture
def kobo_server(settings: Any) -> Iterator[KoboServer]:
    state = KoboServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    # The installation allows this loopback server (and a port where nothing listens).
    settings.SENDA_KOBO_SERVERS = [
        state.base_url,
        "http://127.0.0.1:9",
        "https://kf.kobotoolbox.org",
    ]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def officer(users_a: dict[str, User]) -> User:
    return users_a[Role.PROGRAMME_OFFICER]


@pytest.fixture
def survey(org_a: Organisation, officer: User, kobo_server: KoboServer) -> Survey:
    survey = make_survey(actor=officer, programme=programme_led_by(org_a))
    return actions.survey_set_kobo(
        actor=officer,
        survey=survey,
        kobo_url=kobo_server.base_url + "/",
        kobo_asset_uid=ASSET,
        kobo_token=TOKEN,
    )


def pull(survey: Survey, actor: User) -> ImportResult:
    return actions.submissions_pull_kobo(actor=actor, survey=survey)


def refusal(survey: Survey, actor: User) -> str:
    before = Submission.objects.count()
    last = Survey.objects.get(pk=survey.pk).kobo_last_submission_time
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        pull(survey, actor)
    assert list(caught.value.errors) == ["kobo"]
    assert Submission.objects.count() == before
    assert Survey.objects.get(pk=survey.pk).kobo_last_submission_time == last
    return " ".join(caught.value.errors["kobo"])


def test_a_pull_follows_every_page_with_the_token(
    survey: Survey, officer: User, kobo_server: KoboServer
) -> None:
    kobo_server.records = [record(n, f"2025-03-0{n}T10:00:00") for n in range(1, 6)]

    result = pull(survey, officer)

    assert result == ImportResult(added=5, skipped=0, total=5)
    assert len(kobo_server.requests) == 3  # pages of 2, 2 and 1
    first = kobo_server.requests[0]
    assert first["path"] == f"/api/v2/assets/{ASSET}/data/"
    assert first["params"]["format"] == "json"
    assert first["params"]["limit"] == str(kobo.PAGE_SIZE)
    assert first["params"]["start"] == "0"
    assert "query" not in first["params"]  # the first pull takes everything
    assert {r["auth"] for r in kobo_server.requests} == {f"Token {TOKEN}"}
    assert [r["params"]["start"] for r in kobo_server.requests] == ["0", "2", "4"]
    survey.refresh_from_db()
    assert survey.kobo_last_submission_time == datetime(2025, 3, 5, 10, 0, tzinfo=UTC)
    stored = Submission.objects.get(instance_id="5e0c0000-0000-4000-8000-000000000001")
    assert stored.data == {
        "country": "mx",
        "sex": "f",
        "age": "30",
        "migrant": "yes",
        "needs": "info health",
        "knows_documents": "no",
        "weight": "1.25",
        "stratum": "mx-yes",
    }
    assert stored.submitted_at == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    entry = AuditEntry.objects.get(action="surveys.submissions_pull_kobo")
    assert entry.details["added"] == 5


def test_a_second_pull_asks_only_for_what_came_since(
    survey: Survey, officer: User, kobo_server: KoboServer
) -> None:
    kobo_server.records = [record(n, f"2025-03-0{n}T10:00:00") for n in range(1, 4)]
    pull(survey, officer)
    kobo_server.records += [record(n, f"2025-03-0{n}T11:30:00") for n in (4, 5)]
    kobo_server.requests.clear()

    result = pull(survey, officer)

    query = json.loads(kobo_server.requests[0]["params"]["query"])
    assert query == {"_submission_time": {"$gte": "2025-03-03T10:00:00"}}
    # The last one pulled comes again (same second) and is skipped by its id.
    assert result == ImportResult(added=2, skipped=1, total=3)
    assert Submission.objects.filter(survey=survey).count() == 5
    survey.refresh_from_db()
    assert survey.kobo_last_submission_time == datetime(2025, 3, 5, 11, 30, tzinfo=UTC)


def test_a_pull_with_nothing_new_adds_nothing(
    survey: Survey, officer: User, kobo_server: KoboServer
) -> None:
    kobo_server.records = [record(1, "2025-03-01T10:00:00")]
    pull(survey, officer)

    again = pull(survey, officer)

    assert again == ImportResult(added=0, skipped=1, total=1)
    assert Submission.objects.count() == 1


def test_nothing_personal_comes_in_from_the_api(
    survey: Survey, officer: User, kobo_server: KoboServer
) -> None:
    kobo_server.records = [record(1, "2025-03-01T10:00:00")]

    pull(survey, officer)

    data = Submission.objects.get().data
    for never in ("full_name", "comments", "location", "_geolocation", "deviceid", "start"):
        assert never not in data
    assert "María" not in json.dumps(list(Submission.objects.values_list("data", flat=True)))


def test_a_wrong_token_is_refused(survey: Survey, officer: User, kobo_server: KoboServer) -> None:
    kobo_server.records = [record(1, "2025-03-01T10:00:00")]
    actions.survey_set_kobo(
        actor=officer,
        survey=survey,
        kobo_url=survey.kobo_url,
        kobo_asset_uid=ASSET,
        kobo_token="wrong-token",
    )

    assert "KoboToolbox refused the API token (HTTP 401)" in refusal(survey, officer)


def test_an_unknown_form_is_a_404(survey: Survey, officer: User, kobo_server: KoboServer) -> None:
    actions.survey_set_kobo(
        actor=officer, survey=survey, kobo_url=survey.kobo_url, kobo_asset_uid="nope"
    )

    assert "KoboToolbox has no such form (HTTP 404)" in refusal(survey, officer)


def test_a_server_too_slow_times_out(
    survey: Survey, officer: User, kobo_server: KoboServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kobo, "TIMEOUT_SECONDS", 0.3)
    kobo_server.records = [record(1, "2025-03-01T10:00:00")]
    kobo_server.mode = "slow"

    assert "did not answer within 0.3 seconds" in refusal(survey, officer)


@pytest.mark.parametrize("mode", ["garbage", "no_results"])
def test_an_answer_that_is_not_kobos_json_is_refused(
    survey: Survey, officer: User, kobo_server: KoboServer, mode: str
) -> None:
    kobo_server.mode = mode

    assert "not the JSON of its API" in refusal(survey, officer)


def test_a_failure_on_a_later_page_saves_nothing(
    survey: Survey, officer: User, kobo_server: KoboServer
) -> None:
    kobo_server.records = [record(n, f"2025-03-0{n}T10:00:00") for n in range(1, 6)]
    kobo_server.mode = "fail_second_page"

    assert "answered with an error (HTTP 502)" in refusal(survey, officer)
    assert not AuditEntry.objects.filter(action="surveys.submissions_pull_kobo").exists()


def test_the_token_never_follows_a_next_page_to_another_server(
    survey: Survey, officer: User, kobo_server: KoboServer
) -> None:
    kobo_server.records = [record(n, f"2025-03-0{n}T10:00:00") for n in range(1, 6)]
    kobo_server.mode = "foreign_next"

    assert "pointed to another server" in refusal(survey, officer)


def test_a_redirect_is_not_followed(survey: Survey, officer: User, kobo_server: KoboServer) -> None:
    kobo_server.records = [record(1, "2025-03-01T10:00:00")]
    kobo_server.mode = "redirect"

    assert "sent Senda to another address (HTTP 302)" in refusal(survey, officer)
    assert [request["path"] for request in kobo_server.requests] == [
        f"/api/v2/assets/{ASSET}/data/"
    ]


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:5432", "http://169.254.169.254", "https://kobo.example.org"],
)
def test_only_the_servers_the_installation_allows(survey: Survey, officer: User, url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        actions.survey_set_kobo(actor=officer, survey=survey, kobo_url=url, kobo_asset_uid=ASSET)

    assert "SENDA_KOBO_SERVERS" in " ".join(caught.value.errors["kobo_url"])
    assert Survey.objects.get(pk=survey.pk).kobo_url != url


def test_a_server_that_cannot_be_reached(
    survey: Survey, officer: User, kobo_server: KoboServer
) -> None:
    actions.survey_set_kobo(
        actor=officer,
        survey=survey,
        kobo_url="http://127.0.0.1:9",  # discard port: nothing listens
        kobo_asset_uid=ASSET,
    )

    assert "cannot be reached" in refusal(survey, officer)


def test_a_wrong_answer_from_kobo_refuses_the_pull(
    survey: Survey, officer: User, kobo_server: KoboServer
) -> None:
    kobo_server.records = [
        record(1, "2025-03-01T10:00:00"),
        record(2, "2025-03-02T10:00:00", **{"profile/country": "br"}),
    ]

    message = refusal(survey, officer)

    assert (
        "Submission 5e0c0000-0000-4000-8000-000000000002, field profile/country: 'br' is not "
        "one of the choices of country" in message
    )


def test_a_survey_without_a_connection_cannot_pull(org_a: Organisation, officer: User) -> None:
    survey = make_survey(actor=officer, programme=programme_led_by(org_a))

    assert "Connect the survey to KoboToolbox first" in refusal(survey, officer)


def test_the_token_is_stored_encrypted_and_a_blank_one_keeps_it(
    survey: Survey, officer: User
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT kobo_token FROM surveys_survey WHERE id = %s", [survey.pk.hex])
        row = cursor.fetchone()
    if row is None:  # PostgreSQL stores the uuid as a uuid, not hex text
        with connection.cursor() as cursor:
            cursor.execute("SELECT kobo_token FROM surveys_survey WHERE id = %s", [survey.pk])
            row = cursor.fetchone()
    assert row is not None and row[0] and TOKEN not in row[0]

    actions.survey_set_kobo(
        actor=officer, survey=survey, kobo_url=survey.kobo_url, kobo_asset_uid=ASSET
    )

    assert Survey.objects.get(pk=survey.pk).kobo_token == TOKEN
    details = AuditEntry.objects.filter(action="surveys.survey_set_kobo").latest("pk").details
    assert TOKEN not in json.dumps(details)


def test_a_new_server_or_form_starts_the_next_pull_from_the_beginning(
    survey: Survey, officer: User, kobo_server: KoboServer
) -> None:
    kobo_server.records = [record(1, "2025-03-01T10:00:00")]
    pull(survey, officer)

    updated = actions.survey_set_kobo(
        actor=officer, survey=survey, kobo_url=survey.kobo_url, kobo_asset_uid="otherAsset"
    )

    assert updated.kobo_last_submission_time is None


@pytest.mark.parametrize(
    ("url", "uid", "field_name"),
    [
        ("ftp://kobo.example", ASSET, "kobo_url"),
        ("kf.kobotoolbox.org", ASSET, "kobo_url"),
        ("https://user:pw@kf.kobotoolbox.org", ASSET, "kobo_url"),
        ("https://kf.kobotoolbox.org", "not a uid", "kobo_asset_uid"),
    ],
)
def test_a_bad_connection_is_refused_and_nothing_changes(
    survey: Survey, officer: User, url: str, uid: str, field_name: str
) -> None:
    before = Survey.objects.get(pk=survey.pk)

    with pytest.raises(ValidationError) as caught:
        actions.survey_set_kobo(actor=officer, survey=survey, kobo_url=url, kobo_asset_uid=uid)

    assert field_name in caught.value.errors
    after = Survey.objects.get(pk=survey.pk)
    assert (after.kobo_url, after.kobo_asset_uid) == (before.kobo_url, before.kobo_asset_uid)


def test_only_a_programme_officer_of_the_lead_pulls(
    survey: Survey, users_a: dict[str, User], users_b: dict[str, User], kobo_server: KoboServer
) -> None:
    kobo_server.records = [record(1, "2025-03-01T10:00:00")]

    for actor in (users_a[Role.VIEWER], users_a[Role.ORG_ADMIN], users_b[Role.PROGRAMME_OFFICER]):
        with pytest.raises(PermissionDeniedError):
            pull(survey, actor)
        with pytest.raises(PermissionDeniedError):
            actions.survey_set_kobo(
                actor=actor, survey=survey, kobo_url="https://evil.example", kobo_asset_uid="x"
            )

    assert kobo_server.requests == []
    assert not Submission.objects.exists()
    assert Survey.objects.get(pk=survey.pk).kobo_url == kobo_server.base_url
