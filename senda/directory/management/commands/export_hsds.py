"""``python manage.py export_hsds PATH [--format json|csv] [--lang es|en] [--include-drafts]``."""

from __future__ import annotations

import re
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, no_translations
from django.utils.translation import gettext as _

from senda.directory.hsds.export import export_csv, export_json

LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


class Command(BaseCommand):
    help = (
        "Export the published directory as HSDS 3.0. JSON: PATH ending in .json gets one file "
        "with an array of fully nested services; any other PATH is a folder that gets one file "
        "per service. CSV: PATH is a folder that gets the HSDS tabular data package (CSV files "
        "and datapackage.json)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", type=Path, help="A .json file, or a folder.")
        parser.add_argument(
            "--format",
            choices=["json", "csv"],
            default="json",
            help="json (fully nested services, the default) or csv (the tabular data package).",
        )
        parser.add_argument(
            "--lang",
            default="",
            help=(
                "Write the text in this language where a translation exists (e.g. en); "
                "by default each record's own language. Other languages stay in "
                "'translations'."
            ),
        )
        parser.add_argument(
            "--include-drafts",
            action="store_true",
            help="Export every service, not only published ones (the status is not exported).",
        )

    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        language = options["lang"].strip().lower()
        if language and not LANGUAGE_CODE.match(language):
            raise CommandError(
                _("--lang must be a language code such as es or en, not %(value)s.")
                % {"value": language}
            )
        if options["format"] == "csv" and path.suffix.lower() == ".json":
            raise CommandError(
                _("--format csv writes a folder, but %(path)s names a .json file.") % {"path": path}
            )
        if path.is_file() and path.suffix.lower() != ".json":
            raise CommandError(
                _("%(path)s is a file; give a .json file or a folder.") % {"path": path}
            )
        if path.is_dir() and path.suffix.lower() == ".json":
            raise CommandError(
                _("%(path)s is a folder; give a .json file or a folder.") % {"path": path}
            )
        export = export_csv if options["format"] == "csv" else export_json
        try:
            result = export(
                path, language=language or None, include_drafts=options["include_drafts"]
            )
        except OSError as exc:
            raise CommandError(
                _("Could not write %(path)s: %(error)s") % {"path": path, "error": exc}
            ) from exc
        counts = ", ".join(f"{name}: {count}" for name, count in result.counts.items() if count)
        self.stdout.write(
            _("Exported HSDS 3.0 %(format)s to %(path)s (%(files)d files; %(counts)s).")
            % {
                "format": options["format"],
                "path": path,
                "files": len(result.files),
                "counts": counts or _("nothing to export"),
            }
        )
