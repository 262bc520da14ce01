"""Pinned review versions, their history, canonical addresses, ClaimReview and deep links: what
other sites rely on when they link to a KratomRef verdict for years."""

import extruct
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evidence import services
from evidence.links import text_fragment_url
from evidence.models import Claim, Status
from tests.factories import (
    make_article,
    make_claim,
    make_editor,
    make_evidence,
    make_passage,
    make_reviewer,
    make_study,
    reach,
    settle,
)

pytestmark = pytest.mark.django_db

QUOTE = "Its alkaloids interact with opioid receptors to relieve muscle soreness."  # in tests.factories.article_text


def edit(claim, note="A corrected grade.", **values):
    outcome = services.claim_update(claim=claim, by=make_reviewer(), change_note=note, **values)
    services.change_approve(request=outcome.pending, by=make_editor(), note=note)
    claim.refresh_from_db()
    return claim


def json_ld(response):
    data = extruct.extract(response.content.decode(), base_url="https://testserver/", syntaxes=["json-ld"])
    return data["json-ld"]


def test_a_pinned_version_shows_what_was_recorded_even_after_later_edits(client):
    claim = make_claim(slug="pinned", statement="Kratom does the first thing.", verdict=Claim.Verdict.SUPPORTED)
    edit(claim, note="Re-read the surveys.", statement="Kratom does the second thing.", verdict="contradicted")

    first = client.get("/claims/pinned/v1/")
    assert first.status_code == 200
    page = first.content.decode()
    assert "Kratom does the first thing." in page and "Kratom does the second thing." not in page
    assert 'data-verdict="supported"' in page
    # A newer version exists: the page says so, links to it and shows the change notes in between.
    assert "A newer version (2) exists." in page
    assert "Re-read the surveys." in page
    assert 'href="/claims/pinned/"' in page
    current = client.get("/claims/pinned/").content.decode()
    assert "Kratom does the second thing." in current
    assert 'href="/claims/pinned/v2/"' in current
    assert client.get("/claims/pinned/v3/").status_code == 404


def test_a_withdrawn_claims_versions_stay_readable_with_a_do_not_cite_banner(client):
    make_claim(slug="gone-claim", status=Status.WITHDRAWN)
    assert client.get("/claims/gone-claim/").status_code == 410
    pinned = client.get("/claims/gone-claim/v1/")
    assert pinned.status_code == 200
    assert "Do not cite it as current." in pinned.content.decode()
    assert client.get("/claims/gone-claim/history/").status_code == 200


def test_a_draft_has_no_public_versions_or_history(client):
    make_claim(slug="a-draft-claim", status=Status.DRAFT)
    for path in ("/claims/a-draft-claim/v1/", "/claims/a-draft-claim/history/"):
        assert client.get(path).status_code == 404


def test_history_lists_every_version_and_shows_what_changed(client):
    claim = make_claim(slug="changing", verdict=Claim.Verdict.INSUFFICIENT, summary="Nothing addresses this.")
    study = make_study(title="A survey of kratom users")
    edit(claim, note="Added the survey.", verdict="supported", certainty="low", summary="A survey addresses this.")
    reach_evidence = services.evidence_create(claim=claim, study=study, direction="supports", by=make_reviewer())
    settle(reach_evidence)
    assert claim.versions.count() == 3

    page = client.get("/claims/changing/history/").content.decode()
    for number in (1, 2, 3):
        assert f'href="/claims/changing/v{number}/"' in page
    assert "Added the survey." in page
    compared = client.get("/claims/changing/history/?from=1&to=3").content.decode()
    assert "What changed from version 1 to version 3" in compared
    assert "A survey of kratom users" in compared  # evidence added
    assert "<del>insufficient</del>" in compared and "<ins>supported</ins>" in compared


@pytest.mark.parametrize("query", ["?from=x&to=2", "?from=1&to=99", "?from=2&to=2", "?to=%00"])
def test_a_malformed_comparison_gets_a_message_not_an_error(client, query):
    claim = make_claim(slug="compared")
    edit(claim, summary="A second summary.")
    response = client.get(f"/claims/compared/history/{query}")
    assert response.status_code == 200
    assert "comparing the two latest" in response.content.decode()


def test_old_version_addresses_follow_a_renamed_slug(client):
    make_claim(slug="new-name")
    services.slug_redirect_save(model=Claim, old_slug="old-name", new_slug="new-name", by="seed-library")
    for path in ("/claims/old-name/v1/", "/claims/old-name/history/"):
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (301, path.replace("old-name", "new-name"))


def test_the_canonical_link_is_absolute_from_site_url_without_query_string(client, settings):
    settings.SITE_URL = "https://kratomref.example"
    make_claim(slug="canonical")
    page = client.get("/claims/canonical/?utm_source=forum").content.decode()
    assert '<link rel="canonical" href="https://kratomref.example/claims/canonical/">' in page
    pinned = client.get("/claims/canonical/v1/").content.decode()
    assert '<link rel="canonical" href="https://kratomref.example/claims/canonical/v1/">' in pinned


def test_claim_pages_carry_a_claim_review_a_real_extractor_reads(client, settings):
    settings.SITE_URL = "https://kratomref.example"
    article = make_article(original_url="https://example.org/kratom-article")
    claim = make_claim(slug="reviewed", statement="Kratom relieves pain </script><script>alert(1)</script>")
    claim = Claim.objects.get(pk=claim.pk)
    make_passage(article=article, claim=claim, quote=QUOTE)
    edit(claim, verdict="contradicted", certainty="moderate", summary="Trials found **no** effect.")

    (review,) = [item for item in json_ld(client.get("/claims/reviewed/")) if item.get("@type") == "ClaimReview"]
    assert review["claimReviewed"] == "Kratom relieves pain </script><script>alert(1)</script>"
    assert review["url"] == "https://kratomref.example/claims/reviewed/"
    assert review["author"] == {"@type": "Organization", "name": "KratomRef"}
    assert review["reviewedBy"]["name"] == "KratomRef"
    rating = review["reviewRating"]
    assert (rating["ratingValue"], rating["bestRating"], rating["worstRating"]) == (1, 5, 1)
    assert rating["alternateName"] == "Contradicted · moderate certainty"
    assert rating["ratingExplanation"] == "Trials found no effect."
    assert review["itemReviewed"]["appearance"][0]["url"] == "https://example.org/kratom-article"
    assert review["datePublished"] and review["dateModified"] and review["lastReviewed"]

    (pinned,) = [i for i in json_ld(client.get("/claims/reviewed/v1/")) if i.get("@type") == "ClaimReview"]
    assert pinned["url"] == "https://kratomref.example/claims/reviewed/v1/"
    assert "ratingValue" not in pinned["reviewRating"]  # v1: insufficient evidence is not a point on the scale
    assert pinned["reviewRating"]["alternateName"].startswith("Insufficient evidence")

    reviews = json_ld(client.get(article.get_absolute_url()))
    assert [r["claimReviewed"] for r in reviews] == [claim.statement]


def test_text_fragments_are_percent_encoded_and_use_whole_context_words():
    url = text_fragment_url(
        "https://example.org/a#top", "safe, when used-responsibly & 100%", "It is said to be ", " by most users."
    )
    assert url == ("https://example.org/a#:~:text=be-,safe%2C%20when%20used%2Dresponsibly%20%26%20100%25,-by")
    assert text_fragment_url("", "anything") == ""
    cut = text_fragment_url("https://example.org/a", "quote", "x" * 32, "y" * 32)
    assert cut == "https://example.org/a#:~:text=quote"


def test_article_passages_have_permalinks_and_links_into_the_original(client):
    article = make_article(original_url="https://example.org/original")
    claim = make_claim()
    make_passage(article=article, claim=claim, quote=QUOTE)
    page = client.get(article.get_absolute_url()).content.decode()
    passage = article.passages.get()
    assert f'href="{article.get_absolute_url()}#passage-{passage.pk}"' in page
    assert "https://example.org/original#:~:text=" in page


def claim_with_rows(n):
    claim = make_claim(status=Status.DRAFT)
    for _ in range(n):
        make_evidence(claim=claim, study=make_study())
    return reach(claim, Status.PUBLISHED)


def queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_claim_page_and_pinned_version_queries_do_not_grow_with_evidence(client):
    small, large = claim_with_rows(2), claim_with_rows(20)
    for suffix in ("", "v1/", "history/"):
        assert queries(client, f"/claims/{small.slug}/{suffix}") == queries(client, f"/claims/{large.slug}/{suffix}")


def test_reference_managers_get_a_citation_from_the_page_address_by_content_negotiation(client):
    make_claim(slug="negotiated", statement="Kratom is negotiated.")
    for path in ("/claims/negotiated/", "/claims/negotiated/v1/"):
        bib = client.get(path, HTTP_ACCEPT="application/x-bibtex")
        assert bib["Content-Type"].startswith("application/x-bibtex")
        assert "Kratom is negotiated." in bib.content.decode()
        csl = client.get(path, HTTP_ACCEPT="application/vnd.citationstyles.csl+json")
        assert csl.json()[0]["title"] == "Kratom is negotiated."
        html = client.get(path, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
        assert html["Content-Type"].startswith("text/html")
        assert "Accept" in html["Vary"]
