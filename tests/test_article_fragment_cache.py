"""The article body's highlighted HTML is cached (evidence/fragments.py): a warm article page does
not parse and highlight the text again, and an approved change never leaves a stale body."""

from unittest import mock

import pytest
from bs4 import BeautifulSoup

from evidence import fragments, services
from evidence.models import Claim, Passage
from tests.factories import article_text, make_article, make_claim, make_passage, make_reviewer, settle

pytestmark = pytest.mark.django_db

QUOTE = "Sentence about kratom that the review quotes."


@pytest.fixture
def quoted():
    article = make_article(text=article_text(extra_paragraphs=[QUOTE]))
    claim = make_claim(statement="Kratom was quoted in a cached article.", verdict=Claim.Verdict.INSUFFICIENT)
    passage = make_passage(article=article, claim=claim, quote=QUOTE)
    return article, claim, passage


def highlighted(client, article):
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    page = BeautifulSoup(response.content.decode(), "html.parser")
    return page.select_one(".passage[data-claim]")


def spy():
    return mock.patch.object(fragments, "render_structure", wraps=fragments.render_structure)


def test_a_warm_article_page_does_not_highlight_the_text_again(client, quoted):
    article, claim, passage = quoted
    with spy() as render:
        cold = client.get(article.get_absolute_url()).content
        assert render.call_count == 1
        warm = client.get(article.get_absolute_url()).content
        assert render.call_count == 1  # the body came from the cache
    assert warm == cold
    mark = BeautifulSoup(warm.decode(), "html.parser").select_one(f"#passage-{passage.pk}")
    assert mark.get_text() == QUOTE and mark["data-statement"] == claim.statement


def test_an_approved_change_to_a_quoted_claim_or_a_passage_shows_at_once(client, quoted):
    article, claim, passage = quoted
    assert highlighted(client, article)["data-verdict"] == Claim.Verdict.INSUFFICIENT  # now cached

    settle(
        services.claim_update(
            claim=claim, by=make_reviewer(), verdict=Claim.Verdict.SUPPORTED, change_note="New evidence."
        )
    )
    with spy() as render:
        mark = highlighted(client, article)
        assert render.call_count == 1  # a new key, rendered afresh
    assert mark["data-verdict"] == Claim.Verdict.SUPPORTED

    passage = Passage.objects.get(pk=passage.pk)
    settle(
        services.passage_update(
            passage=passage,
            by=make_reviewer(),
            wording=Passage.Wording.OVERSTATED,
            wording_note="States as settled what one survey suggests.",
            change_note="Too strong.",
        )
    )
    assert highlighted(client, article)["data-wording"] == Passage.Wording.OVERSTATED


def test_a_withdrawn_passage_disappears_from_the_cached_body(client, quoted):
    article, _claim, passage = quoted
    assert highlighted(client, article) is not None
    settle(
        services.passage_delete(passage=Passage.objects.get(pk=passage.pk), by=make_reviewer(), change_note="Wrong.")
    )
    assert highlighted(client, article) is None
