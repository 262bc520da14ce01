"""Readers' journeys in a real browser: Debian's Chromium driven by Playwright.

Skipped only when Chromium is not installed; CI sets KRATOMREF_REQUIRE_BROWSER=1 so a missing
browser fails the run instead. Screenshots go to SCREENSHOT_DIR (default test-results/screenshots);
`make screenshots` refreshes the ones committed in docs/screenshots.
"""

import os
import re
from pathlib import Path

import pytest

from evidence.models import Claim, Passage, SourceArticle
from tests.browsing import live_server, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "test-results" / "screenshots"))


@pytest.fixture(scope="module")
def server(seed_library_module, django_db_blocker):
    """One server for the module, reading the seed library loaded once (tests/conftest.py)."""
    with live_server() as server:
        yield server


@pytest.fixture
def library(server, db):
    """The seed library as the browser sees it; each test's own writes are rolled back."""


@pytest.fixture
def page(browser):
    page = new_page(browser)
    yield page
    assert page.js_errors == [], page.js_errors
    page.context.close()


@pytest.fixture
def phone(browser):
    page = new_page(browser, width=375, height=740, is_mobile=True, has_touch=True, device_scale_factor=2)
    yield page
    page.context.close()


def screenshot(page, name):
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=False)


def seed_article():
    return SourceArticle.objects.get(source_name="000_cfb65b5ab12287d4.txt")


def test_reader_reveals_a_verdict_with_the_mouse_and_follows_it_to_the_claim_and_back(server, library, page):
    article = seed_article()
    passage = Passage.objects.filter(article=article).select_related("claim").order_by("start").first()
    page.goto(server.url + article.get_absolute_url())
    mark = page.locator(f"#passage-{passage.pk}")
    mark.hover()
    tooltip = page.evaluate(
        "id => getComputedStyle(document.getElementById(id), '::before').content", f"passage-{passage.pk}"
    )
    assert passage.claim.get_verdict_display() in tooltip
    screenshot(page, "article-desktop")
    mark.click()
    card = page.get_by_role("dialog", name="Claim details")
    assert card.is_visible()
    assert passage.claim.statement in card.inner_text()
    card.get_by_role("link").click()
    page.wait_for_url(re.compile(re.escape(passage.claim.get_absolute_url()) + "$"))
    assert page.locator("h1").inner_text() == passage.claim.statement
    screenshot(page, "claim-desktop")
    page.locator(f'a[href="{article.get_absolute_url()}#passage-{passage.pk}"]').first.click()
    page.wait_for_url(re.compile(f"#passage-{passage.pk}$"))
    assert page.evaluate("location.hash") == f"#passage-{passage.pk}"
    assert page.locator(f"#passage-{passage.pk}").is_visible()


def test_keyboard_user_reveals_a_verdict_and_opens_the_claim(server, library, page):
    article = seed_article()
    page.goto(server.url + article.get_absolute_url())
    first = page.locator("mark.passage").first
    # The page's own skip link comes before the claim map's many links and leads straight to the text.
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Skip to the article text":
            break
    assert page.evaluate("document.activeElement.textContent") == "Skip to the article text"
    page.keyboard.press("Enter")
    for _ in range(3):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "MARK":
            break
    assert page.evaluate("document.activeElement.id") == first.get_attribute("id")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    slug = first.get_attribute("data-claim")
    page.keyboard.press("Enter")
    card = page.get_by_role("dialog", name="Claim details")
    assert card.is_visible()
    assert page.evaluate("document.activeElement.tagName") == "A"
    page.keyboard.press("Tab")  # from the card's link, on to the next highlight in the text
    assert page.evaluate("document.activeElement.tagName") == "MARK"
    assert page.evaluate("document.activeElement.id") != first.get_attribute("id")
    page.keyboard.press("Escape")
    assert not card.is_visible()
    first.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(f"/claims/{slug}/$"))


def test_reader_filters_the_claim_list_and_the_shared_url_shows_the_same_view(server, library, page, browser):
    page.goto(server.url + "/claims/")
    page.get_by_label("Verdict").select_option("contradicted")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"verdict=contradicted"))
    shown = page.locator(".claim-row a").all_inner_texts()
    expected = set(Claim.objects.published().filter(verdict="contradicted").values_list("statement", flat=True))
    assert set(shown) == expected and shown
    shared = page.url
    screenshot(page, "claims-desktop")
    other = new_page(browser)
    other.goto(shared)
    assert other.locator(".claim-row a").all_inner_texts() == shown
    assert other.get_by_label("Verdict").input_value() == "contradicted"
    other.context.close()


def test_phone_reader_taps_a_highlight_and_the_page_fits_the_screen(server, library, phone):
    article = seed_article()
    phone.goto(server.url + article.get_absolute_url())
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone, "article-phone")
    mark = phone.locator("mark.passage").nth(2)
    mark.scroll_into_view_if_needed()
    mark.tap()
    card = phone.get_by_role("dialog", name="Claim details")
    assert card.is_visible()
    box = card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    phone.goto(server.url + "/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone, "home-phone")
    claim = Claim.objects.published().first()
    phone.goto(server.url + claim.get_absolute_url())
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone, "claim-phone")


def public_pages():
    claim = Claim.objects.published().filter(evidence__isnull=False).first()
    from evidence.models import Study, Substance, Warning

    return {
        "home": "/",
        "article-list": "/articles/",
        "article": seed_article().get_absolute_url(),
        "claim-list": "/claims/",
        "claim": claim.get_absolute_url(),
        "study-list": "/studies/",
        "study": Study.objects.first().get_absolute_url(),
        "substance-list": "/substances/",
        "substance": Substance.objects.get(slug="kratom").get_absolute_url(),
        "warning-list": "/warnings/",
        "warning": Warning.objects.first().get_absolute_url(),
        "search": "/search/?q=liver",
        "not-found": "/claims/no-such-claim/",
    }


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_public_page_type_has_no_serious_accessibility_violations(server, library, browser, scheme):
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci` (make test does this).")
    page = new_page(browser, bypass_csp=True, color_scheme=scheme)
    failures = {}
    for name, url in public_pages().items():
        page.goto(server.url + url)
        if scheme == "light" and name in {"home", "claim-list"}:
            screenshot(page, f"{name}-desktop")
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
            failures[name] = serious
    page.context.close()
    assert failures == {}


def test_pages_carry_title_description_canonical_and_open_graph_tags(server, library, page):
    for name, url in public_pages().items():
        page.goto(server.url + url)
        if name == "not-found":
            page.js_errors.clear()  # the browser reports the deliberate 404 in the console
        assert page.title().endswith("· KratomRef")
        assert page.locator('meta[name="description"]').get_attribute("content")
        assert page.locator('link[rel="canonical"]').get_attribute("href").startswith("http")
        assert page.locator('meta[property="og:title"]').get_attribute("content")


def test_reader_searches_from_the_header_with_a_synonym_and_opens_a_result(server, library, page):
    page.goto(server.url + "/")
    page.get_by_label("Search the library").fill("7-OH")
    page.get_by_label("Search the library").press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q=7-OH"))
    assert page.locator("mark.hit").count() > 0
    hits = " ".join(page.locator("mark.hit").all_inner_texts()).lower()
    assert "7-hydroxymitragynine" in hits or "7-oh" in hits
    screenshot(page, "search-desktop")
    first = page.locator(".result a").first
    target = first.get_attribute("href")
    first.click()
    page.wait_for_url(re.compile(re.escape(target.split("#")[0])))
    assert page.locator("h1").is_visible()
