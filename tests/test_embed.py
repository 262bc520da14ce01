"""Badges, the framable card and oEmbed (evidence/embed.py): what other sites load, and the headers
that let them load it (and nothing else)."""

import json
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evidence import services
from evidence.embed import embed_context
from evidence.links import claim_url
from evidence.models import Claim, Polarity, Status
from tests.factories import (
    make_claim,
    make_editor,
    make_evidence,
    make_reviewer,
    make_reviewer_editor,
    make_study,
    reach,
    settle,
)

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & {braces} % "quoted"'


def badge_path(claim, number=None):
    if number is None:
        return reverse("evidence:claim-badge", kwargs={"slug": claim.slug})
    return reverse("evidence:claim-version-badge", kwargs={"slug": claim.slug, "number": number})


def card_path(claim):
    return reverse("evidence:claim-embed", kwargs={"slug": claim.slug})


def oembed(client, url, **params):
    return client.get(reverse("evidence:oembed"), {"url": url, "format": "json", **params})


def site_path(url):
    """A SITE_URL address as a path the test client can request."""
    assert url.startswith(settings.SITE_URL)
    return url[len(settings.SITE_URL) :]


def approve_change(claim, **values):
    """An edit by a reviewer, approved by an editor: the claim's next review version."""
    settle(services.claim_update(claim=claim, by=make_reviewer(), change_note="Re-graded.", **values))
    claim.refresh_from_db()
    return claim


def parsed_badge(response):
    root = ElementTree.fromstring(response.content)
    texts = ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]
    return root, texts


def assert_no_cookies(response):
    assert "Set-Cookie" not in response.headers
    assert not response.cookies
    assert "cookie" not in response.headers.get("Vary", "").lower()


# The badge ------------------------------------------------------------------------------------------


def test_badge_says_the_verdict_and_certainty_in_words_with_an_icon_and_a_version():
    claim = make_claim(verdict=Claim.Verdict.SUPPORTED, certainty=Claim.Certainty.MODERATE)

    response = client_get(badge_path(claim))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    root, texts = parsed_badge(response)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title").text
    assert root.get("aria-label") == title
    assert title.startswith("KratomRef: Supported · moderate certainty")
    assert "✓ Supported · moderate certainty" in texts
    assert "KratomRef" in texts
    assert "v1" in texts


def test_badge_names_a_harm_in_words_not_colour_alone():
    claim = make_claim(verdict=Claim.Verdict.CONTRADICTED, certainty=Claim.Certainty.LOW, polarity=Polarity.HARM)

    root, texts = parsed_badge(client_get(badge_path(claim)))

    assert "✗ Contradicted · low certainty" in texts
    assert "if true: harm" in texts
    assert "if true: harm" in root.find(f"{SVG}title").text


def test_a_supported_harm_reads_as_a_risk_not_as_good_news():
    harm = make_claim(verdict=Claim.Verdict.SUPPORTED, certainty=Claim.Certainty.HIGH, polarity=Polarity.HARM)
    benefit = make_claim(verdict=Claim.Verdict.SUPPORTED, certainty=Claim.Certainty.HIGH, polarity=Polarity.BENEFIT)
    fact = make_claim(verdict=Claim.Verdict.SUPPORTED, certainty=Claim.Certainty.HIGH, polarity=Polarity.NEUTRAL)

    def grade_box(claim):
        root, texts = parsed_badge(client_get(badge_path(claim)))
        rects = root.findall(f"{SVG}g/{SVG}rect")
        return rects[1].get("fill"), texts[1], root.find(f"{SVG}title").text

    harm_fill, harm_text, harm_title = grade_box(harm)
    benefit_fill, benefit_text, _ = grade_box(benefit)
    fact_fill, fact_text, _ = grade_box(fact)
    assert harm_text == "⚠ Supported · high certainty · a risk"
    assert "a risk" in harm_title
    assert benefit_text == fact_text == "✓ Supported · high certainty"
    assert len({harm_fill, benefit_fill, fact_fill}) == 3  # the colour adds what the words already say
    card = BeautifulSoup(client_get(card_path(harm)).content, "html.parser")
    assert card.select_one(".grade").get_text(" ", strip=True) == "⚠ Supported · high certainty · a risk"
    assert card.select_one(".grade")["data-polarity"] == "harm"


def test_current_badge_is_briefly_cacheable_revalidated_and_loadable_by_other_sites():
    claim = make_claim()

    response = client_get(badge_path(claim))

    assert response["Cache-Control"] == "public, max-age=300"
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"]
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert_no_cookies(response)

    again = client_get(badge_path(claim), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == response["ETag"]
    assert again["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert client_get(badge_path(claim), HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_pinned_badge_is_cached_for_a_year():
    claim = make_claim()

    response = client_get(badge_path(claim, 1))

    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["ETag"]
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert_no_cookies(response)
    assert client_get(badge_path(claim, 1), HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_current_badge_follows_an_approved_change_while_the_pinned_one_stays():
    claim = make_claim(verdict=Claim.Verdict.INSUFFICIENT, certainty=Claim.Certainty.VERY_LOW)
    before = client_get(badge_path(claim))
    pinned_before = client_get(badge_path(claim, 1))

    approve_change(claim, verdict=Claim.Verdict.SUPPORTED, certainty=Claim.Certainty.LOW)

    after = client_get(badge_path(claim), HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200  # a site revalidating its copy gets the new verdict
    assert after["ETag"] != before["ETag"]
    _, texts = parsed_badge(after)
    assert "✓ Supported · low certainty" in texts
    assert "v2" in texts
    pinned_after = client_get(badge_path(claim, 1))
    assert pinned_after.content == pinned_before.content
    assert pinned_after["ETag"] == pinned_before["ETag"]
    assert "? Insufficient evidence · very low certainty" in parsed_badge(pinned_after)[1]


def test_badge_answers_404_for_drafts_and_unknown_versions_and_says_withdrawn():
    draft = make_claim(status=Status.DRAFT)
    withdrawn = make_claim(status=Status.WITHDRAWN)
    published = make_claim()

    assert client_get(badge_path(draft)).status_code == 404
    assert client_get(badge_path(published, 7)).status_code == 404
    # A withdrawn claim's current badge says so on the sites that show it, instead of breaking.
    current = client_get(badge_path(withdrawn))
    assert current.status_code == 200
    assert "Withdrawn: do not cite as current" in current.content.decode()
    pinned = client_get(badge_path(withdrawn, 1))
    assert pinned.status_code == 200  # a pinned version stays readable, as recorded
    assert "Withdrawn" not in pinned.content.decode()


# The card -------------------------------------------------------------------------------------------


def test_card_shows_statement_grade_first_sentence_and_a_link_back():
    claim = make_claim(
        statement="Kratom relieves chronic pain.",
        verdict=Claim.Verdict.MIXED,
        certainty=Claim.Certainty.LOW,
        summary="**Two** small trials, e.g. Smith et al. 2020, found [some relief](https://example.org). "
        "Surveys say more.\n\nA second paragraph.",
    )

    response = client_get(card_path(claim))

    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    assert page.h1.get_text(strip=True) == "Kratom relieves chronic pain."
    assert page.select_one(".grade").get_text(" ", strip=True) == "± Mixed · low certainty"
    assert page.select_one(".embed-summary").get_text() == (
        "Two small trials, e.g. Smith et al. 2020, found some relief."
    )
    links = page.find_all("a")
    assert links
    for link in links:
        assert link["href"] == claim_url(claim)
        assert link["target"] == "_blank"
        assert "noopener" in link["rel"]
    assert page.find("script") is None
    assert page.find("form") is None
    assert page.find("link", rel="stylesheet")["href"].endswith("css/embed.css")
    assert page.find(style=True) is None and page.find("style") is None  # no inline styles (CSP)


def test_card_can_be_framed_by_any_site_without_cookies():
    claim = make_claim()

    response = client_get(card_path(claim))

    policy = response["Content-Security-Policy"]
    assert "frame-ancestors *" in policy
    assert "'none'" not in policy.split("frame-ancestors")[1].split(";")[0]
    assert "X-Frame-Options" not in response.headers
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert_no_cookies(response)
    assert b"csrfmiddlewaretoken" not in response.content


def test_card_sets_no_cookie_even_for_a_signed_in_curator(editor_client):
    claim = make_claim()

    response = editor_client.get(card_path(claim))

    assert response.status_code == 200
    assert_no_cookies(response)


def test_every_other_page_still_refuses_to_be_framed():
    claim = make_claim()

    for path in (claim.get_absolute_url(), reverse("evidence:home"), badge_path(claim)):
        response = client_get(path)
        assert response.status_code == 200, path
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"], path
        if path != badge_path(claim):
            assert response["X-Frame-Options"] == "DENY", path


def test_card_is_cacheable_with_etag_and_last_modified():
    claim = make_claim()

    response = client_get(card_path(claim))

    assert response["Cache-Control"] == "public, max-age=300"
    assert response["ETag"] and response["Last-Modified"]
    assert client_get(card_path(claim), HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    assert client_get(card_path(claim), HTTP_IF_MODIFIED_SINCE=response["Last-Modified"]).status_code == 304


def test_card_escapes_the_statement():
    claim = make_claim(statement=HOSTILE)

    response = client_get(card_path(claim))

    assert b"<script>" not in response.content
    page = BeautifulSoup(response.content, "html.parser")
    assert page.h1.get_text(strip=True) == HOSTILE
    assert page.find("script") is None


def test_pinned_card_shows_the_version_as_recorded_and_points_to_the_newer_one():
    claim = make_claim(verdict=Claim.Verdict.INSUFFICIENT, certainty=Claim.Certainty.VERY_LOW)
    approve_change(claim, verdict=Claim.Verdict.SUPPORTED, certainty=Claim.Certainty.LOW)

    pinned = BeautifulSoup(client_get(card_path(claim), {"v": 1}).content, "html.parser")
    current = BeautifulSoup(client_get(card_path(claim)).content, "html.parser")

    assert "Insufficient evidence · very low certainty" in pinned.select_one(".grade").get_text()
    assert "version 2" in pinned.select_one(".embed-newer").get_text()
    assert pinned.h1.a["href"] == claim_url(claim, 1)
    assert "Supported · low certainty" in current.select_one(".grade").get_text()
    assert current.select_one(".embed-newer") is None
    assert client_get(card_path(claim), {"v": 9}).status_code == 404
    assert client_get(card_path(claim), {"v": "one"}).status_code == 404


def test_card_follows_a_renamed_claim_and_refuses_drafts():
    claim = make_claim()
    services.slug_redirect_save(model="claim", old_slug="an-old-name", new_slug=claim.slug, by=make_editor())

    moved = client_get(reverse("evidence:claim-embed", kwargs={"slug": "an-old-name"}))

    assert moved.status_code == 301
    assert moved["Location"] == card_path(claim)
    assert client_get(card_path(make_claim(status=Status.DRAFT))).status_code == 404


def test_a_withdrawn_claims_card_tells_the_embedding_sites_readers_instead_of_breaking():
    claim = make_claim(statement="Kratom cures anxiety.", verdict="supported", certainty="low", summary="One trial.")
    proposal = services.status_change(obj=claim, status=Status.WITHDRAWN, by=make_editor(), note="Misread trial.")
    services.change_approve(request=proposal.pending, by=make_reviewer_editor(), note="Misread trial.")

    current = client_get(card_path(claim))

    # 410 for what the address means now; a frame shows the body, which other sites may frame
    assert current.status_code == 410
    assert current["Content-Security-Policy"].count("frame-ancestors *") == 1
    assert "X-Frame-Options" not in current
    page = BeautifulSoup(current.content, "html.parser")
    assert page.select_one(".embed-statement").get_text(strip=True) == "Kratom cures anxiety."
    grade = page.select_one(".embed-grade").get_text(" ", strip=True)
    assert "Withdrawn: do not cite as current" in grade and "Supported" not in grade
    assert page.select_one(".embed-summary") is None  # the withdrawn grade's reasons are not quoted
    notice = page.select_one(".embed-withdrawn")
    assert f"withdrawn on {timezone.localdate():%-d %B %Y}" in notice.get_text(" ", strip=True)
    assert notice.a["href"] == claim_url(claim)  # the claim's address explains the withdrawal

    pinned = client_get(card_path(claim), {"v": 1})

    assert pinned.status_code == 200  # a pinned version stays readable, as recorded, and says what happened since
    page = BeautifulSoup(pinned.content, "html.parser")
    assert "Supported · low certainty" in page.select_one(".embed-grade").get_text(" ", strip=True)
    assert "since been withdrawn" in page.select_one(".embed-withdrawn").get_text(" ", strip=True)
    assert client_get(card_path(make_claim()))["Content-Type"].startswith("text/html")
    assert (
        BeautifulSoup(client_get(card_path(make_claim())).content, "html.parser").select_one(".embed-withdrawn") is None
    )


# oEmbed ---------------------------------------------------------------------------------------------


def test_oembed_describes_the_card_as_rich_html(client):
    claim = make_claim(statement="Kratom relieves chronic pain.")

    response = oembed(client, claim_url(claim))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data["version"] == "1.0"
    assert data["type"] == "rich"
    assert data["provider_name"] == "KratomRef"
    assert data["provider_url"] == settings.SITE_URL
    assert data["title"] == "Kratom relieves chronic pain."
    assert data["cache_age"] > 0
    assert (data["width"], data["height"]) == (480, 200)
    frame = BeautifulSoup(data["html"], "html.parser").iframe
    assert frame["src"] == settings.SITE_URL + card_path(claim)
    assert (frame["width"], frame["height"]) == ("480", "200")
    assert frame["title"] == "KratomRef: Kratom relieves chronic pain."
    assert client_get(site_path(frame["src"])).status_code == 200


def test_oembed_for_a_pinned_address_embeds_that_version(client):
    claim = make_claim()
    approve_change(claim, verdict=Claim.Verdict.SUPPORTED, certainty=Claim.Certainty.LOW)

    data = json.loads(oembed(client, claim_url(claim, 1)).content)

    src = urlsplit(BeautifulSoup(data["html"], "html.parser").iframe["src"])
    assert src.path == card_path(claim)
    assert parse_qs(src.query) == {"v": ["1"]}


def test_oembed_honours_maxwidth_and_maxheight(client):
    claim = make_claim()

    narrow = json.loads(oembed(client, claim_url(claim), maxwidth="320").content)
    short = json.loads(oembed(client, claim_url(claim), maxwidth="1000", maxheight="150").content)

    assert narrow["width"] == 320
    assert narrow["height"] >= 200  # a narrower card wraps more, so it gets a taller frame
    assert 'width="320"' in narrow["html"]
    assert (short["width"], short["height"]) == (480, 150)
    assert 'height="150"' in short["html"]


@pytest.mark.parametrize("value", ["abc", "0", "-5", "1.5", "9" * 40])
def test_oembed_refuses_a_size_that_is_not_a_positive_number(client, value):
    claim = make_claim()

    for name in ("maxwidth", "maxheight"):
        response = oembed(client, claim_url(claim), **{name: value})
        assert response.status_code == 400
        assert "error" in json.loads(response.content)


def test_oembed_answers_404_for_anything_but_a_published_claim(client):
    published = make_claim()
    draft = make_claim(status=Status.DRAFT)
    withdrawn = make_claim(status=Status.WITHDRAWN)
    site = settings.SITE_URL
    other_scheme = site.replace("https://", "http://") if site.startswith("https://") else "https" + site[4:]

    for url in (
        "https://example.org" + reverse("evidence:claim-detail", kwargs={"slug": published.slug}),
        other_scheme + reverse("evidence:claim-detail", kwargs={"slug": published.slug}),
        site + reverse("evidence:claim-list"),
        site + reverse("evidence:home"),
        site + badge_path(published),
        site + "/claims/no-such-claim/",
        claim_url(published, 5),
        claim_url(draft),
        claim_url(withdrawn),
        claim_url(withdrawn, 1),
        "not a url at all",
        site + ":notaport/claims/x/",
    ):
        response = oembed(client, url)
        assert response.status_code == 404, url
        assert "error" in json.loads(response.content)


def test_oembed_follows_a_renamed_claim(client):
    claim = make_claim()
    services.slug_redirect_save(model="claim", old_slug="an-old-name", new_slug=claim.slug, by=make_editor())

    response = oembed(client, settings.SITE_URL + "/claims/an-old-name/")

    assert response.status_code == 200
    assert card_path(claim) in json.loads(response.content)["html"]


def test_oembed_answers_501_for_xml_and_400_without_a_url(client):
    claim = make_claim()

    assert oembed(client, claim_url(claim), format="xml").status_code == 501
    missing = client.get(reverse("evidence:oembed"), {"format": "json"})
    assert missing.status_code == 400
    assert "error" in json.loads(missing.content)


def test_oembed_escapes_the_statement_in_its_html(client):
    claim = make_claim(statement=HOSTILE)

    data = json.loads(oembed(client, claim_url(claim)).content)

    assert "<script>" not in data["html"]
    assert BeautifulSoup(data["html"], "html.parser").iframe["title"] == f"KratomRef: {HOSTILE}"
    assert data["title"] == HOSTILE


# Snippets for the claim page ------------------------------------------------------------------------


def test_snippets_offer_the_iframe_and_the_badge_as_html_and_markdown():
    claim = make_claim(statement=HOSTILE, verdict=Claim.Verdict.SUPPORTED, certainty=Claim.Certainty.HIGH)
    embed = embed_context(claim, claim.versions.get(number=1), pinned=False)

    html = render_to_string("includes/_embed_snippets.html", {"embed": embed})

    assert "<script" not in html and "<iframe" not in html  # snippets are shown as text, never rendered
    page = BeautifulSoup(html, "html.parser")
    snippets = {area["id"]: area.get_text() for area in page.find_all("textarea")}
    assert all(page.find("textarea", id=key).has_attr("readonly") for key in snippets)
    assert page.find("script") is None
    frame = BeautifulSoup(snippets["embed-iframe"], "html.parser").iframe
    assert frame["src"] == settings.SITE_URL + card_path(claim)
    assert frame["title"] == f"KratomRef: {HOSTILE}"
    badge = BeautifulSoup(snippets["embed-badge-html"], "html.parser")
    assert badge.a["href"] == claim_url(claim)
    assert badge.img["src"] == settings.SITE_URL + badge_path(claim)
    assert badge.img["alt"] == "KratomRef: Supported · high certainty"
    assert snippets["embed-badge-markdown"] == (
        f"[![KratomRef: Supported · high certainty]({settings.SITE_URL}{badge_path(claim)})]({claim_url(claim)})"
    )
    assert page.find("img")["src"] == badge_path(claim)  # the preview loads from this site


def test_pinned_snippets_point_to_the_pinned_version():
    claim = make_claim()
    approve_change(claim, verdict=Claim.Verdict.SUPPORTED, certainty=Claim.Certainty.LOW)

    embed = embed_context(claim, claim.versions.get(number=1), pinned=True)

    assert embed["claim_url"] == claim_url(claim, 1)
    assert embed["badge_url"] == settings.SITE_URL + badge_path(claim, 1)
    assert embed["card_url"] == settings.SITE_URL + card_path(claim) + "?v=1"
    assert embed["badge_alt"].endswith("version 1")


def test_discovery_link_leads_to_the_oembed_answer(client):
    claim = make_claim()
    embed = embed_context(claim, claim.versions.get(number=1), pinned=False)

    link = BeautifulSoup(render_to_string("includes/_oembed_link.html", {"embed": embed}), "html.parser").link

    assert link["rel"] == ["alternate"]
    assert link["type"] == "application/json+oembed"
    assert link["title"] == f"KratomRef: {claim.statement}"
    response = client.get(site_path(link["href"]))
    assert response.status_code == 200
    assert json.loads(response.content)["type"] == "rich"


# Measured -------------------------------------------------------------------------------------------


def claim_with_evidence(rows):
    claim = make_claim(status=Status.DRAFT)
    for _ in range(rows):
        make_evidence(claim=claim, study=make_study())
    return reach(claim, Status.PUBLISHED)


def queries_for(path):
    with CaptureQueriesContext(connection) as queries:
        response = client_get(path)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", [badge_path, card_path, lambda claim: badge_path(claim, 1)])
def test_badge_and_card_queries_do_not_grow_with_evidence(page):
    few, many = claim_with_evidence(2), claim_with_evidence(20)
    assert len(many.versions.get(number=1).snapshot["evidence"]) == 20

    counted = queries_for(page(few))
    assert counted > 0
    assert queries_for(page(many)) == counted


def client_get(path, data=None, **headers):
    """A fresh anonymous client, as another site's visitor arrives: no cookies."""
    from django.test import Client

    return Client().get(path, data, **headers)
