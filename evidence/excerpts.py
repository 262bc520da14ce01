"""What readers see of an article whose whole text is not shown: each reviewed passage with one
sentence of context either side, inside its paragraph (docs/decisions/0007-revisions-and-reanchoring.md).

The article's full text stays stored (anchoring needs it); where no editor has recorded why showing
all of it is allowed (``SourceArticle.full_text_shown``), the page shows these excerpts instead,
each passage highlighted at its usual ``#passage-<id>`` anchor.
"""

from dataclasses import dataclass, field

from django.utils.safestring import SafeString

from evidence.services.revisions import block_spans, sentence_spans
from evidence.text import highlight, passage_attrs

CONTEXT_SENTENCES = 1


@dataclass
class Excerpt:
    start: int
    end: int
    block_start: int
    block_end: int
    passages: list = field(default_factory=list)
    html: SafeString = ""

    @property
    def cut_before(self):
        return self.start > self.block_start

    @property
    def cut_after(self):
        return self.end < self.block_end


def excerpt_span(text, start, end, block, sentences=CONTEXT_SENTENCES):
    """The span around ``text[start:end]``: its own sentences and ``sentences`` more each side, in ``block``."""
    spans = sentence_spans(text, *block) or [block]
    first = next((i for i, (a, b) in enumerate(spans) if b > start), 0)
    last = next((i for i, (a, b) in reversed(list(enumerate(spans))) if a < end), len(spans) - 1)
    low = spans[max(0, first - sentences)][0]
    high = spans[min(len(spans) - 1, last + sentences)][1]
    return min(low, start), max(high, end)


def passage_excerpts(text, passages, text_format):
    """One Excerpt per run of nearby passages, in text order, each with its highlighted HTML.

    ``passages`` are the public passages (placed exactly in ``text``); a passage that does not fit
    the text is left out, as the full-text page leaves it unhighlighted.
    """
    blocks = block_spans(text, text_format)
    excerpts = []
    for passage in sorted(passages, key=lambda p: p.start):
        if text[passage.start : passage.end] != passage.quote:
            continue
        block = next((b for b in blocks if b[0] <= passage.start and passage.end <= b[1]), None)
        if block is None:
            continue
        start, end = excerpt_span(text, passage.start, passage.end, block)
        last = excerpts[-1] if excerpts else None
        if last is not None and last.block_start == block[0] and start <= last.end:
            if passage.start < max(p.end for p in last.passages):
                continue  # overlaps a passage already shown
            last.end = max(last.end, end)
            last.passages.append(passage)
            continue
        excerpts.append(Excerpt(start, end, block[0], block[1], [passage]))
    for excerpt in excerpts:
        spans = [(p.start, p.end, passage_attrs(p)) for p in excerpt.passages]
        excerpt.html = highlight(text, spans, excerpt.start, excerpt.end)
    return excerpts
