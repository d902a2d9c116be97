"""``python manage.py demo [--reset]``: load the demo world and print the demo logins."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, no_translations
from django.utils.translation import gettext as _

from senda.core import demo


class Command(BaseCommand):
    help = (
        "Load Senda's demo data (example organisations, users for every role, directory). "
        "Running it again changes nothing; --reset deletes the demo rows and loads them again."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo organisations, users and their data first, then reload.",
        )

    # English like the rest of scripts/demo.sh's output, whatever LANGUAGE_CODE says.
    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        if options["reset"]:
            demo.reset_all()
            self.stdout.write(_("Demo data removed."))
        world = demo.load_all()
        if world.loaded:
            self.stdout.write(
                _("Demo data loaded (%(domains)s) in %(seconds).1f s.")
                % {"domains": ", ".join(world.loaded), "seconds": time.monotonic() - started}
            )
        else:
            self.stdout.write(_("The demo data is already loaded; nothing changed."))
        for line in demo.summary():
            self.stdout.write(line)
        self.stdout.write("")
        self.stdout.write(self.logins_table())

    def logins_table(self) -> str:
        header = (_("Username"), _("Password"), _("Role"), _("Organisation"), _("Second factor"))
        rows = [
            (x.username, x.password, x.role, x.organisation, x.second_factor or "—")
            for x in demo.logins()
        ]
        widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(5)]

        def line(cells: tuple[str, ...]) -> str:
            return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

        rule = "  ".join("-" * w for w in widths)
        title = _("Demo logins (example accounts; never use these passwords in production):")
        second_factor = _(
            'After the password, users with a command under "Second factor" type the'
            " 6-digit code that the command prints (it changes every 30 seconds)."
        )
        return "\n".join(
            [title, line(header), rule, *(line(row) for row in rows), "", second_factor]
        )
