"""``python manage.py import_hsds PATH --owner SLUG [--draft]``: import HSDS 3.0 data."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from senda.accounts.models import Organisation
from senda.directory.hsds.importer import HsdsImportError, hsds_import


class Command(BaseCommand):
    help = (
        "Import HSDS 3.0 data into the directory of a partner organisation. PATH is a JSON file "
        "(a service, an organization, a list of them or an API page), a folder of JSON files, "
        "a CSV data package folder (services.csv, organizations.csv, ...), or a .zip of either. "
        "Rows are matched by their HSDS id: importing again updates them. Nothing is saved if "
        "anything in the input is wrong."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", type=Path, help="A .json file, a folder or a .zip.")
        parser.add_argument(
            "--owner",
            required=True,
            help="Short name (slug) of the organisation that will maintain the imported data.",
        )
        parser.add_argument(
            "--draft",
            action="store_true",
            help="Import services as drafts (by default they are published).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            owner = Organisation.objects.get(slug=options["owner"], is_active=True)
        except Organisation.DoesNotExist:
            raise CommandError(
                _("There is no active organisation with the short name %(slug)s.")
                % {"slug": options["owner"]}
            ) from None
        verbosity = int(options["verbosity"])

        def progress(phase: str, processed: int, total: int) -> None:
            if verbosity >= 2:
                self.stderr.write(f"{phase}: {processed}/{total}")

        try:
            result = hsds_import(
                actor=None,
                owner=owner,
                source=options["path"],
                publish=not options["draft"],
                progress=progress,
            )
        except HsdsImportError as exc:
            for message in exc.messages:
                self.stderr.write(message)
            if exc.truncated:
                self.stderr.write(_("Only the first problems are shown; there are more."))
            raise CommandError(
                _("Nothing was imported: %(count)d problem(s) in the input.")
                % {"count": len(exc.issues)}
            ) from None
        for warning in result.warnings:
            self.stderr.write(warning)
        counts = ", ".join(
            f"{entity}: +{result.created.get(entity, 0)} ~{result.updated.get(entity, 0)}"
            + (f" -{result.removed[entity]}" if result.removed.get(entity) else "")
            for entity in dict.fromkeys([*result.created, *result.updated, *result.removed])
        )
        self.stdout.write(
            _("Imported into %(owner)s (+ new, ~ updated, - removed): %(counts)s")
            % {"owner": owner, "counts": counts or _("nothing")}
        )
