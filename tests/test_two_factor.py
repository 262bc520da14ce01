"""Editors sign in with a second factor; reviewers with a password; a recovery code works once."""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

PASSWORD = "pw-two-factor-correct-horse"


@pytest.fixture(autouse=True)
def no_backoff(settings):
    """django-otp makes a device wait longer after each wrong code; these tests try codes back to back."""
    settings.OTP_TOTP_THROTTLE_FACTOR = settings.OTP_STATIC_THROTTLE_FACTOR = 0


def curator(name, group):
    user = User.objects.create_user(name, password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def sign_in(client, username, code=""):
    data = {"username": username, "password": PASSWORD, "otp_token": code, "next": reverse("admin:index")}
    return client.post(reverse("admin:login"), data)


def setup(username, *args):
    from io import StringIO

    out = StringIO()
    call_command("setup_two_factor", username, *args, stdout=out)
    text = out.getvalue()
    return re.search(r"otpauth://\S+", text).group(0), re.findall(r"^  ([0-9a-z]{8})$", text, re.M)


def current_code(user):
    device = TOTPDevice.objects.get(user=user)
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


def test_an_editor_without_a_second_factor_is_told_how_to_get_one():
    curator("no-device-editor", "Editor")
    response = sign_in(Client(), "no-device-editor")
    assert response.status_code == 200
    assert "setup_two_factor no-device-editor" in response.content.decode()


def test_an_editor_signs_in_with_the_authenticator_code_and_not_without_it():
    editor = curator("totp-editor", "Editor")
    url, codes = setup("totp-editor")
    assert url.startswith("otpauth://totp/") and "secret=" in url and len(codes) == 10
    client = Client()
    assert sign_in(client, "totp-editor").status_code == 200  # no code: the form again
    assert sign_in(client, "totp-editor", "000000").status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302  # not signed in
    response = sign_in(client, "totp-editor", current_code(editor))
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_recovery_code_works_once():
    curator("recovery-editor", "Editor")
    _, codes = setup("recovery-editor")
    assert sign_in(Client(), "recovery-editor", codes[0]).status_code == 302
    assert sign_in(Client(), "recovery-editor", codes[0]).status_code == 200  # used up
    assert sign_in(Client(), "recovery-editor", codes[1]).status_code == 302


def test_a_reviewer_signs_in_with_a_password_alone():
    curator("plain-reviewer", "Reviewer")
    client = Client()
    assert sign_in(client, "plain-reviewer").status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_an_editor_session_without_a_second_factor_gets_no_admin():
    editor = curator("session-editor", "Editor")
    client = Client()
    client.force_login(editor)  # a session made without the code, by whatever path
    assert client.get(reverse("admin:index")).status_code == 302
    assert client.get(reverse("admin:evidence_changerequest_changelist")).status_code == 302


def test_reset_replaces_the_devices_and_the_old_codes_stop_working():
    curator("reset-editor", "Editor")
    _, old = setup("reset-editor")
    with pytest.raises(CommandError, match="--reset"):
        setup("reset-editor")
    _, new = setup("reset-editor", "--reset")
    assert sign_in(Client(), "reset-editor", old[0]).status_code == 200
    assert sign_in(Client(), "reset-editor", new[0]).status_code == 302


def test_after_a_wrong_code_even_the_right_one_waits(settings):
    settings.OTP_STATIC_THROTTLE_FACTOR = 10
    curator("guessed-editor", "Editor")
    _, codes = setup("guessed-editor")
    assert sign_in(Client(), "guessed-editor", "wrongcode").status_code == 200
    assert sign_in(Client(), "guessed-editor", codes[0]).status_code == 200  # throttled: guessing stays slow


def test_an_account_that_can_change_accounts_needs_a_second_factor_too():
    from django.contrib.auth.models import Permission

    admin_of_accounts = User.objects.create_user("accounts-admin", password=PASSWORD, is_staff=True)
    admin_of_accounts.user_permissions.add(Permission.objects.get(codename="change_user"))
    response = sign_in(Client(), "accounts-admin")
    assert response.status_code == 200 and "setup_two_factor accounts-admin" in response.content.decode()
