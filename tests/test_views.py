import json

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evidence.models import Claim, Passage, Status
from tests.factories import (
    article_text,
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


def test_article_page_marks_each_linked_passage_by_the_documented_contract(client):
    article = make_article()
    claim = make_claim(verdict="contradicted", certainty="moderate")
    quote = "Kratom is safe when used responsibly."
    passage = make_passage(article=article, claim=claim, quote=quote, wording="overstated", wording_note="Too sure.")
    page = soup(client.get(article.get_absolute_url()))
    marks = page.select("mark")
    assert len(marks) == 1
    mark = marks[0]
    assert mark["id"] == f"passage-{passage.pk}"
    assert mark["data-claim"] == claim.slug
    assert mark["data-verdict"] == "contradicted"
    assert mark["data-certainty"] == "moderate"
    assert mark.get_text() == quote
    assert "Contradicted · moderate certainty · wording overstated" in mark["data-label"]
    assert page.find("a", href=claim.get_absolute_url()) is not None


def test_article_page_hides_passages_of_unpublished_claims(client):
    article = make_article()
    make_passage(article=article, claim=make_claim(status=Status.DRAFT), quote="Long-term use may lead to dependence.")
    assert soup(client.get(article.get_absolute_url())).select("mark") == []


def test_article_text_is_escaped_so_imported_markup_never_runs(client):
    evil = '<script>alert("kratom")</script> <img src=x onerror=alert(1)>'
    article = make_article(text=article_text(extra_paragraphs=[f"Imported markup {evil} stays text."]))
    claim = make_claim()
    make_passage(article=article, claim=claim, quote=f"Imported markup {evil} stays text.")
    response = client.get(article.get_absolute_url())
    body = response.content.decode()
    assert "<script>alert" not in body and "<img src=x" not in body
    assert soup(response).select_one("mark").get_text() == f"Imported markup {evil} stays text."


def test_article_page_shows_the_structure_of_the_article(client):
    article = make_article()
    page = soup(client.get(article.get_absolute_url()))
    headings = [h.get_text(strip=True) for h in page.select(".article-text h2")]
    assert "How Kratom Works" in headings and "Dosage and Safety" in headings and "Conclusion" in headings
    assert [li.get_text() for li in page.select(".contents li")] == ["How Kratom Works", "Dosage and Safety"]


def test_draft_claims_are_not_found_and_withdrawn_claims_are_gone(client):
    draft = make_claim(status=Status.DRAFT)
    review = make_claim(status=Status.IN_REVIEW)
    withdrawn = make_claim(status=Status.WITHDRAWN)
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(review.get_absolute_url()).status_code == 404
    gone = client.get(withdrawn.get_absolute_url())
    assert gone.status_code == 410 and "withdrawn" in gone.content.decode()
    listing = client.get("/claims/").content.decode()
    assert draft.statement not in listing and withdrawn.statement not in listing


def test_draft_warnings_are_not_found(client):
    assert client.get(make_warning(status=Status.DRAFT).get_absolute_url()).status_code == 404


def test_claim_page_shows_grade_summary_evidence_and_passages_linking_back(client):
    article = make_article()
    claim = make_claim(verdict="mixed", certainty="low", summary="Surveys *only*. <script>x</script>")
    study = make_study(title="A survey of kratom users", design="cross-sectional-survey")
    make_evidence(claim=claim, study=study, direction="supports", note="Self-reported relief.")
    passage = make_passage(article=article, claim=claim, quote="Long-term use may lead to dependence.")
    response = client.get(claim.get_absolute_url())
    page = soup(response)
    assert "Mixed · low certainty" in page.select_one(".verdict-line").get_text()
    assert page.select_one(".summary em").get_text() == "only"
    assert "<script>x</script>" not in response.content.decode()
    row = page.select_one("table.evidence tbody tr").get_text(" ", strip=True)
    assert "A survey of kratom users" in row and "Cross-sectional survey" in row and "Supports" in row
    assert page.find("a", href=f"{article.get_absolute_url()}#passage-{passage.pk}") is not None


def test_omitted_warnings_list_what_an_article_never_mentions(client):
    article = make_article()
    dose = make_claim(statement="Take 1-3 grams up to three times daily.")
    dependence = make_claim(statement="Long-term kratom use can lead to dependence.")
    make_passage(article=article, claim=dose, quote="Take 1-3 grams up to three times daily.")
    liver = make_warning(title="Liver injury", claims=[dose])
    mentioned = make_warning(title="Dependence and withdrawal", claims=[dose], mentioned_by=[dependence])
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Liver injury" in page and "Dependence and withdrawal" in page
    make_passage(article=article, claim=dependence, quote="Long-term use may lead to dependence.")
    omitted = soup(client.get(article.get_absolute_url())).select_one(".omitted").get_text()
    assert liver.title in omitted and mentioned.title not in omitted


@pytest.mark.parametrize(
    "url",
    [
        "/claims/?verdict=probably",
        "/claims/?page=abc",
        "/claims/?page=0",
        "/claims/?page=-1",
        "/claims/?page=99999",
        "/claims/?q=" + "%F0%9F%8C%BF" * 300,
        "/claims/?substance=%00",
        "/studies/?design=%E2%80%AE",
        "/warnings/?severity=1%27%20OR%201=1",
    ],
)
def test_malformed_query_strings_never_cause_a_server_error(client, url):
    make_claim()
    assert client.get(url).status_code < 500


class Library:
    """One article, claim, study, substance and warning whose related rows grow."""

    SIZE = 20

    def __init__(self):
        lines = [f"Sentence number {i} about kratom." for i in range(self.SIZE)]
        self.article = make_article(text=article_text(extra_paragraphs=lines))
        self.claim = make_claim()
        self.study = make_study()
        self.substance = make_substance()
        self.warning = make_warning(substances=[self.substance], studies=[self.study])
        self.count = 0

    def grow(self, n):
        for i in range(self.count, self.count + n):
            claim = make_claim()
            claim.substances.add(self.substance)
            make_evidence(claim=claim, study=self.study)
            make_evidence(claim=self.claim)
            make_passage(article=self.article, claim=claim, quote=f"Sentence number {i} about kratom.")
            make_passage(article=make_article(), claim=self.claim, quote="Long-term use may lead to dependence.")
            self.warning.claims.add(claim)
            make_warning(claims=[claim], substances=[self.substance], studies=[self.study])
        self.count += n

    def urls(self):
        return [
            "/",
            "/articles/",
            "/claims/",
            "/studies/",
            "/substances/",
            "/warnings/",
            self.article.get_absolute_url(),
            self.claim.get_absolute_url(),
            self.study.get_absolute_url(),
            self.substance.get_absolute_url(),
            self.warning.get_absolute_url(),
        ]


def page_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_public_page_query_counts_do_not_grow_with_rows(client, django_capture_on_commit_callbacks):
    library = Library()
    library.grow(2)
    small = {url: page_queries(client, url) for url in library.urls()}
    with django_capture_on_commit_callbacks(execute=True):  # the approvals move the content version, as
        library.grow(18)  # they do when they commit: pages count afresh instead of reusing cached counts
    large = {url: page_queries(client, url) for url in library.urls()}
    assert large == small


def test_claim_facets_show_counts_computed_with_the_other_filters(client):
    substance = make_substance(slug="mitragynine", name="Mitragynine")
    for verdict in ["contradicted", "contradicted", "supported"]:
        claim = make_claim(verdict=verdict)
        claim.substances.add(substance)
    make_claim(verdict="contradicted")
    page = soup(client.get("/claims/?substance=mitragynine&verdict=supported"))
    verdicts = {o["value"]: o.get_text() for o in page.select("#id_verdict option") if o["value"]}
    assert verdicts["contradicted"] == "Contradicted (2)"
    assert verdicts["supported"] == "Supported (1)"
    assert [a.get_text() for a in page.select(".claim-row a")] == [
        c.statement for c in Claim.objects.filter(verdict="supported")
    ]


def test_pagination_links_keep_the_filters(client):
    for _ in range(30):
        make_claim(verdict="mixed")
    page = soup(client.get("/claims/?verdict=mixed&o=statement"))
    next_link = page.select_one('.pagination a[rel="next"]')["href"]
    assert "verdict=mixed" in next_link and "o=statement" in next_link and "page=2" in next_link


@pytest.mark.parametrize(
    "query, notice",
    [("page=abc", "not a page number"), ("page=0", "Pages start at 1"), ("page=99999", "only 1 page")],
)
def test_a_bad_page_number_shows_a_page_with_a_message(client, query, notice):
    make_claim()
    response = client.get(f"/claims/?{query}")
    assert response.status_code == 200
    assert notice in soup(response).select_one(".notice").get_text()


def test_an_unknown_filter_value_gives_an_empty_list_and_a_message(client):
    make_claim()
    page = soup(client.get("/claims/?verdict=probably"))
    assert page.select(".claim-row") == []
    assert "not understood" in page.select_one(".notice").get_text()


def test_studies_filter_by_year_range_and_identifier(client):
    old = make_study(year=2009, pmid="111")
    new = make_study(year=2020, doi="10.1000/x")
    page = soup(client.get("/studies/?year_min=2015&year_max=2024")).get_text()
    assert new.title in page and old.title not in page
    page = soup(client.get("/studies/?has_identifier=pmid")).get_text()
    assert old.title in page and new.title not in page
    assert client.get("/studies/?year_min=abc").status_code == 200


def test_public_pages_send_a_strict_csp_and_contain_no_inline_scripts_or_styles(client):
    library = Library()
    library.grow(2)
    for url in library.urls():
        response = client.get(url)
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy
        page = soup(response)
        # Scripts come from files; the only inline <script> is JSON-LD, data the browser never runs.
        scripts = page.find_all("script")
        assert all(s.get("src") or s.get("type") == "application/ld+json" for s in scripts), url
        for data in (s for s in scripts if not s.get("src")):
            json.loads(data.string)  # valid JSON, so it cannot be (or hide) executable script
        assert page.find("style") is None, url
        assert page.find(attrs={"style": True}) is None, url
        assert not any(attr.startswith("on") for tag in page.find_all(True) for attr in tag.attrs), url


def test_the_not_found_page_helps_the_reader_on(client):
    response = client.get("/claims/not-a-real-claim/")
    assert response.status_code == 404
    links = [a["href"] for a in soup(response).select("main a")]
    assert "/claims/" in links and "/" in links


def test_unverified_studies_never_appear_on_public_claim_or_warning_pages(client):
    claim = make_claim()
    verified = make_study(title="A verified survey")
    unverified = make_study(title="An unchecked preprint", is_verified=False)
    make_evidence(claim=claim, study=verified)
    make_evidence(claim=claim, study=unverified)
    warning = make_warning(claims=[claim], studies=[verified, unverified])
    for url in (claim.get_absolute_url(), warning.get_absolute_url()):
        page = client.get(url).content.decode()
        assert verified.title in page and unverified.title not in page


def test_claims_sort_by_their_place_on_the_certainty_scale(client):
    for certainty in ["very-low", "high", "low", "moderate"]:
        make_claim(certainty=certainty, statement=f"Claim graded {certainty}.")
    rows = [a.get_text() for a in soup(client.get("/claims/?o=certainty")).select(".claim-row a")]
    assert rows == ["Claim graded high.", "Claim graded moderate.", "Claim graded low.", "Claim graded very-low."]


def test_an_article_page_still_renders_when_a_stored_passage_no_longer_fits(client):
    article, claim = make_article(), make_claim()
    good = make_passage(article=article, claim=claim, quote="Long-term use may lead to dependence.")
    across = "Works\nIts alkaloids"  # runs from a heading into a paragraph: it fits no single block
    start = article.text.index(across)
    Passage.objects.bulk_create(  # written past validation, as a bad import or a manual SQL fix might
        [Passage(article=article, claim=claim, quote=across, start=start, end=start + len(across))]
    )
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    assert [m["id"] for m in soup(response).select("mark")] == [f"passage-{good.pk}"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options", "trace"])
def test_public_pages_answer_only_get_and_head(method):
    from django.test import Client

    library = Library()
    library.grow(2)
    client = Client(enforce_csrf_checks=True)  # as a real browser: the 405 comes before any CSRF check
    for url in library.urls():
        response = getattr(client, method)(url)
        assert response.status_code == 405, (method, url)
        assert response.headers["Allow"] == "GET, HEAD"
        assert client.head(url).status_code == 200, url


def test_every_response_limits_who_loads_it_and_which_browser_features_it_may_use(client, admin_client):
    library = Library()
    library.grow(2)
    for url in [*library.urls(), "/no-such-page/"]:
        response = client.get(url)
        assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin", url
        assert (
            "camera=()" in response.headers["Permissions-Policy"]
            and "geolocation=()" in response.headers["Permissions-Policy"]
        ), url
    assert admin_client.post("/admin/logout/").status_code in (200, 302)  # the admin keeps its forms
