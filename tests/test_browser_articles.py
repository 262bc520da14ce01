"""An article page in a real browser (Debian's Chromium through Playwright): its bottom line is seen
without scrolling, and the page passes axe-core. Skipped without Chromium unless
KRATOMREF_REQUIRE_BROWSER=1 (tests/browsing.py)."""

from pathlib import Path

import pytest
from django.db.models.functions import Length

from evidence.models import SourceArticle
from tests.browsing import live_server, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
FOLD = 800  # a 1280 × 800 laptop screen


@pytest.fixture(scope="module")
def server(seed_library_module, django_db_blocker):
    with live_server() as server:
        yield server


@pytest.fixture
def library(server, db):
    """The seed library as the browser sees it; each test's own writes are rolled back."""


@pytest.fixture
def page(browser):
    page = new_page(browser, width=1280, height=FOLD)
    yield page
    assert page.js_errors == [], page.js_errors
    page.context.close()


def seed_articles_longest_first():
    return list(SourceArticle.objects.published().annotate(length=Length("text")).order_by("-length", "pk"))


def test_the_longest_seed_articles_bottom_line_is_seen_without_scrolling(server, library, page):
    articles = seed_articles_longest_first()
    assert len(articles) == 5
    for article in articles:  # the longest first; the others must fit too
        page.goto(server.url + article.get_absolute_url())
        bottom_line = page.locator(".bottom-line")
        assert bottom_line.is_visible()
        box = bottom_line.bounding_box()
        assert page.evaluate("window.scrollY") == 0
        assert box["y"] >= 0 and box["y"] + box["height"] <= FOLD, (article.slug, box)
        text = bottom_line.inner_text()
        assert "claims we reviewed in it" in text, text
        # It says what the article overstates, naming the claims, each a link to its review.
        assert bottom_line.locator("a[href^='/claims/']").count() >= 1


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_article_page_has_no_serious_accessibility_violations(server, library, browser, scheme):
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci` (make test does this).")
    page = new_page(browser, width=1280, height=FOLD, bypass_csp=True, color_scheme=scheme)
    page.goto(server.url + seed_articles_longest_first()[0].get_absolute_url())
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})"
    )
    page.context.close()
    serious = [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}× e.g. {v['nodes'][0]['target']})"
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    assert serious == []
