"""Readers' questions, asked of the seed library through /search/: the right claim or warning is
among the first three best answers, on SQLite and on PostgreSQL alike.

The questions and their answers are data (tests/fixtures/reader_questions.yaml), chosen by
reading the seed library: each expected item really answers its question.
"""

from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

QUESTIONS = yaml.safe_load((Path(__file__).parent / "fixtures" / "reader_questions.yaml").read_text())
TYPES = {"claims": "claim", "warnings": "warning", "substances": "substance"}


@pytest.fixture
def library(seed_library_module, db):
    """The seed library (loaded once for this module); each test's own writes are rolled back."""


def search(client, q):
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


def best_answers(page):
    """The best answers as "claim/<slug>", "warning/<slug>" or "substance/<slug>", in page order."""
    return [
        f"{TYPES[li['data-type']]}/{li.select_one('a.answer-title')['href'].rstrip('/').rsplit('/', 1)[-1]}"
        for li in page.select("#best-answers li.answer")
    ]


def test_the_question_set_is_about_twenty_questions_each_with_a_reason():
    assert len(QUESTIONS) >= 20
    assert len({q["question"].lower() for q in QUESTIONS}) == len(QUESTIONS)
    for item in QUESTIONS:
        assert item["why"].strip() and 1 <= len(item["top_three"]) <= 3, item["question"]
        assert all(answer.split("/")[0] in {"claim", "warning"} for answer in item["top_three"])


@pytest.mark.parametrize("item", QUESTIONS, ids=[q["question"] for q in QUESTIONS])
def test_a_readers_question_finds_the_right_answer_among_the_first_three(library, client, item):
    page = search(client, item["question"])

    top_three = best_answers(page)[:3]
    missing = [answer for answer in item["top_three"] if answer not in top_three]
    assert not missing, f"{item['question']!r}: {missing} not in the top three {top_three}"
    assert "Nothing in the library matches “" not in page.select_one("[role=status]").get_text()


def test_every_expected_answer_is_a_published_item_of_the_seed_library(library):
    from evidence.models import Claim, Warning

    models = {"claim": Claim, "warning": Warning}
    for item in QUESTIONS:
        for answer in item["top_three"]:
            kind, slug = answer.split("/")
            assert models[kind].objects.published().filter(slug=slug).exists(), answer


def test_best_answers_come_before_the_results_by_type_and_mix_warnings_with_claims(library, client):
    page = search(client, "Is kratom bad for my liver?")

    sections = [section["id"] for section in page.select("main section")]
    assert sections[0] == "best-answers" and "claims" in sections and "warnings" in sections
    answers = page.select("#best-answers li.answer")
    assert answers[0]["data-type"] == "warnings"  # the liver-injury warning, not after eight claims
    assert answers[0].select_one(".answer-type").get_text(strip=True) == "Warning"
    assert {li["data-type"] for li in answers} == {"warnings", "claims"}
    assert answers[1].select_one(".grade")  # a claim shows its verdict and certainty
    assert "“bad”" in page.select_one("[role=status]").get_text()  # left out, and the reader is told


def test_a_question_with_a_word_the_library_lacks_is_answered_from_the_others_and_says_so(library, client):
    page = search(client, "kratom liver xylophone")

    status = page.select_one("[role=status]").get_text(" ", strip=True)
    assert "No result has every word, so these have “liver”." in status
    assert "“kratom” was left out: everything in this library is about it." in status
    assert "Nothing in the library matches “xylophone”." in status
    assert "warning/liver-injury" in best_answers(page)[:3]


def test_a_search_that_finds_nothing_still_offers_close_claims_a_warning_and_a_way_on(library, client):
    page = search(client, "siezures")

    assert "Nothing in the library matches “siezures”" in page.select_one("[role=status]").get_text()
    assert page.select_one(".suggestion a").get_text() == "seizures"
    nothing = page.select_one(".no-results")
    closest = [a["href"] for a in nothing.select("ul.results .result-title")]
    assert "/claims/kratom-common-side-effects/" in closest
    assert nothing.select_one("p.result .result-title")["href"] == "/warnings/seizures/"
    assert "Try fewer or other words" in nothing.get_text()
    assert {a["href"] for a in nothing.select(".hint a")} == {"/claims/", "/warnings/"}


def test_an_unrelated_search_gets_no_made_up_matches_but_still_a_way_on(library, client):
    page = search(client, "xylophone")

    nothing = page.select_one(".no-results")
    assert nothing.select("ul.results") == [] and nothing.select("p.result") == []
    assert {a["href"] for a in nothing.select(".hint a")} == {"/claims/", "/warnings/"}
    assert page.select_one("#best-answers") is None
