"""Create a curator account with its role: a staff user in the Reviewer or Editor group.

``createsuperuser`` makes an account that bypasses the roles (a superuser may do everything);
curators get exactly their role's permissions instead (evidence/services/roles.py). The password is
asked for twice (or read from ``--password-file``), checked by the site's password validators,
and never printed. An editor then needs a second factor: ``setup_two_factor NAME``.
"""

import getpass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

ROLES = {"reviewer": "Reviewer", "editor": "Editor"}


class Command(BaseCommand):
    help = "Create a curator: a staff account in the Reviewer or Editor group (not a superuser)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", choices=sorted(ROLES), required=True)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-file", type=Path, help="Read the password from this file's first line instead of asking."
        )

    def _password(self, user, password_file):
        if password_file is not None:
            try:
                lines = password_file.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as error:
                raise CommandError(f"Cannot read the password file: {error}") from None
            password = lines[0] if lines else ""
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ; nothing was created.")
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError("The password was refused: " + " ".join(error.messages)) from None
        return password

    @transaction.atomic
    def handle(self, *args, username, role, email, password_file=None, **options):
        users = get_user_model()
        if users.objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists; nothing was changed.")
        group = Group.objects.filter(name=ROLES[role]).first()
        if group is None:
            raise CommandError(f"The {ROLES[role]} role is missing; run “manage.py migrate” first.")
        user = users(username=username, email=email, is_staff=True)
        user.set_password(self._password(user, password_file))
        user.save()
        user.groups.add(group)
        self.stdout.write(f"Created {role} {username}.")
        if role == "editor":
            self.stdout.write(f"Editors sign in with a second factor: run “manage.py setup_two_factor {username}”.")
