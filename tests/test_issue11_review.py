"""Defects found by a test pass of issue 11 as reviewers and readers use it (any article in,
revisions, display rights, finding an article by its address, the claim spotter)."""

import json
from io import StringIO

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from evidence import spotting
from evidence.importing import prepare
from evidence.links import url_key
from evidence.models import SourceArticle
from evidence.services import spotting as spotting_service
from tests.factories import make_article

ADD = "admin:evidence_sourcearticle_add"
CANONICAL = "https://greenfield-notes.example/posts/kratom-back-pain/"


def page(canonical):
    """A saved web page of an article about kratom whose canonical URL is ``canonical``."""
    paragraph = (
        "<p>Many readers write to us about chronic back pain, and we asked three of them how they use "
        "kratom. Some people report that it eases pain within an hour. It is not approved by the FDA for "
        "any medical use. Daily use for months can lead to dependence, and withdrawal feels like a mild flu.</p>"
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Kratom for back pain</title>"
        f"<link rel='canonical' href='{canonical}'></head><body><main><article><h1>Kratom for back pain</h1>"
        f"{paragraph}</article></main></body></html>"
    )


# --- an address with a port that is not a port ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "address", ["https://greenfield-notes.example:99999/posts/x/", "https://greenfield-notes.example:abc/posts/x/"]
)
def test_an_address_with_a_bad_port_gets_a_message_not_an_error(client, address):
    make_article(text="# Kratom and back pain\n\nPeople take kratom.\n", source_name="bp.md", text_format="markdown")
    assert url_key(address) == ""
    listed = client.get(reverse("evidence:article-list"), {"url": address})
    assert listed.status_code == 200
    notice = BeautifulSoup(listed.content, "html.parser").select_one(".url-lookup").get_text()
    assert "is not a web address" in notice
    assert client.get(reverse("evidence:search"), {"q": address}).status_code == 200
    api = client.get("/api/v1/articles/", {"url": address})
    assert api.status_code == 200 and api.json()["results"] == []


@pytest.mark.django_db
def test_an_article_whose_original_url_has_a_bad_port_can_still_be_imported():
    article = make_article(
        text="# Kratom\n\nPeople take kratom.\n",
        source_name="k.md",
        text_format="markdown",
        original_url="https://greenfield-notes.example:99999/posts/x/",
    )
    assert article.url_key == ""


# --- a page whose canonical URL an article cannot store ------------------------------------------------------


@pytest.mark.parametrize(
    "canonical",
    ["https://greenfield-notes.example:99999/posts/x/", "https://greenfield-notes.example/posts/" + "p" * 600],
)
def test_an_unusable_canonical_url_gives_way_to_the_address_fetched(canonical):
    fetched = "https://greenfield-notes.example/posts/kratom-back-pain/"
    prepared = prepare(page(canonical).encode(), content_type="text/html; charset=utf-8", url=fetched)
    assert prepared.metadata["original_url"] == fetched
    pasted = prepare(page(canonical).encode(), content_type="text/html; charset=utf-8")
    assert "original_url" not in pasted.metadata


@pytest.mark.django_db
@pytest.mark.parametrize(
    "canonical",
    ["https://greenfield-notes.example:99999/posts/x/", "https://greenfield-notes.example/posts/" + "p" * 600],
)
def test_pasted_html_with_an_unusable_canonical_url_is_a_form_error_and_nothing_is_saved(editor_client, canonical):
    response = editor_client.post(reverse(ADD), {"kind": "html", "html": page(canonical)})
    assert response.status_code == 200  # the form again, with what was pasted, not a redirect
    errors = BeautifulSoup(response.content, "html.parser").select(".errorlist")
    assert any("Give a source name" in error.get_text() for error in errors)
    assert not SourceArticle.objects.exists()
    # Given the original URL by hand, the same page imports.
    data = {"kind": "html", "html": page(canonical), "original_url": CANONICAL}
    assert editor_client.post(reverse(ADD), data).status_code == 302
    assert SourceArticle.objects.get().original_url == CANONICAL


# --- claim spotting in a Markdown or plain text wrapped over several lines ------------------------------------

WRAPPED = (
    "# Kratom and hair\n"
    "\n"
    "Many readers wrote to us about their hair. Some of them told us that kratom can\n"
    "cause hair loss after heavy use for many months.\n"
    "\n"
    "- Kratom products are not approved or overseen by\n"
    "  the FDA at all.\n"
)
CLAIMS = [
    ("kratom-causes-hair-loss", "Kratom can cause hair loss, especially with heavy or prolonged use."),
    ("fda-does-not-regulate-kratom", "The FDA does not regulate kratom supplements."),
]
EXAMPLES = [
    ("kratom-causes-hair-loss", "some users report thinning hair after months of daily kratom", "article-a"),
    ("fda-does-not-regulate-kratom", "kratom products are not approved or overseen by the FDA", "article-b"),
]


def small_index():
    return spotting.build_index(claims=CLAIMS, examples=EXAMPLES, synonyms={"kratom": ("kratom",)})


def test_a_sentence_wrapped_over_two_lines_is_spotted_whole():
    found = {s.candidates[0][0]: s for s in spotting.spot(WRAPPED, index=small_index())}
    hair = found["kratom-causes-hair-loss"]
    assert hair.text.endswith("cause hair loss after heavy use for many months.")
    assert "\n" in hair.text  # the sentence runs across the line break, not cut at it
    assert WRAPPED[hair.start : hair.end] == hair.text
    fda = found["fda-does-not-regulate-kratom"]
    assert fda.text == "Kratom products are not approved or overseen by\n  the FDA at all."


def test_lines_that_each_end_a_sentence_stay_apart():
    text = "Title line\n\nKratom products are not approved or overseen by the FDA.\nRead more\n"
    [only] = spotting.spot(text, index=small_index())
    assert only.text == "Kratom products are not approved or overseen by the FDA."


@pytest.mark.django_db
def test_the_spot_page_of_a_wrapped_markdown_article_shows_every_suggestion_in_its_paragraph(
    editor_client, monkeypatch
):
    index = small_index()
    monkeypatch.setattr(spotting_service, "spot", lambda text, exclude_article=None: spotting.spot(text, index=index))
    upload = SimpleUploadedFile("hair.md", WRAPPED.encode(), "text/markdown")
    assert editor_client.post(reverse(ADD), {"kind": "file", "upload": upload}).status_code == 302
    article = SourceArticle.objects.get()
    rows = spotting_service.review_rows(article)
    assert len(rows) == 2
    soup = BeautifulSoup(editor_client.get(reverse("admin:article-spot", args=[article.pk])).content, "html.parser")
    assert len(soup.select(".spot-answer")) == len(rows)  # none dropped for crossing a line break
    marks = [" ".join(mark.get_text().split()) for mark in soup.select(".spot-text mark")]
    assert "Some of them told us that kratom can cause hair loss after heavy use for many months." in marks
    # The wrapped paragraph is one paragraph on the page, not two lines (one of them taken for a heading).
    paragraph = soup.find("mark", id=rows[0].anchor).find_parent(["p", "h3"])
    assert paragraph.name == "p"
    assert "Many readers wrote to us about their hair." in paragraph.get_text()


def test_the_spot_claims_command_gives_a_wrapped_sentence_whole(tmp_path, monkeypatch):
    index = small_index()
    monkeypatch.setattr(spotting, "build_index", lambda **kwargs: index)
    path = tmp_path / "hair.md"
    path.write_text(WRAPPED, encoding="utf-8")
    out = StringIO()
    call_command("spot_claims", str(path), "--format", "json", stdout=out)
    result = json.loads(out.getvalue())
    texts = [item["text"] for item in result]
    assert any(text.endswith("after heavy use for many months.") and "\n" in text for text in texts)
    for item in result:
        assert WRAPPED[item["start"] : item["end"]] == item["text"]
