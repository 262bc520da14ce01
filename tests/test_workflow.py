"""The publication path: four eyes, pending changes, versions, the change hook, system actors."""

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse

from evidence import services
from evidence.models import (
    ChangeRequest,
    Claim,
    ClaimVersion,
    Evidence,
    SourceArticle,
    Status,
    Study,
    Substance,
)
from evidence.signals import content_version, library_changed
from tests.factories import (
    article_text,
    make_article,
    make_claim,
    make_editor,
    make_evidence,
    make_passage,
    make_reviewer,
    make_reviewer_editor,
    make_study,
    make_substance,
    make_warning,
)

pytestmark = pytest.mark.django_db


def page(client, obj):
    response = client.get(obj.get_absolute_url())
    return response.status_code, response.content


def test_changing_an_evidence_rows_direction_leaves_the_claim_page_byte_identical_until_a_second_editor_approves(
    client,
):
    claim = make_claim(verdict="supported", certainty="low", summary="One survey supports it.")
    row = make_evidence(claim=claim, direction=Evidence.Direction.SUPPORTS)
    before = page(client, claim)
    editor = make_editor()

    proposal = services.evidence_update(evidence=row, by=editor, direction=Evidence.Direction.CONTRADICTS).pending
    assert page(client, claim) == before
    with pytest.raises(PermissionDenied, match="another editor must approve"):
        services.change_approve(request=proposal, by=editor, note="I checked it myself.")
    assert page(client, claim) == before

    services.change_approve(request=proposal, by=make_reviewer_editor(), note="The survey found the opposite.")
    status, after = page(client, claim)
    assert status == 200 and after != before
    assert "Contradicts" in after.decode()
    latest = claim.versions.order_by("-number").first()
    assert latest.change_note == "The survey found the opposite."
    assert latest.snapshot["evidence"][0]["direction"] == "contradicts"


def test_a_reviewer_cannot_approve_and_an_approval_needs_a_change_note():
    claim = make_claim()
    proposal = services.claim_update(claim=claim, by=make_editor(), verdict="mixed").pending
    with pytest.raises(PermissionDenied):
        services.change_approve(request=proposal, by=make_reviewer(), note="Fine.")
    with pytest.raises(ValidationError, match="change note"):
        services.change_approve(request=proposal, by=make_reviewer_editor(), note="  ")
    claim.refresh_from_db()
    assert claim.verdict == "insufficient"


def test_an_editor_cannot_publish_a_claim_they_wrote_or_submitted():
    editor = make_editor()
    claim = services.claim_create(
        by=editor, slug="own", statement="An editor's own claim.", topic="efficacy", summary="Summary."
    ).obj
    services.submit(obj=claim, by=editor)
    with pytest.raises(PermissionDenied, match="another editor must approve"):
        services.publish(obj=claim, by=editor, note="Looks right to me.")
    claim.refresh_from_db()
    assert claim.status == Status.IN_REVIEW
    services.publish(obj=claim, by=make_reviewer_editor(), note="Second pair of eyes.")
    claim.refresh_from_db()
    assert (claim.status, claim.submitted_by, claim.approved_by) == (Status.PUBLISHED, editor, make_reviewer_editor())


def test_an_editor_who_edited_a_draft_someone_else_submitted_cannot_publish_it():
    claim = make_claim(status=Status.DRAFT)
    editor = make_editor()
    services.claim_update(claim=claim, by=editor, summary="The editor's wording.")
    services.submit(obj=claim, by=make_reviewer())
    with pytest.raises(PermissionDenied):
        services.publish(obj=claim, by=editor, note="Publishing.")


def test_a_superuser_overrides_four_eyes_only_with_a_written_reason_kept_in_the_history():
    boss = User.objects.create_superuser("boss", password="pw-boss-12345")
    claim = services.claim_create(by=boss, slug="urgent", statement="Urgent claim.", topic="safety", summary="S.").obj
    services.submit(obj=claim, by=boss)
    with pytest.raises(PermissionDenied, match="written reason"):
        services.publish(obj=claim, by=boss, note="Urgent correction.")
    services.publish(obj=claim, by=boss, note="Urgent correction.", override_reason="Only editor on call tonight.")
    claim.refresh_from_db()
    assert claim.status == Status.PUBLISHED
    assert "Only editor on call tonight" in claim.history.first().history_change_reason
    assert "Only editor on call tonight" in claim.versions.get().change_note


@pytest.mark.parametrize(
    "start, to",
    [
        (Status.PUBLISHED, Status.DRAFT),
        (Status.PUBLISHED, Status.IN_REVIEW),
        (Status.WITHDRAWN, Status.PUBLISHED),
        (Status.WITHDRAWN, Status.DRAFT),
        (Status.DRAFT, Status.PUBLISHED),
    ],
)
def test_moves_outside_the_transition_table_are_refused(start, to):
    claim = make_claim(status=start)
    with pytest.raises(ValidationError, match="cannot move"):
        services.status_change(obj=claim, status=to, by=make_editor(), note="Trying.")
    claim.refresh_from_db()
    assert claim.status == start


def test_withdrawing_is_proposed_by_one_editor_and_approved_by_another(client):
    claim = make_claim()
    proposal = services.status_change(obj=claim, status=Status.WITHDRAWN, by=make_editor(), note="Unsafe advice.")
    assert client.get(claim.get_absolute_url()).status_code == 200
    services.change_approve(request=proposal.pending, by=make_reviewer_editor(), note="Unsafe advice.")
    assert client.get(claim.get_absolute_url()).status_code == 410


def test_recorded_versions_never_change_when_the_claim_its_evidence_or_its_studies_change_later():
    claim = make_claim(verdict="supported", certainty="low", summary="First summary.")
    study = make_study(title="Original title")
    row = make_evidence(claim=claim, study=study)
    version = claim.versions.order_by("-number").first()
    recorded = (version.number, version.snapshot, version.change_note, version.approved_at)

    claim_change = services.claim_update(claim=claim, by=make_reviewer(), summary="Second summary.").pending
    row_change = services.evidence_update(evidence=row, by=make_reviewer(), note="Re-read.").pending
    assert row_change == claim_change  # one person's changes to one claim wait together
    study_change = services.study_update(study=study, by=make_reviewer(), title="Corrected title").pending
    for proposal in (claim_change, study_change):
        services.change_approve(request=proposal, by=make_reviewer_editor(), note="Corrections.")
    claim.refresh_from_db()
    assert claim.summary == "Second summary." and claim.versions.count() == version.number + 1
    version.refresh_from_db()
    assert (version.number, version.snapshot, version.change_note, version.approved_at) == recorded
    assert version.snapshot["evidence"][0]["study"]["title"] == "Original title"
    with pytest.raises(ValidationError, match="immutable"):
        version.save()
    with pytest.raises(ValidationError, match="immutable"):
        version.delete()


def test_first_publication_is_kept_apart_from_the_latest():
    claim = make_claim()
    first = claim.first_published_at
    proposal = services.claim_update(claim=claim, by=make_reviewer(), certainty="low").pending
    services.change_approve(request=proposal, by=make_editor(), note="Regraded.")
    claim.refresh_from_db()
    assert claim.first_published_at == first and claim.published_at > first


def test_library_changed_fires_once_per_approval_and_never_for_a_pending_change(django_capture_on_commit_callbacks):
    calls = []

    def listener(sender, instance, **kwargs):
        calls.append(instance.pk)

    library_changed.connect(listener)
    try:
        claim = make_claim(status=Status.IN_REVIEW)
        with django_capture_on_commit_callbacks(execute=True):
            services.publish(obj=claim, by=make_editor(), note="First review.")
        assert calls == [claim.pk]
        version = content_version()
        with django_capture_on_commit_callbacks(execute=True):
            proposal = services.claim_update(claim=claim, by=make_reviewer(), verdict="mixed").pending
        assert calls == [claim.pk] and content_version() == version
        with django_capture_on_commit_callbacks(execute=True):
            services.change_approve(request=proposal, by=make_editor(), note="Mixed evidence.")
        assert calls == [claim.pk, claim.pk] and content_version() > version
    finally:
        library_changed.disconnect(listener)


def test_a_rejected_change_never_reaches_the_public_and_says_why(client):
    claim = make_claim()
    before = page(client, claim)
    proposal = services.claim_update(claim=claim, by=make_reviewer(), verdict="supported").pending
    with pytest.raises(ValidationError, match="why"):
        services.change_reject(request=proposal, by=make_editor(), note="")
    services.change_reject(request=proposal, by=make_editor(), note="No study supports it.")
    assert page(client, claim) == before
    with pytest.raises(ValidationError, match="already"):
        services.change_approve(request=proposal, by=make_editor(), note="Changed my mind.")


def test_an_approval_refuses_a_proposal_made_on_a_row_that_has_since_moved():
    claim = make_claim()
    first = services.claim_update(claim=claim, by=make_reviewer(), verdict="mixed").pending
    second = services.claim_update(claim=claim, by=make_editor(), certainty="low").pending
    services.change_approve(request=second, by=make_reviewer_editor(), note="Regraded.")
    with pytest.raises(ValidationError, match="changed after this change was proposed"):
        services.change_approve(request=first, by=make_reviewer_editor(), note="Mixed.")
    claim.refresh_from_db()
    assert (claim.verdict, claim.certainty) == ("insufficient", "low")


def test_an_imported_article_is_a_draft_until_another_person_approves_it(client, tmp_path):
    path = tmp_path / "new.txt"
    path.write_text(article_text(tag="import"), encoding="utf-8")
    call_command("import_articles", str(path), verbosity=0)
    article = SourceArticle.objects.get(source_name="new.txt")
    assert article.status == Status.DRAFT
    assert client.get(article.get_absolute_url()).status_code == 404
    assert article not in SourceArticle.objects.published()
    services.submit(obj=article, by=make_reviewer())
    services.publish(obj=article, by=make_editor(), note="Imported for review.")
    assert client.get(article.get_absolute_url()).status_code == 200


def test_a_public_studys_verification_and_a_substances_metadata_wait_for_approval(client):
    claim = make_claim(verdict="supported", certainty="low", summary="S.")
    study = make_study()
    make_evidence(claim=claim, study=study)
    substance = make_substance(name="Speciogynine", slug="speciogynine")
    claim_page, study_page, substance_page = page(client, claim), page(client, study), page(client, substance)

    unverify = services.study_update(study=study, by=make_reviewer(), is_verified=False).pending
    rename = services.substance_update(substance=substance, by=make_reviewer(), summary="Newly curated.").pending
    assert (page(client, claim), page(client, study), page(client, substance)) == (
        claim_page,
        study_page,
        substance_page,
    )
    services.change_approve(request=unverify, by=make_editor(), note="Identifier failed a re-check.")
    services.change_approve(request=rename, by=make_editor(), note="Summary added.")
    assert client.get(study.get_absolute_url()).status_code == 404
    assert page(client, claim) != claim_page
    assert "Newly curated." in client.get(substance.get_absolute_url()).content.decode()


def test_new_rows_for_a_public_claim_appear_only_on_approval(client):
    article, claim = make_article(), make_claim()
    before = page(client, claim), page(client, article)
    outcome = services.passage_create(
        article=article, claim=claim, quote="Long-term use may lead to dependence.", by=make_reviewer()
    )
    assert outcome.staged and outcome.obj.pk is None
    assert (page(client, claim), page(client, article)) == before
    services.change_approve(request=outcome.pending, by=make_editor(), note="Passage marked.")
    passage = claim.passages.get()
    assert f'id="passage-{passage.pk}"' in client.get(article.get_absolute_url()).content.decode()


def test_a_passage_keeps_its_id_across_an_approved_edit():
    article, claim = make_article(), make_claim()
    passage = make_passage(article=article, claim=claim, quote="Long-term use may lead to dependence.")
    proposal = services.passage_update(
        passage=passage,
        by=make_reviewer(),
        quote="Kratom is safe when used responsibly.",
        wording="overstated",
        wording_note="Safety is asserted without evidence.",
    ).pending
    services.change_approve(request=proposal, by=make_editor(), note="Re-anchored.")
    moved = claim.passages.get()
    assert moved.pk == passage.pk and moved.quote == "Kratom is safe when used responsibly."
    assert article.text[moved.start : moved.end] == moved.quote


def test_a_passage_not_placed_exactly_stays_hidden_until_confirmed(client):
    article, claim = make_article(), make_claim()
    passage = make_passage(article=article, claim=claim, quote="Long-term use may lead to dependence.")
    assert passage in claim.passages.published()
    type(passage).objects.filter(pk=passage.pk).update(placement="fuzzy", match_score=91.0)  # as a re-anchoring would
    assert passage not in claim.passages.published()
    assert f'id="passage-{passage.pk}"' not in client.get(article.get_absolute_url()).content.decode()


def test_a_stale_edit_through_the_service_is_refused_with_a_message():
    claim = make_claim(status=Status.DRAFT)
    read = claim.version
    services.claim_update(claim=claim, by=make_reviewer(), summary="First edit.")
    with pytest.raises(services.EditConflict, match="Someone else changed this claim"):
        services.claim_update(claim=claim, by=make_editor(), summary="Second edit.", expected_version=read)
    claim.refresh_from_db()
    assert claim.summary == "First edit."


def test_a_public_item_that_has_been_published_is_withdrawn_never_deleted():
    claim = make_claim()
    with pytest.raises(ValidationError, match="withdrawn, not deleted"):
        services.library_delete(obj=claim, by=make_editor())
    assert Claim.objects.filter(pk=claim.pk).exists()


def test_an_import_that_loses_a_race_for_the_same_text_gets_a_message(monkeypatch):
    text = article_text(tag="race")
    make_article(text=text, source_name="first.txt")
    real_filter = SourceArticle.objects.filter

    def blind_filter(*args, **kwargs):  # the second import does not see the first one yet
        return (
            real_filter(pk=-1) if "content_hash" in kwargs or "source_name" in kwargs else real_filter(*args, **kwargs)
        )

    monkeypatch.setattr(SourceArticle.objects, "filter", blind_filter)
    with pytest.raises(services.ArticleImportError, match="clashes with another one"):
        services.article_import(text=text, source_name="second.txt", by=make_reviewer())
    monkeypatch.undo()
    assert SourceArticle.objects.count() == 1


def test_pasted_and_imported_copies_of_one_text_are_the_same_text(tmp_path):
    text = article_text(tag="newlines")
    path = tmp_path / "crlf.txt"
    path.write_bytes(text.replace("\n", "\r\n").encode())
    call_command("import_articles", str(path), verbosity=0)
    article = SourceArticle.objects.get()
    assert article.text == text
    assert (
        services.article_import(text=text.replace("\n", "\r"), source_name="cr.txt", by=make_reviewer()).created
        is False
    )


def test_the_seed_loader_proposes_rather_than_publishes_on_a_curated_database(editor):
    claim = make_claim()  # a curator's work: the database is curated now
    call_command("load_seed_library", verbosity=0)
    assert not Claim.objects.filter(slug="kratom-relieves-muscle-soreness", status=Status.PUBLISHED).exists()
    seeded = Claim.objects.get(slug="kratom-relieves-muscle-soreness")
    assert seeded.status == Status.IN_REVIEW and seeded.submitted_by is None
    assert Study.objects.filter(status=Status.IN_REVIEW).exists() and not ClaimVersion.objects.exclude(claim=claim)
    assert Substance.objects.filter(slug="kratom", status=Status.IN_REVIEW).exists()


def test_existing_published_claims_get_version_one_with_an_unknown_approver():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("evidence.migrations.0006_existing_content_is_approved")
    claim = make_claim()
    Claim.objects.filter(pk=claim.pk).update(status=Status.PUBLISHED)
    other = make_claim(status=Status.DRAFT)
    before = ClaimVersion.objects.count()
    migration.approve_existing(apps, None)  # claims that already have a version are left alone
    assert ClaimVersion.objects.count() == before and not other.versions.exists()


def test_warnings_and_their_relations_change_only_on_approval(client):
    claim = make_claim()
    warning = make_warning(claims=[claim])
    before = page(client, warning)
    proposal = services.warning_update(warning=warning, by=make_reviewer(), m2m={"claims": []}).pending
    assert page(client, warning) == before
    services.change_approve(request=proposal, by=make_editor(), note="Not related after all.")
    assert page(client, warning) != before


def test_the_approval_page_shows_the_change_and_applies_it(client, editor_client):
    claim = make_claim()
    proposal = services.claim_update(
        claim=claim, by=make_reviewer(), verdict="mixed", change_note="Two new trials."
    ).pending
    url = reverse("admin:evidence_changerequest_change", args=[proposal.pk])
    shown = editor_client.get(url).content.decode()
    assert "verdict" in shown and "insufficient" in shown and "mixed" in shown and "Two new trials." in shown
    response = editor_client.post(url, {"decision": "approve", "note": "Two new trials."})
    assert response.status_code == 302
    proposal.refresh_from_db()
    claim.refresh_from_db()
    assert proposal.state == ChangeRequest.State.APPROVED and claim.verdict == "mixed"
    assert claim.versions.order_by("-number").first().change_note == "Two new trials."


def test_an_editor_who_marked_passages_in_a_draft_article_cannot_publish_the_article():
    editor = make_editor()
    article = make_article(status=Status.DRAFT)
    claim = make_claim(status=Status.DRAFT)
    services.passage_create(article=article, claim=claim, quote="Long-term use may lead to dependence.", by=editor)
    services.submit(obj=article, by=make_reviewer())
    with pytest.raises(PermissionDenied):
        services.publish(obj=article, by=editor, note="Ready.")


def test_an_admin_import_that_loses_a_race_gets_a_message_not_a_server_error(editor_client, monkeypatch):
    def lost_race(**kwargs):
        raise services.ArticleImportError("This source article clashes with another one saved at the same moment")

    monkeypatch.setattr(services, "article_import", lost_race)
    data = {"source_name": "race.txt", "original_url": "", "site": "", "text": article_text(tag="admin-race")}
    response = editor_client.post(reverse("admin:evidence_sourcearticle_add"), data, follow=True)
    assert response.status_code == 200
    assert "The article was not imported" in response.content.decode()
    assert not SourceArticle.objects.filter(source_name="race.txt").exists()
