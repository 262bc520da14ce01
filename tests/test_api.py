"""The read-only JSON API at /api/v1/, as an outside client uses it: resources, filters shared with the
HTML lists, cursor paging, conditional GET, CORS, rate limits, the schema and the docs page."""

import json
import re
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from evidence import services
from evidence.api.views import ClaimViewSet
from evidence.models import Claim, Status
from tests.browsing import live_server, new_page
from tests.factories import (
    NOTE,
    article_text,
    make_article,
    make_claim,
    make_evidence,
    make_passage,
    make_reviewer,
    make_study,
    make_substance,
    make_warning,
    reach,
    settle,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/"
SITE = "https://testserver"  # SITE_URL in the test settings (the first ALLOWED_HOSTS entry)


def get_json(client, url, status=200, **headers):
    response = client.get(url, **headers)
    assert response.status_code == status, (url, response.status_code, response.content[:300])
    assert response.headers["Content-Type"] == "application/json", url
    return response.json()


def path_of(url):
    """An absolute address on the public site as a path the test client can ask for."""
    assert url.startswith(SITE + "/"), url
    return url[len(SITE) :]


def every_page(client, url):
    """Follow ``next`` from ``url`` to the end; return every row and the number of pages."""
    rows, pages = [], 0
    while url:
        assert pages < 100, f"the cursor never reaches the end: {url}"
        page = get_json(client, url)
        rows += page["results"]
        pages += 1
        url = page["next"] and path_of(page["next"])
    return rows, pages


def html_rows(client, url, selector):
    response = client.get(url)
    assert response.status_code == 200, url
    page = BeautifulSoup(response.content.decode(), "html.parser")
    return [" ".join(a.get_text().split()) for a in page.select(selector)]


def edit(obj, update, **values):
    """A reviewer's change to a public item, approved by an editor (as curators work)."""
    return settle(update(by=make_reviewer(), change_note="Corrected.", **{obj._meta.model_name: obj}, **values))


def graded_claim(**fields):
    """A published claim with a substance, one verified and one unverified study, a passage and a warning.

    Its evidence is added while it is a draft (a published claim's changes wait for approval)."""
    substance = make_substance(slug="mitragynine", name="Mitragynine")
    claim = make_claim(status=Status.DRAFT, substances=[substance], **fields)
    verified = make_study(title="A verified survey of kratom users")
    make_evidence(claim=claim, study=verified, direction="contradicts", note="No effect on soreness.")
    make_evidence(claim=claim, study=make_study(title="An unchecked preprint", is_verified=False))
    claim = reach(claim, Status.PUBLISHED)
    article = make_article()
    passage = make_passage(
        article=article,
        claim=claim,
        quote="Kratom is safe when used responsibly.",
        wording="overstated",
        wording_note="States as fact what the evidence contradicts.",
    )
    warning = make_warning(title="Liver injury", claims=[claim], substances=[substance], studies=[verified])
    return claim, article, passage, warning, verified


# Resources ---------------------------------------------------------------------------------------


def test_the_api_root_points_to_every_resource_the_schema_and_the_docs(client):
    root = get_json(client, API)
    assert set(root) == {"claims", "studies", "articles", "substances", "warnings", "schema", "docs"}
    for name, url in root.items():
        assert client.get(path_of(url), HTTP_ACCEPT="application/json").status_code == 200, name


def test_claims_list_only_published_claims_with_grade_current_version_and_addresses(client):
    claim, *_ = graded_claim(verdict="contradicted", certainty="moderate", polarity="benefit")
    hidden = [make_claim(status=status) for status in (Status.DRAFT, Status.IN_REVIEW, Status.WITHDRAWN)]
    rows, _ = every_page(client, API + "claims/")
    assert [row["slug"] for row in rows] == [claim.slug]
    row = rows[0]
    latest = claim.versions.order_by("-number").first()
    assert (row["verdict"], row["certainty"], row["polarity"]) == ("contradicted", "moderate", "benefit")
    assert row["grade"] == "Contradicted · moderate certainty"
    assert row["summary"] == claim.summary and [s["slug"] for s in row["substances"]] == ["mitragynine"]
    assert (row["evidence_count"], row["passage_count"]) == (1, 1)  # the unverified study is not counted
    assert row["version"] == latest.number
    assert row["version_url"] == f"{SITE}/claims/{claim.slug}/v{latest.number}/"
    assert row["url"] == f"{SITE}/claims/{claim.slug}/"
    assert row["api_url"] == f"{SITE}/api/v1/claims/{claim.slug}/"
    for url in (row["url"], row["version_url"]):
        assert claim.statement in client.get(path_of(url)).content.decode()
    assert get_json(client, path_of(row["api_url"]))["statement"] == claim.statement
    assert all(h.slug not in json.dumps(rows) for h in hidden)


def test_a_claim_shows_its_evidence_warnings_and_passages_as_w3c_web_annotations(client):
    claim, article, passage, warning, verified = graded_claim(verdict="contradicted", certainty="moderate")
    data = get_json(client, f"{API}claims/{claim.slug}/")
    assert [(e["study"]["key"], e["direction"], e["note"]) for e in data["evidence"]] == [
        (verified.key, "contradicts", "No effect on soreness.")
    ]
    assert data["evidence"][0]["study"]["url"] == f"{SITE}/studies/{verified.key}/"
    assert [w["slug"] for w in data["warnings"]] == [warning.slug]
    [annotation] = data["passages"]
    assert annotation["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert (annotation["type"], annotation["motivation"]) == ("Annotation", "assessing")
    assert annotation["id"] == f"{SITE}/articles/{article.slug}/#passage-{passage.pk}"
    quote, position = annotation["target"]["selector"]
    assert quote == {
        "type": "TextQuoteSelector",
        "exact": "Kratom is safe when used responsibly.",
        "prefix": passage.prefix,
        "suffix": passage.suffix,
    }
    assert position == {"type": "TextPositionSelector", "start": passage.start, "end": passage.end}
    text = article.text
    assert text[position["start"] : position["end"]] == quote["exact"]
    assert text[: position["start"]].endswith(quote["prefix"]) and text[position["end"] :].startswith(quote["suffix"])
    assert annotation["target"]["source"] == f"{SITE}/articles/{article.slug}/"
    assert {"type": "SpecificResource", "purpose": "linking", "source": f"{SITE}/claims/{claim.slug}/"} in annotation[
        "body"
    ]
    assert "wording overstated" in annotation["body"][1]["value"]
    assert (annotation["wording"], annotation["claim"]["slug"]) == ("overstated", claim.slug)
    page = BeautifulSoup(client.get(path_of(annotation["target"]["source"])).content.decode(), "html.parser")
    assert page.find(id=f"passage-{passage.pk}").get_text() == quote["exact"]  # the id is the page's anchor


def test_an_article_gives_its_metadata_its_passages_and_the_warnings_it_leaves_out_but_not_its_text(client):
    article = make_article(full_text_shown=False)  # no recorded reason to show its text (test_display_rights.py)
    dose = make_claim(statement="Take 1-3 grams up to three times daily.")
    passage = make_passage(article=article, claim=dose, quote="Take 1-3 grams up to three times daily.")
    make_passage(article=article, claim=make_claim(status=Status.DRAFT), quote="Long-term use may lead to dependence.")
    omitted = make_warning(title="Liver injury", claims=[dose])
    data = get_json(client, f"{API}articles/{article.slug}/")
    assert data["title"] == article.title and data["content_hash"] == article.content_hash
    assert data["text"] is None and data["full_text_shown"] is False and article.text not in json.dumps(data)
    assert [a["target"]["selector"][0]["exact"] for a in data["passages"]] == [passage.quote]
    assert [w["slug"] for w in data["omitted_warnings"]] == [omitted.slug]
    listed = get_json(client, API + "articles/")["results"]
    assert [(a["slug"], a["passage_count"]) for a in listed] == [(article.slug, 1)]


def test_studies_substances_and_warnings_are_listed_and_shown_only_when_public(client):
    claim, _article, _passage, warning, verified = graded_claim()
    unverified = make_study(title="Never checked", is_verified=False)
    draft_substance = make_substance(status=Status.DRAFT)
    draft_warning = make_warning(status=Status.DRAFT)
    gone_warning = make_warning(status=Status.WITHDRAWN, title="Withdrawn warning")
    assert [s["key"] for s in every_page(client, API + "studies/")[0]] == [verified.key]
    assert [s["slug"] for s in every_page(client, API + "substances/")[0]] == ["mitragynine"]
    assert [w["slug"] for w in every_page(client, API + "warnings/")[0]] == [warning.slug]
    study = get_json(client, f"{API}studies/{verified.key}/")
    assert [(e["claim"]["slug"], e["direction"]) for e in study["evidence"]] == [(claim.slug, "contradicts")]
    assert study["claim_count"] == 1 and study["url"] == f"{SITE}/studies/{verified.key}/"
    substance = get_json(client, API + "substances/mitragynine/")
    assert [c["slug"] for c in substance["claims"]] == [claim.slug]
    assert [w["slug"] for w in substance["warnings"]] == [warning.slug]
    shown = get_json(client, f"{API}warnings/{warning.slug}/")
    assert [s["key"] for s in shown["studies"]] == [verified.key] and [c["slug"] for c in shown["claims"]] == [
        claim.slug
    ]
    for url in (
        f"{API}studies/{unverified.key}/",
        f"{API}substances/{draft_substance.slug}/",
        f"{API}warnings/{draft_warning.slug}/",
    ):
        assert get_json(client, url, status=404)["detail"].startswith("No such")
    gone = get_json(client, f"{API}warnings/{gone_warning.slug}/", status=410)
    assert "withdrawn" in gone["detail"] and gone["title"] == "Withdrawn warning"


def test_drafts_are_not_found_and_withdrawn_claims_are_gone_but_their_versions_stay_readable(client):
    draft = make_claim(status=Status.DRAFT)
    withdrawn = make_claim(status=Status.WITHDRAWN, statement="Kratom cures everything.")
    assert get_json(client, f"{API}claims/{draft.slug}/", status=404) == {"detail": "No such claim."}
    assert get_json(client, f"{API}claims/{draft.slug}/versions/", status=404) == {"detail": "No such claim."}
    gone = get_json(client, f"{API}claims/{withdrawn.slug}/", status=410)
    assert "has since been withdrawn" in gone["detail"] and gone["title"] == "Kratom cures everything."
    assert gone["url"] == f"{SITE}/claims/{withdrawn.slug}/"
    assert client.get(path_of(gone["url"])).status_code == 410  # as the HTML page answers
    versions = get_json(client, f"{API}claims/{withdrawn.slug}/versions/")["results"]
    assert versions and all(v["statement"] == "Kratom cures everything." for v in versions)
    first = get_json(client, f"{API}claims/{withdrawn.slug}/versions/1/")
    assert first["snapshot"]["statement"] == "Kratom cures everything."
    assert client.get(path_of(first["url"])).status_code == 200  # the pinned page stays citable
    get_json(client, f"{API}claims/{withdrawn.slug}/versions/99/", status=404)
    get_json(client, f"{API}claims/{withdrawn.slug}/versions/99999999999999999999999/", status=404)


def test_versions_record_each_approval_newest_first_with_the_grade_as_recorded(client):
    claim = make_claim(verdict="insufficient", certainty="very-low")
    claim = edit(claim, services.claim_update, verdict="supported", certainty="low")
    versions = get_json(client, f"{API}claims/{claim.slug}/versions/")["results"]
    assert [(v["number"], v["verdict"], v["certainty"]) for v in versions][:2] == [
        (versions[0]["number"], "supported", "low"),
        (versions[0]["number"] - 1, "insufficient", "very-low"),
    ]
    assert versions[0]["change_note"] == NOTE  # the approver's note
    detail = get_json(client, path_of(versions[1]["api_url"]))
    assert detail["snapshot"]["verdict"] == "insufficient" and detail["url"] == versions[1]["url"]
    assert get_json(client, f"{API}claims/{claim.slug}/")["version"] == versions[0]["number"]


def test_a_renamed_address_answers_301_to_the_items_new_api_address(client):
    claim = make_claim(slug="old-name")
    study = make_study(key="old-key")
    edit(claim, services.claim_update, slug="new-name")
    edit(study, services.study_update, key="new-key")
    for old, new in (
        (f"{API}claims/old-name/", f"{API}claims/new-name/"),
        (f"{API}claims/old-name/versions/", f"{API}claims/new-name/versions/"),
        (f"{API}claims/old-name/versions/1/?x=1", f"{API}claims/new-name/versions/1/?x=1"),
        (f"{API}studies/old-key/", f"{API}studies/new-key/"),
    ):
        response = client.get(old)
        assert (response.status_code, response["Location"]) == (301, new)
        assert client.get(new).status_code == 200


# Filters: one FilterSet, two front-ends ----------------------------------------------------------


@pytest.fixture
def filterable():
    mitragynine = make_substance(slug="mitragynine", name="Mitragynine")
    article = make_article()
    claims = [
        make_claim(statement="Kratom relieves muscle soreness.", verdict="contradicted", certainty="moderate"),
        make_claim(statement="Kratom is safe in any dose.", verdict="contradicted", certainty="low", topic="safety"),
        make_claim(statement="Kratom can cause dependence.", verdict="supported", certainty="high", polarity="harm"),
        make_claim(statement="Mitragynine binds opioid receptors.", verdict="supported", certainty="high"),
        make_claim(statement="Kratom eases opioid withdrawal.", verdict="mixed", certainty="very-low"),
    ]
    claims[3].substances.add(mitragynine)
    make_passage(article=article, claim=claims[0], quote="Long-term use may lead to dependence.")
    make_study(title="Old survey", year=2009, pmid="111", design="cross-sectional-survey")
    make_study(title="New trial", year=2021, doi="10.1000/x", design="rct")
    make_study(title="Undated report", year=None, design="regulatory")
    make_warning(title="Dependence", severity="high", substances=[mitragynine], text="Daily use leads to dependence.")
    make_warning(title="Nausea", severity="low", text="Some users feel sick.")
    return article


CLAIM_ROWS, LIST_ROWS = ".claim-row a", "main ul:not(.chip-list) li > a"  # not the active-filter chips


SAME_AS_HTML = [
    ("/claims/", CLAIM_ROWS, "verdict=contradicted", "statement"),
    ("/claims/", CLAIM_ROWS, "certainty=high&verdict=supported", "statement"),
    ("/claims/", CLAIM_ROWS, "polarity=harm", "statement"),
    ("/claims/", CLAIM_ROWS, "topic=safety", "statement"),
    ("/claims/", CLAIM_ROWS, "substance=mitragynine", "statement"),
    ("/claims/", CLAIM_ROWS, "article=ARTICLE", "statement"),
    ("/claims/", CLAIM_ROWS, "q=opioid", "statement"),
    ("/claims/", CLAIM_ROWS, "q=opioid or dependence", "statement"),
    ("/claims/", CLAIM_ROWS, "o=-certainty", "statement"),
    ("/claims/", CLAIM_ROWS, "o=verdict,-statement", "statement"),
    ("/studies/", LIST_ROWS, "year_min=2015&year_max=2024", "title"),
    ("/studies/", LIST_ROWS, "has_identifier=pmid", "title"),
    ("/studies/", LIST_ROWS, "design=rct", "title"),
    ("/studies/", LIST_ROWS, "o=year&year_min=2000", "title"),
    ("/studies/", LIST_ROWS, "q=survey", "title"),
    ("/articles/", LIST_ROWS, "q=soreness", "title"),
    ("/warnings/", LIST_ROWS, "severity=high", "title"),
    ("/warnings/", LIST_ROWS, "substance=mitragynine", "title"),
    ("/warnings/", LIST_ROWS, "q=dependence", "title"),
]


def test_the_api_filters_with_the_html_lists_names_and_lists_the_same_items_in_the_same_order(client, filterable):
    for html, selector, query, field in SAME_AS_HTML:
        query = query.replace("ARTICLE", filterable.slug)
        expected = html_rows(client, f"{html}?{query}", selector)
        rows, _ = every_page(client, f"{API}{html.strip('/')}/?{query}&page_size=1")
        assert [row[field] for row in rows] == expected, (html, query)
        assert expected, (html, query)  # each case selects something, so it cannot pass by listing nothing


def test_q_is_the_library_search_in_the_html_lists_and_the_api_alike(client):
    make_substance(name="7-hydroxymitragynine", slug="7-hydroxymitragynine", synonyms=["7-OH"])
    potent = make_claim(statement="7-hydroxymitragynine is more potent than morphine.")
    injuries = make_claim(statement="Kratom causes liver injuries.", summary="Case reports.")
    make_claim(statement="Kratom relieves pain.")
    for q, expected in (
        ("7-OH", [potent.statement]),  # a synonym of the substance's name
        ("injury", [injuries.statement]),  # another form of the word
        ("kratom -liver", ["Kratom relieves pain."]),  # a word left out
    ):
        html = html_rows(client, f"/claims/?{urlencode({'q': q})}", CLAIM_ROWS)
        api = [row["statement"] for row in get_json(client, f"{API}claims/?{urlencode({'q': q})}")["results"]]
        search_page = html_rows(client, f"/search/?{urlencode({'q': q})}", "#claims .result-title")
        assert html == api == search_page == expected, q


@pytest.mark.parametrize(
    "url, parameter",
    [
        ("claims/?verdict=probably", "verdict"),
        ("claims/?substance=no-such-substance", "substance"),
        ("claims/?o=colour", "o"),
        ("studies/?year_min=abc", "year_min"),
        ("studies/?year_max=3000", "year_max"),
        ("studies/?has_identifier=isbn", "has_identifier"),
        ("warnings/?severity=1%27%20OR%201=1", "severity"),
        ("substances/?kind=mineral", "kind"),
        ("claims/?page_size=0", "page_size"),
        ("claims/?page_size=101", "page_size"),
        ("claims/?page_size=%00", "page_size"),
        ("claims/?cursor=not-a-cursor", "cursor"),
        ("claims/?cursor=W1td", "cursor"),
        ("claims/claims/versions/?cursor=%F0%9F%8C%BF", "cursor"),
        ("claims/claims/versions/?page_size=-1", "page_size"),
    ],
)
def test_a_value_the_api_does_not_understand_is_a_400_naming_the_parameter(client, url, parameter):
    make_claim(slug="claims")
    data = get_json(client, API + url, status=400)
    assert data["detail"] == "Some query parameters were not understood; correct them, or leave them out."
    assert list(data["errors"]) == [parameter] and all(isinstance(m, str) for m in data["errors"][parameter])


def test_the_html_list_keeps_its_own_answer_to_a_bad_filter_value(client):
    make_claim()
    response = client.get("/claims/?verdict=probably")
    assert response.status_code == 200
    assert "not understood" in BeautifulSoup(response.content.decode(), "html.parser").select_one(".notice").get_text()


# Cursor pagination -------------------------------------------------------------------------------


def test_a_client_pages_through_a_list_by_cursor_forwards_and_back_without_counting(client):
    claims = sorted((make_claim() for _ in range(7)), key=lambda c: c.statement)
    with CaptureQueriesContext(connection) as queries:
        first = client.get(API + "claims/?page_size=3")
    assert not any("__count" in q["sql"] for q in queries.captured_queries)  # what a page number would need
    assert 'rel="next"' in first.headers["Link"]
    rows, pages = every_page(client, API + "claims/?page_size=3")
    assert [row["slug"] for row in rows] == [c.slug for c in claims] and pages == 3
    page2 = get_json(client, path_of(first.json()["next"]))
    page3 = get_json(client, path_of(page2["next"]))
    assert page3["next"] is None and [r["slug"] for r in page3["results"]] == [claims[6].slug]
    back = get_json(client, path_of(page3["previous"]))
    assert back["results"] == page2["results"]
    assert [r["slug"] for r in get_json(client, path_of(back["previous"]))["results"]] == [c.slug for c in claims[:3]]
    assert first.json()["previous"] is None


def test_rows_added_while_a_client_pages_are_never_repeated_or_skip_an_unseen_row(client):
    for n in range(4):
        make_claim(statement=f"Claim B{n}.")
    page1 = get_json(client, API + "claims/?page_size=2")
    make_claim(statement="Claim A, added before the cursor.")
    late = make_claim(statement="Claim C, added after it.")
    rows = page1["results"] + every_page(client, path_of(page1["next"]))[0]
    statements = [row["statement"] for row in rows]
    assert len(statements) == len(set(statements)) == 5
    assert statements == sorted(statements) and late.statement in statements


def test_a_sort_with_ties_and_empty_values_still_pages_through_every_row_once(client):
    for n in range(5):
        make_claim(certainty="low", statement=f"Tied claim {n}.")
    make_claim(certainty="high")
    studies = [make_study(year=year) for year in (2001, None, 2010, None, 2005)]
    claims, _ = every_page(client, API + "claims/?o=-certainty&page_size=2")
    assert [c["certainty"] for c in claims] == ["low"] * 5 + ["high"]
    assert len({c["slug"] for c in claims}) == 6
    for order in ("o=year", "o=-year", ""):
        rows, _ = every_page(client, f"{API}studies/?{order}&page_size=2")
        assert sorted(r["key"] for r in rows) == sorted(s.key for s in studies), order
        assert [r["year"] for r in rows][-2:] == [None, None], order  # studies without a year come last


def test_a_cursor_made_for_one_sort_order_is_refused_under_another(client):
    for _ in range(3):
        make_claim()
    cursor = parse_qs(urlsplit(get_json(client, API + "claims/?page_size=1")["next"]).query)["cursor"][0]
    data = get_json(client, f"{API}claims/?o=-certainty&cursor={cursor}", status=400)
    assert "another sort order" in data["errors"]["cursor"][0]


# Conditional GET ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["list", "detail"])
def test_unchanged_answers_are_304_by_etag_or_date_and_a_change_gives_a_new_etag(client, kind):
    claim = make_claim(verdict="insufficient")
    url = API + ("claims/" if kind == "list" else f"claims/{claim.slug}/")
    first = client.get(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag) and "public" in first.headers["Cache-Control"]
    assert client.head(url).headers["ETag"] == etag
    not_modified = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304 and not_modified.content == b"" and not_modified.headers["ETag"] == etag
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    earlier = format_datetime(parsedate_to_datetime(modified).replace(year=2001), usegmt=True)
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=earlier).status_code == 200
    edit(claim, services.claim_update, verdict="supported")
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed.json()
    assert changed.headers["ETag"] != etag
    assert parsedate_to_datetime(changed.headers["Last-Modified"]) >= parsedate_to_datetime(modified)


# CORS, methods, content type ---------------------------------------------------------------------


def test_any_site_may_read_the_api_from_a_browser_without_credentials_but_not_the_html_pages(client):
    claim = make_claim()
    origin = {"HTTP_ORIGIN": "https://reader.example"}
    for url in (API + "claims/", f"{API}claims/{claim.slug}/", API + "claims/?verdict=nope", API + "nothing/"):
        response = client.get(url, **origin)
        assert response.headers["Access-Control-Allow-Origin"] == "*", url
        assert "Access-Control-Allow-Credentials" not in response.headers, url
    assert {"ETag", "Retry-After", "Link"} <= set(
        client.get(API + "claims/", **origin).headers["Access-Control-Expose-Headers"].split(", ")
    )
    preflight = client.options(
        API + "claims/",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match",
        **origin,
    )
    assert preflight.status_code == 200 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert set(preflight.headers["Access-Control-Allow-Methods"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert "if-none-match" in preflight.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    for url in ("/", "/claims/", claim.get_absolute_url(), "/search/?q=kratom"):
        response = client.get(url, **origin)
        assert response.status_code == 200 and "Access-Control-Allow-Origin" not in response.headers, url
    assert client.options("/claims/", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET", **origin).status_code == 405


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_is_read_only(method):
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(API + "claims/")
    assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_the_api_answers_json_whatever_the_client_accepts_and_unknown_addresses_are_json_404s(client):
    for accept in ("text/html,application/xhtml+xml,*/*;q=0.8", "application/xml", "text/csv"):
        assert get_json(client, API + "claims/", HTTP_ACCEPT=accept) == {"next": None, "previous": None, "results": []}
    assert "/api/v1/" in get_json(client, API + "no-such-thing/", status=404)["detail"]
    assert get_json(client, API + "claims/a/b/c/", status=404)["detail"]
    response = client.get(API + "claims/?format=api")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"


def test_a_request_cut_short_by_the_database_time_limit_is_a_json_503(client, monkeypatch):
    class QueryCanceled(Exception):
        sqlstate = "57014"  # PostgreSQL's code for a statement cancelled by statement_timeout

    def too_slow(view):
        try:
            raise QueryCanceled
        except QueryCanceled as cause:
            raise OperationalError("canceling statement due to statement timeout") from cause

    monkeypatch.setattr(ClaimViewSet, "list_queryset", too_slow)
    data = get_json(client, API + "claims/?q=kratom", status=503)
    assert "took too long" in data["detail"]


# Rate limit --------------------------------------------------------------------------------------


@pytest.fixture
def api_limit(settings):
    cache.clear()
    # An hour's window: the few requests of a test never straddle two windows.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": "3/3600", "search": "100/60"}
    yield
    cache.clear()


def test_anonymous_clients_over_the_api_limit_get_a_json_429_with_retry_after(api_limit):
    reader = Client()
    for _ in range(3):
        assert reader.get(API + "claims/", REMOTE_ADDR="203.0.113.40").status_code == 200
    response = reader.get(API + "claims/", REMOTE_ADDR="203.0.113.40", HTTP_ORIGIN="https://reader.example")
    assert response.status_code == 429 and response.headers["Content-Type"] == "application/json"
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= 3601
    body = response.json()
    assert body["retry_after"] == wait and body["detail"].startswith(f"Too many requests: please wait {wait} second")
    assert response.headers["Access-Control-Allow-Origin"] == "*"  # a browser client can read the 429
    assert Client().get(API + "claims/", REMOTE_ADDR="203.0.113.41").status_code == 200  # another address
    assert reader.get("/claims/", REMOTE_ADDR="203.0.113.40").status_code == 200  # the HTML pages are not limited
    assert reader.get("/search/?q=kratom", REMOTE_ADDR="203.0.113.40").status_code == 200  # nor is search by it


def test_signed_in_curators_are_not_limited_by_the_api_limit(api_limit):
    curator = Client()
    curator.force_login(User.objects.create_user("curator", is_staff=True))
    for _ in range(5):
        assert curator.get(API + "claims/", REMOTE_ADDR="203.0.113.42").status_code == 200


def test_an_anonymous_answer_does_not_vary_on_cookies_so_shared_caches_can_keep_it(client):
    response = client.get(API + "claims/")
    assert "cookie" not in response.headers.get("Vary", "").lower() and not response.cookies


# Schema and docs ---------------------------------------------------------------------------------


def test_the_schema_is_openapi_3_json_and_declares_every_answer_with_error_components(client):
    schemas = [
        client.get(API + "schema/", HTTP_ACCEPT="application/json"),
        client.get(API + "schema/?format=json"),
    ]
    for response in schemas:
        assert response.status_code == 200 and "json" in response.headers["Content-Type"]
    schema = json.loads(schemas[0].content)
    assert schema == json.loads(schemas[1].content) and schema["openapi"].startswith("3.")
    components = schema["components"]["schemas"]
    assert {"Error", "ValidationError", "Throttled", "Withdrawn", "Annotation", "TextQuoteSelector"} <= set(components)
    assert set(components["ValidationError"]["properties"]) == {"detail", "errors"}
    paths = schema["paths"]
    for path, operations in paths.items():
        responses = operations["get"]["responses"]
        assert {"200", "304", "429"} <= set(responses), path
        assert "Retry-After" in responses["429"]["headers"], path
        assert responses["429"]["content"]["application/json"]["schema"]["$ref"].endswith("/Throttled"), path
        if path.endswith("/") and "{" not in path.rsplit("/", 2)[-2] and path != API:  # a list
            assert responses["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/ValidationError")
        if "{slug}/" in path or "{key}/" in path or "{number}/" in path:  # a detail
            assert responses["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error"), path
    detail = paths["/api/v1/claims/{slug}/"]["get"]["responses"]
    assert detail["410"]["content"]["application/json"]["schema"]["$ref"].endswith("/Withdrawn")
    parameters = {p["name"] for p in paths["/api/v1/claims/"]["get"]["parameters"]}
    assert {"q", "verdict", "certainty", "polarity", "topic", "substance", "article", "o", "cursor"} <= parameters


def test_the_schema_generates_without_warnings_and_validates_as_openapi(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3.")


def test_the_docs_page_loads_only_files_and_keeps_the_sites_strict_csp(client):
    response = client.get(API + "docs/")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == client.get("/").headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    page = BeautifulSoup(response.content.decode(), "html.parser")
    scripts = page.find_all("script")
    assert scripts and all(s.get("src") and not s.string for s in scripts)
    assert page.find("style") is None and page.find(attrs={"style": True}) is None
    assert not any(attr.startswith("on") for tag in page.find_all(True) for attr in tag.attrs)
    sources = [s["src"] for s in scripts] + [link["href"] for link in page.find_all("link")]
    assert all(src.startswith(("/static/drf_spectacular_sidecar/", "/api/v1/docs/")) for src in sources), sources
    setup = client.get(next(src for src in sources if src.startswith("/api/v1/docs/")))
    assert setup.headers["Content-Type"].startswith("application/javascript")
    assert '"/api/v1/schema/"' in setup.content.decode()


@pytest.mark.browser
def test_the_docs_show_the_api_and_run_a_request_in_a_browser_without_breaking_the_csp(browser, db):
    make_claim(statement="Kratom is tried from the docs.")
    with live_server() as server:
        page = new_page(browser)
        page.goto(server.url + API + "docs/")
        page.locator(".opblock-summary-path", has_text="/api/v1/claims/").first.click()
        page.get_by_role("button", name="Try it out").click()
        page.get_by_role("button", name="Execute").click()
        page.locator(".live-responses-table .response-col_status", has_text="200").wait_for()
        assert page.js_errors == [], page.js_errors  # a CSP violation is reported as a console error
        page.context.close()


# Query counts ------------------------------------------------------------------------------------


class Library:
    """One claim, study, article, substance and warning whose related rows grow, plus as many more of each."""

    def __init__(self):
        self.substance = make_substance()
        self.study = make_study()
        self.claim = make_claim(status=Status.DRAFT, substances=[self.substance])
        lines = [f"Sentence number {i} about kratom." for i in range(20)]
        self.article = make_article(text=article_text(extra_paragraphs=lines))
        self.warning = make_warning(substances=[self.substance], studies=[self.study])
        self.count = 0

    def grow(self, n):
        if self.claim.status == Status.DRAFT:
            for i in range(20):  # the claim's own evidence rows, added while it is a draft
                make_evidence(claim=self.claim, study=make_study(title=f"Evidence study {i}"))
            self.claim = reach(self.claim, Status.PUBLISHED)
        for i in range(self.count, self.count + n):
            claim = make_claim(substances=[self.substance])
            make_evidence(claim=claim, study=self.study)
            make_passage(article=self.article, claim=claim, quote=f"Sentence number {i} about kratom.")
            make_passage(article=make_article(), claim=self.claim, quote="Long-term use may lead to dependence.")
            make_warning(claims=[claim, self.claim], substances=[self.substance], studies=[self.study])
            claims = [*self.warning.claims.all(), claim]
            self.warning = edit(self.warning, services.warning_update, m2m={"claims": claims})
            make_substance(parent=self.substance)
            self.claim = edit(self.claim, services.claim_update, summary=f"Summary, edition {i}.")  # a new version
        self.count += n

    def urls(self):
        claim = f"claims/{self.claim.slug}/"
        return [
            API + path
            for path in (
                "claims/?page_size=100",
                "claims/?page_size=100&q=kratom&substance=" + self.substance.slug,
                claim,
                claim + "versions/?page_size=100",
                claim + "versions/1/",
                "studies/?page_size=100",
                f"studies/{self.study.key}/",
                "articles/?page_size=100",
                f"articles/{self.article.slug}/",
                "substances/?page_size=100",
                f"substances/{self.substance.slug}/",
                "warnings/?page_size=100",
                f"warnings/{self.warning.slug}/",
            )
        ]


def queries(client, url):
    cache.clear()  # cold: nothing kept per content version by an earlier request (search's lexicon)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured), len(json.dumps(response.json()))


def test_query_counts_per_endpoint_are_the_same_with_2_and_with_20_rows(client):
    library = Library()
    library.grow(2)
    small = {url: queries(client, url) for url in library.urls()}
    library.grow(18)
    large = {url: queries(client, url) for url in library.urls()}
    assert {url: n for url, (n, _) in large.items()} == {url: n for url, (n, _) in small.items()}
    grew = [url for url in library.urls() if large[url][1] > small[url][1]]
    assert grew == [url for url in library.urls() if "versions/1/" not in url]  # every answer but a fixed version


# End to end --------------------------------------------------------------------------------------


def test_an_outside_client_pages_every_claim_filters_like_the_html_list_and_follows_each_to_its_pinned_version(
    client,
):
    substance = make_substance(slug="kratom", name="Kratom")
    for n in range(9):
        verdict = ["supported", "contradicted", "mixed"][n % 3]
        make_claim(statement=f"Kratom claim {n:02}.", verdict=verdict, substances=[substance] if n % 2 else [])
    make_claim(status=Status.DRAFT, statement="Not yet public.")
    make_claim(status=Status.WITHDRAWN, statement="No longer public.")
    outside = Client(HTTP_ORIGIN="https://harm-reduction.example")

    rows, pages = every_page(outside, path_of(get_json(outside, API)["claims"]) + "?page_size=4")
    assert pages == 3 and [r["statement"] for r in rows] == [f"Kratom claim {n:02}." for n in range(9)]

    for query in ("verdict=contradicted", "substance=kratom", "verdict=supported&substance=kratom"):
        filtered, _ = every_page(outside, f"{API}claims/?{query}&page_size=2")
        assert [r["statement"] for r in filtered] == html_rows(outside, f"/claims/?{query}", CLAIM_ROWS), query

    for row in rows:
        pinned = outside.get(path_of(row["version_url"]))
        assert pinned.status_code == 200 and row["statement"] in pinned.content.decode()
        version = get_json(outside, f"{path_of(row['versions_url'])}{row['version']}/")
        assert version["url"] == row["version_url"] and version["snapshot"]["statement"] == row["statement"]
        assert version["snapshot"]["verdict"] == row["verdict"]
    assert Claim.objects.published().count() == len(rows)
