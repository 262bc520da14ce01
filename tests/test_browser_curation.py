"""Curators' journey in a real browser: a reviewer's edit waits; a second editor approves it.

Chromium through Playwright, as in test_browser.py. The curators and the seed library are
committed once for this module (the live server's own connection must see them) and flushed after.
"""

import re

import pytest
from django.contrib.auth.models import Group, User
from django_otp.plugins.otp_static.models import StaticDevice

from evidence.models import ChangeRequest, Claim
from tests.browsing import live_server, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PASSWORD = "pw-curator-correct-horse"
EDITOR_CODES = ["browsercode1", "browsercode2"]  # recovery codes work once: one per sign-in
SLUG = "kratom-relieves-muscle-soreness"
ADDED = "A curator added this sentence in the browser."


@pytest.fixture(scope="module")
def server(seed_library_module, django_db_blocker):
    with django_db_blocker.unblock():
        for name, group in (("browser-reviewer", "Reviewer"), ("browser-editor", "Editor")):
            user = User.objects.create_user(name, password=PASSWORD, is_staff=True)
            user.groups.add(Group.objects.get(name=group))
        editor = User.objects.get(username="browser-editor")  # editors sign in with a second factor
        device = StaticDevice.objects.create(user=editor, name="recovery codes")
        for code in EDITOR_CODES:
            device.token_set.create(token=code)
    with live_server() as server:
        yield server


def sign_in(browser, server, username, code=EDITOR_CODES[0]):
    page = new_page(browser)
    page.goto(server.url + "/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    if username == "browser-editor":
        page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    return page


def test_a_reviewers_edit_waits_until_a_second_editor_approves_it(server, browser):
    claim = Claim.objects.get(slug=SLUG)
    reader = new_page(browser)
    reader.goto(server.url + claim.get_absolute_url())
    assert ADDED not in reader.content()

    reviewer = sign_in(browser, server, "browser-reviewer")
    reviewer.goto(server.url + f"/admin/evidence/claim/{claim.pk}/change/")
    summary = reviewer.locator("#id_summary")
    summary.fill(summary.input_value() + "\n\n" + ADDED)
    reviewer.locator("#id_change_note").fill("Adds a sentence on what the trial measured.")
    reviewer.get_by_role("button", name="Save", exact=True).click()
    assert "waits for approval by another editor" in reviewer.locator(".messagelist").inner_text()

    reader.reload()
    assert ADDED not in reader.content()  # the public still reads the approved version

    editor = sign_in(browser, server, "browser-editor")
    editor.goto(server.url + "/admin/evidence/changerequest/?state__exact=pending")
    editor.get_by_role("link", name=re.compile(re.escape(claim.statement))).first.click()
    assert ADDED in editor.locator(".field-changes").inner_text()
    editor.get_by_label("Decision:").select_option("approve")
    editor.get_by_role("button", name="Save", exact=True).click()
    editor.wait_for_url(re.compile(r"/admin/evidence/changerequest/(\?.*)?$"))

    reader.reload()
    assert ADDED in reader.content()
    assert ChangeRequest.objects.get(subject_id=claim.pk).state == "approved"
    for page in (reader, reviewer, editor):
        assert page.js_errors == [], page.js_errors
        page.context.close()


def test_the_claim_form_with_many_passages_fits_a_1280_pixel_screen(server, browser):
    """Inline tables wrap their quotes and notes instead of widening the page past the screen."""
    claim = max(Claim.objects.all(), key=lambda c: c.passages.count())
    reviewer = sign_in(browser, server, "browser-reviewer")
    reviewer.set_viewport_size({"width": 1280, "height": 800})
    reviewer.goto(server.url + f"/admin/evidence/claim/{claim.pk}/change/")
    assert reviewer.locator(".inline-related, .tabular tr.has_original").count() > 3
    width = reviewer.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, f"the form is {width} px wide"
    quote = reviewer.locator("td.field-quote textarea").first
    box = quote.bounding_box()
    assert box["height"] >= quote.evaluate("el => el.scrollHeight") - 2  # the whole pasted quote shows


def test_the_desk_is_the_first_thing_a_curator_sees(server, browser):
    editor = sign_in(browser, server, "browser-editor", code=EDITOR_CODES[1])
    counts = editor.locator("#desk-counts")
    assert "Waiting for me" in counts.inner_text()
    counts.get_by_role("link", name="Curation desk").click()
    editor.wait_for_url(re.compile(r"/admin/desk/$"))
    assert editor.get_by_role("heading", name=re.compile("Due for re-review")).is_visible()


def test_a_reviewer_answers_the_spotters_suggestions_in_place(server, browser):
    from evidence.models import SourceArticle, SpotDecision

    article = SourceArticle.objects.order_by("pk").first()
    reviewer = sign_in(browser, server, "browser-reviewer")
    reviewer.goto(server.url + f"/admin/evidence/sourcearticle/{article.pk}/change/")
    reviewer.get_by_role("link", name="Suggested claims").click()
    reviewer.wait_for_url(re.compile(rf"/admin/evidence/sourcearticle/{article.pk}/spot/$"))

    first_mark = reviewer.locator(".spot-open mark").first
    sentence = first_mark.inner_text()
    first_mark.click()  # the mark links to its answer, just below its line
    answer = reviewer.locator(".spot-answer", has=reviewer.locator(".spot-form")).first
    assert answer.locator(".spot-sentence").inner_text() == sentence
    assert answer.locator(".spot-candidate").count() >= 1
    answer.get_by_role("button", name="None of these").click()

    assert "makes none of the suggested claims" in reviewer.locator(".messagelist").inner_text()
    assert "Rejected by browser-reviewer" in reviewer.locator(".spot-answer", has_text=sentence).first.inner_text()
    assert SpotDecision.objects.filter(article=article, sentence=sentence, decision="rejected").count() == 1
    assert reviewer.js_errors == [], reviewer.js_errors
    reviewer.context.close()
