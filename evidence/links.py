"""Absolute addresses other sites keep: canonical URLs, pinned versions, text fragments."""

from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from django.conf import settings
from django.urls import reverse


def absolute(path):
    """``path`` on the public site (SITE_URL), without query string."""
    return settings.SITE_URL + path.split("?", 1)[0]


def claim_url(claim, number=None):
    """The claim's canonical address, or the pinned address of its version ``number``."""
    if number is None:
        return absolute(reverse("evidence:claim-detail", kwargs={"slug": claim.slug}))
    return absolute(reverse("evidence:claim-version", kwargs={"slug": claim.slug, "number": number}))


def _fragment_part(text):
    # Text fragments reserve "-", "&" and "," inside their terms; everything else is ordinary
    # percent-encoding of UTF-8 (https://wicg.github.io/scroll-to-text-fragment/).
    return quote(text, safe="").replace("-", "%2D")


def text_fragment_url(original_url, quote_text, prefix="", suffix=""):
    """``original_url`` with a ``#:~:text=`` fragment that scrolls to ``quote_text`` in the original."""
    if not original_url:
        return ""
    words = " ".join(quote_text.split())
    term = _fragment_part(words)
    # A context word cut by the 32-character window would not match the original: use the word next
    # to the quote only when the context holds another word (or is shorter than the window).
    before_words, after_words = prefix.split(), suffix.split()
    before = before_words[-1] if len(before_words) > 1 or 0 < len(prefix) < 32 else ""
    after = after_words[0] if len(after_words) > 1 or 0 < len(suffix) < 32 else ""
    directive = term
    if before and prefix[-1:].isspace():
        directive = f"{_fragment_part(before)}-,{directive}"
    if after and suffix[:1].isspace():
        directive = f"{directive},-{_fragment_part(after)}"
    return f"{original_url.split('#', 1)[0]}#:~:text={directive}"


# Query parameters that say where a reader came from, not which page they read.
TRACKING_PARAMETERS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ref", "ref_src"})


def url_key(address):
    """``address`` reduced to what identifies the article it points at, for finding it by URL.

    The scheme, a leading ``www.`` or ``m.``/``amp.``, a trailing slash, the fragment, AMP variants
    (``/amp``, ``?amp=1``, ``.amp.html``) and tracking parameters (``utm_*``, ``fbclid``, …) are
    dropped; the host is lower-cased and the remaining parameters sorted. Returns "" for anything that
    is not an http(s) address.
    """
    address = (address or "").strip()
    if "://" not in address and "." in address.split("/", 1)[0]:
        address = "https://" + address
    try:
        parts = urlsplit(address)
        parts.port  # noqa: B018 (a port that is not a number, or out of range, raises here)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    host = parts.hostname.lower().rstrip(".")
    for prefix in ("www.", "m.", "amp."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = parts.path or "/"
    for suffix in ("/amp/", "/amp", ".amp.html", ".amp"):
        if path.endswith(suffix):
            path = path[: -len(suffix)] + (".html" if suffix == ".amp.html" else "")
            break
    if path.startswith("/amp/"):
        path = path[4:]
    path = path.rstrip("/") or ""
    query = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not name.lower().startswith("utm_") and name.lower() not in TRACKING_PARAMETERS and name.lower() != "amp"
    )
    return host + path + ("?" + urlencode(query) if query else "")
