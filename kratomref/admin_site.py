"""The curators' admin site: editors — everyone who can approve what the public reads — sign in with
a second factor (a TOTP authenticator app, or a one-time recovery code); reviewers with a password.

Devices are set up by an administrator with ``manage.py setup_two_factor NAME`` (``--reset`` to
replace lost ones). A session that was not verified by a second factor gets no admin for editors.
"""

from django import forms
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django_otp import user_has_device
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

APPROVER_PERMISSIONS = [
    f"evidence.publish_{model}" for model in ("claim", "warning", "sourcearticle", "study", "substance")
] + ["evidence.approve_changerequest"]


# Accounts that can change accounts or second factors can make themselves approvers: they need one too.
ACCOUNT_PERMISSIONS = [
    "auth.add_user",
    "auth.change_user",
    "auth.change_group",
    "auth.change_permission",
    "otp_totp.add_totpdevice",
    "otp_totp.change_totpdevice",
    "otp_static.add_staticdevice",
    "otp_static.change_staticdevice",
]


def needs_second_factor(user):
    """Whether this account can approve what the public reads, or make itself able to (or is a superuser)."""
    if not user.is_active:
        return False
    return user.is_superuser or any(user.has_perm(p) for p in [*APPROVER_PERMISSIONS, *ACCOUNT_PERMISSIONS])


class TwoFactorLoginForm(OTPAuthenticationFormMixin, AdminAuthenticationForm):
    otp_device = forms.CharField(required=False, widget=forms.HiddenInput)
    otp_token = forms.CharField(
        required=False,
        label="Code",
        help_text="Editors: the 6-digit code from your authenticator app, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def _chosen_device(self, user):
        """Six digits are a code from the authenticator app; anything else is a recovery code."""
        token = (self.cleaned_data.get("otp_token") or "").strip()
        model = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
        # Locked until the sign-in ends, so one code (or one recovery code) cannot serve two at once.
        return model.objects.select_for_update().filter(user=user, confirmed=True).first()

    def clean(self):
        self.cleaned_data = super().clean()  # username, password, staff
        user = self.get_user()
        if user is not None and needs_second_factor(user):
            if not user_has_device(user):
                raise ValidationError(
                    "Editors sign in with a second factor, and this account has none yet. Ask an administrator "
                    "to run “manage.py setup_two_factor %(name)s”.",
                    params={"name": user.get_username()},
                )
            self.clean_otp(user)
        return self.cleaned_data


class KratomRefAdminSite(AdminSite):
    login_form = TwoFactorLoginForm
    site_header = site_title = "KratomRef curation"
    index_title = "Evidence library"
    index_template = "admin/desk_index.html"  # the desk's counts above the app list

    def get_urls(self):
        from django.urls import path

        from evidence.admin_desk import desk_view
        from evidence.admin_revisions import reanchor_view
        from evidence.admin_spotting import spot_view

        return [
            path("desk/", self.admin_view(desk_view), name="desk"),
            path("evidence/sourcearticle/<int:pk>/spot/", self.admin_view(spot_view), name="article-spot"),
            path("evidence/sourcearticle/<int:pk>/reanchor/", self.admin_view(reanchor_view), name="article-reanchor"),
            *super().get_urls(),
        ]

    def index(self, request, extra_context=None):
        from evidence.services.desk import desk_for

        desk = desk_for(request.user) if request.user.is_active and request.user.is_staff else None
        return super().index(request, {**(extra_context or {}), "desk": desk})

    def has_permission(self, request):
        user = request.user
        verified = getattr(user, "is_verified", lambda: False)()
        return super().has_permission(request) and (verified or not needs_second_factor(user))
