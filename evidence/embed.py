"""What other sites embed: an SVG badge, a framable card, and oEmbed discovery for them.

Everything here renders from a review version's snapshot (``ClaimVersion.snapshot``), never from the
live claim, so a pinned badge or card shows exactly what was approved. The current badge and card
follow the newest version: a short ``max-age`` with an ``ETag`` (a hash of the bytes sent) and
``Last-Modified`` (the version's approval), answered with 304 when unchanged. None of these views
touches the session, the CSRF token or messages, so no response sets a cookie or varies on one.

Cross-origin rules, for these views only: the badge and card carry
``Cross-Origin-Resource-Policy: cross-origin`` (other sites load them), and only the card may be
framed (CSP ``frame-ancestors *``, no ``X-Frame-Options``); every other page keeps the site-wide
``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``.
"""

import hashlib
import re
from urllib.parse import urlencode, urlsplit

from csp.constants import NONE
from csp.decorators import csp_replace
from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve, reverse
from django.utils import dateformat
from django.utils.cache import get_conditional_response
from django.utils.html import format_html
from django.utils.http import http_date
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from markdown_it import MarkdownIt

from evidence import links
from evidence.charts import VERDICT_FILLS, VERDICT_ICONS, num
from evidence.models import Claim, Polarity, SlugRedirect, Status, Verdict, grade_words
from evidence.views import public_claim, withdrawn_on

CURRENT_MAX_AGE = 300  # seconds a site may show the current badge or card before asking again
PINNED_MAX_AGE = 31536000  # a year: a pinned version's badge never changes
OEMBED_CACHE_AGE = {False: 3600, True: 86400}  # oEmbed ``cache_age`` for a current / pinned URL
CARD_SIZE = (480, 200)  # the card's default frame, in CSS pixels
SUMMARY_CHARS = 200  # the card's one-line summary is cut here at the latest

DEFAULT_PORTS = {"http": 80, "https": 443}
CLAIM_PAGES = {"evidence:claim-detail", "evidence:claim-version"}

# Badge palette: the site's verdict colours (static/css/site.css) and its polarity colours.
BADGE_LABEL_FILL = "#1d1f21"
BADGE_VERSION_FILL = "#55595e"
BADGE_POLARITY_FILL = "#fbfaf7"
POLARITY_COLOURS = {Polarity.HARM: "#9b1c1c", Polarity.BENEFIT: "#1e6b3a"}  # site.css .polarity-*
# A supported claim's colour follows its polarity (docs/decisions/0004); site.css --harm and --fact.
SUPPORTED_TONES = {Polarity.HARM: "harm", Polarity.NEUTRAL: "fact", Polarity.BENEFIT: Verdict.SUPPORTED}
TONE_FILLS = {**{verdict: fills[1] for verdict, fills in VERDICT_FILLS.items()}, "harm": "#8a3b00", "fact": "#1f4f8f"}
BADGE_FONT_SIZE = 11
BADGE_PADDING = 6
# Approximate advances of Verdana at 11px; ``textLength`` then fits each text to its box exactly.
NARROW = set("fijlrt.,:;·'|!()[] ")
WIDE = set("mwMW@%")


# Shared pieces -----------------------------------------------------------------------------------


def grade_of(version):
    """What a version's snapshot says, in words: verdict, certainty, polarity and icon.

    The palette of docs/decisions/0004: a supported harm gets the harm colour, ⚠ and the words
    "a risk"; a supported neutral statement a plain blue; other grades keep their verdict colour.
    """
    snapshot = version.snapshot
    verdict = snapshot.get("verdict", "")
    certainty = snapshot.get("certainty", "")
    polarity = snapshot.get("polarity", Polarity.NEUTRAL)
    label = grade_words(verdict, certainty)  # "Supported · moderate certainty", as the claim page says it
    tone = SUPPORTED_TONES.get(polarity, verdict) if verdict == Verdict.SUPPORTED else verdict
    if tone == "harm":
        label += " · " + _("a risk")
    return {
        "verdict": verdict,
        "certainty": certainty,
        "polarity": polarity,
        "tone": tone,
        "icon": "⚠" if tone == "harm" else VERDICT_ICONS.get(verdict, "•"),
        "label": label,
        "polarity_label": (
            _("if true: %(polarity)s") % {"polarity": str(dict(Polarity.choices)[polarity]).lower()}
            if polarity in POLARITY_COLOURS
            else ""
        ),
    }


def withdrawn_grade(grade):
    """What a withdrawn claim's current badge and card show instead of its last grade."""
    grade.update(
        verdict="withdrawn",
        polarity="",
        tone=Verdict.INSUFFICIENT,
        icon="⊘",
        label=_("Withdrawn: do not cite as current"),
        polarity_label="",
    )
    return grade


def badge_alt(grade, number=None):
    """The badge's text equivalent, for ``alt`` attributes and the SVG's ``<title>``."""
    text = f"KratomRef: {grade['label']}"
    if grade["polarity_label"]:
        text += f" ({grade['polarity_label']})"
    if number is not None:
        text += ", " + _("version %(number)s") % {"number": number}
    return text


def cacheable(request, response, *, last_modified, max_age, immutable=False):
    """Give ``response`` an ETag (its bytes' hash), Last-Modified and Cache-Control; 304 when unchanged."""
    etag = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
    modified = int(last_modified.timestamp())
    response.headers["ETag"] = etag
    response.headers["Last-Modified"] = http_date(modified)
    response.headers["Cache-Control"] = f"public, max-age={max_age}" + (", immutable" if immutable else "")
    response = get_conditional_response(request, etag=etag, last_modified=modified, response=response)
    # Other sites load these (an <img>, an <iframe>); the site's default is same-origin.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


# The badge ---------------------------------------------------------------------------------------


def text_width(text):
    return sum(3.9 if ch in NARROW else 9.9 if ch in WIDE else 8.6 if ch.isupper() else 6.9 for ch in text)


def badge_svg(grade, number, approved_at):
    """The badge as SVG text: label, verdict · certainty with its icon, polarity words, version stamp."""
    verdict_fill = TONE_FILLS.get(grade["tone"], BADGE_VERSION_FILL)
    segments = [
        ("KratomRef", BADGE_LABEL_FILL, "#ffffff", "400"),
        (f"{grade['icon']} {grade['label']}", verdict_fill, "#ffffff", "700"),
    ]
    if grade["polarity_label"] and grade["tone"] != "harm":  # "a risk" already says it
        segments.append((grade["polarity_label"], BADGE_POLARITY_FILL, POLARITY_COLOURS[grade["polarity"]], "700"))
    segments.append((f"v{number}", BADGE_VERSION_FILL, "#ffffff", "400"))

    boxes, texts, x = [], [], 0.0
    for text, fill, colour, weight in segments:
        inner = text_width(text) * (1.08 if weight == "700" else 1)
        width = inner + 2 * BADGE_PADDING
        boxes.append(format_html('<rect x="{}" width="{}" height="20" fill="{}"/>', num(x), num(width), fill))
        texts.append(
            format_html(
                '<text x="{}" y="14" fill="{}" font-weight="{}" textLength="{}"'
                ' lengthAdjust="spacingAndGlyphs">{}</text>',
                num(x + BADGE_PADDING),
                colour,
                weight,
                num(inner),
                text,
            )
        )
        x += width
    reviewed = _("Reviewed %(date)s.") % {"date": dateformat.format(approved_at, "j F Y")}
    title = f"{badge_alt(grade, number)}. {reviewed}"
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="20" viewBox="0 0 {w} 20" role="img"'
        ' aria-label="{title}"><title>{title}</title>'
        '<clipPath id="kratomref-badge-{clip}"><rect width="{w}" height="20" rx="3"/></clipPath>'
        '<g clip-path="url(#kratomref-badge-{clip})">{boxes}</g>'
        '<g font-family="Verdana, DejaVu Sans, Geneva, sans-serif" font-size="{size}">{texts}</g></svg>\n',
        w=num(x),
        # named by the width, so badges inlined side by side never clip each other to the wrong size
        clip=num(x).replace(".", "-"),
        title=title,
        boxes=format_html("{}" * len(boxes), *boxes),
        texts=format_html("{}" * len(texts), *texts),
        size=BADGE_FONT_SIZE,
    )


@public_claim(serves_withdrawn=True)
def badge(request, claim, version):
    """``/claims/<slug>/badge.svg`` follows the newest version; ``…/v<N>/badge.svg`` never changes.

    Once a claim is withdrawn its current badge says so (rather than breaking on the sites that show it).
    """
    pinned = request.resolver_match.url_name == "claim-version-badge"
    grade = grade_of(version)
    if claim.status == Status.WITHDRAWN and not pinned:
        withdrawn_grade(grade)
    response = HttpResponse(badge_svg(grade, version.number, version.approved_at), content_type="image/svg+xml")
    if pinned:
        return cacheable(request, response, last_modified=version.approved_at, max_age=PINNED_MAX_AGE, immutable=True)
    return cacheable(request, response, last_modified=version.approved_at, max_age=CURRENT_MAX_AGE)


# The card ----------------------------------------------------------------------------------------

_markdown = MarkdownIt("js-default")
SENTENCE_END = re.compile(r"[.!?][\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9])")
ABBREVIATIONS = {"e.g.", "i.e.", "al.", "vs.", "cf.", "approx.", "ca.", "dr.", "fig.", "no.", "st."}


def plain_text(markdown_source):
    """Markdown as one line of plain text: the words of every block, no markup, no HTML."""
    words = []
    for token in _markdown.parse(markdown_source or ""):
        for child in token.children or ():
            if child.type in ("text", "code_inline"):
                words.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                words.append(" ")
        if token.type == "inline":
            words.append(" ")
    return " ".join("".join(words).split())


def first_sentence(markdown_source, limit=SUMMARY_CHARS):
    """The first sentence of a Markdown summary as plain text, cut at ``limit`` characters."""
    text = plain_text(markdown_source)
    for match in SENTENCE_END.finditer(text):
        word = text[: match.start() + 1].rsplit(None, 1)[-1].lstrip('("“‘').lower()
        if word in ABBREVIATIONS or re.fullmatch(r"[a-z]\.", word):
            continue
        text = text[: match.start() + 1]
        break
    return Truncator(text).chars(limit)


def card_body(claim, version, latest, pinned):
    """The card's HTML. Rendered without the request: no context processors, so no session, user,
    CSRF token or messages are ever looked at.

    A withdrawn claim's current card names the statement and says it was withdrawn, and when, with
    no grade to quote; a pinned version's card shows that version as recorded and says the claim
    has since been withdrawn."""
    grade = grade_of(version)
    withdrawn = claim.status == Status.WITHDRAWN
    if withdrawn and not pinned:
        withdrawn_grade(grade)
    return render_to_string(
        "evidence/embed_card.html",
        {
            "grade": grade,
            "withdrawn": withdrawn,
            "withdrawn_on": withdrawn_on(claim) if withdrawn else None,
            "statement": version.snapshot.get("statement", ""),
            "summary": "" if withdrawn and not pinned else first_sentence(version.snapshot.get("summary", "")),
            "version": version,
            "latest": latest,
            "pinned": pinned,
            "newer": version.number < latest.number,
            "claim_url": links.claim_url(claim, version.number if pinned else None),
            "current_url": links.claim_url(claim),
        },
    )


@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"], "script-src": [NONE], "form-action": [NONE]})
@public_claim(serves_withdrawn=True)
def card(request, claim, version):
    """``/embed/claims/<slug>/``: the current review as a small framable card; ``?v=<N>`` pins version N.

    A withdrawn claim's current card answers 410 Gone with a card that says so: a frame shows a 410's
    body, so the sites that embedded the review tell their readers it was withdrawn instead of
    showing a broken frame (or the site's own 410 page, which may not be framed). Its pinned
    versions stay readable (200), as recorded.
    """
    latest, number = version, request.GET.get("v")
    if number is not None:
        if not re.fullmatch(r"[0-9]{1,9}", number):
            raise Http404("No such version.")
        version = latest if int(number) == latest.number else claim.versions.filter(number=int(number)).first()
        if version is None:
            raise Http404("No such version.")
    pinned = number is not None
    gone = claim.status == Status.WITHDRAWN and not pinned
    response = HttpResponse(card_body(claim, version, latest, pinned=pinned), status=410 if gone else 200)
    return cacheable(request, response, last_modified=latest.approved_at, max_age=CURRENT_MAX_AGE)


# oEmbed and the page's snippets --------------------------------------------------------------------


def card_url(claim, number=None):
    path = reverse("evidence:claim-embed", kwargs={"slug": claim.slug})
    return links.absolute(path) + (f"?{urlencode({'v': number})}" if number is not None else "")


def badge_path(claim, number=None):
    if number is None:
        return reverse("evidence:claim-badge", kwargs={"slug": claim.slug})
    return reverse("evidence:claim-version-badge", kwargs={"slug": claim.slug, "number": number})


def oembed_url(url):
    return links.absolute(reverse("evidence:oembed")) + "?" + urlencode({"url": url, "format": "json"})


def card_height(width):
    """Narrower cards wrap more lines, so they get a taller frame."""
    if width >= 440:
        return CARD_SIZE[1]
    return 260 if width >= 320 else 320


def iframe_html(claim, number, title, width, height):
    return format_html(
        '<iframe src="{}" width="{}" height="{}" title="{}" loading="lazy" style="border:0;max-width:100%"></iframe>',
        card_url(claim, number),
        width,
        height,
        title,
    )


def embed_context(claim, version, pinned):
    """What the claim page and the pinned version page need for ``includes/_embed_snippets.html`` and
    ``includes/_oembed_link.html`` (put it in the page context as ``embed``). No queries.

    Keys: ``claim_url`` (the address the snippets link to: the pinned one when ``pinned``),
    ``badge_url`` (absolute, for other sites), ``badge_path`` (site-relative, for the preview on our
    own page), ``badge_alt``, ``card_url``, ``oembed_url``, ``iframe`` and ``badge_html`` (the
    snippets as escaped, safe HTML: show them with ``|force_escape``), ``badge_markdown`` (text),
    ``title`` (for the discovery link), ``width``, ``height``, ``pinned`` and ``number`` (the
    version shown).
    """
    number = version.number if pinned else None
    grade = grade_of(version)
    statement = version.snapshot.get("statement", claim.statement)
    url = links.claim_url(claim, number)
    badge = links.absolute(badge_path(claim, number))
    alt = badge_alt(grade, number)
    width, height = CARD_SIZE
    markdown_alt = re.sub(r"([\\\[\]])", r"\\\1", alt)
    return {
        "claim_url": url,
        "badge_url": badge,
        "badge_path": badge_path(claim, number),
        "badge_alt": alt,
        "card_url": card_url(claim, number),
        "oembed_url": oembed_url(url),
        "iframe": iframe_html(claim, number, f"KratomRef: {statement}", width, height),
        "badge_html": format_html('<a href="{}"><img src="{}" alt="{}"></a>', url, badge, alt),
        "badge_markdown": f"[![{markdown_alt}]({badge})]({url})",
        "title": f"KratomRef: {statement}",
        "width": width,
        "height": height,
        "pinned": pinned,
        "number": version.number,
    }


class OEmbedError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def dimension(request, name):
    """A positive whole number of pixels from the query string, None when absent; 400 otherwise."""
    value = request.GET.get(name)
    if value is None or value == "":
        return None
    if not re.fullmatch(r"[0-9]{1,9}", value.strip()) or int(value) < 1:
        raise OEmbedError(400, _("%(name)s must be a positive whole number of pixels.") % {"name": name})
    return int(value)


def origin(parts):
    scheme = parts.scheme.lower()
    return scheme, parts.hostname, parts.port or DEFAULT_PORTS.get(scheme)


def claim_for_url(url):
    """The published claim and version a KratomRef claim address names (current or pinned)."""
    parts, site = urlsplit(url), urlsplit(settings.SITE_URL)
    try:
        same_site = origin(parts) == origin(site)
    except ValueError:  # a port that is not a number
        same_site = False
    path = parts.path or "/"
    if site.path and same_site:
        same_site = path.startswith(site.path + "/")
        path = path[len(site.path) :]
    if not same_site:
        raise OEmbedError(404, _("Not a KratomRef claim address."))
    try:
        match = resolve(path)
    except Resolver404:
        match = None
    if match is None or match.view_name not in CLAIM_PAGES:
        raise OEmbedError(404, _("Not a KratomRef claim address."))
    slug = match.kwargs["slug"]
    claim = Claim.objects.published().filter(slug=slug).first()
    if claim is None:
        moved = SlugRedirect.resolve("claim", slug)
        claim = Claim.objects.published().filter(slug=moved).first() if moved else None
    if claim is None:
        raise OEmbedError(404, _("No published claim at this address."))
    number = match.kwargs.get("number")
    versions = claim.versions.order_by("-number")
    version = versions.first() if number is None else versions.filter(number=number).first()
    if version is None:
        raise OEmbedError(404, _("No such version of this claim."))
    return claim, version, number is not None


def oembed(request):
    """``/oembed/?url=<claim address>&format=json``: oEmbed 1.0, a ``rich`` iframe of the card."""
    try:
        if request.GET.get("format", "json") != "json":
            raise OEmbedError(501, _("Only format=json is available."))
        url = request.GET.get("url", "").strip()
        if not url:
            raise OEmbedError(400, _("The url parameter is required."))
        maxwidth, maxheight = dimension(request, "maxwidth"), dimension(request, "maxheight")
        claim, version, pinned = claim_for_url(url)
    except OEmbedError as error:
        return JsonResponse({"error": str(error)}, status=error.status)

    width = CARD_SIZE[0] if maxwidth is None else min(CARD_SIZE[0], maxwidth)
    height = card_height(width) if maxheight is None else min(card_height(width), maxheight)
    statement = version.snapshot.get("statement", claim.statement)
    title = f"KratomRef: {statement}"
    cache_age = OEMBED_CACHE_AGE[pinned]
    response = JsonResponse(
        {
            "version": "1.0",
            "type": "rich",
            "title": statement,
            "provider_name": "KratomRef",
            "provider_url": settings.SITE_URL,
            "cache_age": cache_age,
            "html": iframe_html(claim, version.number if pinned else None, title, width, height),
            "width": width,
            "height": height,
        }
    )
    response.headers["Cache-Control"] = f"public, max-age={cache_age}"
    return response
