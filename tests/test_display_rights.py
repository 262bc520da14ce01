"""Display rights: an article's whole text is shown only where an editor recorded why that is
allowed; otherwise readers, the API and the dataset get the reviewed passages in context
(docs/decisions/0007-revisions-and-reanchoring.md)."""

import csv
import io

import pytest
from bs4 import BeautifulSoup
from concurrency.forms import get_signer
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from evidence import services
from evidence.excerpts import passage_excerpts
from evidence.models import SourceArticle, Status
from evidence.seeding import SEED_TEXT_REASON
from evidence.services.revisions import article_revise
from tests.factories import (
    TEST_TEXT_REASON,
    article_text,
    make_article,
    make_claim,
    make_passage,
    make_reviewer,
    make_warning,
)

pytestmark = pytest.mark.django_db

DOSE = "Take 1-3 grams up to three times daily."
SAFE = "Kratom is safe when used responsibly."
DEPENDENCE = "Long-term use may lead to dependence."


@pytest.fixture
def hidden():
    """A published article from the web whose whole text nobody has cleared for showing, with a
    reviewed passage, a warning it leaves out, and its original address."""
    article = make_article(full_text_shown=False, original_url="https://example.org/kratom-guide")
    claim = make_claim()
    passage = make_passage(article=article, claim=claim, quote=SAFE)
    make_warning(claims=[claim])
    return article, passage


def soup(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


# --- the excerpts ------------------------------------------------------------------------------------


def test_an_excerpt_is_the_passage_with_one_sentence_either_side_inside_its_paragraph(hidden):
    article, passage = hidden
    [excerpt] = passage_excerpts(article.text, [passage], article.text_format)
    shown = article.text[excerpt.start : excerpt.end]
    assert shown == f"{DOSE} {SAFE}"  # the sentence before; the paragraph ends after the passage
    assert excerpt.cut_before is False and excerpt.cut_after is False
    assert f'id="passage-{passage.pk}"' in excerpt.html


def test_nearby_passages_share_one_excerpt_and_far_ones_get_their_own():
    text = (
        "One. Two. Three is here. Four. Five. Six. Seven. Eight is here. Nine.\n"
        "A second paragraph. It has a claim here. And more."
    )

    class P:
        def __init__(self, pk, quote):
            self.pk, self.quote = pk, quote
            self.start = text.index(quote)
            self.end = self.start + len(quote)
            self.wording = "accurate"
            self.claim = type(
                "C",
                (),
                {
                    "grade_label": "Supported · high certainty",
                    "verdict": "supported",
                    "polarity": "benefit",
                    "certainty": "high",
                    "slug": "c",
                    "statement": "S",
                    "get_absolute_url": lambda self: "/claims/c/",
                },
            )()

        def get_wording_display(self):
            return "Accurate"

    passages = [P(1, "Three is here."), P(2, "Four."), P(3, "Eight is here."), P(4, "It has a claim here.")]
    excerpts = passage_excerpts(text, passages, "text")
    shown = [text[e.start : e.end] for e in excerpts]
    assert shown == [
        "Two. Three is here. Four. Five.",
        "Seven. Eight is here. Nine.",
        "A second paragraph. It has a claim here. And more.",
    ]
    assert [len(e.passages) for e in excerpts] == [2, 1, 1]
    assert excerpts[0].cut_before and excerpts[0].cut_after and not excerpts[1].cut_after


# --- the article page ---------------------------------------------------------------------------------


def test_an_article_without_a_recorded_reason_shows_passages_in_context_not_its_whole_text(hidden, client):
    article, passage = hidden
    page = soup(client.get(article.get_absolute_url()))
    body = page.get_text(" ")
    mark = page.find(id=f"passage-{passage.pk}")
    assert mark is not None and mark.get_text() == SAFE  # the passage, at its usual anchor
    assert DOSE in body  # a sentence of context
    assert "This guide explores kratom for sore muscles." not in body  # the rest of the text is not shown
    assert DEPENDENCE not in body
    assert page.find(id="bottom-line-title") is not None
    assert page.find(id="scorecard-title") is not None
    assert page.find(id="omitted-title") is not None  # what it leaves out
    fragments = [a["href"] for a in page.select(".excerpt figcaption a")]
    assert fragments and fragments[0].startswith("https://example.org/kratom-guide#:~:text=")


def test_an_article_with_a_recorded_reason_shows_its_whole_text(client):
    article = make_article()
    assert (article.full_text_shown, article.full_text_reason) == (True, TEST_TEXT_REASON)
    body = soup(client.get(article.get_absolute_url())).get_text(" ")
    assert "This guide explores kratom for sore muscles." in body and DEPENDENCE in body


def test_an_earlier_revision_of_a_hidden_article_shows_its_passages_in_context_only(hidden, client):
    article, passage = hidden
    article_revise(article=article, text=article.text + "\nA new closing line.", text_format="seed", by=make_reviewer())
    page = soup(client.get(reverse("evidence:article-revision", kwargs={"slug": article.slug, "number": 1})))
    body = page.get_text(" ")
    assert page.find(id=f"passage-{passage.pk}") is not None
    assert "This guide explores kratom for sore muscles." not in body


def test_the_seed_articles_record_why_their_text_is_shown(seed_library_module, client):
    articles = list(SourceArticle.objects.published())
    assert len(articles) == 5
    assert {(a.full_text_shown, a.full_text_reason) for a in articles} == {(True, SEED_TEXT_REASON)}
    assert SEED_TEXT_REASON == "Provided to the project as its seed material."


# --- the API and the dataset ---------------------------------------------------------------------------


def test_the_api_gives_the_text_only_where_it_is_shown_and_always_the_passages_selectors(hidden, client):
    article, passage = hidden
    data = client.get(f"/api/v1/articles/{article.slug}/").json()
    assert data["full_text_shown"] is False and data["text"] is None
    [annotation] = data["passages"]
    quote = annotation["target"]["selector"][0]
    assert (quote["exact"], quote["prefix"], quote["suffix"]) == (passage.quote, passage.prefix, passage.suffix)
    shown = make_article()
    data = client.get(f"/api/v1/articles/{shown.slug}/").json()
    assert data["full_text_shown"] is True and data["text"] == shown.text
    listed = {row["slug"]: row for row in client.get("/api/v1/articles/").json()["results"]}
    assert listed[article.slug]["full_text_shown"] is False and "text" not in listed[article.slug]


def test_the_dataset_says_which_articles_are_shown_and_never_holds_a_text(hidden, tmp_path):
    article, _passage = hidden
    shown = make_article()
    call_command("export_dataset", str(tmp_path), stdout=io.StringIO(), stderr=io.StringIO())
    with (tmp_path / "articles.csv").open(encoding="utf-8", newline="") as handle:
        rows = {row["slug"]: row for row in csv.DictReader(handle)}
    assert rows[article.slug]["full_text_shown"] == "false"
    assert rows[shown.slug]["full_text_shown"] == "true"
    everything = "".join(path.read_text(encoding="utf-8", errors="replace") for path in tmp_path.iterdir())
    assert "This guide explores kratom for sore muscles." not in everything


# --- the admin -------------------------------------------------------------------------------------------


def test_the_admin_form_refuses_showing_the_whole_text_without_a_reason(reviewer_client):
    article = make_article(article_text(), status=Status.DRAFT, full_text_shown=False)
    url = reverse("admin:evidence_sourcearticle_change", args=[article.pk])
    form = soup(reviewer_client.get(url))
    assert form.find("input", attrs={"name": "full_text_shown"}) is not None
    assert form.find("input", attrs={"name": "full_text_reason"}) is not None
    data = {
        "title": article.title,
        "original_url": "",
        "site": "",
        "published_on": "",
        "stated_author": article.stated_author,
        "stated_credentials": article.stated_credentials,
        "reviewer_note": "",
        "full_text_shown": "on",
        "full_text_reason": "  ",
        "version": get_signer().sign(article.version),  # the admin form signs the version
        "status": article.status,
        "change_note": "",
        "passages-TOTAL_FORMS": "0",
        "passages-INITIAL_FORMS": "0",
        "passages-MIN_NUM_FORMS": "0",
        "passages-MAX_NUM_FORMS": "1000",
    }
    response = reviewer_client.post(url, data)
    assert response.status_code == 200
    assert "Say why readers may see the whole text" in response.content.decode()
    article.refresh_from_db()
    assert article.full_text_shown is False
    data["full_text_reason"] = "The publisher gave written permission on 3 March."
    data["version"] = get_signer().sign(article.version)
    response = reviewer_client.post(url, data)
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.full_text_shown, article.full_text_reason) == (
        True,
        "The publisher gave written permission on 3 March.",
    )


def test_the_service_refuses_showing_the_whole_text_without_a_reason():
    article = make_article(status=Status.DRAFT, full_text_shown=False)
    with pytest.raises(ValidationError, match="Say why readers may see the whole text"):
        services.article_update(article=article, by=make_reviewer(), full_text_shown=True, full_text_reason="")
    article.refresh_from_db()
    assert article.full_text_shown is False
