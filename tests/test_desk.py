"""The curation desk: the queue, soft locks, review dates, re-reviews, reviewers' public names."""

import datetime
import json

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evidence import services
from evidence.links import absolute
from evidence.models import (
    ChangeRequest,
    Claim,
    ClaimVersion,
    Placement,
    ReviewerProfile,
    Status,
    Study,
    add_months,
)
from evidence.services import desk
from tests.conftest import verified
from tests.factories import (
    make_article,
    make_claim,
    make_editor,
    make_evidence,
    make_passage,
    make_reviewer,
    make_study,
    make_warning,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def text_of(response):
    return " ".join(BeautifulSoup(response.content, "html.parser").get_text(" ").split())


def section(response, key):
    soup = BeautifulSoup(response.content, "html.parser")
    return " ".join(soup.find(id=f"desk-{key}").get_text(" ").split())


def age(item, *, months):
    """Let time pass for a published item: it was last reviewed ``months`` ago (the schedule follows)."""
    reviewed = timezone.now() - datetime.timedelta(days=31 * months)
    type(item).objects.filter(pk=item.pk).update(
        last_reviewed_at=reviewed, next_review_due=add_months(reviewed.date(), item.review_interval_months)
    )
    item.refresh_from_db()
    return item


# --- review dates ---------------------------------------------------------------------------------------


def test_publishing_records_the_review_and_the_next_due_date_readers_see(client):
    claim = make_claim()
    assert claim.last_reviewed_by == make_editor()
    assert claim.next_review_due == add_months(claim.last_reviewed_at.date(), 12)
    page = text_of(client.get(claim.get_absolute_url()))
    assert f"Last reviewed {claim.last_reviewed_at:%d %B %Y}".replace(" 0", " ") in page
    assert f"Next review due {claim.next_review_due:%B %Y}" in page
    assert "Reviewed by the KratomRef editors" in page
    assert make_editor().username not in page  # account names are never public


def test_a_warning_shows_its_review_dates_and_the_interval_is_set_per_item(client):
    warning = make_warning(review_interval_months=6)
    assert warning.next_review_due == add_months(warning.last_reviewed_at.date(), 6)
    page = text_of(client.get(warning.get_absolute_url()))
    assert f"Next review due {warning.next_review_due:%B %Y}" in page


def test_approving_a_change_to_a_published_claim_is_a_review(client):
    claim = age(make_claim(), months=13)
    outcome = services.claim_update(claim=claim, by=make_reviewer(), summary="Re-read; still nothing.")
    services.change_approve(request=outcome.pending, by=make_editor(), note="Summary clarified.")
    claim.refresh_from_db()
    assert claim.last_reviewed_at.date() == timezone.localdate()
    assert claim.next_review_due > timezone.localdate()


def test_a_named_reviewer_is_shown_with_a_profile_and_in_the_claim_review_data(client):
    editor = make_editor()
    ReviewerProfile.objects.create(
        user=editor,
        show_name=True,
        public_name="Dr Ana Example",
        slug="ana-example",
        credentials="Pharmacologist.",
        conflicts_of_interest="None declared.",
    )
    claim = make_claim()
    response = client.get(claim.get_absolute_url())
    soup = BeautifulSoup(response.content, "html.parser")
    link = soup.select_one(".review-dates a[href='/reviewers/ana-example/']")
    assert link is not None and link.get_text() == "Dr Ana Example"
    data = json.loads(soup.find("script", type="application/ld+json").string)
    assert data["reviewedBy"] == {
        "@type": "Person",
        "name": "Dr Ana Example",
        "url": absolute("/reviewers/ana-example/"),
    }
    profile = text_of(client.get("/reviewers/ana-example/"))
    assert "Pharmacologist." in profile and "None declared." in profile and claim.statement in profile
    assert "Dr Ana Example" in text_of(client.get(reverse("evidence:how-we-grade")))


def test_an_unnamed_reviewer_has_no_public_profile(client):
    ReviewerProfile.objects.create(user=make_editor(), show_name=False, slug="hidden")
    claim = make_claim()
    assert client.get("/reviewers/hidden/").status_code == 404
    assert "Reviewed by the KratomRef editors" in text_of(client.get(claim.get_absolute_url()))


def test_a_named_profile_needs_a_name_and_a_conflicts_declaration(editor_client, editor):
    url = reverse("admin:evidence_reviewerprofile_add")
    response = editor_client.post(url, {"show_name": "on", "public_name": "", "slug": "me"})
    assert response.status_code == 200
    assert "Declare your conflicts of interest" in text_of(response)
    assert not ReviewerProfile.objects.exists()
    response = editor_client.post(
        url, {"show_name": "on", "public_name": "E. Ditor", "slug": "me", "conflicts_of_interest": "None declared."}
    )
    assert response.status_code == 302
    assert ReviewerProfile.objects.get().user == editor


# --- re-review without a change ----------------------------------------------------------------------------


def test_a_rereview_that_changes_nothing_moves_last_reviewed_without_a_new_version():
    claim = age(make_claim(), months=13)
    versions = ClaimVersion.objects.filter(claim=claim).count()
    editor = make_editor()
    desk.review_confirm(obj=claim, by=editor, note="Searched PubMed again; no new studies.")
    claim.refresh_from_db()
    assert claim.last_reviewed_at.date() == timezone.localdate()
    assert claim.last_reviewed_by == editor
    assert ClaimVersion.objects.filter(claim=claim).count() == versions
    record = claim.history.first()
    assert record.history_user == editor
    assert record.history_change_reason == "re-reviewed, nothing changed: Searched PubMed again; no new studies."


def test_a_rereview_needs_an_editor_a_note_and_a_published_item():
    claim = make_claim()
    with pytest.raises(PermissionDenied):
        desk.review_confirm(obj=claim, by=make_reviewer(), note="Checked.")
    with pytest.raises(ValidationError, match="Say what you checked"):
        desk.review_confirm(obj=claim, by=make_editor(), note=" ")
    with pytest.raises(ValidationError, match="Only a published item"):
        desk.review_confirm(obj=make_claim(status=Status.DRAFT), by=make_editor(), note="Checked.")


def test_the_rereview_action_in_the_admin_asks_what_was_checked(editor_client):
    claim = age(make_claim(), months=13)
    url = reverse("admin:evidence_claim_changelist")
    form = {"action": "record_rereview", "_selected_action": [f"{claim.pk},{claim.version}"]}
    response = editor_client.post(url, form)
    assert "What you checked" in text_of(response)
    response = editor_client.post(url, {**form, "apply": "1", "note": "Read the two new reviews; nothing changes."})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.last_reviewed_at.date() == timezone.localdate()


# --- the queue ---------------------------------------------------------------------------------------


def test_waiting_for_me_lists_others_changes_oldest_first_and_never_my_own(editor):
    first = make_claim()
    second = make_claim()
    services.claim_update(claim=first, by=make_reviewer(), summary="First proposal.")
    services.claim_update(claim=second, by=make_reviewer(), summary="Second proposal.")
    services.claim_update(claim=second, by=editor, summary="My own proposal.")
    waiting = desk.desk_for(editor).waiting
    assert [item.title for item in waiting] == [first.statement, second.statement]
    assert {item.action for item in waiting} == {"approve"}
    mine = desk.desk_for(editor).drafts
    assert [item.title for item in mine] == [second.statement]
    assert [item.action for item in desk.desk_for(make_reviewer()).waiting] == ["review"]


def test_items_in_review_wait_for_an_editor_and_a_send_back_needs_a_reason(editor):
    reviewer = make_reviewer()
    claim = make_claim(status=Status.IN_REVIEW)
    assert [item.obj for item in desk.desk_for(editor).waiting] == [claim]
    with pytest.raises(ValidationError, match="Say why it goes back to draft"):
        services.status_change(obj=claim, status=Status.DRAFT, by=editor)
    services.status_change(obj=claim, status=Status.DRAFT, by=editor, note="Add the 2020 survey first.")
    sent_back = desk.desk_for(reviewer).sent_back
    assert [(item.obj, item.reasons) for item in sent_back] == [(claim, ["Add the 2020 survey first."])]
    assert desk.desk_for(reviewer).drafts == []


def test_a_rejected_change_comes_back_to_its_author_with_the_reason():
    reviewer = make_reviewer()
    outcome = services.claim_update(claim=make_claim(), by=reviewer, summary="Too strong.")
    services.change_reject(request=outcome.pending, by=make_editor(), note="The cited survey does not say this.")
    [item] = desk.desk_for(reviewer).sent_back
    assert item.reasons == ["The cited survey does not say this."]


def test_overdue_and_soon_due_items_are_listed_and_filtered(editor, editor_client):
    overdue = age(make_claim(), months=13)
    soon = age(make_claim(), months=11)
    current = make_claim()
    due = desk.desk_for(editor).due
    assert [(item.obj, item.overdue) for item in due] == [(overdue, True), (soon, False)]
    changelist = reverse("admin:evidence_claim_changelist")
    page = text_of(editor_client.get(changelist, {"review": "overdue"}))
    assert overdue.statement in page and soon.statement not in page and current.statement not in page


def test_claims_whose_study_changed_or_whose_grade_the_profile_cannot_carry_need_attention(editor, editor_client):
    study = make_study()
    edited = make_claim()
    make_evidence(claim=edited, study=study)  # approving the evidence reviews the claim
    unchanged = make_claim()
    outcome = services.study_update(study=study, by=make_reviewer(), finding="Corrected sample size.")
    services.change_approve(request=outcome.pending, by=make_editor(), note="Sample size corrected.")
    overgraded = make_claim(status=Status.IN_REVIEW, verdict=Claim.Verdict.SUPPORTED, certainty=Claim.Certainty.HIGH)
    reasons = {item.obj: item.reasons for item in desk.desk_for(editor).attention}
    assert reasons[edited] == ["A study it cites was edited since its last review."]
    assert any("no study in the library addresses it" in reason for reason in reasons[overgraded])
    assert unchanged not in reasons
    page = text_of(editor_client.get(reverse("admin:evidence_claim_changelist"), {"attention": "yes"}))
    assert edited.statement in page and unchanged.statement not in page


def test_passages_that_need_placement_are_listed(editor):
    article = make_article()
    passage = make_passage(article=article, claim=make_claim(), quote="This guide explores kratom for sore muscles.")
    assert not [item for item in desk.desk_for(editor).attention if item.obj == passage]
    type(passage).objects.filter(pk=passage.pk).update(placement=Placement.FUZZY)  # the article text moved
    assert [item.obj for item in desk.desk_for(editor).attention if item.obj == passage] == [passage]


# --- soft locks ---------------------------------------------------------------------------------------


def test_opening_a_change_for_review_marks_it_for_others_and_a_lapsed_lock_is_explained(settings):
    first = make_editor()
    other = type(first).objects.create(username="editor-two", is_staff=True)
    other.groups.add(*first.groups.all())
    outcome = services.claim_update(claim=make_claim(), by=make_reviewer(), summary="Proposed.")
    request = outcome.pending
    assert desk.lock_open(request, first).held_by is None
    held = desk.lock_open(request, other)
    assert held.held_by is not None and held.held_by.name == first.username
    [item] = desk.desk_for(other).waiting
    assert item.lock is not None and item.lock.name == first.username
    settings.DESK_LOCK_MINUTES = -1  # first's lock lapses
    desk.lock_open(request, first)
    lapsed = desk.lock_open(request, other)
    assert lapsed.held_by is None and lapsed.lapsed.name == first.username


def test_the_admin_says_who_is_reviewing_and_approval_lets_the_lock_go(client, editor, editor_client):
    other = type(editor).objects.create_user("editor-two", password="pw-editor-456", is_staff=True)
    other.groups.add(*editor.groups.all())
    client.force_login(other)
    other_client = verified(client, other)
    outcome = services.claim_update(claim=make_claim(), by=make_reviewer(), summary="Proposed.")
    url = reverse("admin:evidence_changerequest_change", args=[outcome.pending.pk])
    assert editor_client.get(url).status_code == 200
    page = text_of(other_client.get(url))
    assert f"Being reviewed by {editor.username}" in page
    response = editor_client.post(
        url, {"decision": "approve", "note": "Checked.", "seen": services.items_seen(outcome.pending)}
    )
    assert response.status_code == 302
    assert ChangeRequest.objects.get(pk=outcome.pending.pk).state == ChangeRequest.State.APPROVED
    assert desk.locks_for([outcome.pending]) == {}


# --- the desk pages ---------------------------------------------------------------------------------------


def test_the_admin_index_shows_the_desk_counts_and_the_desk_page_its_sections(editor_client, editor):
    services.claim_update(claim=make_claim(), by=make_reviewer(), summary="Proposed.")
    age(make_claim(), months=13)
    index = BeautifulSoup(editor_client.get(reverse("admin:index")).content, "html.parser")
    counts = {cell["data-section"]: cell.get_text() for cell in index.select("#desk-counts .desk-count")}
    assert counts["waiting"] == "1" and counts["due"] == "1"
    response = editor_client.get(reverse("admin:desk"))
    assert "Waiting for me 1" in section(response, "waiting")
    assert "overdue" in section(response, "due")


def test_a_reviewer_opens_the_desk_too(reviewer_client):
    assert reviewer_client.get(reverse("admin:desk")).status_code == 200


def _desk_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _items(count):
    for _ in range(count):
        claim = age(make_claim(), months=13)
        services.claim_update(claim=claim, by=make_reviewer(), summary=f"Proposal for {claim.pk}.")
        services.status_change(
            obj=make_claim(status=Status.IN_REVIEW), status=Status.DRAFT, by=make_editor(), note="Redo."
        )


@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:desk"),
        reverse("admin:index"),
        reverse("admin:evidence_claim_changelist") + "?review=overdue",
        reverse("admin:evidence_changerequest_changelist"),
    ],
)
def test_desk_pages_keep_their_query_count_as_items_grow(editor_client, url):
    _items(2)
    few = _desk_queries(editor_client, url)
    _items(18)
    assert _desk_queries(editor_client, url) == few


def test_the_admin_history_shows_who_what_changed_field_by_field_and_the_note(editor_client):
    claim = make_claim()
    outcome = services.claim_update(claim=claim, by=make_reviewer(), summary="A clearer summary.")
    services.change_approve(request=outcome.pending, by=make_editor(), note="Summary made clearer.")
    page = text_of(editor_client.get(reverse("admin:evidence_claim_history", args=[claim.pk])))
    assert "Summary: No study addresses this claim. → A clearer summary." in page
    assert "Version:" not in page  # the edit counter is bookkeeping, not a change a curator reads
    assert "Summary made clearer." in page
    assert make_reviewer().username in page


def test_a_study_that_has_no_review_schedule_cannot_be_rereviewed():
    with pytest.raises(ValidationError, match="no review schedule"):
        desk.review_confirm(obj=Study.objects.get(pk=make_study().pk), by=make_editor(), note="Checked.")


def test_the_api_and_the_dataset_name_a_reviewer_only_as_readers_see_them(client):
    from evidence.dataset.library import claim_version_rows

    editor = make_editor()
    ReviewerProfile.objects.create(
        user=editor, show_name=True, public_name="Dr Ana Example", slug="ana-example", conflicts_of_interest="None."
    )
    named = make_claim()
    data = client.get(f"/api/v1/claims/{named.slug}/").json()
    assert data["reviewed_by"] == {"name": "Dr Ana Example", "url": absolute("/reviewers/ana-example/")}
    assert data["next_review_due"] == named.next_review_due.isoformat()
    listed = {c["slug"]: c for c in client.get("/api/v1/claims/").json()["results"]}
    assert listed[named.slug]["reviewed_by"]["name"] == "Dr Ana Example"
    assert {row["approved_by"] for row in claim_version_rows()} == {"Dr Ana Example"}
    ReviewerProfile.objects.filter(user=editor).update(show_name=False)
    cache.clear()
    assert client.get(f"/api/v1/claims/{named.slug}/").json()["reviewed_by"] == {
        "name": "the KratomRef editors",
        "url": None,
    }
    assert {row["approved_by"] for row in claim_version_rows()} == {"KratomRef editors"}
    assert editor.username not in client.get("/api/v1/claims/").content.decode()
