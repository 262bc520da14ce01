"""Give an editor their second factor: a TOTP authenticator secret and ten one-time recovery codes.

Editors (everyone who can approve what the public reads) sign in with a code from an authenticator
app. An administrator runs this once per editor and hands the output over privately; ``--reset``
replaces lost or compromised devices (the old ones stop working at once).
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODES = 10


class Command(BaseCommand):
    help = "Set up (or with --reset, replace) a curator's second factor: a TOTP secret and recovery codes."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reset", action="store_true", help="Remove the curator's devices and make new ones.")

    @transaction.atomic
    def handle(self, *args, username, reset=False, verbosity=1, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        existing = list(devices_for_user(user, confirmed=None))
        if existing and not reset:
            raise CommandError(f"{username} already has a second factor; --reset replaces it.")
        for device in existing:
            device.delete()
        totp = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=True)
        recovery = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        recovery.token_set.bulk_create([StaticToken(device=recovery, token=code) for code in codes])
        self.stdout.write(f"Second factor for {username}{' (replaced)' if existing else ''}.")
        self.stdout.write("Add this to an authenticator app (or scan it as a QR code):")
        self.stdout.write(f"  {totp.config_url}")
        self.stdout.write("Recovery codes, each usable once (keep them offline):")
        for code in codes:
            self.stdout.write(f"  {code}")
