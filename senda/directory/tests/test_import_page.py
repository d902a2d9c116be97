"""The editors' HSDS upload page: who may use it, and an upload followed to its end."""

from __future__ import annotations

import datetime
import io
import json
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.accounts.testing import login_verified
from senda.accounts.tests.factories import member
from senda.core.models import AuditEntry
from senda.directory.hsds import jobs
from senda.directory.models import PublicationStatus, Service
from senda.directory.models_import import ImportJob, ImportJobStatus

EXAMPLES = Path(__file__).resolve().parent / "hsds_examples"
SERVICE_ID = uuid.UUID("ac148810-d857-441c-9679-408f346de14b")
MAY_IMPORT = {Role.ORG_ADMIN, Role.CONTENT_EDITOR}


@pytest.fixture(autouse=True)
def _media_and_sync(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SENDA_IMPORT_SYNC = True


def english(name: str, *args: Any) -> str:
    """The URL of a page in English ("/en/...")."""
    with translation.override("en"):
        return reverse(name, args=args)


def logged_in(user: User) -> Client:
    return login_verified(Client(), user)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def example(name: str = "service_full.json") -> SimpleUploadedFile:
    return upload(name, (EXAMPLES / name).read_bytes())


def csv_zip() -> SimpleUploadedFile:
    """The official CSV package with its known-bad references corrected, zipped."""
    fixes = {
        "985e4a42-bd9f-4edc-911d-0243a4640aca": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610",
        "ae67a707-5893-4225-b0b1-320ab9cb596b": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610",
        "93eaf18d-1cd2-4ec7-bffb-3c9172ee5070": "e94c9f38-1e8f-4564-91d4-d53501ab1765",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted((EXAMPLES / "csv").iterdir()):
            text = path.read_text(encoding="utf-8")
            for wrong, right in fixes.items():
                text = text.replace(wrong, right)
            archive.writestr(path.name, text)
    return upload("package.zip", buffer.getvalue())


def queued_job(owner: Organisation, user: User) -> ImportJob:
    """A job uploaded but not started (what the page shows while it waits or runs)."""
    return jobs.import_job_create(
        actor=user, owner=owner, upload=example(), publish=True, language="en"
    )


# Who may use it.


@pytest.mark.parametrize("role", Role.values)
def test_upload_page_by_role(users_a: dict[str, User], role: str) -> None:
    client = logged_in(users_a[role])

    response = client.get(reverse("directory_import:home"))

    assert response.status_code == (200 if role in MAY_IMPORT else 403)


@pytest.mark.parametrize("role", Role.values)
def test_uploading_by_role(users_a: dict[str, User], org_a: Organisation, role: str) -> None:
    client = logged_in(users_a[role])

    response = client.post(
        reverse("directory_import:home"), {"file": example(), "publish": "publish"}
    )

    if role in MAY_IMPORT:
        job = ImportJob.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("directory_import:job", args=[job.pk])
        assert (job.owner, job.created_by, job.status) == (org_a, users_a[role], "done")
        assert Service.objects.filter(owner=org_a).count() == 1
    else:
        assert response.status_code == 403
        assert not ImportJob.objects.exists()
        assert not Service.objects.exists()


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("same_organisation", [True, False])
def test_job_page_by_role_and_organisation(
    users_a: dict[str, User],
    users_b: dict[str, User],
    org_a: Organisation,
    role: str,
    same_organisation: bool,
) -> None:
    job = queued_job(org_a, users_a[Role.CONTENT_EDITOR])
    visitor = (users_a if same_organisation else users_b)[role]

    response = logged_in(visitor).get(reverse("directory_import:job", args=[job.pk]))

    visible = same_organisation and role in MAY_IMPORT
    assert response.status_code == (200 if visible else 404)


def test_other_organisations_jobs_are_not_listed(
    users_a: dict[str, User], users_b: dict[str, User], org_a: Organisation
) -> None:
    queued_job(org_a, users_a[Role.CONTENT_EDITOR])

    response = logged_in(users_b[Role.CONTENT_EDITOR]).get(reverse("directory_import:home"))

    assert list(response.context["jobs"]) == []


def test_anonymous_visitors_are_sent_to_log_in(db: None) -> None:
    response = Client().get(reverse("directory_import:home"))

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_an_editor_of_two_organisations_chooses_where_to_import(
    users_a: dict[str, User], org_a: Organisation, org_b: Organisation
) -> None:
    editor = users_a[Role.CONTENT_EDITOR]
    editor.memberships.create(organisation=org_b, role=Role.CONTENT_EDITOR)
    client = logged_in(editor)

    response = client.post(
        reverse("directory_import:home"),
        {"file": example(), "publish": "publish", "organisation": str(org_b.pk)},
    )

    assert response.status_code == 302
    assert Service.objects.get().owner == org_b


# An upload followed to its end (synchronously: SENDA_IMPORT_SYNC).


def test_upload_publishes_and_shows_what_changed(
    users_a: dict[str, User], org_a: Organisation, settings: Any
) -> None:
    client = logged_in(users_a[Role.CONTENT_EDITOR])

    response = client.post(
        english("directory_import:home"),
        {"file": example(), "publish": "publish"},
        follow=True,
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "The file was imported." in page
    assert 'http-equiv="refresh"' not in page
    assert "Services" in page and "Phones" in page
    assert "not a place on Earth" in page  # the warnings are shown
    service = Service.objects.get(pk=SERVICE_ID)
    assert (service.owner, service.publication_status) == (org_a, PublicationStatus.PUBLISHED)
    job = ImportJob.objects.get()
    assert job.result["created"]["service"] == 1
    assert job.processed == job.total == 1
    # The uploaded file is not kept once imported.
    assert not job.file
    assert not any((Path(settings.MEDIA_ROOT) / "hsds-imports").rglob("*.json"))
    assert AuditEntry.objects.filter(action="directory.import_job_create").count() == 1
    assert AuditEntry.objects.filter(action="directory.hsds_import").count() == 1


def test_upload_of_a_zipped_csv_package_as_drafts(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    client = logged_in(users_a[Role.ORG_ADMIN])

    response = client.post(
        reverse("directory_import:home"), {"file": csv_zip(), "publish": "draft"}, follow=True
    )

    assert response.status_code == 200
    assert Service.objects.get(pk=SERVICE_ID).publication_status == PublicationStatus.DRAFT
    assert ImportJob.objects.get().status == ImportJobStatus.DONE


def test_a_bad_file_lists_its_problems_and_saves_nothing(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    client = logged_in(users_a[Role.CONTENT_EDITOR])
    bad = [{"id": str(uuid.uuid4()), "name": "Sin estado"}, {"id": "x", "name": "y", "status": "z"}]

    response = client.post(
        english("directory_import:home"),
        {"file": upload("services.json", json.dumps(bad).encode()), "publish": "publish"},
        follow=True,
    )

    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "services.json, object [0]" in page and "“status”: This field is required." in page
    assert "“x” is not a valid UUID." in page
    job = ImportJob.objects.get()
    assert job.status == ImportJobStatus.FAILED
    assert [error["field"] for error in job.errors] == ["status", "id", "status", "organization_id"]
    assert not Service.objects.exists()


def test_a_file_that_is_not_utf8_is_refused_with_the_line(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    client = logged_in(users_a[Role.CONTENT_EDITOR])
    content = '[{"id": "ac148810-d857-441c-9679-408f346de14b",\n"name": "Caf\xe9"}]'.encode(
        "latin-1"
    )

    response = client.post(
        english("directory_import:home"),
        {"file": upload("latin1.json", content), "publish": "publish"},
        follow=True,
    )

    assert "latin1.json: The file is not UTF-8 (byte 0xe9 at line 2)" in response.content.decode()
    assert not Service.objects.exists()


def test_only_json_and_zip_files_are_accepted(users_a: dict[str, User]) -> None:
    client = logged_in(users_a[Role.CONTENT_EDITOR])

    response = client.post(
        english("directory_import:home"),
        {"file": upload("services.csv", b"id,name\n"), "publish": "publish"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not ImportJob.objects.exists()


def test_a_running_job_refreshes_itself_and_shows_progress(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    job = queued_job(org_a, users_a[Role.CONTENT_EDITOR])
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJobStatus.VALIDATING, processed=2500, total=10000
    )

    response = logged_in(users_a[Role.ORG_ADMIN]).get(english("directory_import:job", job.pk))

    page = response.content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert '<progress id="progress" max="100" value="25">' in page
    assert "2,500 of 10,000" in page


def test_a_job_runs_once(users_a: dict[str, User], org_a: Organisation) -> None:
    job = queued_job(org_a, users_a[Role.CONTENT_EDITOR])
    jobs.import_job_run(job_id=job.pk)
    first = AuditEntry.objects.filter(action="directory.hsds_import").count()

    jobs.import_job_run(job_id=job.pk)

    assert AuditEntry.objects.filter(action="directory.hsds_import").count() == first == 1


def test_a_job_fails_if_its_uploader_lost_the_right_to_import(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    editor = users_a[Role.CONTENT_EDITOR]
    job = queued_job(org_a, editor)
    editor.memberships.update(role=Role.VIEWER)

    jobs.import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED
    assert "cannot import" in job.errors[0]["text"]
    assert not Service.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_job_runs_in_a_background_thread(settings: Any) -> None:
    settings.SENDA_IMPORT_SYNC = False
    organisation = Organisation.objects.create(name="Thread org", slug="thread-org")
    editor = member(organisation, Role.CONTENT_EDITOR, username="thread-editor")
    job = queued_job(organisation, editor)

    jobs.import_job_start(job)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if not job.is_running:
            break
        time.sleep(0.2)
    assert job.status == ImportJobStatus.DONE, job.errors
    assert Service.objects.get(pk=SERVICE_ID).owner == organisation


def test_a_job_cut_off_by_a_restart_says_so_and_stops_refreshing(
    users_a: dict[str, User], org_a: Organisation
) -> None:
    job = queued_job(org_a, users_a[Role.CONTENT_EDITOR])
    long_ago = timezone.now() - datetime.timedelta(hours=2)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJobStatus.SAVING, updated_at=long_ago)

    response = logged_in(users_a[Role.ORG_ADMIN]).get(english("directory_import:job", job.pk))

    page = response.content.decode()
    assert "stopped before it finished" in page
    assert 'http-equiv="refresh"' not in page
