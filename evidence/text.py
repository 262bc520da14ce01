"""Article text: its structure for display, quote location, and passage highlighting.

The stored article text is never changed. Structure is derived from it on demand as
blocks that carry code-point offsets into the text, so highlights can be placed by the
same offsets that passages store.
"""

import logging
import re
from dataclasses import dataclass, field

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

logger = logging.getLogger(__name__)

RESOURCES_HEADING = "Related Resources"
AUTHOR_HEADING = "About the Author"


class ArticleFormatError(ValueError):
    """The text does not have the structure of a source article."""


class QuoteNotFound(ValueError):
    pass


class QuoteAmbiguous(ValueError):
    def __init__(self, message, count):
        super().__init__(message)
        self.count = count


@dataclass
class Block:
    kind: str  # summary, intro, heading, paragraph, conclusion, resources-heading, resource, author-heading, author
    start: int
    end: int
    items: list = field(default_factory=list)  # for "contents" and "resources": list of Blocks
    html: SafeString = ""
    level: int = 0  # a Markdown heading's level (1 for "#")

    def text(self, source):
        return source[self.start : self.end]


@dataclass
class ArticleStructure:
    title: str
    summary: Block
    intro: Block
    contents: list
    sections: list  # [{"heading": Block, "paragraphs": [Block]}]
    conclusion: Block | None
    resources_intro: list
    resources: list
    author: list
    stated_author: str = ""
    stated_credentials: str = ""

    def blocks(self):
        """Every block that holds article text, in reading order."""
        yield self.summary
        yield self.intro
        yield from self.contents
        for section in self.sections:
            yield section["heading"]
            yield from section["paragraphs"]
        if self.conclusion:
            yield self.conclusion
        yield from self.resources_intro
        yield from self.resources
        yield from self.author


def _lines(text):
    """Non-blank lines as (start, end) offsets, trailing whitespace excluded."""
    position = 0
    for raw in text.split("\n"):
        stripped = raw.rstrip()
        leading = len(stripped) - len(stripped.lstrip())
        if stripped.strip():
            yield position + leading, position + len(stripped)
        position += len(raw) + 1


AUTHOR_NAME = re.compile(r"^((?:Dr|Prof|Mr|Mrs|Ms)\.?\s+)?([A-Z][\w'’-]+(?:\s+[A-Z][\w'’.-]+){1,3})\s+(?:is|has|was)\b")
CREDENTIAL_WORDS = re.compile(
    r"\b(PhD|MD|degree|certified|certification|holds|licensed|years of experience)\b",
    re.I,
)
SENTENCE_BREAK = re.compile(r"(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bMrs\.)(?<!\bProf\.)(?<=[.!?])\s+")


def _author_details(paragraph):
    match = AUTHOR_NAME.match(paragraph)
    name = "".join(part for part in match.groups() if part).strip() if match else ""
    credentials = " ".join(
        sentence.strip() for sentence in SENTENCE_BREAK.split(paragraph) if CREDENTIAL_WORDS.search(sentence)
    )
    return name, credentials


def parse_article(text):
    """Split a source article into summary, introduction, contents, sections and extras.

    Raises ArticleFormatError naming what is missing when the text is not in the seed format.
    """
    if not text or not text.strip():
        raise ArticleFormatError("the text is empty")
    lines = list(_lines(text))
    if len(lines) < 4:
        raise ArticleFormatError("too few lines: expected a summary, an introduction and a list of contents")
    summary = Block("summary", *lines[0])
    intro = Block("intro", *lines[1])
    index = 2
    contents = []
    while index < len(lines) and text[lines[index][0] : lines[index][1]].startswith("- "):
        start, end = lines[index]
        contents.append(Block("contents-item", start + 2, end))
        index += 1
    if not contents:
        raise ArticleFormatError("no table of contents: expected '- ' lines after the introduction")
    headings = [item.text(text).strip() for item in contents]

    sections, resources_intro, resources, author = [], [], [], []
    current = None
    region = "body"
    for start, end in lines[index:]:
        line = text[start:end]
        if region == "body" and line.strip() in headings and (current is None or line.strip() != current["title"]):
            current = {
                "title": line.strip(),
                "heading": Block("heading", start, end),
                "paragraphs": [],
            }
            sections.append(current)
        elif line.strip() == RESOURCES_HEADING:
            region = "resources"
        elif line.strip() == AUTHOR_HEADING:
            region = "author"
        elif region == "resources":
            if line.startswith("- "):
                resources.append(Block("resource", start + 2, end))
            else:
                resources_intro.append(Block("paragraph", start, end))
        elif region == "author":
            author.append(Block("author", start, end))
        elif current is None:
            raise ArticleFormatError(f"text before the first section heading: {line[:60]!r}")
        else:
            current["paragraphs"].append(Block("paragraph", start, end))

    found = [section["title"] for section in sections]
    missing = [heading for heading in headings if heading not in found]
    if missing:
        raise ArticleFormatError(f"contents line without a matching section heading: {missing[0]!r}")
    if found != headings:
        raise ArticleFormatError("section headings are not in the order of the contents")

    conclusion = None
    last = sections[-1]["paragraphs"]
    if len(last) >= 2:
        conclusion = last.pop()
        conclusion.kind = "conclusion"

    stated_author, stated_credentials = ("", "")
    if author:
        stated_author, stated_credentials = _author_details(author[0].text(text))

    return ArticleStructure(
        title=headings[0],
        summary=summary,
        intro=intro,
        contents=contents,
        sections=[{"heading": s["heading"], "paragraphs": s["paragraphs"]} for s in sections],
        conclusion=conclusion,
        resources_intro=resources_intro,
        resources=resources,
        author=author,
        stated_author=stated_author,
        stated_credentials=stated_credentials,
    )


# --- Markdown and plain text (docs/decisions/0006-article-text-formats.md) ---------------------------

SEED, MARKDOWN, PLAIN_TEXT = "seed", "markdown", "text"  # the values of evidence.models.TextFormat

HEADING_MARK = re.compile(r"(#{1,6})[ \t]+")
ITEM_MARK = re.compile(r"[ \t]{0,3}(?:([-*+])|(\d{1,9})[.)])[ \t]+")
QUOTE_MARK = re.compile(r"[ \t]{0,3}>[ \t]?")
RULE = re.compile(r"[ \t]{0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
FENCE = re.compile(r"[ \t]{0,3}(?:```|~~~)")


@dataclass
class BlockStructure:
    """The blocks of a Markdown or plain-text article, in reading order.

    ``items`` is what the page renders: heading and paragraph Blocks, and lists as
    ``{"kind": "list", "ordered": bool, "items": [Block, ...]}``. Every Block's offsets cover its
    content only (a heading's ``#`` and a list item's marker are outside it), so a passage, like a
    highlight, lies inside one block.
    """

    text_format: str
    items: list
    title: str = ""
    stated_author: str = ""
    stated_credentials: str = ""

    def blocks(self):
        """Every block that holds article text, in reading order."""
        for item in self.items:
            if isinstance(item, dict):
                yield from item["items"]
            else:
                yield item

    def headings(self):
        return [block for block in self.blocks() if block.kind == "heading"]


def _raw_lines(text):
    """Every line as (start, end) offsets, line break excluded."""
    position = 0
    for raw in text.split("\n"):
        yield position, position + len(raw)
        position += len(raw) + 1


def _content(text, start, end):
    """``(start, end)`` narrowed to exclude leading and trailing whitespace."""
    line = text[start:end]
    stripped = line.strip()
    if not stripped:
        return start, start
    begin = start + len(line) - len(line.lstrip())
    return begin, begin + len(stripped)


def _markdown_items(text):
    items, paragraph, in_fence, in_item = [], None, False, False
    current_list = None  # the list the previous item belongs to, while no other block came between

    def close_paragraph():
        nonlocal paragraph
        if paragraph is not None:
            items.append(paragraph)
            paragraph = None

    for line_start, line_end in _raw_lines(text):
        line = text[line_start:line_end]
        follows_item, in_item = in_item, False
        if FENCE.match(line):
            close_paragraph()
            current_list, in_fence = None, not in_fence
            continue
        if not line.strip():
            close_paragraph()
            continue
        if in_fence:  # a code block: each line as it is, a paragraph of its own
            items.append(Block("paragraph", *_content(text, line_start, line_end)))
            continue
        heading = HEADING_MARK.match(line)
        item = ITEM_MARK.match(line)
        if RULE.match(line):
            close_paragraph()
            current_list = None
        elif heading:
            close_paragraph()
            current_list = None
            start, end = _content(text, line_start + heading.end(), line_end)
            content = text[start:end]
            closing = re.search(r"[ \t]+#+$", content)  # "## Title ##": the closing hashes are markup too
            if closing:
                end = start + closing.start()
            if start < end:
                items.append(Block("heading", start, end, level=len(heading.group(1))))
        elif item:
            close_paragraph()
            ordered = item.group(2) is not None
            if current_list is None or current_list["ordered"] != ordered:
                current_list = {"kind": "list", "ordered": ordered, "items": []}
                items.append(current_list)
            start, end = _content(text, line_start + item.end(), line_end)
            if start < end:
                current_list["items"].append(Block("list-item", start, end))
                in_item = True
        elif follows_item and paragraph is None:
            # A line right after an item continues it (Markdown's lazy continuation).
            current_list["items"][-1].end = _content(text, line_start, line_end)[1]
            in_item = True
        else:
            quote = QUOTE_MARK.match(line)
            start = line_start + (quote.end() if quote else 0)
            start, end = _content(text, start, line_end)
            if paragraph is None:
                current_list = None
                paragraph = Block("quote" if quote else "paragraph", start, end)
            else:
                paragraph.end = end
    close_paragraph()
    return [item for item in items if not isinstance(item, dict) or item["items"]]


def _text_items(text):
    """Blank-line separated paragraphs; a text without blank lines has one paragraph per line."""
    lines = list(_raw_lines(text))
    separated = re.search(r"\n[ \t]*\n", text.strip()) is not None
    items, paragraph = [], None
    for line_start, line_end in lines:
        start, end = _content(text, line_start, line_end)
        if start == end:
            if paragraph is not None:
                items.append(paragraph)
                paragraph = None
            continue
        if paragraph is None or not separated:
            if paragraph is not None:
                items.append(paragraph)
            paragraph = Block("paragraph", start, end)
        else:
            paragraph.end = end
    if paragraph is not None:
        items.append(paragraph)
    return items


def parse_blocks(text, text_format):
    """The headings, paragraphs and lists of a Markdown or plain-text article (a BlockStructure).

    Markdown-lite: ``#`` … ``######`` headings, ``-``/``*``/``+`` and ``1.``/``1)`` list items, ``>``
    quotes, blank-line separated paragraphs; rules and code fences are markup, not text. Plain text:
    blank-line separated paragraphs, or one paragraph per line when the text has no blank line.
    Raises ArticleFormatError when the text holds no block at all.
    """
    if not text or not text.strip():
        raise ArticleFormatError("the text is empty")
    if text_format == MARKDOWN:
        items = _markdown_items(text)
    elif text_format == PLAIN_TEXT:
        items = _text_items(text)
    else:
        raise ArticleFormatError(f"unknown text format {text_format!r}")
    structure = BlockStructure(text_format=text_format, items=items)
    if not any(True for _ in structure.blocks()):
        raise ArticleFormatError("the text has no headings, paragraphs or list items")
    headings = structure.headings()
    if text_format == MARKDOWN and headings:
        structure.title = headings[0].text(text).strip()
    return structure


def parse_structure(text, text_format=SEED):
    """The structure of ``text`` in its stored format: parse_article for the seed format, else parse_blocks."""
    if text_format in (SEED, "", None):
        return parse_article(text)
    return parse_blocks(text, text_format)


def locate_quote(text, quote, start=None):
    """Return the offset of ``quote`` in ``text``.

    With ``start`` the quote must be at exactly that offset; without it, the quote must occur once.
    """
    if not quote or not quote.strip():
        raise QuoteNotFound("The quote is empty.")
    if start is not None:
        if text[start : start + len(quote)] != quote:
            raise QuoteNotFound(f"The quote is not at offset {start} of the article text.")
        return start
    first = text.find(quote)
    if first < 0:
        raise QuoteNotFound("This quote does not occur in the article text; paste it exactly as the article has it.")
    count = text.count(quote)
    if count > 1:
        raise QuoteAmbiguous(
            f"This quote occurs {count} times in the article text; add words around it so it occurs once.",
            count,
        )
    return first


# What a pasted quote often has in another form than the article: curly or straight quotes, dashes.
TYPOGRAPHIC = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′`", "'"),
        **dict.fromkeys("“”„‟″", '"'),
        **dict.fromkeys("‐‑‒–—―−", "-"),
    }
)


def folded(text, typographic=True):
    """``text`` with typographic variants made plain, every run of spaces and line breaks as one
    space and "…" as "...", with the offset in ``text`` each folded character came from.
    ``typographic=False`` folds the whitespace only."""
    out, origins, in_space = [], [], False
    for index, char in enumerate(text):
        if char.isspace():
            if not in_space:
                out.append(" ")
                origins.append(index)
            in_space = True
            continue
        in_space = False
        plain = char
        if typographic:
            plain = "..." if char == "…" else char.translate(TYPOGRAPHIC)
        out.append(plain)
        origins.extend([index] * len(plain))
    return "".join(out), origins


def match_quote(text, quote, start=None):
    """Where ``quote`` is in ``text``, and the text's own characters there: ``(start, exact_quote)``.

    A quote pasted with straight apostrophes where the article has curly ones (or other dashes,
    spaces or line breaks) is found all the same, and the article's exact characters are returned,
    so a passage always stores what the article says. With ``start`` the match must be exact.
    """
    try:
        return locate_quote(text, quote, start), quote
    except QuoteNotFound:
        if start is not None or not quote or not quote.strip():
            raise
    haystack, origins = folded(text)
    needle = folded(quote.strip())[0]
    first = haystack.find(needle)
    if first < 0:
        raise QuoteNotFound("This quote does not occur in the article text; paste it exactly as the article has it.")
    count = haystack.count(needle)
    if count > 1:
        raise QuoteAmbiguous(
            f"This quote occurs {count} times in the article text; add words around it so it occurs once.", count
        )
    begin, end = origins[first], origins[first + len(needle) - 1] + 1
    return begin, text[begin:end]


def fits_one_block(text, start, end, text_format=SEED):
    """Whether ``text[start:end]`` lies inside one block (paragraph, heading, list item) of the article."""
    try:
        structure = parse_structure(text, text_format)
    except ArticleFormatError:
        return False
    return any(block.start <= start and end <= block.end for block in structure.blocks())


def context_around(text, start, end, length=32):
    return text[max(0, start - length) : start], text[end : end + length]


def highlight(text, spans, start=0, end=None):
    """Escape ``text[start:end]`` and wrap each span in a ``<mark>``.

    ``spans`` is an iterable of ``(span_start, span_end, attrs)`` with offsets into the whole
    text; spans must lie inside ``[start, end)`` and must not overlap. ``attrs`` is a dict of
    attribute names to values, every value escaped. Nothing but ``<mark>`` tags is emitted.
    """
    end = len(text) if end is None else end
    parts = []
    position = start
    for span_start, span_end, attrs in sorted(spans, key=lambda span: span[0]):
        if span_start < position or span_end > end or span_start >= span_end:
            raise ValueError(f"span {span_start}-{span_end} overlaps another or lies outside {start}-{end}")
        parts.append(escape(text[position:span_start]))
        attributes = "".join(format_html(' {}="{}"', name, value) for name, value in attrs.items())
        parts.append(format_html("<mark{}>{}</mark>", mark_safe(attributes), text[span_start:span_end]))
        position = span_end
    parts.append(escape(text[position:end]))
    return mark_safe("".join(parts))


def passage_assessment(passage):
    """Its claim's grade and how the article words the claim: "Supported · low certainty · wording
    overstated". Asks only for ``claim`` and ``get_wording_display()``, so earlier revisions'
    passages (views.SnapshotPassage) are said the same way as Passage rows."""
    return f"{passage.claim.grade_label} · wording {passage.get_wording_display().lower()}"


def passage_attrs(passage):
    claim = passage.claim
    label = passage_assessment(passage)
    return {
        "id": f"passage-{passage.pk}",
        "class": f"passage verdict-{claim.verdict} polarity-{claim.polarity} wording-{passage.wording}",
        "data-claim": claim.slug,
        "data-verdict": claim.verdict,
        "data-certainty": claim.certainty,
        "data-polarity": claim.polarity,
        "data-wording": passage.wording,
        "data-label": label,
        "data-statement": claim.statement,
        "data-href": claim.get_absolute_url(),
        "tabindex": "0",
        "title": f"{claim.statement} — {label}",
    }


def render_structure(text, passages, text_format=SEED):
    """Parse ``text`` (in ``text_format``) and give every block its highlighted HTML; passages are
    placed by offset. The seed format gives an ArticleStructure, the others a BlockStructure."""
    structure = parse_structure(text, text_format)
    placed, position = [], 0
    for passage in sorted(passages, key=lambda passage: passage.start):
        if passage.start < position or text[passage.start : passage.end] != passage.quote:
            logger.error("Passage %s does not fit the article text; it is not highlighted.", passage.pk)
            continue
        placed.append(passage)
        position = passage.end
    passages = placed
    for block in structure.blocks():
        spans = [(p.start, p.end, passage_attrs(p)) for p in passages if p.start >= block.start and p.end <= block.end]
        block.html = highlight(text, spans, block.start, block.end)
    return structure
