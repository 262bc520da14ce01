"""Pages at scale (issue 14): an anonymous reader's second request for the same page (a claim, an
article, a list, the home page) is answered from the kept page (evidence/page_cache.py) without a
database query and with the same bytes, or with 304 when the reader has it; an approved change
shows at once; the claim page's query count does not grow with its evidence, passages and warnings."""

import gzip
from collections import OrderedDict

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evidence import services
from evidence.models import Evidence, Passage
from evidence.page_cache import local as kept_by_this_worker
from tests.factories import (
    article_text,
    make_article,
    make_claim,
    make_evidence,
    make_passage,
    make_reviewer,
    make_study,
    make_substance,
    make_unfound_reference,
    make_warning,
    settle,
)

pytestmark = pytest.mark.django_db

LINES = ["Kratom eases restless legs at night.", "Kratom sharpens memory in older adults."]

# The claim page, cold: the claim; its substances, evidence (with studies), the studies' notices,
# passages (with articles), warnings and unfound references; its latest version (with the first
# version's date). Warm: nothing, the kept page answers.
# On PostgreSQL a public request that queries also sets and resets its statement timeout (evidence/middleware.py).
PER_REQUEST = 2 if connection.vendor == "postgresql" else 0
CLAIM_COLD_QUERIES = 8 + PER_REQUEST
CLAIM_WARM_QUERIES = 0


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 3600  # on here (tests/conftest.py turns it off elsewhere)


@pytest.fixture
def reviewed():
    article = make_article(text=article_text(extra_paragraphs=LINES))
    substance = make_substance(slug="kratom-leaf", name="Kratom leaf")
    claims = []
    for line in LINES:
        claim = make_claim(statement=line.rstrip("."), substances=[substance], summary="One survey reports relief.")
        make_passage(article=article, claim=claim, quote=line)
        make_evidence(claim=claim, study=make_study(), note="Self-reported relief.")
        claims.append(claim)
    make_warning(claims=claims[:1], substances=[substance])
    make_unfound_reference(article=article, claim=claims[0])
    return {"article": article, "claims": claims, "substance": substance}


def fetch(client, url, **kwargs):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, url
    return response, len(queries)


def page_url(reviewed, page):
    return {
        "claim": reviewed["claims"][0].get_absolute_url(),
        "article": reviewed["article"].get_absolute_url(),
        "claims list": "/claims/?verdict=insufficient&page=1",
        "home": "/",
    }[page]


PAGES = ["claim", "article", "claims list", "home"]


@pytest.mark.parametrize("page", PAGES)
def test_a_second_reader_gets_the_same_page_without_a_query(client, reviewed, page):
    url = page_url(reviewed, page)
    cold, cold_queries = fetch(client, url)
    warm, warm_queries = fetch(client, url)
    assert warm_queries == 0 < cold_queries  # the kept page answers; nothing is fetched
    assert warm.content == cold.content
    if page in ("claim", "article"):
        assert LINES[0].encode() in warm.content
    for header in ("ETag", "Last-Modified", "Cache-Control", "Content-Type", "Vary"):
        assert warm.headers.get(header) == cold.headers.get(header), header


@pytest.mark.parametrize("page", PAGES)
def test_a_reader_who_has_the_kept_page_gets_304_without_a_query(client, reviewed, page):
    url = page_url(reviewed, page)
    first, _ = fetch(client, url)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url, headers={"if-none-match": first.headers["ETag"]})
    assert again.status_code == 304 and len(queries) == 0
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Last-Modified"] == first.headers["Last-Modified"]
    assert again.headers["Cache-Control"].startswith("public")
    with CaptureQueriesContext(connection) as queries:
        since = client.get(url, headers={"if-modified-since": first.headers["Last-Modified"]})
    assert since.status_code == 304 and len(queries) == 0
    stale = client.get(url, headers={"if-none-match": '"an-older-page"'})
    assert stale.status_code == 200 and stale.content == first.content


@pytest.mark.parametrize("page", ["claim", "article"])
def test_a_reader_whose_browser_accepts_gzip_gets_the_kept_page_compressed(client, reviewed, page):
    url = page_url(reviewed, page)
    first, _ = fetch(client, url)
    assert "Accept-Encoding" in first.headers["Vary"]  # a CDN keeps each encoding apart
    with CaptureQueriesContext(connection) as queries:
        zipped = client.get(url, headers={"accept-encoding": "gzip, deflate, br"})
    assert len(queries) == 0 and zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == first.content
    assert len(zipped.content) < len(first.content) / 2
    assert zipped.headers["ETag"] == f"W/{first.headers['ETag']}"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    again = client.get(url, headers={"accept-encoding": "gzip", "if-none-match": zipped.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == zipped.headers["ETag"]
    plain = client.get(url, headers={"accept-encoding": "identity"})
    assert plain.content == first.content and "Content-Encoding" not in plain.headers


def test_the_kept_list_page_differs_by_filters_and_page(client, reviewed):
    everything, _ = fetch(client, "/claims/")
    fetch(client, "/claims/")
    none, _ = fetch(client, "/claims/?verdict=contradicted")
    assert everything.content != none.content
    assert b"Kratom eases restless legs at night" in everything.content
    assert b"Kratom eases restless legs at night" not in none.content


def test_the_claim_page_runs_the_same_queries_however_much_evidence_it_shows(client, reviewed):
    claim = reviewed["claims"][0]
    url = claim.get_absolute_url()
    _page, small = fetch(client, url)
    assert small == CLAIM_COLD_QUERIES
    article = reviewed["article"]
    study = make_study(title="A larger kratom study")
    make_evidence(claim=claim, study=study, direction=Evidence.Direction.CONTRADICTS, note="No effect found.")
    make_evidence(claim=claim, study=make_study(), note="A small trial.")
    other = make_article(text=article_text(extra_paragraphs=["Kratom cures restless legs for good."]))
    make_passage(
        article=other,
        claim=claim,
        quote="Kratom cures restless legs for good.",
        wording=Passage.Wording.OVERSTATED,
        wording_note="No study follows users for good.",
    )
    make_passage(article=make_article(), claim=claim, quote="Long-term use may lead to dependence.")
    make_warning(claims=[claim], studies=[study])
    make_unfound_reference(article=article, claim=claim, citation="Roe 2021, Journal of Elsewhere")
    claim.substances.add(make_substance())
    cache.clear()  # cold again: nothing kept, in the shared cache or by this worker
    kept_by_this_worker.forget()
    page, large = fetch(client, url)
    assert large == small == CLAIM_COLD_QUERIES
    assert b"Journal of Elsewhere" in page.content and b"No effect found." in page.content
    _again, warm = fetch(client, url)
    assert warm == CLAIM_WARM_QUERIES


def test_an_approved_change_to_the_claim_shows_at_once(client, reviewed, django_capture_on_commit_callbacks):
    claim = reviewed["claims"][0]
    url = claim.get_absolute_url()
    before, _ = fetch(client, url)
    fetch(client, url)  # now kept
    with django_capture_on_commit_callbacks(execute=True):
        settle(services.claim_update(claim=claim, by=make_reviewer(), summary="Two trials now disagree."))
    after, queries = fetch(client, url)
    assert queries == CLAIM_COLD_QUERIES  # rendered afresh, not the page kept before the change
    assert b"Two trials now disagree." in after.content
    assert b"One survey reports relief." not in after.content
    assert after.headers["ETag"] != before.headers["ETag"]


def test_an_approved_change_to_its_evidence_shows_at_once(client, reviewed, django_capture_on_commit_callbacks):
    claim = reviewed["claims"][0]
    url = claim.get_absolute_url()
    fetch(client, url)
    fetch(client, url)
    evidence = claim.evidence.get()
    with django_capture_on_commit_callbacks(execute=True):
        settle(services.evidence_update(evidence=evidence, by=make_reviewer(), note="Relief faded after a week."))
    after, _ = fetch(client, url)
    assert b"Relief faded after a week." in after.content
    assert b"Self-reported relief." not in after.content


def test_an_approved_change_to_a_passage_shows_at_once_on_both_pages(
    client, reviewed, django_capture_on_commit_callbacks
):
    claim, article = reviewed["claims"][0], reviewed["article"]
    urls = [claim.get_absolute_url(), article.get_absolute_url()]
    for url in urls * 2:
        fetch(client, url)
    passage = claim.passages.get()
    with django_capture_on_commit_callbacks(execute=True):
        settle(
            services.passage_update(
                passage=passage, by=make_reviewer(), wording_note="Says “eases” where the survey says “may ease”."
            )
        )
    for url in urls:
        page, _ = fetch(client, url)
        assert "Says “eases” where the survey says “may ease”.".encode() in page.content, url


def test_signed_in_curators_never_get_a_kept_page(client, reviewed, reviewer):
    url = reviewed["claims"][0].get_absolute_url()
    fetch(client, url)
    fetch(client, url)  # kept for anonymous readers
    client.force_login(reviewer)
    _first, first_queries = fetch(client, url)
    second, second_queries = fetch(client, url)
    assert first_queries > CLAIM_WARM_QUERIES and second_queries > CLAIM_WARM_QUERIES  # rendered each time
    assert "private" in second.headers["Cache-Control"]


def test_a_citation_asked_for_by_accept_header_is_not_answered_with_the_kept_html(client, reviewed):
    url = reviewed["claims"][0].get_absolute_url()
    fetch(client, url)
    fetch(client, url)
    bibtex, _ = fetch(client, url, headers={"accept": "application/x-bibtex"})
    assert bibtex.headers["Content-Type"].startswith("application/x-bibtex")
    assert bibtex.content.lstrip().startswith(b"@")


def test_a_worker_answers_a_page_it_kept_without_asking_the_shared_cache(client, reviewed, monkeypatch):
    from evidence import page_cache

    url = page_url(reviewed, "claim")
    first, _ = fetch(client, url)
    asked = []
    monkeypatch.setattr(page_cache.cache, "get", lambda *args, **kwargs: asked.append(args))
    again, queries = fetch(client, url)
    assert queries == 0 and asked == [] and again.content == first.content


def test_an_approval_on_another_server_reaches_this_workers_readers_within_the_recheck_interval(
    client, reviewed, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from evidence import page_cache

    settings.PAGE_VERSION_RECHECK_SECONDS = 5
    now = [1000.0]
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: now[0])
    claim = reviewed["claims"][0]
    url = claim.get_absolute_url()
    fetch(client, url)
    worker = kept_by_this_worker
    held = (worker.version, worker.version_until, OrderedDict(worker.pages), worker.size)
    with django_capture_on_commit_callbacks(execute=True):  # the database and the shared version move
        settle(services.claim_update(claim=claim, by=make_reviewer(), summary="Two trials now disagree."))
    # This worker stands for another app server, which the approval's signal never reached: it
    # still holds the version and the page it had.
    worker.version, worker.version_until, worker.pages, worker.size = held
    now[0] += 4  # within the interval: this worker still answers with the page it kept
    stale, _ = fetch(client, url)
    assert b"One survey reports relief." in stale.content
    now[0] += 2  # past it: the new version is read, and the page is built afresh
    fresh, queries = fetch(client, url)
    assert queries > 0 and b"Two trials now disagree." in fresh.content


def test_a_worker_keeps_at_most_page_local_bytes_of_pages(client, reviewed, settings):
    settings.PAGE_LOCAL_BYTES = 12_000  # a few gzipped pages
    urls = [page_url(reviewed, page) for page in PAGES] + [claim.get_absolute_url() for claim in reviewed["claims"]]
    for url in urls:
        fetch(client, url)
    assert 0 < kept_by_this_worker.size <= settings.PAGE_LOCAL_BYTES
    assert len(kept_by_this_worker.pages) < len(set(urls))  # the first ones were let go
