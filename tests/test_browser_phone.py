"""Readers on a phone (issue 13 §5–6), in Debian's Chromium driven by Playwright: a 375 × 812
touch screen at device scale 1.

The claim page fits the screen with its evidence rows as cards; the lists show their first result
on the first screen with the filters folded away, and active filters as chips a tap removes; the
evidence profile's squares lead, by touch and by keyboard, to their study's row. Skipped only
when Chromium is missing (CI sets KRATOMREF_REQUIRE_BROWSER=1, so there it fails instead).
"""

import os
import re
from itertools import pairwise
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from evidence.models import Claim, Evidence
from tests.browsing import live_server, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "test-results" / "screenshots"))
WIDTH, HEIGHT = 375, 812
PHONE = {"width": WIDTH, "height": HEIGHT, "is_mobile": True, "has_touch": True, "device_scale_factor": 1}
OPIOID_WITHDRAWAL = "kratom-eases-opioid-withdrawal"


@pytest.fixture(scope="module")
def server(seed_library_module, django_db_blocker):
    """One server for the module, reading the seed library loaded once (tests/conftest.py)."""
    with live_server() as server:
        yield server


@pytest.fixture
def library(server, db):
    """The seed library as the browser sees it; each test's own writes are rolled back."""


@pytest.fixture
def phone(browser):
    page = new_page(browser, **PHONE)
    yield page
    assert page.js_errors == [], page.js_errors
    page.context.close()


@pytest.fixture
def desktop(browser):
    page = new_page(browser)
    yield page
    assert page.js_errors == [], page.js_errors
    page.context.close()


def screenshot(page, name):
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=False)


def sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def too_wide(page):
    """The elements that stick out past the right edge, for the failure message."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
            .filter(e => !e.parentElement.closest('.table-wrap, svg'))
            .slice(0, 8)
            .map(e => `${e.tagName.toLowerCase()}.${e.className.baseVal ?? e.className}`
                      + ` ${Math.round(e.getBoundingClientRect().right)}`)"""
    )


def opioid_claim():
    return Claim.objects.get(slug=OPIOID_WITHDRAWAL)


def query(url):
    return parse_qs(urlsplit(url).query)


def test_claim_page_fits_a_phone_with_each_evidence_row_a_card_of_labelled_fields(server, library, phone):
    claim = opioid_claim()
    phone.goto(server.url + claim.get_absolute_url())
    assert sideways_scroll(phone) == 0, too_wide(phone)
    rows = phone.locator("table.evidence tbody tr")
    assert rows.count() == Evidence.objects.filter(claim=claim).count() == 10
    cards = rows.evaluate_all(
        """rows => rows.map(tr => {
            const box = tr.getBoundingClientRect();
            return {display: getComputedStyle(tr).display, left: box.left, right: box.right,
                    top: box.top + scrollY, bottom: box.bottom + scrollY};
        })"""
    )
    assert {card["display"] for card in cards} == {"block"}  # cards, not table rows
    assert all(card["left"] >= 0 and card["right"] <= WIDTH for card in cards)
    assert all(above["bottom"] <= below["top"] for above, below in pairwise(cards))  # stacked
    for index in range(rows.count()):
        row = rows.nth(index)
        for label in ("Study", "Design", "Direction", "Note"):
            cell = row.locator(f'td[data-label="{label}"]')
            assert cell.is_visible(), label
            cell_box = cell.bounding_box()
            assert cell_box["x"] >= 0 and cell_box["x"] + cell_box["width"] <= WIDTH, label
            shown = cell.evaluate("td => getComputedStyle(td, '::before').content")
            assert shown == f'"{label}"'  # each field carries its label on the card
    first = rows.first
    assert (
        first.locator('td[data-label="Direction"]')
        .inner_text()
        .strip()
        .endswith(Evidence.objects.filter(claim=claim).order_by("study").first().get_direction_display())
    )
    phone.evaluate("window.scrollTo(0, 0)")
    rows.first.scroll_into_view_if_needed()
    screenshot(phone, "claim-evidence-cards-phone")


def test_claims_list_shows_its_first_result_on_the_first_screen_with_the_filters_folded(server, library, phone):
    phone.goto(server.url + "/claims/")
    panel = phone.locator("details.filter-panel")
    assert panel.get_attribute("open") is None
    assert not phone.get_by_label("Verdict").is_visible()
    first = phone.locator(".claim-row").first
    assert first.bounding_box()["y"] + 20 < HEIGHT  # its first line is on the first screen
    assert sideways_scroll(phone) == 0, too_wide(phone)
    screenshot(phone, "claims-phone")
    phone.locator("details.filter-panel > summary").tap()
    assert panel.get_attribute("open") is not None
    assert phone.get_by_label("Verdict").is_visible()
    assert sideways_scroll(phone) == 0, too_wide(phone)


def test_phone_reader_filters_the_claims_and_taps_the_chip_to_remove_the_filter(server, library, phone):
    phone.goto(server.url + "/claims/")
    phone.locator("details.filter-panel > summary").tap()
    phone.get_by_label("Verdict").select_option("contradicted")
    phone.get_by_label("Sort by").select_option("-updated")
    phone.get_by_role("button", name="Filter").tap()
    phone.wait_for_url(re.compile(r"verdict=contradicted"))
    contradicted = Claim.objects.published().filter(verdict="contradicted").count()
    assert phone.locator(".claim-row").count() == min(contradicted, 25)
    assert phone.locator("details.filter-panel").get_attribute("open") is None  # folded again
    chip = phone.get_by_role("link", name="Remove Verdict: Contradicted")
    assert chip.is_visible()
    assert phone.get_by_role("link", name="Remove Sorted by: recently updated first").is_visible()
    assert phone.locator(".claim-row").first.bounding_box()["y"] + 20 < HEIGHT
    screenshot(phone, "claims-filtered-phone")
    chip.tap()
    phone.wait_for_url(lambda url: "verdict" not in query(url))
    assert query(phone.url) == {"o": ["-updated"]}  # the other choice stays; empty ones go
    assert phone.locator(".chip").count() == 1
    assert phone.locator(".claim-row").count() == min(Claim.objects.published().count(), 25)


def test_removing_a_chip_keeps_the_other_filters_and_starts_again_from_the_first_page(server, library, phone):
    phone.goto(server.url + "/claims/?verdict=mixed&topic=efficacy&page=1")
    assert phone.locator(".chip").count() == 2
    phone.get_by_role("link", name=re.compile(r"^Remove Topic: ")).tap()
    phone.wait_for_url(lambda url: "topic" not in query(url))
    assert query(phone.url) == {"verdict": ["mixed"]}
    assert phone.locator(".chip").count() == 1


def test_phone_reader_taps_a_square_of_the_evidence_profile_and_lands_on_its_study(server, library, phone):
    claim = opioid_claim()
    phone.goto(server.url + claim.get_absolute_url())
    squares = phone.locator("svg.chart-profile a.study-link")
    assert squares.count() == 10
    # The weight of each design is in the chart itself: nine squares are not all alike.
    tiers = phone.locator("svg.chart-profile g.tier")
    assert tiers.first.get_attribute("data-tier") == "systematic-review"
    survey = phone.locator('svg.chart-profile g.tier[data-tier="self-report-survey"]')
    assert "uncontrolled" in survey.text_content() and survey.locator("rect.square.pale").count() == 6
    assert "uncontrolled" in phone.locator(".profile-reading").inner_text()
    square = survey.locator("a.study-link").first
    square.scroll_into_view_if_needed()
    screenshot(phone, "claim-profile-phone")
    target = square.get_attribute("href")
    box = square.bounding_box()
    assert box["width"] >= 18 and box["height"] >= 18  # big enough for a finger, with space between
    square.tap()
    phone.wait_for_url(re.compile(re.escape(target) + "$"))
    row = phone.locator(target)
    evidence = Evidence.objects.select_related("study").get(pk=int(target.removeprefix("#evidence-")))
    assert evidence.study.short_citation in row.inner_text()
    row_box = row.bounding_box()
    assert 0 <= row_box["y"] < HEIGHT  # scrolled into view
    assert row.evaluate("tr => getComputedStyle(tr).outlineStyle") != "none"  # and marked as the target
    assert sideways_scroll(phone) == 0, too_wide(phone)


def test_keyboard_reaches_a_square_of_the_profile_and_enter_follows_it(server, library, desktop):
    claim = opioid_claim()
    desktop.goto(server.url + claim.get_absolute_url())
    desktop.locator(".verdict-line a.how-we-grade-link").focus()
    for _ in range(60):
        desktop.keyboard.press("Tab")
        if desktop.evaluate("document.activeElement.matches('svg.chart-profile a.study-link')"):
            break
    focused = desktop.evaluate_handle("document.activeElement")
    assert focused.evaluate("a => a.matches('svg.chart-profile a.study-link')")
    name = focused.evaluate("a => a.querySelector('title').textContent")
    assert " — " in name and name.split(": ")[-1] in {"supports", "contradicts", "mixed", "neutral"}
    assert focused.evaluate("a => getComputedStyle(a).outlineStyle") != "none"
    target = focused.evaluate("a => a.getAttribute('href')")
    screenshot(desktop, "claim-profile-keyboard-desktop")
    desktop.keyboard.press("Enter")
    desktop.wait_for_url(re.compile(re.escape(target) + "$"))
    assert desktop.evaluate("location.hash") == target
    assert desktop.locator(target).is_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_phone_layouts_of_the_claim_page_and_lists_have_no_serious_accessibility_violations(
    server, library, browser, scheme
):
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci` (make test does this).")
    claim = opioid_claim()
    failures = {}
    for name, options in {"phone": PHONE, "desktop": {}}.items():
        page = new_page(browser, bypass_csp=True, color_scheme=scheme, **options)
        for url in [
            claim.get_absolute_url(),
            "/claims/?verdict=mixed&o=-updated",
            "/studies/?design=animal",
            "/warnings/?severity=high",
            "/articles/?o=title",
        ]:
            page.goto(server.url + url)
            if url == claim.get_absolute_url():
                page.locator("svg.chart-profile").scroll_into_view_if_needed()
                screenshot(page, f"claim-profile-{name}-{scheme}")
            if name == "phone" and "?" in url:
                page.locator("details.filter-panel > summary").click()  # the form, open, is checked too
            page.add_script_tag(path=str(AXE))
            result = page.evaluate(
                "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})"
            )
            serious = [
                f"{v['id']}: {v['help']} ({len(v['nodes'])}× e.g. {v['nodes'][0]['target']})"
                for v in result["violations"]
                if v["impact"] in {"serious", "critical"}
            ]
            if serious:
                failures[f"{name} {url}"] = serious
        page.context.close()
    assert failures == {}
