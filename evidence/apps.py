from django.apps import AppConfig
from django.db.models.signals import post_migrate


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = "Evidence library"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from evidence import signals  # noqa: F401  (connects the change hook)
        from evidence.services.roles import apply_roles

        # After every migrate (and test database flush): the roles exactly as evidence/services/roles.py says.
        post_migrate.connect(apply_roles, sender=self, dispatch_uid="evidence.apply_roles")
