import pytest
from concurrency.forms import get_signer
from django.contrib import admin
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evidence import services
from evidence.models import (
    ChangeRequest,
    Claim,
    ClaimVersion,
    DatasetRelease,
    Passage,
    ReaderReport,
    SearchSynonym,
    SpotDecision,  # read-only: answers are given on an article's "Suggested claims" page
    Status,
    StudyNotice,  # read-only: notices come from import_retractions
    Warning,
)
from tests.factories import (
    make_article,
    make_claim,
    make_evidence,
    make_passage,
    make_reviewer,
    make_study,
    make_substance,
    make_unfound_reference,
    make_warning,
)

pytestmark = pytest.mark.django_db

MODELS = list(admin.site._registry)
EVIDENCE_MODELS = [m for m in MODELS if m._meta.app_label == "evidence"]


def populate():
    article = make_article()
    claim = make_claim(status=Status.DRAFT)
    make_evidence(claim=claim)
    make_passage(article=article, claim=claim, quote="Long-term use may lead to dependence.")
    make_unfound_reference(article=article, claim=claim)
    make_warning(claims=[claim])
    make_substance()
    SearchSynonym.objects.create(terms=["liver damage", "hepatotoxicity"])
    public = make_claim()  # version 1, and a pending change to it
    services.claim_update(claim=public, by=make_reviewer(), verdict="mixed", change_note="Newer evidence.")
    return article, claim


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_every_changelist_add_form_and_change_form_renders(admin_client, model):
    populate()
    opts = model._meta
    editor_client = admin_client
    changelist = editor_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    add = editor_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    # Change requests come from edits, versions from approvals, dataset releases from their release view,
    # login records from logins: none is added by hand, and their admins say so.
    addable = admin.site._registry[model].has_add_permission(add.wsgi_request)
    assert add.status_code == (200 if addable else 403)
    assert (
        addable
        or model in (ChangeRequest, ClaimVersion, DatasetRelease, ReaderReport, SpotDecision, StudyNotice)
        or opts.app_label == "axes"
    )
    obj = model._default_manager.first()
    if obj is not None:
        change = editor_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        assert change.status_code == 200


def changelist_queries(client, model):
    opts = model._meta
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert response.status_code == 200
    return len(queries)


def add_rows(n):
    for _ in range(n):
        article = make_article()
        claim = make_claim(status=Status.DRAFT)
        make_evidence(claim=claim)
        make_passage(article=article, claim=claim, quote="Long-term use may lead to dependence.")
        make_warning(claims=[claim])
        make_substance(parent=None)
        public = make_claim()  # with its version 1
        services.claim_update(claim=public, by=make_reviewer(), verdict="mixed")  # a pending change


def test_changelist_query_counts_do_not_grow_with_rows(editor_client):
    """Every evidence model's changelist, with 2 and then 20 sets of rows. The rows are made once for
    all of them: made per model, they took 5 s a model."""
    add_rows(2)
    small = {model._meta.label: changelist_queries(editor_client, model) for model in EVIDENCE_MODELS}
    add_rows(18)
    large = {model._meta.label: changelist_queries(editor_client, model) for model in EVIDENCE_MODELS}
    assert large == small


def claim_post_data(claim, **overrides):
    data = {
        "statement": claim.statement,
        "slug": claim.slug,
        "topic": claim.topic,
        "verdict": claim.verdict,
        "certainty": claim.certainty,
        "polarity": claim.polarity,
        "summary": claim.summary,
        "status": claim.status,
        "change_note": "",
        "version": get_signer().sign(claim.version) if claim.pk else "",  # the admin form signs the version
    }
    for prefix in ("evidence", "passages", "unfound_references"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(overrides)
    return data


def selected(obj):
    """A changelist checkbox value: the admin pairs each primary key with the version it showed."""
    return f"{obj.pk},{obj.version}"


def change_url(obj):
    return reverse(f"admin:evidence_{obj._meta.model_name}_change", args=[obj.pk])


def test_reviewer_can_move_a_draft_claim_to_review_in_the_form(reviewer_client):
    claim = make_claim(status=Status.DRAFT)
    response = reviewer_client.post(change_url(claim), claim_post_data(claim, status=Status.IN_REVIEW))
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == Status.IN_REVIEW


def test_reviewer_is_not_offered_publish_or_withdraw_in_the_status_field(reviewer_client):
    claim = make_claim(status=Status.DRAFT)
    page = reviewer_client.get(change_url(claim)).content.decode()
    assert 'value="in-review"' in page
    assert 'value="published"' not in page and 'value="withdrawn"' not in page


@pytest.mark.parametrize("status", [Status.PUBLISHED, Status.WITHDRAWN])
def test_reviewer_cannot_publish_or_withdraw_with_a_crafted_form_post(reviewer_client, status):
    claim = make_claim(status=Status.IN_REVIEW)
    response = reviewer_client.post(change_url(claim), claim_post_data(claim, status=status))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == Status.IN_REVIEW


def test_reviewer_cannot_add_a_claim_that_is_already_published(reviewer_client):
    data = claim_post_data(
        Claim(
            statement="New claim.",
            slug="new-claim",
            topic="efficacy",
            verdict="mixed",
            certainty="low",
            summary="Summary.",
            status=Status.PUBLISHED,
        )
    )
    response = reviewer_client.post(reverse("admin:evidence_claim_add"), data)
    assert response.status_code == 200
    assert not Claim.objects.filter(slug="new-claim").exists()


@pytest.mark.parametrize("action", ["publish_selected", "withdraw_selected"])
def test_reviewer_cannot_publish_or_withdraw_with_an_admin_action(reviewer_client, action):
    claim = make_claim(status=Status.IN_REVIEW)
    url = reverse("admin:evidence_claim_changelist")
    assert action not in reviewer_client.get(url).content.decode()
    reviewer_client.post(url, {"action": action, "_selected_action": [selected(claim)]})
    claim.refresh_from_db()
    assert claim.status == Status.IN_REVIEW


def test_reviewer_cannot_publish_through_a_changelist_list_edit_post(reviewer_client):
    claim = make_claim(status=Status.IN_REVIEW)
    url = reverse("admin:evidence_claim_changelist")
    reviewer_client.post(
        url,
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": claim.pk,
            "form-0-status": Status.PUBLISHED,
            "_save": "Save",
        },
    )
    claim.refresh_from_db()
    assert claim.status == Status.IN_REVIEW


def test_a_reviewers_edit_of_a_published_claim_waits_and_the_public_page_does_not_change(reviewer_client, client):
    claim = make_claim(status=Status.PUBLISHED)
    before = client.get(claim.get_absolute_url()).content
    response = reviewer_client.post(change_url(claim), claim_post_data(claim, verdict="supported"), follow=True)
    assert "waits for approval by another editor" in response.content.decode()
    claim.refresh_from_db()
    assert (claim.status, claim.verdict) == (Status.PUBLISHED, "insufficient")
    assert client.get(claim.get_absolute_url()).content == before
    assert services.pending_for(claim).get().items.get().data == {"verdict": "supported"}


def test_a_reviewer_cannot_send_a_published_claim_back_to_draft(reviewer_client):
    claim = make_claim(status=Status.PUBLISHED)
    response = reviewer_client.post(change_url(claim), claim_post_data(claim, status=Status.DRAFT))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == Status.PUBLISHED


def test_the_publish_service_refuses_a_reviewer(reviewer):
    from django.core.exceptions import PermissionDenied

    claim = make_claim(status=Status.IN_REVIEW)
    with pytest.raises(PermissionDenied):
        services.publish(obj=claim, by=reviewer, note="Looks fine.")
    claim.refresh_from_db()
    assert claim.status == Status.IN_REVIEW


def test_reviewer_cannot_publish_a_warning_either(reviewer_client):
    warning = make_warning(status=Status.IN_REVIEW)
    url = reverse("admin:evidence_warning_changelist")
    reviewer_client.post(url, {"action": "publish_selected", "_selected_action": [selected(warning)]})
    warning.refresh_from_db()
    assert warning.status == Status.IN_REVIEW


def test_editor_publishes_with_the_action_and_the_change_is_recorded_in_history(editor_client, editor):
    claim = make_claim(status=Status.IN_REVIEW)
    url = reverse("admin:evidence_claim_changelist")
    asked = editor_client.post(url, {"action": "publish_selected", "_selected_action": [selected(claim)]})
    assert "Change note" in asked.content.decode()  # an intermediate page asks for the note first
    claim.refresh_from_db()
    assert claim.status == Status.IN_REVIEW
    response = editor_client.post(
        url,
        {"action": "publish_selected", "_selected_action": [selected(claim)], "apply": "1", "note": "First review."},
        follow=True,
    )
    assert response.status_code == 200
    claim.refresh_from_db()
    assert claim.status == Status.PUBLISHED and claim.published_at is not None
    assert (claim.approved_by, claim.submitted_by) == (editor, make_reviewer())
    assert claim.history.first().history_user == editor
    assert claim.versions.get().change_note == "First review."


def test_editor_cannot_publish_a_claim_without_a_summary(editor_client):
    claim = make_claim(status=Status.IN_REVIEW, summary="")
    response = editor_client.post(
        change_url(claim), claim_post_data(claim, status=Status.PUBLISHED, change_note="Publishing.")
    )
    assert "needs a reviewer" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == Status.IN_REVIEW


def article_post_data(article, rows):
    data = {
        "title": article.title,
        "original_url": "",
        "site": "",
        "published_on": "",
        "stated_author": article.stated_author,
        "stated_credentials": article.stated_credentials,
        "status": article.status,
        "change_note": "",
        "version": get_signer().sign(article.version),
        "passages-TOTAL_FORMS": str(len(rows)),
        "passages-INITIAL_FORMS": "0",
    }
    for i, row in enumerate(rows):
        data.update({f"passages-{i}-{k}": v for k, v in row.items()})
    return data


def test_reviewer_pastes_a_quote_and_the_admin_locates_it_in_the_article(reviewer_client):
    article, claim = make_article(status=Status.DRAFT), make_claim()
    quote = "Long-term use may lead to dependence."
    row = {"quote": quote, "claim": claim.pk, "wording": "accurate", "wording_note": ""}
    response = reviewer_client.post(change_url(article), article_post_data(article, [row]))
    assert response.status_code == 302
    passage = Passage.objects.get()
    assert (passage.start, passage.end) == (article.text.index(quote), article.text.index(quote) + len(quote))
    assert article.text[passage.start : passage.end] == quote
    assert passage.prefix and passage.suffix


@pytest.mark.parametrize(
    "quote, message",
    [
        ("Kratom cures every illness.", "does not occur in the article text"),
        ("kratom", "occurs"),
    ],
)
def test_an_absent_or_ambiguous_quote_is_refused_with_a_message(reviewer_client, quote, message):
    article, claim = make_article(), make_claim()
    row = {"quote": quote, "claim": claim.pk, "wording": "accurate", "wording_note": ""}
    response = reviewer_client.post(change_url(article), article_post_data(article, [row]))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Passage.objects.exists()


def test_adding_an_article_in_the_admin_imports_the_pasted_text(editor_client):
    from tests.factories import article_text

    text = article_text(tag="pasted")
    response = editor_client.post(
        reverse("admin:evidence_sourcearticle_add"),
        {"source_name": "pasted.txt", "original_url": "", "site": "Example", "text": text},
    )
    assert response.status_code == 302
    from evidence.models import SourceArticle, text_hash

    article = SourceArticle.objects.get(source_name="pasted.txt")
    assert article.content_hash == text_hash(text) and article.title == "How Kratom Works"


def test_warning_admin_lists_severity_and_status(editor_client):
    make_warning(title="Liver injury", status=Status.PUBLISHED)
    page = editor_client.get(reverse("admin:evidence_warning_changelist")).content.decode()
    assert "Liver injury" in page and str(Warning.Severity.HIGH.label) in page


def test_study_admin_search_finds_by_doi(editor_client):
    wanted = make_study(doi="10.1000/findme")
    other = make_study(doi="10.1000/other")
    page = editor_client.get(reverse("admin:evidence_study_changelist") + "?q=10.1000/findme").content.decode()
    assert f">{wanted.key}</a>" in page and f">{other.key}</a>" not in page


def test_an_edit_made_to_a_stale_copy_is_refused_and_the_newer_edit_is_kept(editor_client, reviewer_client):
    claim = make_claim(status=Status.DRAFT, verdict="insufficient")
    stale = claim_post_data(claim)  # the reviewer opened the form at this version
    first = editor_client.post(change_url(claim), claim_post_data(claim, verdict="mixed", certainty="low"))
    assert first.status_code == 302
    second = reviewer_client.post(change_url(claim), {**stale, "verdict": "supported"})
    assert second.status_code == 200
    assert "Someone else changed this claim after you opened it" in second.content.decode()
    claim.refresh_from_db()
    assert (claim.verdict, claim.certainty) == ("mixed", "low")


def test_the_service_refuses_to_save_a_stale_claim():
    from concurrency.exceptions import RecordModifiedError

    claim = make_claim(status=Status.DRAFT)
    stale = Claim.objects.get(pk=claim.pk)
    fresh = Claim.objects.get(pk=claim.pk)
    fresh.verdict = "mixed"
    fresh.save()
    stale.verdict = "supported"
    with pytest.raises(RecordModifiedError), transaction.atomic():
        stale.save()
    claim.refresh_from_db()
    assert claim.verdict == "mixed"


def test_history_pages_render_but_reverting_from_history_is_refused(editor_client, reviewer_client):
    claim = make_claim(status=Status.DRAFT, verdict="insufficient")
    record = claim.history.earliest()
    claim_publish_via_editor = editor_client.post(
        reverse("admin:evidence_claim_changelist"),
        {"action": "submit_for_review", "_selected_action": [selected(claim)]},
    )
    assert claim_publish_via_editor.status_code == 302
    history = reverse("admin:evidence_claim_history", args=[claim.pk])
    assert editor_client.get(history).status_code == 200
    revert = reverse("admin:evidence_claim_simple_history", args=[claim.pk, record.history_id])
    assert reviewer_client.get(revert).status_code == 200
    claim.refresh_from_db()
    data = claim_post_data(claim, verdict="supported", certainty="high", status=Status.DRAFT)
    for client in (reviewer_client, editor_client):
        assert client.post(revert, data).status_code == 403
    claim.refresh_from_db()
    assert (claim.status, claim.verdict) == (Status.IN_REVIEW, "insufficient")


@pytest.mark.parametrize("model", [m for m in EVIDENCE_MODELS if hasattr(m, "history")], ids=lambda m: m._meta.label)
def test_every_history_page_renders(admin_client, model):
    populate()
    obj = model._default_manager.first()
    url = reverse(f"admin:evidence_{model._meta.model_name}_history", args=[obj.pk])
    assert admin_client.get(url).status_code == 200


def test_a_status_change_moves_the_version_so_a_form_opened_before_it_is_refused(editor_client, reviewer):
    claim = make_claim(status=Status.DRAFT)
    opened = claim_post_data(claim, summary="A typo fix made in a form opened earlier.")
    services.submit(obj=claim, by=reviewer)
    response = editor_client.post(change_url(claim), opened)
    assert response.status_code == 200
    assert "Someone else changed this claim" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == Status.IN_REVIEW and claim.summary != opened["summary"]


def test_a_selection_without_versions_gets_a_message_not_an_error(editor_client):
    claim = make_claim(status=Status.IN_REVIEW)
    url = reverse("admin:evidence_claim_changelist")
    response = editor_client.post(url, {"action": "publish_selected", "_selected_action": [claim.pk]}, follow=True)
    assert response.status_code == 200
    assert "select the items again" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == Status.IN_REVIEW


def test_status_is_not_an_editable_field_so_no_model_form_can_set_it():
    from django.core.exceptions import FieldError
    from django.forms import modelform_factory

    for model in (Claim, Warning):
        with pytest.raises(FieldError):
            modelform_factory(model, fields=["status"])


def test_two_overlapping_passages_in_one_save_are_refused(reviewer_client):
    article, claim = make_article(), make_claim()
    rows = [
        {"quote": "Long-term use may lead", "claim": claim.pk, "wording": "accurate", "wording_note": ""},
        {"quote": "may lead to dependence.", "claim": claim.pk, "wording": "accurate", "wording_note": ""},
    ]
    response = reviewer_client.post(change_url(article), article_post_data(article, rows))
    assert response.status_code == 200
    assert "Two passages overlap" in response.content.decode()
    assert not Passage.objects.exists()


def test_a_quote_across_a_list_marker_is_refused(reviewer_client):
    article, claim = make_article(), make_claim()
    row = {"quote": "- Dosage and Safety", "claim": claim.pk, "wording": "accurate", "wording_note": ""}
    response = reviewer_client.post(change_url(article), article_post_data(article, [row]))
    assert response.status_code == 200
    assert "inside one paragraph" in response.content.decode()
    assert not Passage.objects.exists()


def test_a_reviewers_change_or_removal_of_a_public_passage_waits_for_an_editor(reviewer_client, editor_client):
    article, claim = make_article(), make_claim(status=Status.PUBLISHED)
    passage = make_passage(article=article, claim=claim, quote="Long-term use may lead to dependence.")
    url = change_url(passage)
    data = {
        "article": article.pk,
        "claim": claim.pk,
        "quote": passage.quote,
        "wording": "misrepresented",
        "wording_note": "Changed by a reviewer.",
        "change_note": "",
        "version": get_signer().sign(passage.version),
    }
    assert reviewer_client.post(url, data).status_code == 302
    delete = reverse("admin:evidence_passage_delete", args=[passage.pk])
    assert reviewer_client.post(delete, {"post": "yes"}).status_code == 302
    passage.refresh_from_db()
    assert passage.wording == "accurate"
    change, removal = ChangeRequest.objects.get(state="pending").items.order_by("pk")
    assert (change.action, removal.action) == ("update", "delete")
    decision = {"decision": "approve", "note": "Agreed.", "seen": services.items_seen(change.request)}
    assert editor_client.post(change_url(change.request), decision).status_code == 302
    assert not Passage.objects.filter(pk=passage.pk).exists()  # both items were applied, in order


def test_pasting_an_article_with_browser_line_breaks_stores_the_articles_own(editor_client):
    from evidence.models import SourceArticle
    from tests.factories import article_text

    text = article_text(tag="crlf")
    add = reverse("admin:evidence_sourcearticle_add")
    data = {"source_name": "pasted.txt", "original_url": "", "site": "", "text": text.replace("\n", "\r\n")}
    assert editor_client.post(add, data).status_code == 302
    assert SourceArticle.objects.get().text == text
    again = editor_client.post(add, {**data, "source_name": "pasted-again.txt"})
    assert "already in the library" in again.content.decode()
    assert SourceArticle.objects.count() == 1


def test_a_save_that_loses_a_race_after_the_form_check_gets_the_message_not_a_server_error(
    editor_client, reviewer_client, monkeypatch
):
    from evidence.admin import LockedForm

    claim = make_claim(status=Status.DRAFT, verdict="insufficient")
    stale = claim_post_data(claim)
    assert editor_client.post(change_url(claim), claim_post_data(claim, verdict="mixed")).status_code == 302
    # The second save passes the form's check (as if both were validated at the same instant) …
    monkeypatch.setattr(LockedForm, "clean", lambda self: self.cleaned_data)
    response = reviewer_client.post(change_url(claim), {**stale, "verdict": "supported"}, follow=True)
    # … and the service, holding the row lock, refuses it with the same message.
    assert response.status_code == 200
    assert "Someone else changed this claim after you opened it" in response.content.decode()
    claim.refresh_from_db()
    assert claim.verdict == "mixed"
