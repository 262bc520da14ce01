"""Small things readers noticed (issue 13 §7): study link labels, the "checked against" label,
OpenGraph descriptions and share images, sitemap.xml, robots.txt, /favicon.ico, and the designed
404 and 500 pages in development."""

import io
import re
import sys
import xml.etree.ElementTree as ET

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.test import RequestFactory, override_settings
from django.views.debug import technical_500_response
from PIL import Image

from evidence import share_images
from evidence.models import Status, Study
from tests.factories import (
    make_article,
    make_claim,
    make_evidence,
    make_passage,
    make_study,
    make_substance,
    make_warning,
)

pytestmark = pytest.mark.django_db


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


# 1. A study is never linked by a bare year ---------------------------------------------------------


def test_a_study_link_label_is_author_and_year_when_confirmed_else_the_shortened_title_and_year():
    confirmed = Study(authors="Singh D, Narayanan S, Vicknasingam B", year=2022, title="Kratom use")
    assert confirmed.link_label == "Singh et al. 2022"
    hidden = Study(
        authors="Singh D, Narayanan S",
        authors_confirmed=False,
        year=2022,
        title="The Use of Kratom (Mitragyna speciosa Korth.) Among People Who Co-use Heroin and Methamphetamine",
    )
    assert hidden.short_citation == "2022"  # what pages used to show
    assert hidden.link_label == "The Use of Kratom (Mitragyna speciosa Korth.) Among… (2022)"
    assert Study(authors="", year=None, title="An FDA advisory").link_label == "An FDA advisory"


def test_claim_and_warning_pages_link_a_study_with_unconfirmed_authors_by_its_title_not_a_bare_year(client):
    study = make_study(authors_confirmed=False, year=2022, title="Bedtime kratom use and self-reported sleep")
    claim = make_claim()
    make_evidence(claim=claim, study=study)
    warning = make_warning(studies=[study])
    for url in (claim.get_absolute_url(), warning.get_absolute_url()):
        links = soup(client.get(url)).find_all("a", href=study.get_absolute_url())
        labels = [a.get_text(strip=True) for a in links]
        assert labels, url
        assert all(not re.fullmatch(r"\d{4}", label) for label in labels), labels
        assert "Bedtime kratom use and self-reported sleep (2022)" in labels


# 2. The page identifiers were checked against is a link, not a date ---------------------------------


def test_the_study_page_says_which_page_its_identifiers_were_checked_against(client):
    study = make_study(pmid="12345678", url="", verified_on="https://pubmed.ncbi.nlm.nih.gov/12345678/")
    page = soup(client.get(study.get_absolute_url()))
    terms = {dt.get_text(strip=True): dt.find_next_sibling("dd") for dt in page.select("dl.facts dt")}
    assert "Identifiers checked on" not in terms
    link = terms["Identifiers checked against"].a
    assert link["href"] == "https://pubmed.ncbi.nlm.nih.gov/12345678/"


# 3. OpenGraph descriptions and share images ----------------------------------------------------------


def test_a_claim_page_describes_itself_with_its_grade_and_first_summary_sentence_and_names_its_share_image(client):
    claim = make_claim(
        verdict="contradicted",
        certainty="moderate",
        summary="Serious harms have been *documented*. How often they occur is unknown.",
    )
    page = soup(client.get(claim.get_absolute_url()))
    description = "Contradicted · moderate certainty. Serious harms have been documented."
    assert page.select_one('meta[name="description"]')["content"] == description
    assert page.select_one('meta[property="og:description"]')["content"] == description
    image = page.select_one('meta[property="og:image"]')["content"]
    assert image == f"{settings.SITE_URL}/claims/{claim.slug}/share.png"
    assert page.select_one('meta[property="og:image:width"]')["content"] == "1200"
    assert page.select_one('meta[property="og:image:height"]')["content"] == "630"
    alt = page.select_one('meta[property="og:image:alt"]')["content"]
    assert claim.statement in alt and "Contradicted · moderate certainty" in alt


def test_an_article_page_names_its_share_image(client):
    article = make_article()
    page = soup(client.get(article.get_absolute_url()))
    assert page.select_one('meta[property="og:image"]')["content"] == (
        f"{settings.SITE_URL}/articles/{article.slug}/share.png"
    )
    assert page.select_one('meta[property="og:image:alt"]')["content"].startswith(
        f"KratomRef review of “{article.title}”"
    )
    assert page.select_one('meta[name="twitter:card"]')["content"] == "summary_large_image"


def png(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    return image


def test_share_images_are_pngs_of_the_open_graph_size_with_cache_headers_and_revalidate(client):
    claim = make_claim(verdict="supported", certainty="low", polarity="harm")
    article = make_article()
    make_passage(article=article, claim=claim, quote="Long-term use may lead to dependence.")
    for url in (f"/claims/{claim.slug}/share.png", f"/articles/{article.slug}/share.png"):
        response = client.get(url)
        assert png(response).size == (1200, 630)
        assert response["Cache-Control"] == "public, max-age=3600"
        assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
        etag = response["ETag"]
        again = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert again.status_code == 304 and again["ETag"] == etag


def test_a_share_image_changes_its_etag_when_what_it_shows_changes(client):
    article = make_article()
    url = f"/articles/{article.slug}/share.png"
    before = client.get(url)["ETag"]
    make_passage(
        article=article, claim=make_claim(verdict="contradicted"), quote="Kratom is safe when used responsibly."
    )
    assert client.get(url, HTTP_IF_NONE_MATCH=before).status_code == 200


def test_share_images_answer_like_their_pages_draft_404_withdrawn_410(client):
    draft = make_claim(status=Status.DRAFT)
    withdrawn = make_claim(status=Status.WITHDRAWN)
    assert client.get(f"/claims/{draft.slug}/share.png").status_code == 404
    assert client.get(f"/claims/{withdrawn.slug}/share.png").status_code == 410
    assert client.get("/claims/no-such-claim/share.png").status_code == 404
    assert client.get(f"/articles/{make_article(status=Status.DRAFT).slug}/share.png").status_code == 404
    assert client.get(f"/articles/{make_article(status=Status.WITHDRAWN).slug}/share.png").status_code == 410


def test_a_share_image_is_drawn_with_the_bundled_font_when_the_system_has_none(monkeypatch):
    monkeypatch.setattr(share_images, "FONT_DIRS", [])
    share_images.font.cache_clear()
    try:
        body = share_images.draw_card(
            kicker="Claim review",
            heading="Kratom — café “ketum” relieves pain " * 8,
            grade="Mixed · low certainty",
            tone=("#fbeccb", "#7a5200"),
        )
        assert share_images.is_fallback(share_images.font(40))
    finally:
        share_images.font.cache_clear()
    assert Image.open(io.BytesIO(body)).size == (1200, 630)
    assert share_images.drawable("café — “x”", share_images.ImageFont.load_default(size=20)) == "cafe - “x”"


# 4. sitemap.xml, robots.txt and /favicon.ico ----------------------------------------------------------

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_the_sitemap_lists_every_public_page_absolute_on_the_site_url_and_no_draft(client):
    claims = [make_claim() for _ in range(3)]
    draft = make_claim(status=Status.DRAFT)
    withdrawn = make_claim(status=Status.WITHDRAWN)
    article, study, warning, substance = make_article(), make_study(), make_warning(), make_substance()
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    urls = {url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod") for url in root.iter(f"{SITEMAP}url")}
    site = settings.SITE_URL
    for item in [*claims, article, study, warning, substance]:
        assert urls[site + item.get_absolute_url()] == f"{item.published_at:%Y-%m-%d}"
    for path in ["/", "/articles/", "/claims/", "/studies/", "/warnings/", "/substances/", "/how-we-grade/"]:
        assert site + path in urls
    assert site + draft.get_absolute_url() not in urls
    assert site + withdrawn.get_absolute_url() not in urls
    assert all(url.startswith(site + "/") for url in urls)


def test_robots_txt_allows_all_but_the_report_form_and_points_to_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert lines[:2] == ["User-agent: *", "Allow: /"]
    assert "Disallow: /report/" in lines
    assert "Disallow: /admin/" in lines  # the default admin address is no secret
    assert not any(line.startswith("Disallow: /api") for line in lines)
    assert f"Sitemap: {settings.SITE_URL}/sitemap.xml" in lines


def test_robots_txt_never_publishes_a_custom_admin_address_which_says_noindex_itself(client):
    with override_settings(ADMIN_URL="desk-7f3a/"):
        body = client.get("/robots.txt").content.decode()
    assert "desk-7f3a" not in body and "/admin/" not in body
    response = client.get(f"/{settings.ADMIN_URL}login/")
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "X-Robots-Tag" not in client.get("/").headers


def test_favicon_ico_answers_with_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/vnd.microsoft.icon"
    icon = Image.open(io.BytesIO(response.content))
    assert icon.format == "ICO" and (32, 32) in icon.info["sizes"]


# 5. The designed error pages in development ------------------------------------------------------------


@override_settings(DEBUG=True)
@pytest.mark.parametrize("url", ["/no-such-page/", "/claims/no-such-claim/"])
def test_in_development_an_unknown_page_shows_the_designed_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    page = soup(response)
    assert page.h1.get_text(strip=True) == "Page not found"
    assert page.select_one(".site-header .brand") is not None  # the site's own page, not Django's
    assert "URLconf" not in response.content.decode()


@override_settings(DEBUG=True)
def test_in_development_a_missing_slash_still_redirects(client):
    assert client.get("/claims").status_code == 301


@override_settings(DEBUG=True, DEBUG_ERROR_PAGES=True)
def test_in_development_a_developer_can_opt_in_to_djangos_technical_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "URLconf" in body and 'class="brand"' not in body


def server_error_page():
    request = RequestFactory().get("/", HTTP_ACCEPT="text/html")
    try:
        raise ValueError("boom")
    except ValueError:
        return technical_500_response(request, *sys.exc_info())


@override_settings(DEBUG=True)
def test_in_development_a_server_error_shows_the_designed_500_page():
    response = server_error_page()
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body and "boom" not in body


@override_settings(DEBUG=True, DEBUG_ERROR_PAGES=True)
def test_in_development_a_developer_can_opt_in_to_djangos_traceback():
    body = server_error_page().content.decode()
    assert "Traceback" in body and "boom" in body
