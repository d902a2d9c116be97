"""HSDS imports uploaded by editors: the job row, its background run, and who may see it.

The upload page creates an ``ImportJob`` (``import_job_create``) and starts it
(``import_job_start``): in a background thread, so a large file does not hold the request,
or at once when ``settings.SENDA_IMPORT_SYNC`` is true (tests). ``import_job_run`` calls
``hsds_import`` and records progress while the file is checked (short writes the job page
can read), then the result or the errors.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import close_old_connections, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Capability
from senda.core.audit import audit
from senda.core.errors import PermissionDeniedError, ValidationError
from senda.core.queries import get_or_not_found
from senda.directory.hsds.importer import HsdsImportError, hsds_import
from senda.directory.models_import import ImportJob, ImportJobStatus

logger = logging.getLogger(__name__)

ALLOWED_SUFFIXES = (".json", ".zip")
DEFAULT_MAX_BYTES = 200 * 1024 * 1024


def max_upload_bytes() -> int:
    return int(getattr(settings, "SENDA_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


# Reads.


def organisations_user_can_import_for(*, user: User) -> list[Organisation]:
    """Organisations into whose directory the user may import."""
    if not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return list(Organisation.objects.filter(is_active=True))
    return user.organisations_with(Capability.DIRECTORY_IMPORT)


def import_jobs_visible_to(*, user: User) -> QuerySet[ImportJob]:
    """Imports into the directories the user may import into (their organisations' only)."""
    organisations = organisations_user_can_import_for(user=user)
    return ImportJob.objects.filter(owner__in=organisations).select_related("owner", "created_by")


def import_job_get(*, user: User, job_id: uuid.UUID | str) -> ImportJob:
    """One import the user may see, or NotFoundError (also for other organisations' jobs)."""
    return get_or_not_found(import_jobs_visible_to(user=user), job_id)


# Writes.


@transaction.atomic
def import_job_create(
    *,
    actor: User,
    owner: Organisation,
    upload: UploadedFile,
    publish: bool,
    language: str,
) -> ImportJob:
    """Keep an uploaded HSDS file and queue its import into ``owner``'s directory."""
    if owner not in organisations_user_can_import_for(user=actor):
        raise PermissionDeniedError(_("You cannot import into the directory of this organisation."))
    name = PurePath(upload.name or "").name
    if PurePath(name).suffix.lower() not in ALLOWED_SUFFIXES:
        raise ValidationError(
            {"file": [_("Upload a .json file or a .zip (a CSV data package or JSON files).")]}
        )
    if upload.size is not None and upload.size > max_upload_bytes():
        raise ValidationError(
            {
                "file": [
                    _("The file is larger than %(size)d MB.")
                    % {"size": max_upload_bytes() // (1024 * 1024)}
                ]
            }
        )
    job = ImportJob(
        owner=owner,
        created_by=actor,
        original_name=name[:255],
        publish=publish,
        language=(language or settings.LANGUAGE_CODE)[:12],
    )
    job.file.save(get_valid_filename(name) or "upload.json", upload, save=False)
    job.save()
    audit(
        actor=actor,
        action="directory.import_job_create",
        obj=job,
        organisation=owner,
        details={"file": job.original_name, "publish": publish},
    )
    return job


def import_job_start(job: ImportJob) -> None:
    """Run the import: in a background thread, or at once if SENDA_IMPORT_SYNC is set."""
    if getattr(settings, "SENDA_IMPORT_SYNC", False):
        import_job_run(job_id=job.pk)
        return
    thread = threading.Thread(
        target=_run_in_thread, args=(job.pk,), name=f"hsds-import-{job.pk}", daemon=True
    )
    thread.start()


def _run_in_thread(job_id: uuid.UUID) -> None:
    close_old_connections()
    try:
        import_job_run(job_id=job_id)
    finally:
        connection.close()


def _update(job: ImportJob, **fields: object) -> None:
    """Record progress at once (its own short transaction), so the job page can show it."""
    for name, value in fields.items():
        setattr(job, name, value)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now(), **fields)


def import_job_run(*, job_id: uuid.UUID) -> ImportJob:
    """Import the job's file; the job ends ``done`` with the result or ``failed`` with errors."""
    job = ImportJob.objects.select_related("owner", "created_by").get(pk=job_id)
    if job.status != ImportJobStatus.QUEUED:
        return job  # a job runs once
    _update(job, status=ImportJobStatus.VALIDATING)

    def progress(phase: str, processed: int, total: int) -> None:
        status = ImportJobStatus.SAVING if phase == "saving" else ImportJobStatus.VALIDATING
        _update(job, status=status, processed=processed, total=total)

    with translation.override(job.language):
        if job.created_by is None:
            # Without the person who uploaded it there is no one whose rights to check.
            _fail(job, [_("The person who uploaded this file no longer has an account.")])
            _discard_upload(job)
            return job
        try:
            with _local_copy(job) as path:
                result = hsds_import(
                    actor=job.created_by,
                    owner=job.owner,
                    source=path,
                    publish=job.publish,
                    progress=progress,
                )
        except HsdsImportError as exc:
            _fail(job, [issue.as_dict() for issue in exc.issues], truncated=exc.truncated)
        except PermissionDeniedError as exc:
            _fail(job, [str(exc)])
        except Exception:
            logger.exception("HSDS import job %s failed", job.pk)
            _fail(job, [_("The import stopped because of an error in Senda. Nothing was saved.")])
        else:
            result.source = job.original_name
            _update(
                job,
                status=ImportJobStatus.DONE,
                result=result.as_dict(),
                processed=job.total,
                finished_at=timezone.now(),
            )
        finally:
            _discard_upload(job)
    return job


def _discard_upload(job: ImportJob) -> None:
    """Delete the uploaded file once read: it may hold contacts' details, and is not needed."""
    if job.file:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")


def _fail(
    job: ImportJob, errors: list[dict[str, str]] | list[str], *, truncated: bool = False
) -> None:
    as_dicts = [
        error
        if isinstance(error, dict)
        else {"file": "", "where": "", "field": "", "message": error, "text": error}
        for error in errors
    ]
    _update(
        job,
        status=ImportJobStatus.FAILED,
        errors=as_dicts,
        errors_truncated=truncated,
        finished_at=timezone.now(),
    )


@contextmanager
def _local_copy(job: ImportJob) -> Iterator[Path]:
    """The uploaded file as a local path, whatever storage keeps it, named as it was uploaded."""
    try:
        local: Path | None = Path(job.file.path)
    except NotImplementedError:
        local = None  # a remote storage: copy the file here first
    if local is not None:
        yield local
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / (get_valid_filename(job.original_name) or "upload.json")
        with job.file.open("rb") as source, path.open("wb") as target:
            shutil.copyfileobj(source, target)
        yield path
