"""Share images: the PNG that sharing sites show for a claim or an article (``og:image``).

Sharing sites and chat apps reject SVG, so these are PNGs drawn on the server with Pillow, 1200 × 630
(the size OpenGraph consumers expect): the claim's statement or the article's title, the grade in
words (for an article, its bottom line's tally and a bar of its claims by verdict) and the KratomRef
name. They answer like the pages they illustrate — a moved slug 301, a draft 404, a withdrawn claim
or article 410 — and carry an ``ETag`` made from the item's ``updated_at`` and everything drawn, so
a client that has the image gets 304 before anything is drawn; drawn images are kept in the cache.

Text is set in DejaVu Sans when the system has it (wide Unicode coverage), otherwise in the font
Pillow ships (``ImageFont.load_default``), with the few characters it lacks replaced by near ASCII.
"""

import hashlib
import io
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

from evidence.bottom_line import TALLY_ORDER, article_bottom_line
from evidence.charts import VERDICT_FILLS
from evidence.embed import TONE_FILLS, grade_of
from evidence.models import PUBLIC_STATUSES, SourceArticle, Status, Verdict
from evidence.views import article_review_rows, moved_response, public_claim

SIZE = WIDTH, HEIGHT = 1200, 630
MAX_AGE = 3600  # seconds a sharing site may reuse the image before asking again (ETag)
CACHE_SECONDS = 86400  # drawn images kept in the shared cache, by ETag
LAYOUT = "1"  # part of every ETag: change it when the drawing changes
MARGIN = 72
BACKGROUND, INK, MUTED, LINE = "#fbfaf7", "#1d1f21", "#55595e", "#d9d6cf"
BRAND_ACCENT = "#1e6b3a"
FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu")]
FALLBACK_REPLACEMENTS = {"—": "-", "–": "-", "‑": "-", "…": "...", "→": "->", "≥": ">=", "≤": "<=", "×": "x"}
FALLBACK_KEEP = set("“”‘’·")
DRAWING = threading.Lock()


@lru_cache(maxsize=32)
def font(size, bold=False):
    """DejaVu Sans (Bold) at ``size`` pixels if installed, else the font bundled with Pillow."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default(size=size)


def is_fallback(face):
    return not str(getattr(face, "path", "") or "").endswith(".ttf")


def drawable(text, face):
    """``text`` as the font can draw it: the bundled font has Latin letters without accents only."""
    text = " ".join(str(text).split())
    if not is_fallback(face):
        return text
    out = []
    for ch in text:
        if ch.isascii() or ch in FALLBACK_KEEP:
            out.append(ch)
        elif ch in FALLBACK_REPLACEMENTS:
            out.append(FALLBACK_REPLACEMENTS[ch])
        else:
            out.append(unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode())
    return "".join(out)


def wrap(text, face, width, max_lines):
    """``text`` in lines no wider than ``width``; the last kept line ends with "…" if text was cut."""
    words, lines, line = text.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if face.getlength(candidate) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        ellipsis = "..." if is_fallback(face) else "…"
        while lines[-1] and face.getlength(lines[-1] + ellipsis) > width:
            lines[-1] = lines[-1].rsplit(" ", 1)[0] if " " in lines[-1] else lines[-1][:-1]
        lines[-1] += ellipsis
    return lines


def fit_heading(text, width, max_lines=4, sizes=(60, 54, 48, 42)):
    """The largest heading size at which ``text`` fits in ``max_lines``, and its lines."""
    for size in sizes:
        face = font(size, bold=True)
        lines = wrap(drawable(text, face), face, width, max_lines=99)
        if len(lines) <= max_lines:
            return face, lines
    face = font(sizes[-1], bold=True)
    return face, wrap(drawable(text, face), face, width, max_lines)


def draw_card(*, kicker, heading, grade, tone, detail="", bar=()):
    """The share image as PNG bytes.

    ``grade`` is the grade in words, shown in a pill of colour ``tone`` (fill, ink); ``detail`` an
    optional line under it; ``bar`` an optional sequence of (count, colour) drawn as one stacked bar
    at the bottom (an article's claims by verdict).
    """
    image = Image.new("RGB", SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 16, HEIGHT), fill=tone[1])
    inner = WIDTH - 2 * MARGIN

    brand = font(44, bold=True)
    draw.text((MARGIN, 48), drawable("Kratom", brand), font=brand, fill=INK)
    draw.text((MARGIN + brand.getlength("Kratom"), 48), "Ref", font=brand, fill=BRAND_ACCENT)
    small = font(26)
    host = drawable(settings.SITE_URL.split("://", 1)[-1], small)
    draw.text((WIDTH - MARGIN - small.getlength(host), 60), host, font=small, fill=MUTED)

    label = font(26, bold=True)
    draw.text((MARGIN, 130), drawable(kicker.upper(), label), font=label, fill=MUTED)

    face, lines = fit_heading(heading, inner)
    y = 176
    step = int(face.size * 1.22)
    for line in lines:
        draw.text((MARGIN, y), line, font=face, fill=INK)
        y += step

    pill_font = font(34, bold=True)
    words = wrap(drawable(grade, pill_font), pill_font, inner - 48, max_lines=1)[0]
    pill_top = HEIGHT - 112 - (56 if detail else 0) - (36 if bar else 0)
    pill_width = pill_font.getlength(words) + 48
    draw.rounded_rectangle((MARGIN, pill_top, MARGIN + pill_width, pill_top + 60), radius=30, fill=tone[0])
    draw.rounded_rectangle((MARGIN, pill_top, MARGIN + pill_width, pill_top + 60), radius=30, outline=tone[1], width=3)
    draw.text((MARGIN + 24, pill_top + 30), words, font=pill_font, fill=tone[1], anchor="lm")
    if detail:
        detail_font = font(30)
        line = wrap(drawable(detail, detail_font), detail_font, inner, max_lines=1)[0]
        draw.text((MARGIN, pill_top + 76), line, font=detail_font, fill=INK)

    total = sum(count for count, _colour in bar)
    if total:
        x, top = float(MARGIN), HEIGHT - 64
        for count, colour in bar:
            width = inner * count / total
            draw.rectangle((round(x), top, round(x + width), top + 20), fill=colour)
            x += width
        draw.rectangle((MARGIN, top, MARGIN + inner, top + 20), outline=LINE, width=1)

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def png_response(request, *, parts, updated_at, draw, last_modified=True):
    """The image for ``parts`` (everything drawn), 304 when the client has it, drawn at most once per ETag.

    ``Last-Modified`` is sent only when ``updated_at`` moves with everything drawn (a claim's own
    fields); an article's image also changes with its claims, so it is validated by ETag alone.
    """
    digest = hashlib.sha256("\x1f".join([LAYOUT, updated_at.isoformat(), *map(str, parts)]).encode()).hexdigest()
    etag = f'"{digest[:32]}"'
    modified = int(updated_at.timestamp()) if last_modified else None
    not_modified = get_conditional_response(request, etag=etag, last_modified=modified)
    if not_modified is None:
        key = f"share-image:{digest}"
        body = cache.get(key)
        if body is None:
            with DRAWING:  # one FreeType face is not safe to use from two threads at once
                body = draw()
            cache.set(key, body, CACHE_SECONDS)
        response = HttpResponse(body, content_type="image/png")
    else:
        response = not_modified
    response.headers["ETag"] = etag
    if modified is not None:
        response.headers["Last-Modified"] = http_date(modified)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    # Sharing sites fetch it from their own servers, and other sites may show it.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


# Claims ------------------------------------------------------------------------------------------


def claim_grade(claim):
    """The claim's grade as its page shows it, in words and colours (a supported harm is "a risk")."""
    grade = grade_of(
        SimpleNamespace(snapshot={"verdict": claim.verdict, "certainty": claim.certainty, "polarity": claim.polarity})
    )
    tone = grade["tone"]
    ink = TONE_FILLS.get(tone, MUTED)
    fill = VERDICT_FILLS.get(tone, ("#fde3cf" if tone == "harm" else "#dde8f6", ink))[0]
    return grade, (fill, ink)


def claim_share_alt(claim):
    grade, _tone = claim_grade(claim)
    return _("KratomRef: “%(statement)s” — %(grade)s") % {"statement": claim.statement, "grade": grade["label"]}


@public_claim
def claim_share_image(request, claim, version):
    """``/claims/<slug>/share.png``: the claim's statement and grade, for ``og:image``."""
    grade, tone = claim_grade(claim)
    kicker = _("Claim review")
    return png_response(
        request,
        parts=[claim.statement, grade["label"], tone, kicker, settings.SITE_URL],
        updated_at=claim.updated_at,
        draw=lambda: draw_card(kicker=kicker, heading=claim.statement, grade=grade["label"], tone=tone),
    )


# Articles ----------------------------------------------------------------------------------------


def article_tone(bottom_line):
    """The colour of an article's tally: green when most of its claims hold up, red when most are
    contradicted or cannot be verified, grey otherwise."""
    counts, total = bottom_line.verdict_counts, bottom_line.claim_count
    if counts.get(Verdict.SUPPORTED, 0) * 2 > total:
        return Verdict.SUPPORTED
    if (counts.get(Verdict.CONTRADICTED, 0) + counts.get(Verdict.UNVERIFIABLE, 0)) * 2 > total:
        return Verdict.CONTRADICTED
    return Verdict.INSUFFICIENT


def article_share_alt(article, bottom_line):
    return _("KratomRef review of “%(title)s”: %(tally)s") % {"title": article.title, "tally": bottom_line.headline}


def article_share_image(request, slug):
    """``/articles/<slug>/share.png``: the article's title and its bottom line's tally, for ``og:image``.

    Answers like the article page: 301 for a moved slug, 404 for a draft, 410 once withdrawn.
    """
    article = SourceArticle.objects.filter(slug=slug).first()
    if article is None or article.status not in PUBLIC_STATUSES:
        moved = moved_response(request, SourceArticle, slug)
        if moved is not None:
            return moved
        raise Http404("No such article.")
    if article.status == Status.WITHDRAWN:
        return moved_response(request, SourceArticle, slug) or TemplateResponse(
            request, "410.html", {"object": article}, status=410
        )
    passages, omitted, unfound = article_review_rows(article)
    bottom_line = article_bottom_line(article, passages, omitted, unfound)
    bar = [(bottom_line.verdict_counts.get(v, 0), VERDICT_FILLS[v][1]) for v in [Verdict.SUPPORTED, *TALLY_ORDER]]
    tone = VERDICT_FILLS[article_tone(bottom_line)]
    grade, *rest = bottom_line.headline_parts
    detail = " · ".join(rest)
    kicker = _("Article review")
    return png_response(
        request,
        parts=[article.title, bottom_line.headline, bar, tone, kicker, settings.SITE_URL],
        updated_at=article.updated_at,
        draw=lambda: draw_card(kicker=kicker, heading=article.title, grade=grade, tone=tone, detail=detail, bar=bar),
        last_modified=False,
    )
