"""``python manage.py totp_code <username>``: the code the user's authenticator shows now.

For the demo and for an operator helping on the machine itself: whoever can run commands here
can read the database and its keys anyway.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from senda.accounts.models import User
from senda.accounts.two_factor import confirmed_device, current_code


class Command(BaseCommand):
    help = "Print the current second-factor (TOTP) code of a user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(_("There is no user %(name)s.") % {"name": options["username"]})
        device = confirmed_device(user)
        if device is None:
            raise CommandError(
                _("%(name)s has no second factor set up.") % {"name": user.get_username()}
            )
        self.stdout.write(current_code(device))
