"""Article revisions: a changed text becomes a new revision, and every passage is re-anchored.

``reanchor`` decides, as a pure function, where each passage sits in the new text (exact, moved,
fuzzy with a score, or orphaned); ``article_revise`` keeps the replaced text as an
``ArticleRevision`` and writes the new text and the placements in one transaction. The curators'
answers (confirm, re-place, remove) go through the library's write path, so on a public article
they wait for a second person like any change readers would see.
See docs/decisions/0007-revisions-and-reanchoring.md.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rapidfuzz import fuzz

from evidence.models import ArticleRevision, Passage, SourceArticle, text_hash
from evidence.models.choices import TextFormat
from evidence.services.library import (
    ArticleImportError,
    ImportResult,
    normalise_newlines,
    passage_delete,
    placement_values,
)
from evidence.services.workflow import _contribute, _require, _save_row, actor_name, library_save
from evidence.signals import announce_library_change
from evidence.text import SENTENCE_BREAK, ArticleFormatError, parse_structure
from evidence.text import folded as fold_whitespace

Placement = Passage.Placement
CONTEXT = Passage.CONTEXT_LENGTH  # 32 characters each side, as the passages store them

# A side of context "agrees" when its rapidfuzz ratio against the stored prefix or suffix reaches
# this (whitespace folded). At least one side must agree for a moved or fuzzy placement.
CONTEXT_THRESHOLD = 70
# Several agreeing occurrences: the best must beat the next by this much (summed over both sides).
CONTEXT_MARGIN = 15
# A fuzzy placement needs the new span to score this against the old quote (rapidfuzz ratio).
FUZZY_THRESHOLD = 85
# Two fuzzy candidates this close are a tie: the passage is orphaned, never attached to a look-alike.
TIE_MARGIN = 3
# Sentence windows tried for a fuzzy match: up to the quote's own sentence count plus this many.
EXTRA_SENTENCES = 1

# Which placement is worse: re-anchoring never makes a waiting passage better than it was.
SEVERITY = {Placement.EXACT: 0, Placement.MOVED: 1, Placement.FUZZY: 2, Placement.ORPHANED: 3}
# Markdown and seed-format line markers that are not part of the sentence they introduce.
LINE_MARKER = re.compile(r"^(?:#{1,6} |[-*+] |\d+[.)] |> )")


@dataclass
class Placed:
    """Where one passage sits in the new text (the passage's fields after re-anchoring)."""

    pk: int
    placement: str
    start: int
    end: int
    quote: str
    prefix: str
    suffix: str
    match_score: float
    previous_quote: str


# --- the pure part: re-anchoring ------------------------------------------------------------------


def _squash(text):
    return " ".join(text.split())


def _side_score(stored, found):
    """How well one side of context agrees (0–100); two empty sides (start or end of text) agree."""
    return fuzz.ratio(_squash(stored), _squash(found))


def _context_scores(text, start, end, prefix, suffix):
    # A side cut short by the start or end of the text agrees only with one cut as short: an empty
    # prefix matches only a span at the very start.
    before = text[max(0, start - CONTEXT) : start]
    after = text[end : end + CONTEXT]
    return _side_score(prefix, before), _side_score(suffix, after)


def _agrees(scores):
    return max(scores) >= CONTEXT_THRESHOLD


def _occurrences(text, folded, origins, quote):
    """Every span of ``text`` that is ``quote`` once runs of whitespace are folded."""
    needle = _squash(quote)
    if not needle:
        return []
    spans, position = [], folded.find(needle)
    while position >= 0:
        spans.append((origins[position], origins[position + len(needle) - 1] + 1))
        position = folded.find(needle, position + 1)
    return spans


def _lines(text):
    position = 0
    for raw in text.split("\n"):
        if raw.strip():
            marker = LINE_MARKER.match(raw.lstrip())
            lead = len(raw) - len(raw.lstrip()) + (marker.end() if marker else 0)
            yield position + lead, position + len(raw.rstrip())
        position += len(raw) + 1


def sentence_spans(text, start, end):
    """The sentences of ``text[start:end]`` (one block) as offsets into ``text``."""
    spans, position = [], start
    for match in SENTENCE_BREAK.finditer(text, start, end):
        spans.append((position, match.start()))
        position = match.end()
    if position < end:
        spans.append((position, end))
    return [(a, b) for a, b in spans if b > a]


def block_spans(text, text_format):
    """The paragraphs, headings and list items of ``text`` as offsets (its lines if it does not parse)."""
    try:
        return [(block.start, block.end) for block in parse_structure(text, text_format).blocks()]
    except ArticleFormatError:
        return list(_lines(text))


def _sentence_windows(text, size, blocks):
    """Runs of 1..``size`` consecutive sentences inside one block of ``text``."""
    for block_start, block_end in blocks:
        sentences = sentence_spans(text, block_start, block_end)
        for first in range(len(sentences)):
            for count in range(1, size + 1):
                if first + count > len(sentences):
                    break
                yield sentences[first][0], sentences[first + count - 1][1]


def _snap(text, start, end, low, high):
    """Widen ``[start, end)`` to whole words (inside ``[low, high)``) and trim its whitespace."""
    while start > low and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < high and text[end - 1].isalnum() and text[end].isalnum():
        end += 1
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _fuzzy_candidates(text, quote, windows):
    """The best span per region of ``text`` for ``quote``: ``[(score, start, end)]``, best first,
    no two overlapping."""
    found = {}
    for low, high in windows:
        window = text[low:high]
        spans = {(low, high)}
        if len(quote) < len(window):
            alignment = fuzz.partial_ratio_alignment(quote, window)
            spans.add(_snap(text, low + alignment.dest_start, low + alignment.dest_end, low, high))
        for start, end in spans:
            if end > start and (start, end) not in found:
                found[(start, end)] = fuzz.ratio(quote, text[start:end])
    ranked = sorted(((score, start, end) for (start, end), score in found.items()), key=lambda c: (-c[0], c[1]))
    chosen = []
    for score, start, end in ranked:
        if all(end <= s or start >= e for _score, s, e in chosen):
            chosen.append((score, start, end))
    return chosen


def _stored_context(old_text, passage):
    """The passage's context: from the old text where it was placed there, else as stored."""
    placed = passage.placement != Placement.ORPHANED and old_text[passage.start : passage.end] == passage.quote
    if placed:
        return old_text[max(0, passage.start - CONTEXT) : passage.start], old_text[passage.end : passage.end + CONTEXT]
    return passage.prefix, passage.suffix


def _place_one(old_text, new_text, folded, origins, blocks, passage):
    """(placement, start, end, score) for one passage in ``new_text``."""
    quote = passage.quote
    prefix, suffix = _stored_context(old_text, passage)
    start, end = passage.start, passage.end
    if new_text[start:end] == quote and _agrees(_context_scores(new_text, start, end, prefix, suffix)):
        return Placement.EXACT, start, end, 100.0
    occurrences = []
    for span in _occurrences(new_text, folded, origins, quote):
        scores = _context_scores(new_text, *span, prefix, suffix)
        if _agrees(scores):
            occurrences.append((sum(scores), span))
    if occurrences:
        occurrences.sort(key=lambda o: -o[0])
        if len(occurrences) == 1 or occurrences[0][0] - occurrences[1][0] >= CONTEXT_MARGIN:
            start, end = occurrences[0][1]
            score = 100.0 if new_text[start:end] == quote else fuzz.ratio(quote, new_text[start:end])
            return Placement.MOVED, start, end, score
        return Placement.ORPHANED, passage.start, passage.end, 0.0  # a tie: which one is unknowable
    size = len(sentence_spans(quote, 0, len(quote))) + EXTRA_SENTENCES
    candidates = _fuzzy_candidates(new_text, quote, _sentence_windows(new_text, size, blocks))
    if not candidates or candidates[0][0] < FUZZY_THRESHOLD:
        return Placement.ORPHANED, passage.start, passage.end, 0.0
    best_score, start, end = candidates[0]
    if not _agrees(_context_scores(new_text, start, end, prefix, suffix)):
        return Placement.ORPHANED, passage.start, passage.end, 0.0  # a look-alike elsewhere
    for score, other_start, other_end in candidates[1:]:
        if best_score - score > TIE_MARGIN:
            break
        if _agrees(_context_scores(new_text, other_start, other_end, prefix, suffix)):
            return Placement.ORPHANED, passage.start, passage.end, 0.0  # two candidates alike
    return Placement.FUZZY, start, end, round(best_score, 1)


def reanchor(old_text, new_text, passages, text_format=TextFormat.SEED):
    """Where each passage of ``old_text`` sits in ``new_text``: a ``Placed`` per passage, in order.

    ``passages`` are objects with pk, quote, start, end, prefix, suffix, placement, match_score and
    previous_quote (Passage rows, or anything shaped like them). A fuzzy match lies inside one
    block of ``new_text`` read as ``text_format``. Nothing is saved. Rules and thresholds:
    docs/decisions/0007-revisions-and-reanchoring.md.
    """
    folded, origins = fold_whitespace(new_text, typographic=False)
    blocks = block_spans(new_text, text_format)
    found = []
    for order, passage in enumerate(passages):
        placement, start, end, score = _place_one(old_text, new_text, folded, origins, blocks, passage)
        before = passage.placement
        if placement != Placement.ORPHANED:
            # Only a curator makes a placement exact: a waiting passage stays at least as unsure,
            # and an orphan found again is at best moved.
            floor = Placement.MOVED if before == Placement.ORPHANED else before
            if SEVERITY[floor] > SEVERITY[placement]:
                placement = floor
            if before in (Placement.MOVED, Placement.FUZZY):
                score = min(score, passage.match_score)
        found.append([order, passage, placement, start, end, score])
    # Two placed passages may not share a start or overlap: the surer one keeps its place.
    taken = []
    for row in sorted(found, key=lambda r: (SEVERITY[r[2]], r[1].start, r[0])):
        _order, _passage, placement, start, end, _score = row
        if placement == Placement.ORPHANED:
            continue
        if any((start < e and end > s) or start == s for s, e in taken):
            row[2] = Placement.ORPHANED
            continue
        taken.append((start, end))
    # An orphan is not in the new text: its offsets move past the text's end (its place in the old
    # text stays in the revision's snapshot), so it never overlaps a passage of the current text —
    # the database refuses overlapping passages of an article, orphans included.
    parking = max([len(new_text), *(end for _s, end in taken)]) + 1
    results = []
    for _order, passage, placement, start, end, score in found:
        confirmed_quote = passage.previous_quote or passage.quote
        if placement == Placement.ORPHANED:
            start, parking = parking, parking + len(passage.quote) + 1
            results.append(
                Placed(
                    passage.pk,
                    Placement.ORPHANED,
                    start,
                    start + len(passage.quote),
                    passage.quote,
                    passage.prefix,
                    passage.suffix,
                    0.0,
                    confirmed_quote,
                )
            )
            continue
        quote = new_text[start:end]
        prefix, suffix = new_text[max(0, start - CONTEXT) : start], new_text[end : end + CONTEXT]
        waiting = placement != Placement.EXACT
        results.append(
            Placed(
                passage.pk,
                placement,
                start,
                end,
                quote,
                prefix,
                suffix,
                float(score) if waiting else 100.0,
                confirmed_quote if waiting else "",
            )
        )
    return results


# --- writing a revision ---------------------------------------------------------------------------


def passage_snapshot(passage):
    """A passage as an earlier revision keeps it (ArticleRevision.passages)."""
    return {
        "id": passage.pk,
        "claim": passage.claim.slug,
        "claim_statement": passage.claim.statement,
        "quote": passage.quote,
        "start": passage.start,
        "end": passage.end,
        "prefix": passage.prefix,
        "suffix": passage.suffix,
        "wording": passage.wording,
        "wording_note": passage.wording_note,
        "placement": passage.placement,
    }


def _check_text(text, text_format):
    if text_format not in TextFormat.values:
        raise ArticleImportError(f"unknown text format {text_format!r}")
    if not text or not text.strip():
        raise ArticleImportError("the text is empty")
    if "\x00" in text:
        raise ArticleImportError("the file looks binary (it contains NUL bytes)")
    try:
        parse_structure(text, text_format)
    except ArticleFormatError as error:
        raise ArticleImportError(f"not a source article: {error}") from error


PARKED = 2**30  # far past any article text, yet inside a PostgreSQL integer
PASSAGE_FIELDS = ("placement", "start", "end", "quote", "prefix", "suffix", "match_score", "previous_quote")


@transaction.atomic
def article_revise(*, article, text, text_format, by) -> ImportResult:
    """Make ``text`` the article's new revision and re-anchor every passage; the old text is kept.

    ``text`` is already normalised (line endings, as the importer stores it). The same text again
    changes nothing (``reanchored`` is None). Returns the article and how many passages were placed
    each way. Raises ArticleImportError for a text that cannot be stored, saving nothing.
    """
    _require(by, "change", SourceArticle)
    text = normalise_newlines(text)
    _check_text(text, text_format)
    article = SourceArticle.objects.select_for_update().get(pk=article.pk)
    digest = text_hash(text)
    if digest == article.content_hash:
        return ImportResult(article, created=False)
    same = SourceArticle.objects.filter(content_hash=digest).exclude(pk=article.pk).first()
    if same is not None:
        raise ArticleImportError(f"this text is already in the library as “{same.title}”")
    now = timezone.now()
    passages = list(article.passages.select_for_update().select_related("claim").order_by("start", "pk"))
    ArticleRevision.objects.create(
        article=article,
        number=article.revision,
        text=article.text,
        text_format=article.text_format,
        content_hash=article.content_hash,
        imported_at=article.imported_at,
        replaced_at=now,
        passages=[passage_snapshot(p) for p in passages],
    )
    old_text = article.text
    article.text, article.content_hash, article.text_format = text, digest, text_format
    article.imported_at, article.revision = now, article.revision + 1
    try:
        article.full_clean(exclude=["contributors"])
    except ValidationError as error:
        raise ArticleImportError("; ".join(error.messages)) from error
    _save_row(article, by=by, reason=f"revision {article.revision} imported by {actor_name(by)}")
    _contribute(article, by)

    placed = reanchor(old_text, text, passages, text_format)
    counts = dict.fromkeys(Placement.values, 0)
    changed = []
    for passage, result in zip(passages, placed, strict=True):
        counts[result.placement] += 1
        if any(getattr(passage, name) != getattr(result, name) for name in PASSAGE_FIELDS):
            changed.append((passage, result))
    # Free every span that changes hands before writing (one start per placed passage, and on
    # PostgreSQL no two overlapping passages, are checked row by row): rows that move are first
    # parked far past any text, inside this transaction only, then written where they belong.
    moving = [p.pk for p, r in changed if (p.start, p.end) != (r.start, r.end)]
    Passage.objects.filter(pk__in=moving).update(start=F("start") + PARKED, end=F("end") + PARKED)
    for passage, result in changed:
        for name in PASSAGE_FIELDS:
            setattr(passage, name, getattr(result, name))
        _save_row(passage, by=by, reason=f"re-anchored in revision {article.revision}: {result.placement}")
    announce_library_change(article)
    return ImportResult(article, created=False, reanchored=counts)


# --- a curator's answers ----------------------------------------------------------------------------


def waiting_passages(article):
    """The article's passages that wait for a curator (not exact), in text order."""
    return (
        Passage.objects.filter(article=article)
        .exclude(placement=Placement.EXACT)
        .select_related("claim")
        .order_by("start", "pk")
    )


def passage_replace(*, passage, quote, by, expected_version=None, change_note=""):
    """Place a passage again at ``quote`` as the current text has it (pasted; it must occur once)."""
    values = placement_values(article=passage.article, quote=quote)
    values["previous_quote"] = ""
    note = change_note or f"re-placed after revision {passage.article.revision} (was {passage.placement})"
    return library_save(obj=passage, by=by, values=values, expected_version=expected_version, change_note=note)


def passage_remove(*, passage, by, expected_version=None, change_note=""):
    """Remove a passage the new revision no longer makes (a pending change on a public article)."""
    note = change_note or f"removed after revision {passage.article.revision}: no longer in the article"
    return passage_delete(passage=passage, by=by, expected_version=expected_version, change_note=note)
