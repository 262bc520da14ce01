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
    response = editor_client.post(
        url, {"decision": "approve", "note": "Two new trials.", "seen": services.items_seen(proposal)}
    )
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


# --- found by an adversarial review of the publication path -----------------------------------------


def test_draft_substances_never_show_as_a_public_substances_part_or_parent(client, reviewer_client):
    parent = make_substance(name="Mitragyna", slug="mitragyna")
    before = page(client, parent), client.get("/substances/").content
    response = reviewer_client.post(
        reverse("admin:evidence_substance_add"),
        {"name": "Draftine", "slug": "draftine", "kind": "alkaloid", "synonyms": "[]", "parent": parent.pk},
    )
    assert response.status_code == 302 and Substance.objects.get(slug="draftine").status == Status.DRAFT
    assert (page(client, parent), client.get("/substances/").content) == before
    child = make_substance(name="Childine", slug="childine")
    draft_parent = services.substance_create(by=make_reviewer(), name="Drafted", slug="drafted", kind="plant").obj
    proposal = services.substance_update(substance=child, by=make_reviewer(), parent=draft_parent).pending
    services.change_approve(request=proposal, by=make_editor(), note="Grouped.")
    assert "Drafted" not in client.get(child.get_absolute_url()).content.decode()


def test_an_unfound_reference_shows_only_with_its_published_article(client):
    claim = make_claim(verdict="unverifiable")
    draft_article = make_article(status=Status.DRAFT)
    services.unfound_reference_create(
        article=draft_article, claim=claim, citation="Roe 2030", searched="Nothing found.", by=make_reviewer()
    )
    before = page(client, claim)
    services.article_update(article=draft_article, by=make_reviewer(), title="Retitled by one person")
    assert page(client, claim) == before and b"Roe 2030" not in before[1]


@pytest.mark.parametrize("how", ["delete", "move"])
def test_removing_or_moving_a_passage_out_of_a_draft_article_counts_as_work_on_it(how):
    article, elsewhere = make_article(status=Status.DRAFT), make_article(status=Status.DRAFT)
    claim = make_claim()
    passage = make_passage(article=article, claim=claim, quote="Long-term use may lead to dependence.")
    services.submit(obj=article, by=make_reviewer())
    editor = make_editor()
    if how == "delete":
        services.passage_delete(passage=passage, by=editor)
    else:
        services.passage_update(passage=passage, by=editor, article=elsewhere)
    with pytest.raises(PermissionDenied):
        services.publish(obj=article, by=editor, note="Ready.")


@pytest.mark.parametrize(
    "values, m2m",
    [
        ({}, {"passages": []}),
        ({}, {"evidence": []}),
        ({"submitted_by_id": 1}, {}),
        ({"status": "published"}, {}),
        ({"version": 1}, {}),
    ],
)
def test_a_write_names_only_the_items_own_editable_fields(values, m2m):
    claim = make_claim(status=Status.DRAFT)
    with pytest.raises(ValidationError):
        services.library_save(obj=claim, by=make_reviewer(), values=values, m2m=m2m)


def test_a_substance_cannot_be_part_of_itself():
    substance = make_substance(status=Status.DRAFT)
    with pytest.raises(ValidationError, match="part of itself"):
        services.substance_update(substance=substance, by=make_reviewer(), parent=substance)


def test_an_approval_refuses_a_change_that_grew_after_the_approver_read_it():
    claim = make_claim()
    proposal = services.claim_update(claim=claim, by=make_reviewer(), summary="A typo fixed.").pending
    read = services.items_seen(proposal)
    services.claim_update(claim=claim, by=make_reviewer(), verdict="supported", certainty="high")
    with pytest.raises(ValidationError, match="read it again"):
        services.change_approve(request=proposal, by=make_editor(), note="Typo.", seen=read)
    claim.refresh_from_db()
    assert claim.verdict == "insufficient"


def test_a_system_actor_writes_directly_only_inside_system_writes_on_an_uncurated_database():
    claim = make_claim()  # curated from here on
    with pytest.raises(PermissionDenied):
        services.library_save(obj=claim, by="seed-library", values={"verdict": "supported"}, direct=True)
    with pytest.raises(PermissionDenied), services.system_writes("seed-library"):
        pass
    in_review = make_claim(status=Status.IN_REVIEW)
    with pytest.raises(PermissionDenied):
        services.publish(obj=in_review, by="seed-library", note="Seeded.")
    claim.refresh_from_db()
    assert claim.verdict == "insufficient"


def test_approving_a_relation_to_a_row_deleted_meanwhile_is_refused_with_a_message():
    claim = make_claim()
    draft = services.substance_create(by=make_reviewer(), name="Gone", slug="gone", kind="alkaloid").obj
    proposal = services.claim_update(claim=claim, by=make_reviewer(), m2m={"substances": [draft]}).pending
    services.library_delete(obj=draft, by=make_editor())
    with pytest.raises(ValidationError, match="no longer exists"):
        services.change_approve(request=proposal, by=make_editor(), note="Adds the substance.")


def test_a_passage_moved_between_public_claims_records_a_version_of_both():
    article, first, second = make_article(), make_claim(), make_claim()
    passage = make_passage(article=article, claim=first, quote="Long-term use may lead to dependence.")
    counts = first.versions.count(), second.versions.count()
    proposal = services.passage_update(passage=passage, by=make_reviewer(), claim=second).pending
    services.change_approve(request=proposal, by=make_editor(), note="Linked to the right claim.")
    assert (first.versions.count(), second.versions.count()) == (counts[0] + 1, counts[1] + 1)
    assert second.versions.order_by("-number").first().snapshot["passages"][0]["id"] == passage.pk


def test_deleting_published_items_with_the_bulk_action_is_a_message_and_deletes_nothing(editor_client):
    substances = [make_substance(), make_substance(status=Status.DRAFT)]
    url = reverse("admin:evidence_substance_changelist")
    selection = [f"{s.pk},{s.version}" for s in substances]
    response = editor_client.post(
        url, {"action": "delete_selected", "_selected_action": selection, "post": "yes"}, follow=True
    )
    assert response.status_code == 200 and "withdrawn, not deleted" in response.content.decode()
    assert Substance.objects.filter(pk__in=[s.pk for s in substances]).count() == 2


@pytest.mark.parametrize("selection", ["abc,1", ","])
def test_a_malformed_selection_is_a_message_not_a_server_error(editor_client, selection):
    make_claim(status=Status.IN_REVIEW)
    url = reverse("admin:evidence_claim_changelist")
    response = editor_client.post(url, {"action": "submit_for_review", "_selected_action": [selection]}, follow=True)
    assert response.status_code == 200 and "select the items again" in response.content.decode()


def test_a_non_numeric_autocomplete_value_is_a_form_error_not_a_server_error(reviewer_client):
    url = reverse("admin:evidence_passage_add")
    response = reviewer_client.post(url, {"article": "abc", "claim": "abc", "quote": "x", "wording": "accurate"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()


def test_a_curator_confirms_a_placement_and_a_second_person_approves_before_it_shows(client, reviewer_client):
    article, claim = make_article(), make_claim()
    passage = make_passage(article=article, claim=claim, quote="Long-term use may lead to dependence.")
    type(passage).objects.filter(pk=passage.pk).update(placement="fuzzy", match_score=91.0)  # as a re-anchoring would
    passage.refresh_from_db()
    url = reverse("admin:evidence_passage_changelist")
    reviewer_client.post(url, {"action": "confirm_placement", "_selected_action": [f"{passage.pk},{passage.version}"]})
    assert f'id="passage-{passage.pk}"' not in client.get(article.get_absolute_url()).content.decode()
    proposal = ChangeRequest.objects.get(state="pending")
    services.change_approve(request=proposal, by=make_editor(), note="Placement checked against the text.")
    passage.refresh_from_db()
    assert (passage.placement, passage.match_score) == ("exact", 100.0)
    assert f'id="passage-{passage.pk}"' in client.get(article.get_absolute_url()).content.decode()


def test_an_editor_cannot_write_and_publish_a_claim_in_the_admin_alone(editor_client, editor):
    data = {
        "statement": "An editor's claim.",
        "slug": "an-editors-claim",
        "topic": "efficacy",
        "verdict": "insufficient",
        "certainty": "very-low",
        "polarity": "neutral",
        "summary": "Nothing addresses it.",
        "status": "published",
        "change_note": "Publishing at once.",
    }
    for prefix in ("evidence", "passages", "unfound_references"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = editor_client.post(reverse("admin:evidence_claim_add"), data)
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()  # new: draft only
    assert not Claim.objects.filter(slug="an-editors-claim").exists()
    response = editor_client.post(reverse("admin:evidence_claim_add"), {**data, "status": "draft"})
    claim = Claim.objects.get(slug="an-editors-claim")
    services.submit(obj=claim, by=editor)
    claim.refresh_from_db()
    from concurrency.forms import get_signer

    publish = {**data, "version": get_signer().sign(claim.version), "status": "published"}
    response = editor_client.post(reverse("admin:evidence_claim_change", args=[claim.pk]), publish)
    assert response.status_code == 200 and "another editor must approve" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == Status.IN_REVIEW
