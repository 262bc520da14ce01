"""Importing what reviewers have (saved web pages, pasted HTML, Markdown, plain text, a URL) and
finding an article by the address a reader read it at (issue 11 §1 and §5)."""

import http.server
import socket
import ssl
import subprocess
import threading
import time
from datetime import date
from pathlib import Path

import pytest
import urllib3
from bs4 import BeautifulSoup
from django.core.management import CommandError, call_command
from django.urls import reverse

from evidence import importing
from evidence.importing import detect_kind, extract_html, fetch_url
from evidence.models import SourceArticle, TextFormat
from evidence.services import ArticleImportError, article_import
from evidence.text import parse_blocks, render_structure
from tests.factories import article_text, make_article, make_claim, make_passage, make_reviewer

WEB = Path(__file__).resolve().parent / "fixtures" / "web"
SLEEP_PAGE = WEB / "kratom-and-sleep.html"
CANONICAL = "https://www.leafline-wellness.example/blog/kratom-and-sleep/"


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


# --- the structure of Markdown and plain text --------------------------------------------------------


def test_markdown_blocks_cover_their_content_without_markers():
    text = (
        "# Kratom and sleep\n\nA first paragraph\nthat runs on.\n\n"
        "- one item\n- two items\n\n1. first step\n2. second\n"
    )
    structure = parse_blocks(text, TextFormat.MARKDOWN)
    assert structure.title == "Kratom and sleep"
    assert [(b.kind, b.text(text)) for b in structure.blocks()] == [
        ("heading", "Kratom and sleep"),
        ("paragraph", "A first paragraph\nthat runs on."),
        ("list-item", "one item"),
        ("list-item", "two items"),
        ("list-item", "first step"),
        ("list-item", "second"),
    ]
    lists = [item for item in structure.items if isinstance(item, dict)]
    assert [entry["ordered"] for entry in lists] == [False, True]


def test_plain_text_is_one_paragraph_per_line_or_per_blank_line_separated_block():
    lines = "Kratom and sleep\nPeople take it at night.\nIt can cause dependence.\n"
    assert [b.text(lines) for b in parse_blocks(lines, TextFormat.TEXT).blocks()] == [
        "Kratom and sleep",
        "People take it at night.",
        "It can cause dependence.",
    ]
    blocks = "Kratom and sleep\n\nPeople take it\nat night.\n\nIt can cause dependence.\n"
    assert [b.text(blocks) for b in parse_blocks(blocks, TextFormat.TEXT).blocks()] == [
        "Kratom and sleep",
        "People take it\nat night.",
        "It can cause dependence.",
    ]


# --- extracting a web page ---------------------------------------------------------------------------


def test_a_saved_page_gives_its_main_text_as_markdown_and_its_metadata():
    extracted = extract_html(SLEEP_PAGE.read_text(encoding="utf-8"))
    assert extracted.title == "Does Kratom Help You Sleep? What Users Should Know"
    assert extracted.author == "Dana Whitlow"
    assert extracted.published_on == date(2024, 3, 18)
    assert extracted.site == "Leafline Wellness"
    assert extracted.canonical_url == CANONICAL
    assert extracted.language == "en"
    text = extracted.text
    assert "## What is in kratom?\n" in text and "## Risks of nightly use\n" in text
    assert "- It relaxes the body after a long working day.\n" in text
    assert "1. Start with the smallest amount.\n" in text
    for boilerplate in ("Free shipping", "Privacy policy", "Related posts", "newsletter", "Strain guide"):
        assert boilerplate not in text


def test_inline_emphasis_is_dropped_so_a_sentence_reads_as_the_page_shows_it():
    page = SLEEP_PAGE.read_text(encoding="utf-8").replace("most relaxing", "<strong>most</strong> <em>relaxing</em>")
    assert "marketed as the most relaxing, although" in extract_html(page).text


@pytest.mark.parametrize(
    "name, message",
    [("mostly-navigation.html", "mostly navigation"), ("no-main-content.html", "no main content")],
)
def test_a_page_without_an_article_is_refused_by_name(name, message):
    with pytest.raises(ArticleImportError, match=message):
        extract_html((WEB / name).read_text(encoding="utf-8"))


def test_a_page_in_its_declared_character_set_is_read_in_that_set():
    page = SLEEP_PAGE.read_text(encoding="utf-8").replace('<meta charset="utf-8">', '<meta charset="windows-1252">')
    page = page.replace("colour of the vein", "colour of the vein — “café” leaf —")
    prepared = importing.prepare(page.encode("windows-1252"), filename="page.html")
    assert "— “café” leaf —" in prepared.text


def test_a_page_that_says_utf_8_but_is_not_is_refused():
    data = SLEEP_PAGE.read_bytes().replace(b"colour", b"col\xe9ur")
    with pytest.raises(ArticleImportError, match="not valid UTF-8"):
        importing.prepare(data, filename="page.html")


@pytest.mark.parametrize(
    "data, filename, content_type, kind",
    [
        (b"<!DOCTYPE html><html><body><p>x</p></body></html>", "", "", "html"),
        (b"<p>x</p>", "saved.htm", "", "html"),
        (b"# Title\n\nText.\n", "", "", "markdown"),
        (b"Plain words.\n", "notes.md", "", "markdown"),
        (b"Just a line.\nAnother line.\n", "notes.txt", "", "text"),
        (article_text().encode(), "a.txt", "", "seed"),
        (b"<html><body>x</body></html>", "", "text/html; charset=utf-8", "html"),
        (b"Words.\n", "", "text/plain", "text"),
    ],
)
def test_the_kind_of_an_input_is_detected(data, filename, content_type, kind):
    assert detect_kind(data, filename, content_type) == kind


@pytest.mark.parametrize(
    "data, content_type, message",
    [(b"%PDF-1.7\n\x00\x01", "", "binary"), (b"%PDF-1.7", "application/pdf", "content type is application/pdf")],
)
def test_binary_data_and_other_content_types_are_refused(data, content_type, message):
    with pytest.raises(ArticleImportError, match=message):
        detect_kind(data, "", content_type)


# --- importing from files ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_importing_a_saved_page_stores_the_extracted_text_with_its_metadata(capsys):
    call_command("import_articles", str(SLEEP_PAGE))
    assert "kratom-and-sleep.html: web page, imported as “Does Kratom Help You Sleep?" in capsys.readouterr().out
    article = SourceArticle.objects.get()
    assert article.text_format == TextFormat.MARKDOWN
    assert article.text == extract_html(SLEEP_PAGE.read_text(encoding="utf-8")).text
    assert (article.title, article.stated_author, article.site) == (
        "Does Kratom Help You Sleep? What Users Should Know",
        "Dana Whitlow",
        "Leafline Wellness",
    )
    assert article.published_on == date(2024, 3, 18)
    assert article.original_url == CANONICAL
    assert article.url_key == "leafline-wellness.example/blog/kratom-and-sleep"
    # The same page again changes nothing.
    call_command("import_articles", str(SLEEP_PAGE), verbosity=0)
    assert SourceArticle.objects.count() == 1


@pytest.mark.django_db
def test_markdown_and_plain_text_files_are_imported_in_their_own_format(tmp_path, capsys):
    markdown = tmp_path / "kratom-basics.md"
    markdown.write_text("Intro without a heading.\n\n## Risks\n\n- Dependence after daily use.\n", encoding="utf-8")
    plain = tmp_path / "forum-post.txt"
    plain.write_text("My experience with kratom\nI took it for six months.\nStopping was hard.\n", encoding="utf-8")
    call_command("import_articles", str(markdown), str(plain))
    out = capsys.readouterr().out
    assert "kratom-basics.md: Markdown, imported" in out and "forum-post.txt: plain text, imported" in out
    md = SourceArticle.objects.get(source_name="kratom-basics.md")
    assert (md.text_format, md.title) == (TextFormat.MARKDOWN, "Risks")
    txt = SourceArticle.objects.get(source_name="forum-post.txt")
    assert (txt.text_format, txt.title) == (TextFormat.TEXT, "My experience with kratom")
    assert txt.text == plain.read_text(encoding="utf-8")


@pytest.mark.django_db
def test_a_text_without_a_heading_or_title_line_is_named_after_its_file():
    result = article_import(
        text="Kratom is a leaf. People chew it.\n", source_name="leaf_notes.txt", by=make_reviewer(), text_format="text"
    )
    assert result.article.title == "Leaf notes"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, message",
    [("mostly-navigation.html", "mostly navigation"), ("no-main-content.html", "no main content")],
)
def test_a_bad_page_is_reported_by_name_and_nothing_is_saved(capsys, name, message):
    with pytest.raises(CommandError):
        call_command("import_articles", str(WEB / name), verbosity=0)
    err = capsys.readouterr().err
    assert name in err and message in err
    assert not SourceArticle.objects.exists()


@pytest.mark.django_db
def test_an_oversized_file_is_refused(tmp_path, settings, capsys):
    settings.ARTICLE_IMPORT_MAX_BYTES = 1000
    with pytest.raises(CommandError):
        call_command("import_articles", str(SLEEP_PAGE), verbosity=0)
    assert "too large" in capsys.readouterr().err
    assert not SourceArticle.objects.exists()


@pytest.mark.django_db
def test_dry_run_reports_each_files_kind_and_saves_nothing(capsys):
    call_command("import_articles", str(SLEEP_PAGE), dry_run=True)
    assert "kratom-and-sleep.html: web page, would be imported" in capsys.readouterr().out
    assert not SourceArticle.objects.exists()


# --- the article page --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_imported_page_shows_its_headings_lists_and_highlights_on_the_article_page(client):
    call_command("import_articles", str(SLEEP_PAGE), verbosity=0)
    draft = SourceArticle.objects.get()
    from tests.factories import reach

    article = reach(draft, "published")
    SourceArticle.objects.filter(pk=article.pk).update(full_text_shown=True, full_text_reason="Written for the tests.")
    claim = make_claim(statement="Daily kratom use can lead to dependence.", verdict="supported")
    in_list = make_claim(statement="Kratom relaxes the body.")
    passage = make_passage(article=article, claim=claim, quote="Taking kratom every day can lead to dependence")
    item = make_passage(article=article, claim=in_list, quote="It relaxes the body after a long working day.")
    page = soup(client.get(article.get_absolute_url()))
    text = page.select_one("#article-text")
    assert [h.get_text() for h in text.select("h3")][:2] == ["What is in kratom?", "Why people use it at night"]
    assert len(text.select("ul > li")) == 3 and len(text.select("ol > li")) == 3
    assert text.select_one(f"#passage-{passage.pk}").get_text() == passage.quote
    assert text.select_one(f"ul > li > mark#passage-{item.pk}") is not None
    identity = {
        dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(strip=True)
        for dt in page.select("dl.article-identity dt")
    }
    assert identity["Site"] == "Leafline Wellness" and identity["Stated author"] == "Dana Whitlow"
    assert identity["Published"] == "18 March 2024" and "Text as taken on" in identity
    assert page.select_one("dl.article-identity a")["href"] == CANONICAL
    original = page.find("a", string="See it in the original")
    assert original["href"].startswith(CANONICAL + "#:~:text=")


def test_render_structure_places_highlights_by_offset_in_markdown():
    text = "# Title\n\n- Kratom can cause dependence.\n"

    class FakePassage:
        pk, start, end, quote, wording = 7, 11, 38, "Kratom can cause dependence", "accurate"

        class claim:
            grade_label, verdict, certainty, polarity, slug, statement = (
                "Supported",
                "supported",
                "low",
                "harm",
                "c",
                "S",
            )

            @staticmethod
            def get_absolute_url():
                return "/claims/c/"

        @staticmethod
        def get_wording_display():
            return "Accurate"

    assert text[11:38] == FakePassage.quote
    structure = render_structure(text, [FakePassage], TextFormat.MARKDOWN)
    item = list(structure.blocks())[1]
    assert str(item.html).startswith('<mark id="passage-7"') and str(item.html).endswith("</mark>.")


# --- fetching a URL ----------------------------------------------------------------------------------


class Handler(http.server.BaseHTTPRequestHandler):
    user_agents = []

    def log_message(self, *args):
        pass

    def send(self, status, body=b"", content_type="text/html; charset=utf-8", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        Handler.user_agents.append(self.headers.get("User-Agent"))
        path = self.path
        if path == "/article":
            self.send(200, SLEEP_PAGE.read_bytes())
        elif path.startswith("/hop/"):
            left = int(path.rsplit("/", 1)[1])
            self.send(302, headers=[("Location", f"/hop/{left - 1}" if left else "/article")])
        elif path == "/to-private":
            self.send(302, headers=[("Location", "http://10.0.0.1/article")])
        elif path == "/pdf":
            self.send(200, b"%PDF-1.7", content_type="application/pdf")
        elif path == "/big":
            self.send(200, b"<html><body>" + b"<p>kratom leaf</p>" * 2000 + b"</body></html>")
        elif path == "/big-unannounced":  # no Content-Length: the cap applies while reading
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><body>" + b"<p>kratom leaf</p>" * 2000 + b"</body></html>")
        elif path == "/slow":
            time.sleep(1.5)
            self.send(200, SLEEP_PAGE.read_bytes())
        else:
            self.send(404, b"not here")


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that gave up (the timeout test) is expected


@pytest.fixture(scope="module")
def server():
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def loopback(settings):
    settings.ARTICLE_FETCH_ALLOW_LOOPBACK = True
    settings.ARTICLE_FETCH_TIMEOUT = 0.5
    return settings


def test_a_page_is_fetched_from_an_allowed_server_with_an_honest_user_agent(server, loopback):
    fetched = fetch_url(f"{server}/hop/2")
    assert fetched.url == f"{server}/article" and fetched.data == SLEEP_PAGE.read_bytes()
    assert fetched.content_type.startswith("text/html")
    assert Handler.user_agents[-1] == f"KratomRef/1.0 (+{loopback.SITE_URL}/about/; article import)"


@pytest.mark.parametrize(
    "path, message",
    [
        ("/hop/3", "too many redirects"),
        ("/to-private", "10.0.0.1, a private address"),
        ("/pdf", "content type is application/pdf"),
        ("/big", "too large"),
        ("/big-unannounced", "too large"),
        ("/slow", "did not answer in time"),
        ("/missing", "answered 404"),
    ],
)
def test_a_fetch_is_refused_by_name(server, loopback, path, message):
    loopback.ARTICLE_IMPORT_MAX_BYTES = 20_000
    with pytest.raises(ArticleImportError, match=message):
        fetch_url(server + path)


def test_loopback_is_refused_without_the_test_setting(server, settings):
    settings.ARTICLE_FETCH_ALLOW_LOOPBACK = False
    with pytest.raises(ArticleImportError, match="a loopback address"):
        fetch_url(f"{server}/article")


@pytest.mark.parametrize(
    "address, reason",
    [
        ("10.1.2.3", "a private address"),
        ("192.168.1.10", "a private address"),
        ("127.0.0.1", "a loopback address"),
        ("169.254.169.254", "a link-local address"),
        ("0.0.0.0", "an unspecified address"),
        ("224.0.0.1", "a multicast address"),
        ("::1", "a loopback address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:10.0.0.1", "a private address"),
        ("fe80::1", "a link-local address"),
        ("fd00::1", "a private address"),
    ],
)
def test_a_host_that_resolves_inside_the_network_is_refused(monkeypatch, settings, address, reason):
    settings.ARTICLE_FETCH_ALLOW_LOOPBACK = False
    family = socket.AF_INET6 if ":" in address else socket.AF_INET

    def resolve(host, port, *args, **kwargs):
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(ArticleImportError, match=f"articles.example.com: it resolves to .+, {reason}$"):
        fetch_url("https://articles.example.com/kratom")


def test_a_host_with_one_private_address_among_public_ones_is_refused(monkeypatch):
    def resolve(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(ArticleImportError, match=r"10\.0\.0\.7, a private address"):
        fetch_url("https://articles.example.com/kratom")


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """An https server on 127.0.0.1 whose self-signed certificate names articles.example.test."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=articles.example.test",
         "-addext", "subjectAltName=DNS:articles.example.test", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1], str(cert)
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def resolves_to_loopback(monkeypatch, loopback):
    """Every host name resolves to 127.0.0.1 (only here: no test touches the internet)."""

    def resolve(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def test_https_connects_to_the_checked_address_and_verifies_the_host_names_certificate(
    tls_server, resolves_to_loopback, monkeypatch
):
    port, cert = tls_server
    # Trust the test certificate the way a public one is trusted; the fetcher's own settings stay.
    pool = urllib3.HTTPSConnectionPool
    monkeypatch.setattr(urllib3, "HTTPSConnectionPool", lambda *args, **kwargs: pool(*args, ca_certs=cert, **kwargs))
    fetched = fetch_url(f"https://articles.example.test:{port}/article")
    assert fetched.data == SLEEP_PAGE.read_bytes()
    # The same server under another name: its certificate does not name that host.
    with pytest.raises(ArticleImportError, match="could not be reached securely"):
        fetch_url(f"https://other.example.test:{port}/article")


def test_https_refuses_a_certificate_no_authority_signed(tls_server, resolves_to_loopback):
    port, _cert = tls_server
    with pytest.raises(ArticleImportError, match="could not be reached securely"):
        fetch_url(f"https://articles.example.test:{port}/article")


def test_a_refused_connection_is_named(resolves_to_loopback):
    with pytest.raises(ArticleImportError, match="connection was refused"):
        fetch_url("http://articles.example.test:1/article")


@pytest.mark.parametrize("url", ["ftp://example.com/article.html", "file:///etc/passwd", "gopher://example.com/"])
def test_only_http_and_https_are_fetched(url):
    with pytest.raises(ArticleImportError, match="only http and https"):
        fetch_url(url)


# --- the admin's "Add source article" ------------------------------------------------------------------


ADD = "admin:evidence_sourcearticle_add"


@pytest.mark.django_db
def test_an_editor_uploads_a_saved_page_and_lands_on_the_articles_change_page(editor_client):
    with SLEEP_PAGE.open("rb") as upload:
        response = editor_client.post(reverse(ADD), {"kind": "file", "upload": upload})
    article = SourceArticle.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:evidence_sourcearticle_change", args=[article.pk])
    assert (article.source_name, article.text_format, article.stated_author) == (
        "kratom-and-sleep.html",
        TextFormat.MARKDOWN,
        "Dana Whitlow",
    )


@pytest.mark.django_db
def test_an_editor_pastes_html_and_may_correct_its_metadata(editor_client):
    data = {"kind": "html", "html": SLEEP_PAGE.read_text(encoding="utf-8"), "title": "Kratom and sleep", "site": ""}
    assert editor_client.post(reverse(ADD), data).status_code == 302
    article = SourceArticle.objects.get()
    assert (article.title, article.site, article.original_url) == ("Kratom and sleep", "Leafline Wellness", CANONICAL)
    assert article.source_name == "leafline-wellness.example/blog/kratom-and-sleep"


@pytest.mark.django_db
def test_an_editor_gives_a_url_and_the_page_is_fetched_and_imported(editor_client, server, loopback):
    response = editor_client.post(reverse(ADD), {"kind": "url", "url": f"{server}/hop/1"})
    assert response.status_code == 302
    article = SourceArticle.objects.get()
    assert article.original_url == CANONICAL and article.title.startswith("Does Kratom Help You Sleep")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data, message",
    [
        ({"kind": "html", "html": (WEB / "mostly-navigation.html").read_text()}, "mostly navigation"),
        ({"kind": "url", "url": "http://10.0.0.1/article"}, "a private address"),
        ({"kind": "url", "url": "ftp://example.com/a.html"}, "only http and https"),
        ({"kind": "text", "text": "Just a line.", "source_name": ""}, "Give a source name"),
        (
            {"kind": "text", "text": "Just a line.", "text_format": "seed", "source_name": "x.txt"},
            "Not a source article",
        ),
        ({"kind": "file"}, "Give the article here"),
    ],
)
def test_the_add_form_names_what_is_wrong_and_saves_nothing(editor_client, data, message):
    response = editor_client.post(reverse(ADD), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SourceArticle.objects.exists()


@pytest.mark.django_db
def test_an_oversized_upload_is_refused_on_the_form(editor_client, settings):
    settings.ARTICLE_IMPORT_MAX_BYTES = 1000
    with SLEEP_PAGE.open("rb") as upload:
        response = editor_client.post(reverse(ADD), {"kind": "file", "upload": upload})
    assert "too large" in response.content.decode()
    assert not SourceArticle.objects.exists()


# --- finding the article a reader read ----------------------------------------------------------------


@pytest.fixture
def sleep_article(db):
    return make_article(
        text="# Kratom and sleep\n\nPeople take kratom at night.\n",
        source_name="sleep.md",
        text_format="markdown",
        original_url=CANONICAL,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "address",
    [
        CANONICAL,
        "http://leafline-wellness.example/blog/kratom-and-sleep",
        "https://www.leafline-wellness.example/blog/kratom-and-sleep/?utm_source=newsletter&fbclid=abc",
        "https://leafline-wellness.example/blog/kratom-and-sleep/amp/",
        "www.leafline-wellness.example/blog/kratom-and-sleep/#comments",
    ],
)
def test_the_address_a_reader_read_the_article_at_leads_to_it(client, sleep_article, address):
    response = client.get(reverse("evidence:article-list"), {"url": address})
    assert response.status_code == 302 and response["Location"] == sleep_article.get_absolute_url()
    search = client.get(reverse("evidence:search"), {"q": address})
    assert search.status_code == 302 and search["Location"] == sleep_article.get_absolute_url()


@pytest.mark.django_db
def test_an_address_not_in_the_library_says_so_and_offers_to_ask_for_a_review(client, sleep_article):
    address = "https://leafline-wellness.example/blog/kratom-tea/"
    response = client.get(reverse("evidence:article-list"), {"url": address})
    assert response.status_code == 200
    page = soup(response)
    notice = page.select_one(".url-lookup")
    assert "is not in the library yet" in notice.get_text()
    assert not page.select(".cards a")
    ask = notice.find("a", string="Ask us to review it")["href"]
    form = soup(client.get(ask))
    assert form.select_one('input[name="article_url"]')["value"] == address
    assert form.select_one('input[name="kind"][value="review"]').has_attr("checked")
    # The search box sends a pasted address to the same answer.
    search = client.get(reverse("evidence:search"), {"q": address})
    assert search.status_code == 302 and client.get(search["Location"]).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["not a link", "ftp://example.com/a", "https://", "http://[::1"])
def test_a_malformed_address_gets_a_message_not_an_error(client, sleep_article, address):
    response = client.get(reverse("evidence:article-list"), {"url": address})
    assert response.status_code == 200
    assert "is not a web address" in soup(response).select_one(".url-lookup").get_text()


@pytest.mark.django_db
def test_a_draft_is_not_found_by_its_address(client):
    make_article(
        text="Kratom at night.\n", source_name="draft.txt", text_format="text", original_url=CANONICAL, status="draft"
    )
    response = client.get(reverse("evidence:article-list"), {"url": CANONICAL})
    assert response.status_code == 200 and "not in the library yet" in response.content.decode()


@pytest.mark.django_db
def test_the_api_finds_articles_by_their_address(client, sleep_article):
    make_article()
    found = client.get("/api/v1/articles/", {"url": CANONICAL + "?utm_medium=social"}).json()
    assert [row["slug"] for row in found["results"]] == [sleep_article.slug]
    assert client.get("/api/v1/articles/", {"url": "not a link"}).json()["results"] == []
