"""Turning what reviewers have — a saved web page, pasted HTML, Markdown, plain text, a seed-format
file or a URL — into an article text for ``article_import`` (docs/decisions/0006-article-text-formats.md).

- ``detect_kind`` says which of html / markdown / text / seed some bytes are, from the content type,
  the file name and the bytes themselves.
- ``extract_html`` runs a page through trafilatura: its main content as Markdown (headings,
  paragraphs, lists; no tables, comments, links or inline emphasis) and its metadata (title, author,
  publication date, site, canonical URL, language) from ``<meta>``, Open Graph and JSON-LD. A page
  without main content, or one that is mostly navigation, is refused.
- ``fetch_url`` fetches a page for the admin, refusing addresses inside the network (SSRF).
- ``prepare`` turns any of them into what ``article_import`` takes (the command and the admin call it).

Every refusal is an ``ArticleImportError`` naming the reason; nothing is saved before the text is
accepted, and ``article_import`` itself is atomic.
"""

import ipaddress
import re
import socket
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePath
from urllib.parse import urljoin, urlsplit

import lxml.html
import trafilatura
import urllib3
from django.conf import settings
from lxml import etree
from trafilatura.metadata import extract_metadata

from evidence.links import url_key
from evidence.services import ArticleImportError
from evidence.text import MARKDOWN, PLAIN_TEXT, SEED, ArticleFormatError, parse_article

HTML, TEXT = "html", PLAIN_TEXT
KINDS = (HTML, MARKDOWN, TEXT, SEED)
HTML_EXTENSIONS = {".html", ".htm", ".xhtml"}
MARKDOWN_EXTENSIONS = {".md", ".markdown"}
TEXT_EXTENSIONS = {".txt", ".text"}
HTML_TYPES = {"text/html", "application/xhtml+xml"}
MARKDOWN_TYPES = {"text/markdown", "text/x-markdown"}
TEXT_TYPES = {"text/plain"}

# A page is "mostly navigation" when its running text (lines of at least PROSE_WORDS words) is shorter
# than MIN_PROSE_CHARS, or is less than MIN_PROSE_SHARE of the page's visible text.
MIN_PROSE_CHARS = 200
PROSE_WORDS = 8
MIN_PROSE_SHARE = 0.1
MAX_REDIRECTS = 3
# Inline emphasis would put "**" and "*" inside sentences (and inside quotes): it is unwrapped before
# extraction, so the stored Markdown marks only headings, paragraphs and lists.
INLINE_TAGS = ("b", "strong", "i", "em", "u", "mark", "small", "sub", "sup", "s", "del", "ins", "code", "kbd", "span")
CHARSET_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)
MARKDOWN_HEADING = re.compile(r"^#{1,6}[ \t]+\S", re.M)


@dataclass
class Extracted:
    """An article taken from a web page: its text as Markdown, and what the page says about it."""

    text: str
    title: str = ""
    author: str = ""
    published_on: date | None = None
    site: str = ""
    canonical_url: str = ""
    language: str = ""


@dataclass
class Prepared:
    """What ``article_import`` needs, from any kind of input."""

    kind: str
    text: str
    text_format: str
    metadata: dict = field(default_factory=dict)  # title, stated_author, published_on, site, original_url


@dataclass
class Fetched:
    url: str  # after redirects
    data: bytes
    content_type: str
    charset: str = ""


def max_bytes():
    return settings.ARTICLE_IMPORT_MAX_BYTES


def check_size(data):
    limit = max_bytes()
    if len(data) > limit:
        raise ArticleImportError(f"the file is too large ({len(data):,} bytes; the limit is {limit:,})")


def media_type(content_type):
    """``text/html; charset=utf-8`` → (``text/html``, ``utf-8``)."""
    main, _, params = (content_type or "").partition(";")
    charset = ""
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'")
    return main.strip().lower(), charset


def seed_parses(text):
    try:
        parse_article(text)
    except ArticleFormatError:
        return False
    return True


def detect_kind(data: bytes, filename="", content_type=""):
    """``html``, ``markdown``, ``text`` or ``seed``: what ``data`` is.

    A content type decides first (an HTTP answer), then the file name's extension (.html/.htm,
    .md, .txt), then the bytes (a page starts with ``<!doctype html>``, ``<html>``, ``<head>`` or
    ``<body>``; Markdown has ``#`` headings). A text file is the seed format when it parses as one.
    Binary data and other content types are refused.
    """
    if b"\x00" in data:
        raise ArticleImportError("the file looks binary (it contains NUL bytes)")
    mime, _charset = media_type(content_type)
    suffix = PurePath(filename).suffix.lower() if filename else ""
    if mime:
        if mime in HTML_TYPES:
            return HTML
        if mime in MARKDOWN_TYPES:
            return MARKDOWN
        if mime not in TEXT_TYPES:
            raise ArticleImportError(f"not a web page or text: the content type is {mime}")
    if not mime and suffix in HTML_EXTENSIONS:
        return HTML
    if not mime and suffix in MARKDOWN_EXTENSIONS:
        return MARKDOWN
    head = data[:4096].lstrip(b"\xef\xbb\xbf")
    if not mime and suffix not in TEXT_EXTENSIONS and HTML_START.match(head):
        return HTML
    text = decode_text(data)
    if seed_parses(text):
        return SEED
    if not mime and suffix not in TEXT_EXTENSIONS and MARKDOWN_HEADING.search(text):
        return MARKDOWN
    return TEXT


def decode_text(data, charset=""):
    """``data`` as text: UTF-8 (or ``charset``, e.g. a page's declared one), strictly, BOM dropped."""
    encoding = charset or "utf-8"
    try:
        text = data.decode(encoding)
    except LookupError as error:
        raise ArticleImportError(f"the page declares an unknown character set {charset!r}") from error
    except UnicodeDecodeError as error:
        name = "UTF-8" if encoding.lower().replace("-", "") == "utf8" else encoding
        raise ArticleImportError(f"the file is not valid {name} (byte {error.start})") from error
    return text.removeprefix("\ufeff")


def decode_html(data, charset=""):
    """A page's bytes as text, in the character set it declares: a byte-order mark, then the HTTP
    header's charset, then ``<meta charset>`` (or its http-equiv form); UTF-8 when none is given."""
    if data.startswith(b"\xef\xbb\xbf"):
        charset = "utf-8"
    elif not charset:
        declared = CHARSET_META.search(data[:4096])
        charset = declared.group(1).decode("ascii") if declared else ""
    return decode_text(data, charset)


def visible_text(tree):
    """The words a reader sees on the page (no scripts, styles or head)."""
    tree = lxml.html.fromstring(lxml.html.tostring(tree))
    for hidden in tree.xpath("//script|//style|//noscript|//template|//head|//svg"):
        hidden.drop_tree()
    return " ".join(tree.text_content().split())


def prose_length(markdown):
    """Characters in the lines of running text: lines of at least PROSE_WORDS words."""
    return sum(len(line.strip()) for line in markdown.splitlines() if len(line.split()) >= PROSE_WORDS)


def parse_date(value):
    try:
        return date.fromisoformat((value or "")[:10])
    except ValueError:
        return None


def _page_tree(html):
    try:
        tree = lxml.html.document_fromstring(html.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8"))
    except (etree.ParserError, ValueError) as error:
        raise ArticleImportError("the page could not be read as HTML") from error
    return tree


def extract_html(html):
    """The main content of a web page as Markdown, with its metadata (an Extracted).

    Raises ArticleImportError when the page has no main content or is mostly navigation.
    """
    if not html or not html.strip():
        raise ArticleImportError("the page is empty")
    tree = _page_tree(html)
    visible = visible_text(tree)
    metadata = extract_metadata(tree)
    etree.strip_tags(tree, *INLINE_TAGS)
    text = trafilatura.extract(
        tree,
        output_format="markdown",
        include_formatting=True,  # headings ("#") are formatting to trafilatura; emphasis is gone above
        include_tables=False,
        include_comments=False,
        include_links=False,
        include_images=False,
        deduplicate=False,
    )
    text = (text or "").strip("\n")
    if not text.strip() or not visible:
        raise ArticleImportError("no main content found on the page (is it a page that needs JavaScript?)")
    prose = prose_length(text)
    if prose < MIN_PROSE_CHARS or prose < MIN_PROSE_SHARE * len(visible):
        raise ArticleImportError(
            f"the page is mostly navigation: only {prose} characters of running text among {len(visible)} "
            "characters on the page; save the article's own page, not a list or a home page"
        )
    language = (metadata.language or "") if metadata else ""
    if not language:
        language = (tree.get("lang") or "").strip()
    return Extracted(
        text=text + "\n",
        title=((metadata.title if metadata else "") or "").strip(),
        author=((metadata.author if metadata else "") or "").strip(),
        published_on=parse_date(metadata.date if metadata else ""),
        site=((metadata.sitename if metadata else "") or "").strip(),
        canonical_url=((metadata.url if metadata else "") or "").strip(),
        language=language,
    )


# The longest original URL an article stores (SourceArticle.original_url).
MAX_URL_LENGTH = 500


def http_url(address):
    """``address`` if it is an http(s) URL with a host name (and a valid port) that an article can
    store as its original URL, else ""."""
    try:
        parts = urlsplit(address or "")
        parts.port  # noqa: B018 (a port that is not a number, or out of range, raises here)
    except ValueError:
        return ""
    usable = parts.scheme in ("http", "https") and parts.hostname and len(address) <= MAX_URL_LENGTH
    return address if usable else ""


def prepare(data, *, filename="", content_type="", url=""):
    """What ``data`` (a file, pasted text or a fetched page) gives ``article_import``: a Prepared."""
    check_size(data)
    if not data.strip():
        raise ArticleImportError("the file is empty")
    kind = detect_kind(data, filename, content_type)
    metadata = {}
    if kind == HTML:
        extracted = extract_html(decode_html(data, media_type(content_type)[1]))
        canonical = http_url(urljoin(url, extracted.canonical_url) if url else extracted.canonical_url)
        metadata = {
            "title": extracted.title,
            "stated_author": extracted.author,
            "published_on": extracted.published_on,
            "site": extracted.site,
            "original_url": canonical or http_url(url),
        }
        return Prepared(kind, extracted.text, MARKDOWN, {k: v for k, v in metadata.items() if v})
    text = decode_text(data, media_type(content_type)[1])
    if http_url(url):
        metadata["original_url"] = url
    return Prepared(kind, text, SEED if kind == SEED else kind, metadata)


def source_name_for(*, filename="", url=""):
    """The source name of an import: the file's name, or the URL (host and path) it came from."""
    if filename:
        return PurePath(filename).name[:255]
    return (url_key(url) or url)[:255]


# --- fetching a URL (the admin only) ----------------------------------------------------------------


def user_agent():
    return f"KratomRef/1.0 (+{settings.SITE_URL}/about/; article import)"


def address_refusal(ip):
    """Why ``ip`` may not be fetched from, or "" when it may."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "" if settings.ARTICLE_FETCH_ALLOW_LOOPBACK else "a loopback address"
    for test, reason in (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_private, "a private address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "not a public address"),
    ):
        if test:
            return reason
    return ""


def checked_address(host, port):
    """The one address of ``host`` this fetch will connect to; every address it resolves to must be public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise ArticleImportError(f"the host {host} could not be resolved") from error
    addresses = []
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        refusal = address_refusal(ip)
        if refusal:
            raise ArticleImportError(f"refused to fetch from {host}: it resolves to {ip}, {refusal}")
        addresses.append(ip)
    if not addresses:
        raise ArticleImportError(f"the host {host} could not be resolved")
    return addresses[0]


def _get(url):
    """One GET of ``url`` at an address checked here (no redirects followed): the urllib3 response."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ArticleImportError(f"not a valid URL: {url[:200]}") from error
    if parts.scheme not in ("http", "https"):
        raise ArticleImportError(f"only http and https addresses can be fetched, not {parts.scheme or 'this'!r}")
    if not parts.hostname:
        raise ArticleImportError("the URL has no host name")
    if parts.username or parts.password:
        raise ArticleImportError("a URL with a user name or password is not fetched")
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    ip = checked_address(host, port)
    timeout = urllib3.Timeout(connect=settings.ARTICLE_FETCH_TIMEOUT, read=settings.ARTICLE_FETCH_TIMEOUT)
    if parts.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            str(ip),
            port,
            timeout=timeout,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            server_hostname=host,
            assert_hostname=host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(str(ip), port, timeout=timeout, retries=False)
    default_port = port == (443 if parts.scheme == "https" else 80)
    headers = {
        "Host": host if default_port else f"{host}:{port}",
        "User-Agent": user_agent(),
        "Accept": "text/html, application/xhtml+xml, text/markdown;q=0.9, text/plain;q=0.8",
        "Accept-Encoding": "identity",
    }
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        return pool.urlopen("GET", path, headers=headers, redirect=False, retries=False, preload_content=False)
    except urllib3.exceptions.NewConnectionError as error:  # (a subclass of the connect timeout)
        raise ArticleImportError(f"{host} could not be reached (the connection was refused)") from error
    except urllib3.exceptions.SSLError as error:
        raise ArticleImportError(f"{host} could not be reached securely (its certificate was not accepted)") from error
    except urllib3.exceptions.TimeoutError as error:
        raise ArticleImportError(f"{host} did not answer in time") from error
    except urllib3.exceptions.HTTPError as error:
        raise ArticleImportError(f"{host} could not be reached ({type(error).__name__})") from error


def _read_capped(response, host):
    limit, chunks, size = max_bytes(), [], 0
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ArticleImportError(f"the page is too large ({int(declared):,} bytes; the limit is {limit:,})")
    try:
        for chunk in response.stream(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise ArticleImportError(f"the page is too large (more than {limit:,} bytes)")
            chunks.append(chunk)
    except urllib3.exceptions.TimeoutError as error:
        raise ArticleImportError(f"{host} did not answer in time") from error
    except urllib3.exceptions.HTTPError as error:
        raise ArticleImportError(f"{host} broke off the answer ({type(error).__name__})") from error
    return b"".join(chunks)


def fetch_url(url):
    """Fetch a web page for import (the admin only).

    Only http and https; the host is resolved once and every address it resolves to must be public
    (no private, loopback, link-local, multicast, reserved or unspecified address, IPv4 or IPv6,
    IPv4-mapped included; ARTICLE_FETCH_ALLOW_LOOPBACK lets tests use a local server), and the
    connection goes to the address checked, with the host name for TLS and the Host header. At most
    MAX_REDIRECTS redirects, each hop checked again; a timeout for connecting and for each read
    (ARTICLE_FETCH_TIMEOUT); at most ARTICLE_IMPORT_MAX_BYTES read; an honest User-Agent. The answer
    must be a web page (or plain text or Markdown).
    """
    url = (url or "").strip()
    for _hop in range(MAX_REDIRECTS + 1):
        response = _get(url)
        host = urlsplit(url).hostname
        try:
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("Location", "")
                if not location:
                    raise ArticleImportError(f"{host} answered with a redirect to nowhere")
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise ArticleImportError(f"{host} answered {response.status} {response.reason or ''}".strip())
            content_type = response.headers.get("Content-Type", "")
            mime, charset = media_type(content_type)
            if mime not in HTML_TYPES | MARKDOWN_TYPES | TEXT_TYPES:
                raise ArticleImportError(f"not a web page: the content type is {mime or 'not given'}")
            data = _read_capped(response, host)
            return Fetched(url=url, data=data, content_type=content_type, charset=charset)
        finally:
            response.release_conn()
    raise ArticleImportError(f"too many redirects (more than {MAX_REDIRECTS})")
