"""Article revisions: re-anchoring passages in a changed text, the revision write, the curators'
answers in the admin, and earlier revisions on the public site (docs/decisions/0007)."""

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from evidence import services
from evidence.models import ArticleRevision, ChangeRequest, Passage, SourceArticle, Status
from evidence.services import revisions
from evidence.services.revisions import article_revise, reanchor
from evidence.signals import content_version
from evidence.text import QuoteNotFound
from tests.factories import article_text, make_article, make_claim, make_passage, make_reviewer, settle

Placement = Passage.Placement

OLD = (
    "Kratom leaves have been chewed for centuries in Southeast Asia.\n"
    "Some users say kratom relieves muscle soreness after exercise. Others take it for energy.\n"
    "A typical dose is one to three grams. Higher doses cause nausea in many people.\n"
    "Long-term daily use may lead to dependence and withdrawal.\n"
    "Ask a doctor before combining kratom with other drugs."
)


def passage(text, quote, pk=1, **overrides):
    """A passage placed at the only occurrence of ``quote`` in ``text``, as the library stores one."""
    start = text.index(quote)
    assert text.count(quote) == 1, quote
    end = start + len(quote)
    fields = {
        "pk": pk,
        "quote": quote,
        "start": start,
        "end": end,
        "prefix": text[max(0, start - 32) : start],
        "suffix": text[end : end + 32],
        "placement": Placement.EXACT,
        "match_score": 100.0,
        "previous_quote": "",
    }
    return SimpleNamespace(**{**fields, **overrides})


def place(old, new, *quotes):
    found = reanchor(old, new, [passage(old, quote, pk=n) for n, quote in enumerate(quotes, 1)])
    for result in found:  # every placement satisfies the database's rules on spans
        assert result.end == result.start + len(result.quote)
        if result.placement != Placement.ORPHANED:
            assert new[result.start : result.end] == result.quote
        for other in found:  # no two passages of an article overlap, orphans included
            assert other is result or other.end <= result.start or result.end <= other.start
    return found


# --- re-anchoring, the pure function -----------------------------------------------------------------


def test_an_unchanged_passage_after_an_edit_later_in_the_text_stays_exact():
    new = OLD.replace("Ask a doctor", "Always ask a pharmacist or doctor")
    [result] = place(OLD, new, "kratom relieves muscle soreness after exercise")
    assert result.placement == Placement.EXACT
    assert (result.start, result.match_score, result.previous_quote) == (OLD.index("kratom relieves"), 100.0, "")


def test_an_edit_before_a_passage_moves_it_with_its_new_offsets():
    new = OLD.replace("chewed for centuries", "chewed by farmers and labourers for many centuries")
    [result] = place(OLD, new, "A typical dose is one to three grams.")
    assert result.placement == Placement.MOVED
    assert result.start == new.index("A typical dose") != OLD.index("A typical dose")
    assert result.match_score == 100.0
    assert result.previous_quote == "A typical dose is one to three grams."  # kept until a curator confirms


def test_an_edit_inside_a_passage_is_a_fuzzy_match_with_the_new_words_and_the_old_quote_kept():
    quote = "Higher doses cause nausea in many people."
    new = OLD.replace(quote, "Higher doses cause nausea in most people.")
    [result] = place(OLD, new, quote)
    assert result.placement == Placement.FUZZY
    assert result.quote == "Higher doses cause nausea in most people."
    assert result.previous_quote == quote
    assert 85 <= result.match_score < 100


def test_a_deleted_sentence_orphans_its_passage_and_keeps_it_as_it_was():
    quote = "Higher doses cause nausea in many people."
    old_passage = passage(OLD, quote)
    new = OLD.replace(" " + quote, "")
    [result] = reanchor(OLD, new, [old_passage])
    assert result.placement == Placement.ORPHANED
    assert result.quote == quote and (result.prefix, result.suffix) == (old_passage.prefix, old_passage.suffix)
    # Its offsets move past the end of the new text, where no passage of the current text can be.
    assert result.start > len(new) and result.end == result.start + len(quote)
    assert result.previous_quote == quote and result.match_score == 0


def test_a_rewritten_sentence_is_orphaned_not_forced_onto_the_nearest_words():
    quote = "Higher doses cause nausea in many people."
    new = OLD.replace(quote, "Vomiting is reported at larger amounts.")
    [result] = place(OLD, new, quote)
    assert result.placement == Placement.ORPHANED


def test_a_look_alike_sentence_elsewhere_with_other_context_is_not_taken():
    quote = "Higher doses cause nausea in many people."
    # The sentence is removed where it was; a similar one appears in another paragraph.
    new = OLD.replace(" " + quote, "").replace(
        "Ask a doctor before", "Some forums claim higher doses cause nausea in many users. Ask a doctor before"
    )
    [result] = place(OLD, new, quote)
    assert result.placement == Placement.ORPHANED


def test_the_same_quote_elsewhere_with_other_context_is_not_taken():
    quote = "Others take it for energy."
    new = OLD.replace(" " + quote, "").replace("Ask a doctor", "Others take it for energy. Ask a doctor")
    [result] = place(OLD, new, quote)
    assert result.placement == Placement.ORPHANED


def test_a_sentence_duplicated_in_the_new_text_is_placed_where_its_context_agrees():
    quote = "Long-term daily use may lead to dependence and withdrawal."
    new = OLD.replace("Kratom leaves have", f"{quote}\nKratom leaves have")  # now twice
    [result] = place(OLD, new, quote)
    assert result.placement == Placement.MOVED
    assert result.start == new.rindex(quote)  # the occurrence with the old neighbours, not the new one


def test_a_duplicated_line_still_at_the_old_offsets_with_the_old_prefix_stays_exact():
    line = "Some users say kratom relieves muscle soreness after exercise. Others take it for energy.\n"
    new = OLD.replace(line, line + line)
    [result] = place(OLD, new, "kratom relieves muscle soreness after exercise")
    assert result.placement == Placement.EXACT and result.start == OLD.index("kratom relieves")


def test_a_duplicated_line_whose_copies_each_keep_one_side_of_the_context_is_a_tie_and_orphaned():
    old = "Intro line.\nSome people say so. Kratom eases back pain. Others disagree.\nClosing line.\n"
    line = "Some people say so. Kratom eases back pain. Others disagree.\n"
    new = "A new first line.\n" + old.replace(line, line + line)
    [result] = place(old, new, "Kratom eases back pain.")
    assert result.placement == Placement.ORPHANED


def test_two_fuzzy_candidates_alike_are_a_tie_and_orphaned():
    old = "Intro line here.\nAlpha beta. Kratom may cause liver injury in rare cases. Gamma delta.\nOutro line.\n"
    new = (
        "Intro line here.\nAlpha beta. Kratom may cause liver injury in rare case. Gamma delta.\n"
        "Alpha beta. Kratom may cause liver injury in rare cases! Gamma delta.\nOutro line.\n"
    )
    [result] = place(old, new, "Kratom may cause liver injury in rare cases.")
    assert result.placement == Placement.ORPHANED


def test_whitespace_only_changes_keep_a_passage_exact_or_moved_with_the_same_words():
    quote = "Some users say kratom relieves muscle soreness after exercise."
    new = OLD.replace("Southeast Asia.\n", "Southeast Asia.\n\n").replace("say kratom", "say  kratom")
    [result] = place(OLD, new, quote)
    assert result.placement == Placement.MOVED
    assert result.quote == "Some users say  kratom relieves muscle soreness after exercise."  # the new characters
    [unchanged] = place(OLD, OLD.replace("drugs.", "drugs. "), "A typical dose is one to three grams.")
    assert unchanged.placement == Placement.EXACT


def test_a_passage_at_the_start_of_the_text_is_not_taken_by_a_copy_later_on():
    quote = "Kratom leaves have been chewed for centuries in Southeast Asia."
    new = OLD.replace(quote + "\n", "") + "\n" + quote
    [result] = place(OLD, new, quote)
    assert result.placement == Placement.ORPHANED  # the empty prefix agrees only with the start of the text


def test_two_passages_that_would_share_a_place_leave_the_later_one_orphaned():
    first = "A typical dose is one to three grams."
    second = "Higher doses cause nausea in many people."
    new = OLD.replace(first + " " + second, "A typical dose is one to three grams, higher doses cause nausea.")
    found = reanchor(OLD, new, [passage(OLD, first, pk=1), passage(OLD, second, pk=2)])
    placed = [r for r in found if r.placement != Placement.ORPHANED]
    starts = [r.start for r in placed]
    assert len(starts) == len(set(starts))
    for a in placed:
        for b in placed:
            assert a is b or a.end <= b.start or b.end <= a.start


def test_a_waiting_passage_never_becomes_exact_by_reanchoring():
    quote = "A typical dose is one to three grams."
    waiting = passage(OLD, quote, placement=Placement.FUZZY, match_score=90.0, previous_quote="A dose is 1-3 g.")
    [result] = reanchor(OLD, OLD + "\nMore.", [waiting])
    assert result.placement == Placement.FUZZY
    assert result.match_score == 90.0 and result.previous_quote == "A dose is 1-3 g."


def test_an_orphan_found_again_is_at_best_moved():
    quote = "A typical dose is one to three grams."
    orphan = passage(OLD, quote, placement=Placement.ORPHANED, match_score=0.0, previous_quote=quote)
    [result] = reanchor(OLD, OLD, [orphan])
    assert result.placement == Placement.MOVED and result.previous_quote == quote


def test_offsets_count_code_points_not_bytes():
    old = "Intro — “quoted” words here.\nKratom can relieve pain. Done.\n"
    new = "Intro — “quoted” words here, now with ✓ more.\nKratom can relieve pain. Done.\n"
    [result] = place(old, new, "Kratom can relieve pain.")
    assert result.placement == Placement.MOVED
    assert new[result.start : result.end] == "Kratom can relieve pain."


def test_a_markdown_paragraph_over_two_lines_is_one_block_for_a_fuzzy_match():
    old = "# Kratom and pain\n\nSome readers ask.\nKratom eases back pain in most users, they say.\n\n- An item\n"
    new = old.replace("in most users", "in many users")
    quote = "Kratom eases back pain in most users, they say."
    [result] = reanchor(old, new, [passage(old, quote)], "markdown")
    assert result.placement == Placement.FUZZY
    assert result.quote == "Kratom eases back pain in many users, they say."


# --- the revision write -------------------------------------------------------------------------------


def seed_text(tag, dose="Take 1-3 grams up to three times daily.", extra=()):
    return article_text(tag=tag, extra_paragraphs=extra).replace("Take 1-3 grams up to three times daily.", dose)


@pytest.fixture
def reviewed(db):
    """A published article with three published passages."""
    article = make_article(seed_text("rev"))
    claim = make_claim()
    passages = {
        "dose": make_passage(article=article, claim=claim, quote="Take 1-3 grams up to three times daily."),
        "dependence": make_passage(article=article, claim=claim, quote="Long-term use may lead to dependence."),
        "mechanism": make_passage(
            article=article,
            claim=claim,
            quote="Its alkaloids interact with opioid receptors to relieve muscle soreness.",
        ),
    }
    return article, claim, passages


@pytest.mark.django_db
def test_a_changed_text_keeps_the_old_one_as_a_revision_and_reanchors_every_passage(reviewed):
    article, claim, passages = reviewed
    old_text, old_hash, old_version = article.text, article.content_hash, article.version
    new_text = seed_text("rev", dose="Take 2-4 grams up to three times daily.", extra=["A new paragraph on tea."])
    result = article_revise(article=article, text=new_text, text_format="seed", by=make_reviewer())
    assert result.created is False
    assert result.reanchored == {"exact": 1, "moved": 1, "fuzzy": 1, "orphaned": 0}
    article.refresh_from_db()
    assert (article.text, article.revision) == (new_text, 2)
    assert article.content_hash != old_hash and article.version != old_version
    revision = ArticleRevision.objects.get(article=article)
    assert (revision.number, revision.text, revision.content_hash) == (1, old_text, old_hash)
    snapshot = {row["id"]: row for row in revision.passages}
    assert snapshot[passages["dose"].pk]["quote"] == "Take 1-3 grams up to three times daily."
    assert snapshot[passages["dose"].pk]["claim"] == claim.slug
    placed = {p.pk: p for p in Passage.objects.filter(article=article)}
    assert placed[passages["mechanism"].pk].placement == Placement.EXACT
    assert placed[passages["dependence"].pk].placement == Placement.MOVED
    dose = placed[passages["dose"].pk]
    assert dose.placement == Placement.FUZZY and dose.quote == "Take 2-4 grams up to three times daily."
    assert dose.previous_quote == "Take 1-3 grams up to three times daily."
    for p in placed.values():
        assert new_text[p.start : p.end] == p.quote
    reason = article.history.first().history_change_reason
    assert reason == "revision 2 imported by factory-reviewer"
    assert dose.history.first().history_change_reason == "re-anchored in revision 2: fuzzy"


@pytest.mark.django_db(transaction=True)
def test_a_revision_moves_the_content_version_on_so_cached_pages_change():
    article = make_article(seed_text("cache"))
    before = content_version()
    article_revise(article=article, text=seed_text("cache", extra=["Added."]), text_format="seed", by=make_reviewer())
    assert content_version() != before


@pytest.mark.django_db
def test_the_same_text_again_changes_nothing(reviewed):
    article, _claim, _passages = reviewed
    result = article_revise(article=article, text=article.text, text_format="seed", by=make_reviewer())
    assert result.reanchored is None
    assert not ArticleRevision.objects.exists()


@pytest.mark.django_db
def test_a_bad_text_is_refused_and_nothing_is_saved(reviewed):
    article, _claim, _passages = reviewed
    for text, message in [
        ("", "empty"),
        ("only one line", "not a source article"),
        (article.text + "\x00", "binary"),
    ]:
        with pytest.raises(services.ArticleImportError, match=message):
            article_revise(article=article, text=text, text_format="seed", by=make_reviewer())
    with pytest.raises(services.ArticleImportError, match="unknown text format"):
        article_revise(article=article, text=article.text + "\nMore.", text_format="pdf", by=make_reviewer())
    other = make_article()
    with pytest.raises(services.ArticleImportError, match="already in the library"):
        article_revise(article=article, text=other.text, text_format="seed", by=make_reviewer())
    article.refresh_from_db()
    assert article.revision == 1 and not ArticleRevision.objects.exists()


@pytest.mark.django_db
def test_only_someone_who_may_change_articles_makes_a_revision(reviewed):
    from django.contrib.auth.models import User

    article, _claim, _passages = reviewed
    reader = User.objects.create_user("reader", is_staff=True)
    with pytest.raises(PermissionDenied):
        article_revise(article=article, text=article.text + "\nMore.", text_format="seed", by=reader)
    result = article_revise(article=article, text=article.text + "\nMore.", text_format="seed", by="import-command")
    assert result.article.revision == 2


@pytest.mark.django_db
def test_a_passage_moving_onto_the_old_start_of_the_next_is_written_without_breaking_the_one_start_rule():
    safe, dependence = "Kratom is safe when used responsibly.", "Long-term use may lead to dependence."
    text = article_text(tag="shift", extra_paragraphs=["Filler words here."])
    article = make_article(text)
    claim = make_claim()
    first = make_passage(article=article, claim=claim, quote=safe)
    second = make_passage(article=article, claim=claim, quote=dependence)
    shift = second.start - first.start  # the paragraph before both grows by exactly this much
    longer = text.replace("Filler words here.", "Filler words here." + " more" * (shift // 5) + "x" * (shift % 5))
    result = article_revise(article=article, text=longer, text_format="seed", by=make_reviewer())
    assert result.reanchored == {"exact": 0, "moved": 2, "fuzzy": 0, "orphaned": 0}
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.start == second.start - shift  # the first now starts where the second used to
    for p in (first, second):
        assert longer[p.start : p.end] == p.quote


# --- the curators' answers ---------------------------------------------------------------------------


@pytest.fixture
def revised(reviewed):
    article, claim, passages = reviewed
    new_text = seed_text("rev", dose="Take 2-4 grams up to three times daily.", extra=["A new paragraph on tea."])
    new_text = new_text.replace("Long-term use may lead to dependence.\n", "")
    article_revise(article=article, text=new_text, text_format="seed", by=make_reviewer())
    article.refresh_from_db()
    return article, claim, {name: Passage.objects.get(pk=p.pk) for name, p in passages.items()}


@pytest.mark.django_db
def test_a_waiting_passage_is_not_public_and_the_article_page_says_it_is_being_rechecked(revised, client):
    article, _claim, passages = revised
    assert passages["dose"].placement == Placement.FUZZY
    assert passages["dependence"].placement == Placement.ORPHANED
    page = client.get(article.get_absolute_url())
    body = page.content.decode()
    assert f'id="passage-{passages["mechanism"].pk}"' in body
    assert f'id="passage-{passages["dose"].pk}"' not in body
    assert "2 passages are being re-checked after the article changed" in body


@pytest.mark.django_db
def test_confirming_a_fuzzy_passage_on_a_public_article_waits_for_an_editor_then_shows_it(revised, client):
    article, _claim, passages = revised
    dose = passages["dose"]
    outcome = services.passage_confirm_placement(passage=dose, by=make_reviewer())
    assert outcome.pending is not None  # readers see nothing change yet
    assert Passage.objects.get(pk=dose.pk).placement == Placement.FUZZY
    settle(outcome)
    dose.refresh_from_db()
    assert (dose.placement, dose.previous_quote, dose.match_score) == (Placement.EXACT, "", 100.0)
    assert f'id="passage-{dose.pk}"' in client.get(article.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_an_orphan_cannot_be_confirmed_but_can_be_replaced_by_its_new_quote_or_removed(revised):
    article, claim, passages = revised
    orphan = passages["dependence"]
    with pytest.raises(ValidationError, match="paste its new quote"):
        services.passage_confirm_placement(passage=orphan, by=make_reviewer())
    with pytest.raises(QuoteNotFound):
        revisions.passage_replace(passage=orphan, quote="Not in the article at all.", by=make_reviewer())
    # Where the deleted sentence was, the current text says something else: a new passage may quote it.
    [old] = [row for row in article.revisions.get(number=1).passages if row["id"] == orphan.pk]
    later = "Kratom is safe when used responsibly."
    start = article.text.index(later)
    created = settle(
        services.passage_create(article=article, claim=claim, quote=later, start=start, by=make_reviewer())
    )
    assert created.placement == Placement.EXACT and created.start < old["end"] and created.end > old["start"]
    replaced = settle(revisions.passage_replace(passage=orphan, quote="A new paragraph on tea.", by=make_reviewer()))
    assert replaced.placement == Placement.EXACT and replaced.quote == "A new paragraph on tea."
    assert article.text[replaced.start : replaced.end] == replaced.quote
    outcome = revisions.passage_remove(passage=passages["dose"], by=make_reviewer())
    assert outcome.pending is not None
    settle(outcome)
    assert not Passage.objects.filter(pk=passages["dose"].pk).exists()


# --- earlier revisions on the public site -------------------------------------------------------------


@pytest.mark.django_db
def test_an_earlier_revision_is_readable_at_its_own_address_with_its_passages_as_they_were(revised, client):
    article, _claim, passages = revised
    page = client.get(article.get_absolute_url())
    body = page.content.decode()
    old_url = reverse("evidence:article-revision", kwargs={"slug": article.slug, "number": 1})
    assert "we show revision 2" in body and old_url in body
    old = client.get(old_url)
    assert old.status_code == 200
    old_body = old.content.decode()
    assert "an earlier revision of this article" in old_body
    assert article.get_absolute_url() in old_body
    # The passages as they were: the old dose quote, highlighted with its public anchor.
    assert f'id="passage-{passages["dose"].pk}"' in old_body
    assert "Take 1-3 grams up to three times daily." in old_body
    assert "Take 2-4 grams" not in old_body


@pytest.mark.django_db
def test_a_revision_that_does_not_exist_is_not_found_and_the_current_one_redirects(revised, client):
    article, _claim, _passages = revised
    missing = reverse("evidence:article-revision", kwargs={"slug": article.slug, "number": 7})
    assert client.get(missing).status_code == 404
    current = client.get(reverse("evidence:article-revision", kwargs={"slug": article.slug, "number": 2}))
    assert current.status_code == 302 and current["Location"] == article.get_absolute_url()


@pytest.mark.django_db
def test_a_draft_articles_revisions_are_not_public(client):
    article = make_article(seed_text("draft"), status=Status.DRAFT)
    article_revise(article=article, text=article.text + "\nMore.", text_format="seed", by=make_reviewer())
    url = reverse("evidence:article-revision", kwargs={"slug": article.slug, "number": 1})
    assert client.get(url).status_code == 404


# --- the admin's re-anchor page ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_reanchor_page_shows_old_and_new_text_side_by_side_for_each_waiting_passage(revised, reviewer_client):
    article, _claim, passages = revised
    url = reverse("admin:article-reanchor", args=[article.pk])
    page = reviewer_client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert f'id="reanchor-{passages["dose"].pk}"' in body
    assert f'id="reanchor-{passages["dependence"].pk}"' in body
    assert f'id="reanchor-{passages["mechanism"].pk}"' not in body  # exact: nothing to do
    assert "<mark>Take 1-3 grams up to three times daily.</mark>" in body  # the previous revision
    assert "<mark>Take 2-4 grams up to three times daily.</mark>" in body  # the current text
    assert "Not found in the current text" in body
    change_page = reviewer_client.get(reverse("admin:evidence_sourcearticle_change", args=[article.pk]))
    assert url in change_page.content.decode()


@pytest.mark.django_db
def test_confirming_from_the_reanchor_page_proposes_the_change_and_says_so(revised, reviewer_client):
    article, _claim, passages = revised
    dose = passages["dose"]
    url = reverse("admin:article-reanchor", args=[article.pk])
    response = reviewer_client.post(
        url, {"action": "confirm", "passage": dose.pk, "version": dose.version}, follow=True
    )
    assert response.status_code == 200
    assert "waits for approval" in response.content.decode()
    assert ChangeRequest.objects.filter(state=ChangeRequest.State.PENDING).count() == 1


@pytest.mark.django_db
def test_a_stale_or_bad_answer_on_the_reanchor_page_is_a_message_not_an_error(revised, reviewer_client):
    article, _claim, passages = revised
    url = reverse("admin:article-reanchor", args=[article.pk])
    dose, orphan = passages["dose"], passages["dependence"]
    stale = reviewer_client.post(
        url, {"action": "confirm", "passage": dose.pk, "version": dose.version - 1}, follow=True
    )
    assert "Nothing was changed" in stale.content.decode()
    missing = reviewer_client.post(
        url,
        {"action": "replace", "passage": orphan.pk, "version": orphan.version, "quote": "Nowhere in it."},
        follow=True,
    )
    assert "does not occur in the article text" in missing.content.decode()
    assert not ChangeRequest.objects.filter(state=ChangeRequest.State.PENDING).exists()
    assert reviewer_client.post(url, {"action": "confirm", "passage": "x"}).status_code == 302


@pytest.mark.django_db
def test_the_desk_links_a_waiting_passage_to_the_reanchor_page(revised, reviewer_client):
    article, _claim, passages = revised
    desk = reviewer_client.get(reverse("admin:desk")).content.decode()
    assert reverse("admin:article-reanchor", args=[article.pk]) + f"#reanchor-{passages['dose'].pk}" in desk


@pytest.mark.django_db
def test_someone_without_change_rights_cannot_answer_on_the_reanchor_page(revised, client):
    from django.contrib.auth.models import User

    article, _claim, passages = revised
    viewer = User.objects.create_user("viewer", is_staff=True)
    client.force_login(viewer)
    url = reverse("admin:article-reanchor", args=[article.pk])
    assert client.get(url).status_code == 403
    dose = passages["dose"]
    assert client.post(url, {"action": "confirm", "passage": dose.pk, "version": dose.version}).status_code == 403
    assert SourceArticle.objects.get(pk=article.pk).revision == 2
