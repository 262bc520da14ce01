from django.contrib.admin.apps import AdminConfig


class KratomRefAdminConfig(AdminConfig):
    """Django's admin, on the site that asks editors for a second factor (kratomref/admin_site.py)."""

    default_site = "kratomref.admin_site.KratomRefAdminSite"
