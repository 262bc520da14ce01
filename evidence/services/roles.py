"""The curators' roles, defined here in code and applied after every ``migrate``.

A model added later gets its permissions in the roles without a data migration: the roles are
rebuilt from this table each time ``post_migrate`` runs (evidence/apps.py connects it).
"""

from django.contrib.auth.models import Group, Permission

# Library content: reviewers view, add, change (drafts directly, public items as pending changes)
# and may propose removing a claim's parts; editors also approve and delete drafts.
LIBRARY_MODELS = ["substance", "sourcearticle", "claim", "passage", "study", "evidence", "warning", "unfoundreference"]
REVIEWER_DELETABLE = ["passage", "evidence", "unfoundreference"]
# Dataset releases are read-only in the admin; editors make one with the release view (evidence/admin.py).
READ_ONLY_MODELS = ["changerequest", "claimversion", "datasetrelease", "studynotice", "articlerevision", "spotdecision"]
# Each curator keeps their own public profile (the admin shows a curator only theirs).
OWN_MODELS = ["reviewerprofile"]
OWN = [f"{action}_{model}" for model in OWN_MODELS for action in ("view", "add", "change")]
# What readers send: both roles read and answer reports; readers add them, only superusers delete.
DESK = [f"{action}_{model}" for model in ["readerreport"] for action in ("view", "change")]
# Site vocabulary that is not library content: editors curate it, reviewers read it.
EDITOR_CURATED = ["searchsynonym"]

ROLES = {
    "Reviewer": {
        "codenames": [f"{action}_{model}" for model in LIBRARY_MODELS for action in ("view", "add", "change")]
        + [f"delete_{model}" for model in REVIEWER_DELETABLE]
        + [f"view_{model}" for model in READ_ONLY_MODELS + EDITOR_CURATED]
        + OWN
        + DESK,
        "history": True,
    },
    "Editor": {
        "codenames": [f"{action}_{model}" for model in LIBRARY_MODELS for action in ("view", "add", "change", "delete")]
        + [f"publish_{model}" for model in ("substance", "sourcearticle", "claim", "study", "warning")]
        + [f"view_{model}" for model in READ_ONLY_MODELS]
        + ["change_changerequest", "approve_changerequest", "release_datasetrelease"]
        + [f"{action}_{model}" for model in EDITOR_CURATED for action in ("view", "add", "change", "delete")]
        + OWN
        + DESK,
        "history": True,
    },
}


def apply_roles(**kwargs):
    """Create the groups and set exactly the permissions ``ROLES`` names (idempotent)."""
    evidence = Permission.objects.filter(content_type__app_label="evidence")
    for name, role in ROLES.items():
        permissions = set(evidence.filter(codename__in=role["codenames"]))
        if role["history"]:
            permissions |= set(evidence.filter(codename__startswith="view_historical"))
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)
