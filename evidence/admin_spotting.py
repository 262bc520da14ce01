"""The claim spotter in the admin: an article's text with the library's claims suggested in place.

Each suggested sentence is marked where it stands in the text; beside it the reviewer accepts one of
the suggested claims (a passage is created, through the publication path), rejects them, or marks
"new claim needed" (a draft claim is created from the sentence). evidence/services/spotting.py does
the work and records every answer.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from evidence.models import Claim, Passage, SourceArticle, SpotDecision
from evidence.services import spotting
from evidence.services.revisions import block_spans
from evidence.services.spotting import SpotError


def _lines(text):
    """``(start, end)`` of each non-blank line, surrounding whitespace excluded."""
    position = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            leading = len(raw) - len(raw.lstrip())
            yield position + leading, position + leading + len(stripped)
        position += len(raw) + 1


def _marked(text, start, end, rows):
    """The line ``text[start:end]`` as HTML, each suggested sentence in it marked and linked to its answer."""
    parts, position = [], start
    for row in rows:
        parts.append(escape(text[position : row.start]))
        state = "open" if row.open else ("anchored" if row.passage else row.decision.decision)
        parts.append(
            format_html(
                '<a href="#{0}-answer" class="spot-mark spot-{1}"><mark id="{0}">{2}</mark></a>',
                row.anchor,
                state,
                text[row.start : row.end],
            )
        )
        position = row.end
    parts.append(escape(text[position:end]))
    return mark_safe("".join(parts))


def _units(text, text_format, rows):
    """``(start, end)`` of each line of ``text``, the lines of one paragraph or list item (wrapped
    over several lines) joined, and lines joined wherever a suggested sentence runs across them."""
    blocks, next_block = sorted(block_spans(text, text_format)), 0
    crossings = sorted((row.start, row.end) for row in rows)
    units, unit_blocks, next_row, reach = [], [], 0, -1
    for start, end in _lines(text):
        while next_block < len(blocks) and blocks[next_block][1] <= start:
            next_block += 1
        block = blocks[next_block] if next_block < len(blocks) and blocks[next_block][0] < end else None
        while next_row < len(crossings) and crossings[next_row][0] < start:
            reach = max(reach, crossings[next_row][1])
            next_row += 1
        straddled = start < reach  # a suggested sentence began before this line and runs into it
        if units and (straddled or (block is not None and block == unit_blocks[-1])):
            units[-1] = (units[-1][0], end)
            continue
        units.append((start, end))
        unit_blocks.append(block)
    return units


def paragraphs(article, rows):
    """The article text paragraph by paragraph (line by line where it has no structure), each with
    its marked HTML and the suggestions it holds."""
    result, remaining = [], sorted(rows, key=lambda row: row.start)
    for start, end in _units(article.text, article.text_format, remaining):
        inside = [row for row in remaining if start <= row.start and row.end <= end]
        line = article.text[start:end]
        result.append(
            {
                "html": _marked(article.text, start, end, inside),
                "heading": line.startswith("#") or (not inside and len(line) < 80 and not line.endswith(".")),
                "rows": inside,
            }
        )
    return result


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SpotError("The form was incomplete; reload the page and try again.") from None


def _answer(request, article):
    action = request.POST.get("action")
    start, end, revision = (_int(request.POST.get(name)) for name in ("start", "end", "revision"))
    where = {"article": article, "start": start, "end": end, "revision": revision, "by": request.user}
    if action == "accept":
        claim = Claim.objects.filter(slug=request.POST.get("claim", "")).first()
        if claim is None:
            raise SpotError("Choose one of the suggested claims.")
        wording = request.POST.get("wording") or Passage.Wording.ACCURATE
        if wording not in Passage.Wording.values:
            raise SpotError("Choose how the sentence words the claim.")
        outcome = spotting.spot_accept(
            claim=claim, wording=wording, wording_note=request.POST.get("wording_note", "").strip(), **where
        )
        waits = " It waits for a second person's approval." if outcome.staged else ""
        return f"Linked the sentence to “{claim.statement}”.{waits}"
    if action == "reject":
        spotting.spot_reject(**where)
        return "Recorded: the sentence makes none of the suggested claims."
    if action == "new-claim":
        if not request.user.has_perm("evidence.add_claim"):
            raise PermissionDenied
        claim = spotting.spot_new_claim(**where)
        return format_html(
            'Created the draft claim <a href="{}">{}</a> from the sentence; grade it next.',
            reverse("admin:evidence_claim_change", args=[claim.pk]),
            claim.statement,
        )
    raise SpotError("Unknown answer.")


def spot_view(request, pk):
    """GET: the article with suggestions in place. POST: one answer, then back to the same sentence."""
    if not request.user.has_perm("evidence.add_passage"):
        raise PermissionDenied
    article = get_object_or_404(SourceArticle, pk=pk)
    here = reverse("admin:article-spot", args=[article.pk])
    if request.method == "POST":
        try:
            message = _answer(request, article)
        except SpotError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, message)
        return HttpResponseRedirect(f"{here}#spot-{request.POST.get('start', '')}-answer")
    rows = spotting.review_rows(article)
    context = {
        **admin.site.each_context(request),
        "title": f"Claims suggested in “{article.title}”",
        "article": article,
        "opts": SourceArticle._meta,
        "paragraphs": paragraphs(article, rows),
        "open_count": sum(row.open for row in rows),
        "row_count": len(rows),
        "wordings": Passage.Wording.choices,
        "summary": spotting.decision_summary(SpotDecision.objects.filter(article=article)),
        "overall": spotting.decision_summary(),
    }
    return TemplateResponse(request, "admin/evidence/spot.html", context)


@admin.register(SpotDecision)
class SpotDecisionAdmin(admin.ModelAdmin):
    """Reviewers' answers to the spotter, read-only: the record its precision is reported from."""

    list_display = ["sentence_short", "decision", "claim", "rank", "article", "decided_by", "decided_at"]
    list_filter = ["decision", "decided_at"]
    list_select_related = ["claim", "article"]
    search_fields = ["sentence", "claim__statement", "article__title", "decided_by"]
    date_hierarchy = "decided_at"
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("article__text")

    @admin.display(description="Sentence")
    def sentence_short(self, obj):
        return obj.sentence if len(obj.sentence) <= 90 else obj.sentence[:87] + "…"

    def changelist_view(self, request, extra_context=None):
        summary = spotting.decision_summary()
        return super().changelist_view(request, {**(extra_context or {}), "spot_summary": summary})

    def has_add_permission(self, request):
        return False  # answers are given on an article's "Suggested claims" page

    def has_change_permission(self, request, obj=None):
        return False  # an answer is a record of what the spotter suggested and what a reviewer said

    def has_delete_permission(self, request, obj=None):
        return False
