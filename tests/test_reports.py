"""Readers report, the desk answers: the report form (/report/), its admin, and the public
corrections log (/corrections/)."""

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.template.defaultfilters import date as date_filter
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evidence import services
from evidence.models import ChangeRequest, Claim, ReaderReport, Status
from tests.browsing import live_server, new_page
from tests.factories import make_article, make_claim, make_editor, make_reviewer, make_warning

pytestmark = pytest.mark.django_db

REPORT = "/report/"
THANKS = "/report/thanks/"


@pytest.fixture(autouse=True)
def fresh_limits(settings):
    """Every test starts with an empty rate-limit count (the limiter counts in the cache), and
    tests that send many reports from one address are not limited unless they ask to be."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "report": "1000/3600"}
    cache.clear()
    yield
    cache.clear()


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def error_report(page, **overrides):
    data = {"kind": "error", "page": page, "message": "The summary cites the wrong study.", "email": "", "website": ""}
    data.update(overrides)
    return data


# --- the form -------------------------------------------------------------------------------------------


def test_the_form_is_prefilled_with_the_page_it_was_opened_from(client):
    claim = make_claim()
    response = client.get(REPORT, {"page": claim.get_absolute_url()})
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("input[name=page]")["value"] == claim.get_absolute_url()
    assert page.select_one("input[name=kind][value=error]").has_attr("checked")
    assert claim.statement in page.select_one(".report-subject").get_text()
    assert page.select_one("input[name=csrfmiddlewaretoken]") is not None
    for control in page.select("form.report-form input:not([type=hidden]), form.report-form textarea"):
        labelled = control.find_parent("label") or page.select_one(f"label[for={control['id']}]")
        assert labelled is not None, control  # every control has a label


def test_the_review_link_opens_the_form_ready_for_an_article_address(client):
    page = soup(client.get(REPORT, {"kind": "review"}))
    assert page.select_one("input[name=kind][value=review]").has_attr("checked")
    assert page.select_one("input[name=article_url]") is not None


def test_sending_a_report_records_it_open_with_the_page_it_is_about_and_thanks_the_reader(client):
    claim = make_claim()
    response = client.post(REPORT, error_report(claim.get_absolute_url(), email="reader@example.org"))
    assert response.status_code == 303 and response["Location"] == THANKS
    report = ReaderReport.objects.get()
    assert report.state == ReaderReport.State.OPEN and report.kind == ReaderReport.Kind.ERROR
    assert report.page == claim.get_absolute_url() and report.email == "reader@example.org"
    assert report.subject_type == ContentType.objects.get_for_model(Claim) and report.subject_id == claim.pk
    thanks = client.get(THANKS)
    assert thanks.status_code == 200 and "What happens next" in thanks.content.decode()
    assert not thanks.cookies


def test_a_report_on_a_warning_or_an_article_page_links_that_item_too(client):
    warning, article = make_warning(), make_article()
    for item in (warning, article):
        assert client.post(REPORT, error_report(item.get_absolute_url())).status_code == 303
        report = ReaderReport.objects.latest("pk")
        assert (report.subject_type.model_class(), report.subject_id) == (type(item), item.pk)


def test_a_full_address_on_this_site_is_accepted_as_its_path(client):
    claim = make_claim()
    assert client.post(REPORT, error_report(f"http://testserver{claim.get_absolute_url()}")).status_code == 303
    assert ReaderReport.objects.get().page == claim.get_absolute_url()


def test_the_form_works_as_a_browser_sends_it_with_its_csrf_token():
    claim = make_claim()
    browser = Client(enforce_csrf_checks=True)
    form = browser.get(REPORT, {"page": claim.get_absolute_url()})
    token = soup(form).select_one("input[name=csrfmiddlewaretoken]")["value"]
    assert browser.post(REPORT, error_report(claim.get_absolute_url())).status_code == 403  # no token: refused
    response = browser.post(REPORT, {**error_report(claim.get_absolute_url()), "csrfmiddlewaretoken": token})
    assert response.status_code == 303
    assert ReaderReport.objects.count() == 1


def test_a_filled_honeypot_gets_the_same_thanks_but_nothing_is_kept(client):
    claim = make_claim()
    response = client.post(REPORT, error_report(claim.get_absolute_url(), website="http://cheap-pills.example"))
    assert response.status_code == 303 and response["Location"] == THANKS
    assert not ReaderReport.objects.exists()
    trap = soup(client.get(REPORT)).select_one(".report-trap")
    assert trap.select_one("label").get_text(strip=True) == "Leave this empty"
    assert "style" not in str(trap)  # hidden by the stylesheet's class, never an inline style


def test_a_reader_over_the_report_limit_gets_the_429_page(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "report": "2/3600"}
    claim = make_claim()
    for _ in range(2):
        assert (
            client.post(REPORT, error_report(claim.get_absolute_url()), REMOTE_ADDR="203.0.113.40").status_code == 303
        )
    response = client.post(REPORT, error_report(claim.get_absolute_url()), REMOTE_ADDR="203.0.113.40")
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert "Too many requests" in response.content.decode()
    assert ReaderReport.objects.count() == 2
    assert client.get(REPORT, REMOTE_ADDR="203.0.113.40").status_code == 200  # reading the form is not limited
    other = client.post(REPORT, error_report(claim.get_absolute_url()), REMOTE_ADDR="203.0.113.41")
    assert other.status_code == 303  # another reader


def test_a_message_over_the_limit_is_refused_with_the_reason_and_nothing_is_kept(client):
    claim = make_claim()
    too_long = "x" * (ReaderReport.MESSAGE_LIMIT + 1)
    response = client.post(REPORT, error_report(claim.get_absolute_url(), message=too_long))
    assert response.status_code == 200
    text = response.content.decode()
    assert f"at most {ReaderReport.MESSAGE_LIMIT} characters" in text
    assert "Nothing was sent yet" in text
    assert not ReaderReport.objects.exists()
    # The limit counts a browser's line break as one character, as the textarea's maxlength does.
    fits = "a\r\n" * (ReaderReport.MESSAGE_LIMIT // 2)
    assert client.post(REPORT, error_report(claim.get_absolute_url(), message=fits)).status_code == 303


@pytest.mark.parametrize(
    "page",
    [
        "/no-such-page/",
        "/claims/",  # a list, not a claim
        "/how-we-grade/",
        "https://elsewhere.example/claims/x/",
        "javascript:alert(1)",
        "//elsewhere.example/claims/x/",
        "claims/x/",
        "",
    ],
)
def test_a_page_that_is_not_a_public_claim_warning_or_article_is_a_form_error(client, page):
    response = client.post(REPORT, error_report(page))
    assert response.status_code == 200
    assert soup(response).select(".report-form .error")
    assert not ReaderReport.objects.exists()


def test_a_draft_or_withdrawn_item_cannot_be_reported(client):
    draft = make_claim(status=Status.DRAFT)
    withdrawn = make_claim(status=Status.WITHDRAWN)
    for claim in (draft, withdrawn):
        response = client.post(REPORT, error_report(f"/claims/{claim.slug}/"))
        assert response.status_code == 200 and "not (or no longer) public" in response.content.decode()
    assert not ReaderReport.objects.exists()


def test_a_review_request_needs_an_http_address_of_the_article(client):
    review = {"kind": "review", "page": "", "message": "Please look at this one.", "email": "", "website": ""}
    missing = client.post(REPORT, review)
    assert missing.status_code == 200 and "Give the address of the article" in missing.content.decode()
    ftp = client.post(REPORT, {**review, "article_url": "ftp://example.org/kratom"})
    assert ftp.status_code == 200 and soup(ftp).select(".report-form .error")
    assert not ReaderReport.objects.exists()
    ok = client.post(REPORT, {**review, "article_url": "https://example.org/kratom-guide"})
    assert ok.status_code == 303
    report = ReaderReport.objects.get()
    assert report.kind == ReaderReport.Kind.REVIEW and report.article_url == "https://example.org/kratom-guide"
    assert report.subject_type is None


@pytest.mark.parametrize(
    "query",
    [
        {"kind": "nonsense"},
        {"page": "/claims/" + "x" * 5000 + "/"},
        {"page": "/no-such-page/"},
        {"page": "\x00"},
        {"kind": ["error", "review"], "page": ["/a/", "/b/"]},
    ],
)
def test_a_malformed_link_still_shows_the_form_with_a_message(client, query):
    response = client.get(REPORT, query)
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("form.report-form") is not None
    if query != {"kind": ["error", "review"], "page": ["/a/", "/b/"]}:
        assert page.select(".notice")
    assert "x" * 400 not in response.content.decode()  # a giant parameter is not echoed back


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "nonsense", "message": "Hello"},
        {"kind": "error", "page": "/claims/" + "x" * 5000 + "/", "message": "Hello"},
        {"kind": "error", "page": "/claims/x/", "message": ""},
        {"kind": "error", "page": "/claims/x/", "message": "Hello", "email": "not an address"},
        {},
    ],
)
def test_malformed_posts_get_the_form_back_never_a_server_error(client, data):
    response = client.post(REPORT, data)
    assert response.status_code == 200
    assert soup(response).select(".report-form .error")
    assert not ReaderReport.objects.exists()


def test_the_report_form_takes_no_other_method(client):
    assert client.put(REPORT).status_code == 405
    assert client.delete(REPORT).status_code == 405
    assert client.post(THANKS).status_code == 405
    for url in (REPORT, THANKS, "/corrections/"):
        assert client.head(url).status_code == 200, url


# --- the links to it ---------------------------------------------------------------------------------


def test_claim_warning_and_article_pages_link_to_the_form_and_set_no_cookie():
    claim, warning, article = make_claim(), make_warning(), make_article()
    for item in (claim, warning, article):
        reader = Client()
        response = reader.get(item.get_absolute_url())
        assert response.status_code == 200
        link = soup(response).select_one(".report-error a")
        assert link.get_text(strip=True) == "Report an error on this page"
        assert link["href"] == f"/report/?page={item.get_absolute_url()}"
        assert not response.cookies and "csrfmiddlewaretoken" not in response.content.decode()
        assert "cookie" not in response.headers.get("Vary", "").lower()


def test_the_article_list_asks_for_articles_to_review_and_the_footer_links_the_corrections_log(client):
    page = soup(client.get("/articles/"))
    link = page.find("a", string="Ask us to review an article")
    assert link["href"] == "/report/?kind=review"
    assert page.select_one(".site-footer a[href='/corrections/']") is not None
    grading = soup(client.get("/how-we-grade/"))
    assert grading.find("a", string="How to report an error")["href"] == REPORT


# --- the desk answers (admin) -------------------------------------------------------------------------


def reader_report(client, item=None):
    item = item or make_claim()
    assert client.post(REPORT, error_report(item.get_absolute_url())).status_code == 303
    return ReaderReport.objects.latest("pk"), item


def test_a_reviewer_sees_reports_in_the_admin_but_cannot_add_or_delete_them(client, reviewer_client):
    report, claim = reader_report(client)
    changelist = reviewer_client.get(reverse("admin:evidence_readerreport_changelist"))
    assert changelist.status_code == 200
    text = changelist.content.decode()
    assert "The summary cites the wrong study." in text
    assert f'href="{claim.get_absolute_url()}"' in text  # the public page
    assert reverse("admin:evidence_claim_change", args=[claim.pk]) in text  # and the item in the admin
    assert reviewer_client.get(reverse("admin:evidence_readerreport_add")).status_code == 403
    assert reviewer_client.get(reverse("admin:evidence_readerreport_delete", args=[report.pk])).status_code == 403


def test_answering_without_a_written_answer_is_refused_and_changes_nothing(client, reviewer_client):
    report, _ = reader_report(client)
    url = reverse("admin:evidence_readerreport_change", args=[report.pk])
    for state in ("answered", "dismissed"):
        response = reviewer_client.post(url, {"decision": state, "answer": "  ", "change_request": ""})
        assert response.status_code == 200
        assert "Write the answer before marking this report answered or dismissed" in response.content.decode()
    report.refresh_from_db()
    assert report.state == ReaderReport.State.OPEN and report.answered_at is None and report.answered_by is None


def test_answering_with_text_closes_the_report_with_who_and_when(client, reviewer_client, reviewer):
    report, _ = reader_report(client)
    url = reverse("admin:evidence_readerreport_change", args=[report.pk])
    response = reviewer_client.post(
        url, {"decision": "answered", "answer": "Corrected the study.", "change_request": ""}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == ReaderReport.State.ANSWERED and report.answer == "Corrected the study."
    assert report.answered_by == reviewer and report.answered_at is not None
    # An answer, once given, stands: the report is read-only now.
    again = reviewer_client.post(url, {"decision": "dismissed", "answer": "Changed my mind.", "change_request": ""})
    assert again.status_code == 302  # refused with a message: no one may change it any more
    report.refresh_from_db()
    assert report.state == ReaderReport.State.ANSWERED and report.answer == "Corrected the study."
    shown = reviewer_client.get(url)
    assert shown.status_code == 200 and "Corrected the study." in shown.content.decode()


def test_the_reports_changelist_query_count_does_not_grow_with_reports(client, reviewer_client):
    claim, warning = make_claim(), make_warning()

    def add_reports(n):
        for i in range(n):
            reader_report(client, claim if i % 2 else warning)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert reviewer_client.get(reverse("admin:evidence_readerreport_changelist")).status_code == 200
        return len(captured)

    add_reports(2)
    small = queries()
    add_reports(18)
    assert queries() == small


# --- corrections --------------------------------------------------------------------------------------


def corrected_claim(*, corrects_error=True, note="The summary cited the wrong trial; corrected."):
    claim = make_claim()
    proposal = services.claim_update(claim=claim, by=make_reviewer(), verdict="mixed", change_note="Fix").pending
    services.change_approve(request=proposal, by=make_editor(), note=note, corrects_error=corrects_error)
    proposal.refresh_from_db()
    return claim, proposal


def test_the_corrections_log_lists_approved_corrections_with_their_claim_version(client):
    claim, proposal = corrected_claim()
    not_a_correction, _ = corrected_claim(corrects_error=False, note="Routine update.")
    pending_claim = make_claim()
    pending = services.claim_update(claim=pending_claim, by=make_reviewer(), verdict="mixed").pending
    ChangeRequest.objects.filter(pk=pending.pk).update(corrects_error=True)  # ticked, but not approved

    response = client.get("/corrections/")
    assert response.status_code == 200
    page = soup(response)
    entries = page.select(".correction")
    assert len(entries) == 1
    entry = entries[0]
    assert entry.select_one(".correction-title a")["href"] == claim.get_absolute_url()
    assert entry.select_one(".correction-title a").get_text(strip=True) == claim.statement
    assert "The summary cited the wrong trial; corrected." in entry.get_text()
    version = claim.versions.get(change_request=proposal)
    version_url = reverse("evidence:claim-version", kwargs={"slug": claim.slug, "number": version.number})
    assert entry.find("a", href=version_url) is not None and version.number == 2
    assert entry.select_one("time")["datetime"] == date_filter(timezone.localtime(proposal.decided_at), "c")
    text = response.content.decode()
    assert not_a_correction.statement not in text and pending_claim.statement not in text
    assert page.find("a", string="How to report an error")["href"] == REPORT


def test_the_corrections_log_lists_other_items_and_leaves_out_those_no_longer_public(client):
    warning = make_warning()
    proposal = services.warning_update(warning=warning, by=make_reviewer(), text="Corrected text.").pending
    services.change_approve(request=proposal, by=make_editor(), note="The dose was wrong.", corrects_error=True)
    claim, _ = corrected_claim()
    withdrawal = services.status_change(obj=claim, status=Status.WITHDRAWN, by=make_editor(), note="Withdrawn.")
    from tests.factories import make_reviewer_editor

    services.change_approve(request=withdrawal.pending, by=make_reviewer_editor(), note="Withdrawn.")
    text = client.get("/corrections/").content.decode()
    assert warning.title in text and "The dose was wrong." in text
    assert claim.statement not in text


def test_the_corrections_log_is_newest_first_and_paginated(client):
    corrected_claim(note="First correction.")
    corrected_claim(note="Second correction.")
    text = client.get("/corrections/").content.decode()
    assert text.index("Second correction.") < text.index("First correction.")
    assert client.get("/corrections/?page=nonsense").status_code == 200
    assert client.get("/corrections/?page=999").status_code == 200


def test_the_corrections_log_query_count_does_not_grow_with_corrections(client):
    warning = make_warning()
    proposal = services.warning_update(warning=warning, by=make_reviewer(), text="Corrected.").pending
    services.change_approve(request=proposal, by=make_editor(), note="Corrected.", corrects_error=True)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/corrections/")
        assert response.status_code == 200
        return len(captured), len(soup(response).select(".correction"))

    for _ in range(2):
        corrected_claim()
    client.get("/corrections/")  # warm the content-type cache
    small, shown = queries()
    assert shown == 3
    for _ in range(18):
        corrected_claim()
    large, shown = queries()
    assert shown == 21 and large == small


# --- approving a correction (admin) -----------------------------------------------------------------


def test_approving_with_the_box_ticked_lists_the_change_and_answers_the_report(client, editor_client, editor):
    claim = make_claim()
    report, _ = reader_report(client, claim)
    proposal = services.claim_update(claim=claim, by=make_reviewer(), verdict="mixed", change_note="Fix").pending
    url = reverse("admin:evidence_changerequest_change", args=[proposal.pk])
    form = soup(editor_client.get(url))
    box = form.select_one("input[name=corrects_error]")
    assert box is not None and "corrections log" in form.select_one(f"label[for={box['id']}]").get_text()
    decision = {
        "decision": "approve",
        "note": "Two new trials.",
        "seen": services.items_seen(proposal),
        "corrects_error": "on",
        "answers_report": str(report.pk),
    }
    assert editor_client.post(url, decision).status_code == 302
    proposal.refresh_from_db()
    assert proposal.state == ChangeRequest.State.APPROVED and proposal.corrects_error
    report.refresh_from_db()
    assert report.state == ReaderReport.State.ANSWERED and report.change_request == proposal
    assert report.answer == "Two new trials." and report.answered_by == editor
    assert claim.statement in client.get("/corrections/").content.decode()


def test_approving_without_the_box_keeps_the_change_out_of_the_log(client, editor_client):
    claim = make_claim()
    proposal = services.claim_update(claim=claim, by=make_reviewer(), verdict="mixed", change_note="Fix").pending
    url = reverse("admin:evidence_changerequest_change", args=[proposal.pk])
    decision = {"decision": "approve", "note": "Routine.", "seen": services.items_seen(proposal)}
    assert editor_client.post(url, decision).status_code == 302
    proposal.refresh_from_db()
    assert proposal.state == ChangeRequest.State.APPROVED and not proposal.corrects_error
    assert claim.statement not in client.get("/corrections/").content.decode()
    assert re.search(r"Corrects error", editor_client.get(url).content.decode(), re.I)  # shown once decided


# --- in a browser -------------------------------------------------------------------------------------

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def report_server(seed_library_module, django_db_blocker):
    """A live server over the seed library, with one correction in the log (committed; the seed
    fixture flushes it all when the module ends)."""
    with django_db_blocker.unblock():
        claim = Claim.objects.published().order_by("pk").first()
        proposal = services.claim_update(
            claim=claim, by=make_reviewer(), summary=claim.summary + " Corrected.", change_note="Fix"
        ).pending
        services.change_approve(request=proposal, by=make_editor(), note="Corrected a citation.", corrects_error=True)
    with live_server() as server:
        yield server, claim


def serious_violations(page):
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})"
    )
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}× e.g. {v['nodes'][0]['target']})"
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_report_pages_and_the_corrections_log_have_no_serious_accessibility_violations(
    report_server, browser, db, scheme
):
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci` (make test does this).")
    server, claim = report_server
    page = new_page(browser, bypass_csp=True, color_scheme=scheme)
    failures = {}
    for name, url in {
        "form": f"/report/?page={claim.get_absolute_url()}",
        "thanks": THANKS,
        "corrections": "/corrections/",
    }.items():
        page.goto(server.url + url)
        if name == "corrections":
            assert "Corrected a citation." in page.inner_text("main")
        failures[name] = serious_violations(page)
    # The form as it comes back with an error: a review request without the article's address.
    page.goto(server.url + REPORT)
    page.get_by_label("Ask us to review an article").check()
    page.get_by_label("Your message").fill("Please review this one.")
    page.get_by_role("button", name="Send").click()
    assert "Give the address of the article" in page.inner_text("main")
    failures["form-with-errors"] = serious_violations(page)
    page.context.close()
    assert {name: found for name, found in failures.items() if found} == {}


@pytest.mark.browser
def test_a_reader_without_javascript_reports_an_error_from_a_claim_page(report_server, browser, db):
    server, claim = report_server
    page = new_page(browser, java_script_enabled=False)
    page.goto(server.url + claim.get_absolute_url())
    page.get_by_role("link", name="Report an error on this page").click()
    assert page.get_by_label("Address of the page").input_value() == claim.get_absolute_url()
    assert not page.locator(".report-trap").is_visible() or page.locator(".report-trap").bounding_box()["x"] < 0
    page.get_by_label("Your message").fill("The second study is about a different alkaloid.")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(re.escape(THANKS) + "$"))
    assert "What happens next" in page.inner_text("main")
    page.context.close()
    report = ReaderReport.objects.get(message="The second study is about a different alkaloid.")
    assert report.subject_id == claim.pk and report.state == ReaderReport.State.OPEN
