"""Publishers' notices on pages that render from a recorded snapshot (a pinned claim version).

A version records its studies as they were cited; a retraction published after the version still
matters to its readers, so the page shows each study's live notice beside the recorded citation.
"""

from django import template

from evidence.models import Study

register = template.Library()


@register.simple_tag
def with_live_notices(rows):
    """``rows`` (a snapshot's evidence rows) each with ``notice``: its study's badge now, or None.

    Two queries for the whole table, however many rows.
    """
    rows = list(rows or [])
    keys = {(row.get("study") or {}).get("key") for row in rows} - {None, ""}
    studies = {}
    if keys:
        studies = {study.key: study for study in Study.objects.filter(key__in=keys).prefetch_related("notices")}
    shown = []
    for row in rows:
        study = studies.get((row.get("study") or {}).get("key"))
        shown.append({**row, "notice": study.notice_badge if study else None})
    return shown
