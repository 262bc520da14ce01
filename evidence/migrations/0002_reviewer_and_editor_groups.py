"""Create the Reviewer and Editor groups.

Reviewers add and edit drafts and move them to review; editors may also publish, withdraw
and delete. Permissions are created here first because Django only creates them after
all migrations have run.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = ["substance", "sourcearticle", "claim", "passage", "study", "evidence", "warning", "unfoundreference"]
REVIEWER_DELETABLE = ["passage", "evidence"]


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    evidence = Permission.objects.filter(content_type__app_label="evidence")

    reviewer_codenames = [f"{action}_{model}" for model in MODELS for action in ("view", "add", "change")]
    reviewer_codenames += [f"delete_{model}" for model in REVIEWER_DELETABLE]
    reviewer_codenames += [p.codename for p in evidence.filter(codename__startswith="view_historical")]

    reviewer, _ = Group.objects.get_or_create(name="Reviewer")
    reviewer.permissions.set(evidence.filter(codename__in=reviewer_codenames))
    editor, _ = Group.objects.get_or_create(name="Editor")
    editor.permissions.set(evidence)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Reviewer", "Editor"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
