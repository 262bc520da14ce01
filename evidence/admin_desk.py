"""The curation desk's admin: the queue page every curator opens first, and reviewers' own public profiles."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.template.response import TemplateResponse

from evidence.models import ReviewerProfile
from evidence.services import desk
from evidence.signals import announce_library_change


def desk_view(request):
    """What waits for this curator, what they started, what came back, what is due, what needs a look."""
    context = {
        **admin.site.each_context(request),
        "title": "Curation desk",
        "desk": desk.desk_for(request.user),
        "lock_minutes": settings.DESK_LOCK_MINUTES,
    }
    return TemplateResponse(request, "admin/evidence/desk.html", context)


class ReviewerProfileForm(forms.ModelForm):
    class Meta:
        model = ReviewerProfile
        fields = ["show_name", "public_name", "slug", "credentials", "conflicts_of_interest"]

    def clean(self):
        data = super().clean()
        if data.get("show_name"):
            if not (data.get("public_name") or "").strip():
                self.add_error("public_name", "A named reviewer needs the name readers will see.")
            if not (data.get("conflicts_of_interest") or "").strip():
                self.add_error("conflicts_of_interest", "Declare your conflicts of interest, or write “None declared”.")
        return data


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(admin.ModelAdmin):
    """Each curator keeps their own profile; only a superuser sees everyone's."""

    form = ReviewerProfileForm
    list_display = ["__str__", "user", "show_name", "updated_at"]
    prepopulated_fields = {"slug": ["public_name"]}

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("user")
        return queryset if request.user.is_superuser else queryset.filter(user=request.user)

    def has_add_permission(self, request):
        has_one = ReviewerProfile.objects.filter(user=request.user).exists()
        return super().has_add_permission(request) and (request.user.is_superuser or not has_one)

    def get_fields(self, request, obj=None):
        fields = list(self.form.Meta.fields)
        return ["user", *fields] if request.user.is_superuser else fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["fields"] = self.get_fields(request, obj)
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser or not obj.user_id:
            obj.user = obj.user if change else request.user
        super().save_model(request, obj, form, change)
        announce_library_change(obj)  # pages naming the reviewer (or the team) change with the choice
