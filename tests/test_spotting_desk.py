"""The claim spotter in the admin: suggestions in place, answered by accept, reject or new claim.

A reviewer opens an article's "Suggested claims" page, sees each sentence that reads like a known
claim marked in the text with its likeliest claims, and answers it. Every answer is recorded.
"""

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from evidence.models import Claim, Passage, SpotDecision, Status
from evidence.services import spotting
from tests.factories import make_article, make_claim

DEPENDENCE = "Long-term use may lead to dependence."

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def claims():
    return {
        "dependence": make_claim(
            slug="long-term-kratom-use-can-cause-dependence",
            statement="Long-term kratom use can lead to dependence.",
            topic=Claim.Topic.SAFETY,
        ),
        "soreness": make_claim(
            slug="kratom-relieves-muscle-soreness",
            statement="Kratom relieves muscle soreness.",
            topic=Claim.Topic.EFFICACY,
        ),
        "dose": make_claim(
            slug="kratom-doses-are-1-to-3-grams",
            statement="Kratom is usually taken in doses of 1 to 3 grams.",
            topic=Claim.Topic.DOSAGE,
        ),
    }


@pytest.fixture
def draft_article(claims):
    return make_article(status=Status.DRAFT)


def page(article):
    return reverse("admin:article-spot", args=[article.pk])


def row_for(article, sentence):
    rows = spotting.review_rows(article)
    return next(row for row in rows if row.text == sentence)


def answer(client, article, row, action, **extra):
    data = {"action": action, "start": row.start, "end": row.end, "revision": article.revision, **extra}
    return client.post(page(article), data, follow=True)


def test_the_page_marks_each_suggested_sentence_in_place_with_its_claims(reviewer_client, draft_article, claims):
    response = reviewer_client.get(page(draft_article))

    assert response.status_code == 200
    html = response.content.decode()
    row = row_for(draft_article, DEPENDENCE)
    assert row.candidates[0][0] == claims["dependence"]
    assert f'<mark id="spot-{row.start}">{DEPENDENCE}</mark>' in html
    assert claims["dependence"].statement in html
    assert 'name="action" value="accept"' in html
    # A heading of the article is text, never a suggestion.
    assert all(row.text != "How Kratom Works" for row in spotting.review_rows(draft_article))


def test_the_article_change_page_links_to_the_suggestions(reviewer_client, draft_article):
    response = reviewer_client.get(reverse("admin:evidence_sourcearticle_change", args=[draft_article.pk]))

    assert page(draft_article) in response.content.decode()


def test_accepting_creates_the_passage_at_the_sentence_and_records_the_answer(reviewer_client, draft_article, claims):
    row = row_for(draft_article, DEPENDENCE)

    response = answer(
        reviewer_client,
        draft_article,
        row,
        "accept",
        claim=claims["dependence"].slug,
        wording="overstated",
        wording_note="Says dependence follows long-term use without saying how often.",
    )

    assert "Linked the sentence to" in response.content.decode()
    passage = Passage.objects.get(article=draft_article)
    assert (passage.start, passage.end, passage.quote) == (row.start, row.end, DEPENDENCE)
    assert draft_article.text[passage.start : passage.end] == passage.quote
    assert passage.claim == claims["dependence"]
    assert passage.wording == "overstated"
    decision = SpotDecision.objects.get(article=draft_article)
    assert (decision.decision, decision.rank, decision.passage, decision.decided_by) == (
        "accepted",
        1,
        passage,
        "reviewer",
    )
    assert decision.candidates[0]["claim"] == claims["dependence"].slug
    # Answered once: the sentence now shows its passage, and a second accept is refused.
    assert "Already a passage" in reviewer_client.get(page(draft_article)).content.decode()
    again = answer(reviewer_client, draft_article, row, "accept", claim=claims["dependence"].slug)
    assert "already holds a passage" in again.content.decode()
    assert Passage.objects.filter(article=draft_article).count() == 1


def test_a_wording_other_than_accurate_needs_its_note(reviewer_client, draft_article, claims):
    row = row_for(draft_article, DEPENDENCE)

    response = answer(
        reviewer_client, draft_article, row, "accept", claim=claims["dependence"].slug, wording="overstated"
    )

    assert "how this wording departs" in response.content.decode()
    assert not Passage.objects.filter(article=draft_article).exists()
    assert not SpotDecision.objects.exists()


def test_rejecting_records_the_answer_and_creates_nothing(reviewer_client, draft_article, claims):
    row = row_for(draft_article, DEPENDENCE)

    response = answer(reviewer_client, draft_article, row, "reject")

    assert "makes none of the suggested claims" in response.content.decode()
    decision = SpotDecision.objects.get()
    assert (decision.decision, decision.claim, decision.passage) == ("rejected", claims["dependence"], None)
    assert not Passage.objects.filter(article=draft_article).exists()
    assert spotting.decision_summary()["precision"] == 0.0
    # A rejected sentence may still be accepted later: precision then counts both answers.
    answer(reviewer_client, draft_article, row, "accept", claim=claims["dependence"].slug)
    summary = spotting.decision_summary()
    assert (summary["accepted"], summary["rejected"], summary["precision_percent"]) == (1, 1, 50)


def test_new_claim_needed_creates_a_draft_claim_from_the_sentence(reviewer_client, draft_article, claims):
    row = row_for(draft_article, DEPENDENCE)

    response = answer(reviewer_client, draft_article, row, "new-claim")

    claim = Claim.objects.get(statement=DEPENDENCE)
    assert "Created the draft claim" in response.content.decode()
    assert (claim.status, claim.verdict, claim.certainty) == (Status.DRAFT, "insufficient", "very-low")
    assert claim.topic == Claim.Topic.SAFETY  # taken from the best suggestion, for the reviewer to check
    passage = Passage.objects.get(article=draft_article)
    assert (passage.claim, passage.quote) == (claim, DEPENDENCE)
    assert SpotDecision.objects.get().decision == "new-claim"


def test_on_a_published_article_an_accepted_passage_waits_for_a_second_person(reviewer_client, claims):
    article = make_article()
    row = row_for(article, DEPENDENCE)

    response = answer(reviewer_client, article, row, "accept", claim=claims["dependence"].slug)

    assert "waits for a second person" in response.content.decode()
    assert not Passage.objects.filter(article=article).exists()
    decision = SpotDecision.objects.get()
    assert decision.decision == "accepted" and decision.passage is None
    assert "the passage waits for approval" in reviewer_client.get(page(article)).content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"action": "accept", "start": "x", "end": "9", "revision": "1"},
        {"action": "accept", "start": "0", "end": "999999", "revision": "1", "claim": "nope"},
        {"action": "reject", "start": "5", "end": "2", "revision": "1"},
        {"action": "dance", "start": "0", "end": "4", "revision": "1"},
        {},
    ],
)
def test_a_malformed_answer_gets_a_message_and_saves_nothing(reviewer_client, draft_article, data):
    response = reviewer_client.post(page(draft_article), data, follow=True)

    assert response.status_code == 200
    assert [message.level_tag for message in response.context["messages"]] == ["error"]
    assert not SpotDecision.objects.exists()
    assert not Passage.objects.exists()


def test_an_answer_for_an_earlier_revision_is_refused(reviewer_client, draft_article, claims):
    row = row_for(draft_article, DEPENDENCE)
    data = {"action": "reject", "start": row.start, "end": row.end, "revision": draft_article.revision + 1}

    response = reviewer_client.post(page(draft_article), data, follow=True)

    assert "The article changed" in response.content.decode()
    assert not SpotDecision.objects.exists()


def test_only_curators_who_may_add_passages_see_the_page(client, draft_article):
    outsider = User.objects.create_user("outsider", password="pw-outsider-123", is_staff=True)
    staff = Client()
    staff.force_login(outsider)

    assert staff.get(page(draft_article)).status_code == 403
    assert staff.post(page(draft_article), {"action": "reject"}).status_code == 403
    assert client.get(page(draft_article)).status_code == 302  # anonymous: to the sign-in page


def test_suggestions_are_computed_once_per_revision_and_rows_take_three_queries(
    draft_article, claims, django_assert_num_queries
):
    spotting.review_rows(draft_article)  # fills the cache (and the content version)

    with django_assert_num_queries(3):
        rows = spotting.review_rows(draft_article)

    assert any(row.text == DEPENDENCE for row in rows)


def test_the_answers_list_reports_the_spotters_precision(reviewer_client, draft_article, claims):
    row = row_for(draft_article, DEPENDENCE)
    answer(reviewer_client, draft_article, row, "reject")
    answer(reviewer_client, draft_article, row, "accept", claim=claims["dependence"].slug)

    response = reviewer_client.get(reverse("admin:evidence_spotdecision_changelist"))

    html = response.content.decode()
    assert "1 suggestion(s) accepted, 1 rejected" in html
    assert "precision 50%" in html
    assert "first suggestion in 100% of accepts" in html


def test_an_article_imported_in_the_admin_leads_to_its_suggested_claims(reviewer_client, claims):
    text = "# Kratom at night\n\nSome readers take kratom to sleep. Long-term use may lead to dependence.\n"
    response = reviewer_client.post(
        reverse("admin:evidence_sourcearticle_add"),
        {"kind": "text", "text": text, "source_name": "kratom-at-night.md"},
        follow=True,
    )

    article = response.context["original"]
    assert article.text_format == "markdown"
    spot = page(article)
    assert f'<a href="{spot}">See the claims suggested in it</a>' in response.content.decode()
    suggested = reviewer_client.get(spot).content.decode()
    assert "Long-term use may lead to dependence." in suggested
    assert claims["dependence"].statement in suggested
