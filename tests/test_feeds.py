"""The Atom feeds (/feeds/reviews.atom, /feeds/articles.atom) as a feed reader sees them: parsed with
feedparser, each entry followed to the page it links to."""

from urllib.parse import urlsplit

import feedparser
import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evidence import feeds, services
from evidence.links import claim_url
from evidence.models import Status
from tests.factories import make_article, make_claim, make_editor, make_passage, make_reviewer, reach

pytestmark = pytest.mark.django_db

REVIEWS = "/feeds/reviews.atom"
ARTICLES = "/feeds/articles.atom"
QUOTE = "Long-term use may lead to dependence."  # in tests.factories.article_text


def read_feed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def revise(claim, *, note, **values):
    """A second person approves a reviewer's change: the claim gets its next version."""
    outcome = services.claim_update(claim=claim, by=make_reviewer(), change_note="Proposed.", **values)
    services.change_approve(request=outcome.pending, by=make_editor(), note=note)
    claim.refresh_from_db()
    return claim


def test_reviews_feed_has_one_entry_per_version_newest_first_linking_to_its_pinned_version(client):
    soreness = make_claim(
        slug="kratom-eases-soreness",
        statement="Kratom eases muscle soreness.",
        verdict="supported",
        certainty="low",
        summary="One survey.",
    )
    liver = make_claim(
        slug="kratom-harms-the-liver",
        statement="Kratom can injure the liver.",
        verdict="supported",
        certainty="moderate",
    )
    revise(soreness, note="A new trial found <b>no effect</b> & the survey was small.", verdict="contradicted")
    make_claim(slug="a-draft-claim", statement="A draft nobody approved.", status=Status.DRAFT)
    make_claim(slug="a-claim-in-review", statement="A claim waiting for review.", status=Status.IN_REVIEW)

    feed = read_feed(client, REVIEWS)

    assert feed.feed.title == "KratomRef: new and revised claim reviews"
    assert {link.rel: link.href for link in feed.feed.links}["self"] == f"{settings.SITE_URL}{REVIEWS}"
    assert [entry.link for entry in feed.entries] == [
        claim_url(soreness, 2),
        claim_url(liver, 1),
        claim_url(soreness, 1),
    ]
    newest, _liver, first = feed.entries
    assert newest.title == "Revised review (version 2): Kratom eases muscle soreness. — Contradicted · low certainty"
    assert first.title == "New review: Kratom eases muscle soreness. — Supported · low certainty"
    # The change note is the summary, as text: a curator's angle brackets are not markup.
    assert "A new trial found &lt;b&gt;no effect&lt;/b&gt; &amp; the survey was small." in newest.summary
    assert "<b>" not in newest.summary
    assert all(entry.author == "KratomRef" for entry in feed.entries)
    assert newest.id == claim_url(soreness, 2)
    assert newest.published_parsed >= _liver.published_parsed >= first.published_parsed
    for entry in feed.entries:
        assert client.get(urlsplit(entry.link).path).status_code == 200
    body = client.get(REVIEWS).content.decode()
    assert "a-draft-claim" not in body and "A draft nobody approved." not in body
    assert "a-claim-in-review" not in body


def test_a_withdrawn_claims_versions_stay_in_the_feed_because_their_pinned_pages_stay_readable(client):
    withdrawn = make_claim(slug="withdrawn-claim", statement="A claim later withdrawn.", status=Status.WITHDRAWN)

    (entry,) = read_feed(client, REVIEWS).entries

    assert entry.link == claim_url(withdrawn, 1)
    assert "since been withdrawn" in entry.summary
    assert client.get("/claims/withdrawn-claim/v1/").status_code == 200
    assert client.get("/claims/withdrawn-claim/").status_code == 410


def test_reviews_feed_keeps_only_the_newest_entries(client, monkeypatch):
    monkeypatch.setattr(feeds, "FEED_LENGTH", 2)
    claims = [make_claim() for _ in range(3)]

    feed = read_feed(client, REVIEWS)

    assert [entry.link for entry in feed.entries] == [claim_url(claims[2], 1), claim_url(claims[1], 1)]


def article(title, *, status=Status.PUBLISHED, **kwargs):
    draft = make_article(status=Status.DRAFT, **kwargs)
    services.article_update(article=draft, by=make_reviewer(), title=title)
    return reach(draft, status)


def test_articles_feed_lists_published_articles_newest_first(client):
    older = article("An older kratom guide", site="Example Wellness")
    claim = make_claim()
    make_passage(article=older, claim=claim, quote=QUOTE)
    newer = article("A newer kratom guide")
    article("A draft article", status=Status.DRAFT)

    feed = read_feed(client, ARTICLES)

    assert [entry.title for entry in feed.entries] == ["A newer kratom guide", "An older kratom guide"]
    assert [entry.link for entry in feed.entries] == [
        f"{settings.SITE_URL}{newer.get_absolute_url()}",
        f"{settings.SITE_URL}{older.get_absolute_url()}",
    ]
    assert "1 claim passage graded." in feed.entries[1].summary
    assert "Example Wellness" in feed.entries[1].summary
    assert all(entry.author == "KratomRef" for entry in feed.entries)
    assert "A draft article" not in client.get(ARTICLES).content.decode()


def test_an_empty_library_gives_valid_empty_feeds(client):
    assert read_feed(client, REVIEWS).entries == []
    assert read_feed(client, ARTICLES).entries == []


def test_home_and_claim_pages_announce_the_feeds(client):
    make_claim(slug="announced-claim")
    for page, expected in (("/", {REVIEWS, ARTICLES}), ("/claims/announced-claim/", {REVIEWS})):
        soup = BeautifulSoup(client.get(page).content, "html.parser")
        links = soup.select('head link[rel="alternate"][type="application/atom+xml"]')
        assert {link["href"] for link in links} == expected
        assert all(link.get("title") for link in links)
        for link in links:
            assert read_feed(client, link["href"]).feed.title.startswith("KratomRef")


def feed_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_feeds_run_the_same_number_of_queries_for_few_and_many_entries(client):
    claim = make_claim()
    make_passage(article=make_article(), claim=claim, quote=QUOTE)
    make_claim()
    few = {url: feed_queries(client, url) for url in (REVIEWS, ARTICLES)}
    for _ in range(4):
        revise(make_claim(), note="Re-graded.", certainty="moderate")
        make_passage(article=make_article(), claim=claim, quote=QUOTE)

    assert {url: feed_queries(client, url) for url in (REVIEWS, ARTICLES)} == few
