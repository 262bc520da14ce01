"""Pages that stay fast as the library grows (issue 14): conditional GET and caching headers on the
public pages, query counts that do not grow with the data, no query while a template renders, the
claims list's article filter as a text box, and deep pages capped with a message."""

import re

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.db import connection
from django.template.backends.django import Template as BackendTemplate
from django.test.utils import CaptureQueriesContext

from evidence import services, views
from evidence.models import Status
from tests.factories import (
    article_text,
    make_article,
    make_claim,
    make_evidence,
    make_passage,
    make_reviewer,
    make_study,
    make_substance,
    make_warning,
    settle,
)

pytestmark = pytest.mark.django_db


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


@pytest.fixture
def reviewed(django_capture_on_commit_callbacks):
    """A small reviewed library: an article with two graded passages, their claims, a study, a
    substance and a warning, all published."""
    lines = ["Kratom eases restless legs at night.", "Kratom sharpens memory in older adults."]
    article = make_article(text=article_text(extra_paragraphs=lines))
    substance = make_substance(slug="kratom-leaf", name="Kratom leaf")
    study = make_study()
    claims = []
    for line in lines:
        claim = make_claim(statement=line.rstrip("."), substances=[substance])
        make_passage(article=article, claim=claim, quote=line)
        make_evidence(claim=claim, study=study)
        claims.append(claim)
    warning = make_warning(claims=claims[:1], substances=[substance], studies=[study])
    return {"article": article, "claims": claims, "study": study, "substance": substance, "warning": warning}


def detail_urls(library):
    return [
        library["claims"][0].get_absolute_url(),
        library["article"].get_absolute_url(),
        library["study"].get_absolute_url(),
        library["substance"].get_absolute_url(),
        library["warning"].get_absolute_url(),
        "/",
    ]


# Conditional GET ------------------------------------------------------------------------------


def test_public_pages_carry_validators_and_let_a_cdn_keep_them_briefly(client, reviewed, settings):
    settings.PAGE_MAX_AGE, settings.PAGE_STALE_WHILE_REVALIDATE = 45, 200
    for url in [*detail_urls(reviewed), "/claims/?verdict=insufficient"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert re.fullmatch(r'"[0-9a-f]{32}"', response.headers["ETag"]), url
        assert response.headers["Last-Modified"].endswith(" GMT"), url
        cache_control = {part.strip() for part in response.headers["Cache-Control"].split(",")}
        assert cache_control == {"public", "max-age=45", "stale-while-revalidate=200"}, url
        assert "cookie" not in response.headers.get("Vary", "").lower(), url  # one copy for every reader


@pytest.mark.parametrize("page", ["claim", "article", "study", "substance", "warning", "home"])
def test_a_reader_who_has_the_page_gets_304_after_one_query_and_nothing_rendered(client, reviewed, page):
    pages = ["claim", "article", "study", "substance", "warning", "home"]
    url = dict(zip(pages, detail_urls(reviewed), strict=True))[page]
    first = client.get(url)
    with CaptureQueriesContext(connection) as captured:
        again = client.get(url, headers={"if-none-match": first.headers["ETag"]})
    # The item itself (none for the home page); on PostgreSQL the request's statement_timeout is set too.
    assert len([q for q in captured if "statement_timeout" not in q["sql"]]) <= 1
    assert again.status_code == 304
    assert again.content == b""
    assert again.templates == []  # answered before anything was rendered
    assert again.headers["ETag"] == first.headers["ETag"]
    assert "public" in again.headers["Cache-Control"]


def test_if_modified_since_alone_also_gets_304_until_an_approval(client, reviewed, django_capture_on_commit_callbacks):
    url = reviewed["claims"][0].get_absolute_url()
    first = client.get(url)
    since = first.headers["Last-Modified"]
    assert client.get(url, headers={"if-modified-since": since}).status_code == 304
    with django_capture_on_commit_callbacks(execute=True):
        make_evidence(claim=reviewed["claims"][1])  # another claim's change, approved the same second
    assert client.get(url, headers={"if-modified-since": since}).status_code == 200


def test_an_approval_elsewhere_changes_the_etag_of_a_page_that_shows_it(
    client, reviewed, django_capture_on_commit_callbacks
):
    substance, warning = reviewed["substance"], reviewed["warning"]
    url = substance.get_absolute_url()
    before = client.get(url)
    with django_capture_on_commit_callbacks(execute=True):  # a warning the substance page lists
        settle(services.warning_update(warning=warning, by=make_reviewer(), title="Renamed warning about legs"))
    stored = type(substance).objects.get(pk=substance.pk)
    assert (stored.version, stored.updated_at) == (substance.version, substance.updated_at)  # row untouched
    after = client.get(url, headers={"if-none-match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert "Renamed warning about legs" in after.content.decode()


def test_the_claim_page_keeps_one_etag_per_representation(client, reviewed):
    url = reviewed["claims"][0].get_absolute_url()
    html = client.get(url, headers={"accept": "text/html"})
    bibtex = client.get(url, headers={"accept": "application/x-bibtex"})
    assert bibtex.headers["ETag"] != html.headers["ETag"]
    answer = client.get(url, headers={"accept": "text/html", "if-none-match": bibtex.headers["ETag"]})
    assert answer.status_code == 200 and b"<html" in answer.content


def test_a_new_release_changes_every_etag(client, reviewed, settings):
    url = reviewed["article"].get_absolute_url()
    before = client.get(url).headers["ETag"]
    settings.RELEASE_ID = "a-new-release"
    assert client.get(url, headers={"if-none-match": before}).status_code == 200


def test_signed_in_curators_get_private_pages_that_revalidate(client, reviewed, reviewer):
    client.force_login(reviewer)
    anonymous_etag = None
    for url in detail_urls(reviewed):
        response = client.get(url)
        cache_control = {part.strip() for part in response.headers["Cache-Control"].split(",")}
        assert cache_control == {"private", "no-cache"}, url
        anonymous_etag = anonymous_etag or response.headers["ETag"]
    client.logout()
    # A reader never gets 304 for the copy a curator was shown.
    url = detail_urls(reviewed)[0]
    assert client.get(url, headers={"if-none-match": anonymous_etag}).status_code == 200


def test_drafts_and_withdrawn_items_still_answer_404_and_410_to_a_conditional_get(client):
    draft = make_claim(status=Status.DRAFT)
    withdrawn = make_claim(status=Status.WITHDRAWN)
    assert client.get(draft.get_absolute_url(), headers={"if-none-match": "*"}).status_code == 404
    assert client.get(withdrawn.get_absolute_url(), headers={"if-none-match": "*"}).status_code == 410


# Query counts and rendering --------------------------------------------------------------------


def queries(client, url):
    cache.clear()  # cold: nothing counted before
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def grow(substance, article_count, claim_count):
    """More articles and claims about ``substance``, each claim with evidence and a passage."""
    for _ in range(article_count):
        make_article()
    for i in range(claim_count):
        claim = make_claim(substances=[substance], verdict="mixed", summary=f"Summary {i}.")
        make_evidence(claim=claim)
        make_passage(article=make_article(), claim=claim, quote="Long-term use may lead to dependence.")


def test_page_query_counts_stay_the_same_with_three_times_the_rows(client, reviewed):
    substance = reviewed["substance"]
    article = reviewed["article"]
    urls = [
        *detail_urls(reviewed),
        "/claims/",
        f"/claims/?article={article.slug}&verdict=mixed&o=-updated",
        "/claims/?page=2",
        "/studies/",
        "/articles/",
        f"{substance.get_absolute_url()}?page=2",
    ]
    grow(substance, 5, 26)  # more than one page of claims about the substance
    small = {url: queries(client, url) for url in urls}
    grow(substance, 10, 52)
    large = {url: queries(client, url) for url in urls}
    assert large == small


def test_no_query_runs_while_a_public_page_renders(client, reviewed, monkeypatch):
    """Every template is rendered through the Django backend's ``Template.render``; while it runs,
    a database wrapper refuses any query. A lazy queryset or a per-row lookup in a template then
    fails the request, so the test names the page that queries late."""
    rendering = BackendTemplate.render

    def refuse(execute, sql, params, many, context):
        raise AssertionError(f"query while rendering a template: {sql}")

    def render_without_queries(self, context=None, request=None):
        with connection.execute_wrapper(refuse):
            return rendering(self, context, request)

    monkeypatch.setattr(BackendTemplate, "render", render_without_queries)
    grow(reviewed["substance"], 2, 27)
    substance = reviewed["substance"]
    urls = [
        *detail_urls(reviewed),
        "/claims/",
        f"/claims/?article={reviewed['article'].slug}",
        "/claims/?verdict=mixed&certainty=very-low&o=-verdict",
        "/studies/",
        "/articles/",
        "/warnings/",
        f"{substance.get_absolute_url()}?page=2",
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url


# Lists --------------------------------------------------------------------------------------------


def test_the_claims_list_filters_by_article_address_without_javascript(client, reviewed):
    other = make_claim(statement="A claim in no article")
    article = reviewed["article"]
    page = soup(client.get(f"/claims/?article={article.slug}"))
    shown = [a.get_text() for a in page.select(".claim-row a")]
    assert sorted(shown) == sorted(c.statement for c in reviewed["claims"])
    assert other.statement not in shown
    box = page.select_one("input#id_article")
    assert box["value"] == article.slug and box["list"] == "id_article-suggestions"
    assert page.select_one("datalist#id_article-suggestions") is not None
    assert page.select("select#id_article") == []  # never a <select> of every article
    assert f"Appears in article: {article.title}" in page.select_one(".filter-chips").get_text()


def test_an_unknown_article_address_is_explained_and_lists_nothing(client, reviewed):
    response = client.get("/claims/?article=no-such-article")
    assert response.status_code == 200
    page = soup(response)
    assert page.select(".claim-row") == []
    assert "No reviewed article has the address “no-such-article”" in page.select_one(".error").get_text()


def test_article_suggestions_match_titles_and_addresses_of_published_articles_only(client, reviewed):
    draft = make_article(status=Status.DRAFT)
    article = reviewed["article"]
    word = article.title.split()[0]
    results = client.get("/articles/suggest.json", {"q": word}).json()["results"]
    assert {"slug": article.slug, "title": article.title} in results
    assert all(r["slug"] != draft.slug for r in results)
    assert client.get("/articles/suggest.json", {"q": article.slug[:6]}).json()["results"][0]["slug"]
    assert client.get("/articles/suggest.json", {"q": "x"}).json() == {"results": []}
    assert client.get("/articles/suggest.json").json() == {"results": []}


def test_the_claims_list_page_loads_the_suggestion_script_from_a_file(client, reviewed):
    page = soup(client.get("/claims/"))
    assert any(s.get("src", "").endswith("js/suggest.js") for s in page.find_all("script"))


def test_a_page_beyond_the_cap_shows_the_last_listed_page_and_asks_to_refine(client, monkeypatch):
    monkeypatch.setattr(views, "MAX_PAGES", 2)
    for i in range(3 * views.PAGE_SIZE + 1):
        make_claim(statement=f"Capped claim {i:03d}")
    response = client.get("/claims/?page=4")
    assert response.status_code == 200
    page = soup(response)
    notice = page.select_one(".notice").get_text()
    assert "Only the first 2 pages of 76 results are listed" in notice and "Refine your filters" in notice
    assert "Page 2 of 2" in page.select_one(".pagination").get_text()
    assert page.select_one('.pagination a[rel="next"]') is None
    assert page.select_one(".count").get_text().startswith("76 claims")


def test_list_totals_and_facets_are_counted_once_per_content_version(
    client, reviewed, django_capture_on_commit_callbacks
):
    url = "/claims/?verdict=insufficient"
    cold = queries_without_clearing(client, url)
    warm = queries_without_clearing(client, url)
    assert warm < cold
    with django_capture_on_commit_callbacks(execute=True):
        make_claim(statement="One more insufficient claim", verdict="insufficient")
    page = soup(client.get(url))
    assert page.select_one(".count").get_text().startswith("3 claims")


def queries_without_clearing(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_substance_page_lists_its_claims_a_page_at_a_time(client, reviewed):
    substance = reviewed["substance"]
    for i in range(views.PAGE_SIZE + 3):
        make_claim(statement=f"Paged claim {i:02d}", substances=[substance])
    total = views.PAGE_SIZE + 3 + len(reviewed["claims"])
    first = soup(client.get(substance.get_absolute_url()))
    assert len(first.select(".claim-row")) == views.PAGE_SIZE
    assert first.select_one(".count").get_text().startswith(f"{total} claims")
    second = soup(client.get(substance.get_absolute_url() + first.select_one('.pagination a[rel="next"]')["href"]))
    assert len(second.select(".claim-row")) == total - views.PAGE_SIZE
    link = first.select_one(f'a[href="/claims/?substance={substance.slug}"]')
    assert link is not None


def test_the_home_page_shows_a_bounded_selection_of_articles(client, monkeypatch):
    monkeypatch.setattr(views, "HOME_ARTICLES", 3)
    for _ in range(5):
        make_article()
    page = soup(client.get("/"))
    assert len(page.select("#articles + ul.cards li.card")) == 3
    assert page.select_one('#articles ~ p a[href="/articles/"]').get_text().startswith("All 5 reviewed articles")


def test_a_content_version_lost_from_the_cache_starts_above_every_earlier_one():
    from django.core.cache import cache

    from evidence.signals import CONTENT_VERSION_KEY, bump_content_version, content_version

    before = content_version()
    bump_content_version(sender=None, instance=None)
    bumped = content_version()
    cache.delete(CONTENT_VERSION_KEY)  # evicted, or the cache restarted

    assert bumped == before + 1
    assert content_version() > bumped  # no page kept under an earlier version can answer again
    cache.delete(CONTENT_VERSION_KEY)
    bump_content_version(sender=None, instance=None)  # an approval while the key is missing
    assert content_version() > bumped
