"""The re-anchor page: after an article's text changed, each passage not placed exactly is shown
with the previous revision's text beside the current one, and a curator confirms it, re-places it
by pasting its new quote, or removes it (evidence/services/revisions.py).

On a public article each answer is a pending change another editor approves, like any change
readers would see; on a draft it is written at once.
"""

from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from evidence import services
from evidence.models import ChangeItem, ChangeRequest, Passage, SourceArticle
from evidence.services import revisions
from evidence.text import QuoteAmbiguous, QuoteNotFound, highlight

SHOWN_AROUND = 200  # characters of text shown on either side of a passage
ANSWER_ERRORS = (ValidationError, PermissionDenied, QuoteNotFound, QuoteAmbiguous)


def reanchor_url(article, passage=None):
    url = reverse("admin:article-reanchor", args=[article.pk if hasattr(article, "pk") else article])
    return f"{url}#reanchor-{passage.pk}" if passage is not None else url


def reanchor_link(article):
    """For the article's change page: how many passages wait, and the link to answer them."""
    if article is None or article.pk is None:
        return "—"
    waiting = Passage.objects.filter(article=article).exclude(placement=Passage.Placement.EXACT).count()
    if not waiting:
        return format_html(
            'Every passage is placed exactly in revision {} of the text. <a href="{}">Re-anchor page</a>',
            article.revision,
            reanchor_url(article),
        )
    return format_html(
        '{} passage(s) wait to be confirmed after the text changed (revision {}): <a href="{}">review them side by '
        "side</a>.",
        waiting,
        article.revision,
        reanchor_url(article),
    )


def _in_context(text, start, end):
    """``text`` around ``[start, end)`` with that span marked (escaped; ``…`` where it is cut)."""
    low, high = max(0, start - SHOWN_AROUND), min(len(text), end + SHOWN_AROUND)
    html = highlight(text, [(start, end, {})], low, high) if end > start else highlight(text, [], low, high)
    return format_html("{}{}{}", "… " if low else "", html, " …" if high < len(text) else "")


def _rows(article):
    """Each waiting passage with what the page shows: old text beside new, score, and any pending change."""
    previous = article.revisions.filter(number=article.revision - 1).first()
    snapshot = {row["id"]: row for row in (previous.passages if previous else [])}
    passages = list(revisions.waiting_passages(article))
    pending = {
        item.target_id: item.request
        for item in ChangeItem.objects.filter(
            target_type=ContentType.objects.get_for_model(Passage),
            target_id__in=[p.pk for p in passages],
            request__state=ChangeRequest.State.PENDING,
        ).select_related("request")
    }
    rows = []
    for passage in passages:
        before = snapshot.get(passage.pk)
        if before is not None and previous.text[before["start"] : before["end"]] == before["quote"]:
            old_html = _in_context(previous.text, before["start"], before["end"])
        else:
            old_html = format_html("<mark>{}</mark>", passage.previous_quote or passage.quote)
        orphaned = passage.placement == Passage.Placement.ORPHANED
        placed = not orphaned and article.text[passage.start : passage.end] == passage.quote
        rows.append(
            {
                "passage": passage,
                "old_quote": passage.previous_quote or passage.quote,
                "old_html": old_html,
                "new_html": _in_context(article.text, passage.start, passage.end) if placed else "",
                "orphaned": orphaned,
                "pending": pending.get(passage.pk),
            }
        )
    return previous, rows


def _answer(request, article):
    """Apply one POSTed answer; return the messages' level and text."""
    user = request.user
    action = request.POST.get("action", "")
    if action == "confirm-moved":
        moved = [p for p in revisions.waiting_passages(article) if p.placement == Passage.Placement.MOVED]
        pending = 0
        for passage in moved:
            outcome = services.passage_confirm_placement(passage=passage, by=user, expected_version=passage.version)
            pending += outcome.pending is not None
        return _said(len(moved), pending, "confirmed")
    try:
        passage = Passage.objects.select_related("article").get(article=article, pk=int(request.POST.get("passage")))
        version = int(request.POST.get("version"))
    except (TypeError, ValueError, Passage.DoesNotExist):
        raise ValidationError("That passage is not one of this article's; reload the page.") from None
    if action == "confirm":
        outcome = services.passage_confirm_placement(passage=passage, by=user, expected_version=version)
        return _said(1, outcome.pending is not None, "confirmed", outcome)
    if action == "replace":
        quote = request.POST.get("quote", "").strip()
        if not quote:
            raise ValidationError("Paste the passage's words as the current text has them.")
        outcome = revisions.passage_replace(passage=passage, quote=quote, by=user, expected_version=version)
        return _said(1, outcome.pending is not None, "re-placed", outcome)
    if action == "remove":
        if not user.has_perm("evidence.delete_passage"):
            raise PermissionDenied("You may not remove a passage.")
        outcome = revisions.passage_remove(passage=passage, by=user, expected_version=version)
        return _said(1, outcome.pending is not None, "removed", outcome)
    raise ValidationError("Unknown answer; reload the page.")


def _said(done, pending, verb, outcome=None):
    if not done:
        return messages.INFO, "No moved passage was waiting."
    if pending and outcome is not None:
        return messages.WARNING, format_html(
            'Your change waits for approval by another editor (<a href="{}">change {}</a>). Readers see the passage '
            "once it is approved.",
            outcome.pending.get_absolute_url(),
            outcome.pending.pk,
        )
    if pending:
        return messages.WARNING, f"{done} passage(s) {verb}; {pending} of them wait for approval by another editor."
    return messages.SUCCESS, f"{done} passage(s) {verb}."


def reanchor_view(request, pk):
    """GET: the waiting passages side by side. POST: one answer, then back here (nothing half-done)."""
    article = get_object_or_404(SourceArticle, pk=pk)
    if not request.user.has_perm("evidence.change_passage"):
        raise PermissionDenied
    here = reanchor_url(article)
    if request.method == "POST":
        try:
            with transaction.atomic():
                level, text = _answer(request, article)
        except ANSWER_ERRORS as error:
            detail = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            messages.error(request, f"Nothing was changed: {detail}")
        else:
            messages.add_message(request, level, text)
        return HttpResponseRedirect(here)
    previous, rows = _rows(article)
    context = {
        **admin.site.each_context(request),
        "title": f"Re-anchor passages: {article.title}",
        "opts": SourceArticle._meta,
        "article": article,
        "previous": previous,
        "rows": rows,
        "moved_count": sum(1 for row in rows if row["passage"].placement == Passage.Placement.MOVED),
        "can_remove": request.user.has_perm("evidence.delete_passage"),
    }
    return TemplateResponse(request, "admin/evidence/reanchor.html", context)
