"""A changed article in a real browser (Debian's Chromium through Playwright): a reviewer reads a
fuzzy passage's old and new text side by side on the re-anchor page and confirms it; the change
waits for a second editor, as every change readers would see.

The article, its revision and the reviewer are committed once for this module (the live server's
own connection must see them, on PostgreSQL too) and flushed after.
"""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from evidence.models import ChangeItem, ChangeRequest, Passage
from evidence.services.revisions import article_revise
from tests.browsing import live_server, new_page
from tests.factories import article_text, make_article, make_claim, make_passage, make_reviewer

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PASSWORD = "pw-curator-correct-horse"
OLD_DOSE = "Take 1-3 grams up to three times daily."
NEW_DOSE = "Take 2-4 grams up to three times daily."


@pytest.fixture(scope="module")
def changed(django_db_setup, django_db_blocker):
    """A published article with a reviewed passage, whose re-imported text rewords that passage."""
    with django_db_blocker.unblock():
        user = User.objects.create_user("browser-reviewer", password=PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name="Reviewer"))
        text = article_text(tag="browser")
        article = make_article(text)
        passage = make_passage(article=article, claim=make_claim(), quote=OLD_DOSE)
        article_revise(article=article, text=text.replace(OLD_DOSE, NEW_DOSE), text_format="seed", by=make_reviewer())
        passage.refresh_from_db()
        assert passage.placement == Passage.Placement.FUZZY
    yield article, passage
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
        ContentType.objects.clear_cache()


@pytest.fixture(scope="module")
def server(changed):
    with live_server() as server:
        yield server


def test_a_reviewer_compares_a_fuzzy_passage_side_by_side_and_confirms_it(server, changed, browser):
    article, passage = changed
    page = new_page(browser, width=1280, height=900)
    page.goto(server.url + "/admin/login/")
    page.get_by_label("Username").fill("browser-reviewer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))

    # The desk lists the passage to place and links to the article's re-anchor page.
    page.goto(server.url + "/admin/desk/")
    page.locator(f"a[href$='#reanchor-{passage.pk}']").first.click()
    page.wait_for_url(re.compile(rf"/admin/evidence/sourcearticle/{article.pk}/reanchor/"))

    row = page.locator(f"#reanchor-{passage.pk}")
    old, new = row.locator(".reanchor-old"), row.locator(".reanchor-new")
    assert old.locator("mark").inner_text() == OLD_DOSE
    assert new.locator("mark").inner_text() == NEW_DOSE
    assert "Fuzzy" in row.locator("h2").inner_text()
    old_box, new_box = old.bounding_box(), new.bounding_box()
    assert old_box["x"] + old_box["width"] <= new_box["x"]  # side by side: old on the left
    assert abs(old_box["y"] - new_box["y"]) < 2

    row.get_by_role("button", name="Confirm this placement").click()
    page.wait_for_load_state()
    assert "waits for approval by another editor" in page.locator(".messagelist").inner_text()
    assert "An answer waits for approval" in page.locator(f"#reanchor-{passage.pk}").inner_text()
    assert page.js_errors == [], page.js_errors
    page.context.close()

    item = ChangeItem.objects.get(
        target_type=ContentType.objects.get_for_model(Passage),
        target_id=passage.pk,
        request__state=ChangeRequest.State.PENDING,
    )
    assert item.data["placement"] == Passage.Placement.EXACT
    assert Passage.objects.get(pk=passage.pk).placement == Passage.Placement.FUZZY  # until approved
