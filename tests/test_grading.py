"""What readers and other sites rely on beyond the grade itself: the public legend, a claim's
polarity, reviewers' notes on articles, where a study link leads, and addresses that moved."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from evidence import services
from evidence.models import WORDING_DEFINITIONS, Claim, Passage, Polarity, SlugRedirect, Status, Wording
from tests.factories import make_article, make_claim, make_editor, make_reviewer, make_study, settle

pytestmark = pytest.mark.django_db


def test_how_we_grade_states_the_wording_definition_against_the_linked_claim(client):
    page = client.get(reverse("evidence:how-we-grade")).content.decode()
    for wording in Wording:
        assert str(WORDING_DEFINITIONS[wording]) in page
    assert "judged against the claim the passage is linked to" in page
    assert "A contradicted claim stated as fact is overstated" in page
    for label in ["Insufficient evidence", "Very low", "Benefit", "Harm"]:
        assert label in page
    # Every page's footer leads there.
    assert reverse("evidence:how-we-grade") in client.get(reverse("evidence:home")).content.decode()


def test_curators_meet_the_same_wording_definition_in_the_admin():
    help_text = str(Passage._meta.get_field("wording").help_text)
    assert "Judged against the claim this passage is linked to" in help_text
    for wording in Wording:
        assert str(WORDING_DEFINITIONS[wording]) in help_text


def test_a_claim_page_says_what_the_claim_would_mean_if_true(client):
    harm = make_claim(polarity=Polarity.HARM, verdict=Claim.Verdict.INSUFFICIENT)
    page = client.get(harm.get_absolute_url()).content.decode()
    assert 'data-polarity="harm"' in page
    assert "If true: harm" in page


def test_a_claim_with_an_unknown_polarity_is_refused_by_the_database():
    from django.db import IntegrityError, transaction

    claim = make_claim()
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(polarity="good-news")


def test_an_articles_reviewer_note_is_shown_above_its_text(client):
    article = make_article()
    outcome = services.article_update(
        article=article, by=make_reviewer(), reviewer_note="The article links to **its publisher's own shop**."
    )
    settle(outcome, by=make_editor())
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Reviewer’s note on this article" in page
    assert (
        "<strong>its publisher&#x27;s own shop</strong>" in page or "<strong>its publisher's own shop</strong>" in page
    )


def test_a_study_with_a_doi_links_readers_to_doi_org_not_to_the_copy_it_was_checked_on(client):
    mirror = "https://mirror.example.org/copy-of-the-paper"
    with_doi = make_study(doi="10.1000/example.1", url=mirror)
    page = client.get(with_doi.get_absolute_url()).content.decode()
    assert 'href="https://doi.org/10.1000/example.1"' in page
    assert f'href="{mirror}"' not in page
    with_pmid = make_study(pmid="12345678", url=mirror)
    assert with_pmid.reader_url == "https://pubmed.ncbi.nlm.nih.gov/12345678/"
    only_url = make_study(url=mirror)
    assert f'href="{mirror}"' in client.get(only_url.get_absolute_url()).content.decode()


# --- addresses that moved -------------------------------------------------------------------------


def test_an_old_claim_address_answers_301_to_the_new_one_keeping_the_query(client):
    make_claim(slug="kratom-liver-disease-caution")
    services.slug_redirect_save(
        model=Claim, old_slug="kratom-liver-kidney-caution", new_slug="kratom-liver-disease-caution", by=make_editor()
    )
    response = client.get("/claims/kratom-liver-kidney-caution/?utm=x")
    assert response.status_code == 301
    assert response["Location"] == "/claims/kratom-liver-disease-caution/?utm=x"
    assert client.get(response["Location"]).status_code == 200


def test_renames_chain_and_a_public_item_at_the_old_address_wins(client):
    editor = make_editor()
    make_claim(slug="third-name")
    services.slug_redirect_save(model="claim", old_slug="first-name", new_slug="second-name", by=editor)
    services.slug_redirect_save(model="claim", old_slug="second-name", new_slug="third-name", by=editor)
    assert client.get("/claims/first-name/")["Location"] == "/claims/third-name/"

    holder = make_claim(slug="first-name")
    assert client.get("/claims/first-name/").status_code == 200
    assert client.get("/claims/first-name/").context["object"] == holder


def test_a_withdrawn_claim_whose_address_moved_redirects_instead_of_410(client):
    make_claim(slug="old-address", status=Status.WITHDRAWN)
    assert client.get("/claims/old-address/").status_code == 410
    make_claim(slug="new-address")
    services.slug_redirect_save(model=Claim, old_slug="old-address", new_slug="new-address", by=make_editor())
    assert client.get("/claims/old-address/")["Location"] == "/claims/new-address/"


def test_the_same_rule_covers_articles_warnings_studies_and_substances(client):
    editor = make_editor()
    article = make_article()
    services.slug_redirect_save(model="sourcearticle", old_slug="an-old-title", new_slug=article.slug, by=editor)
    assert client.get("/articles/an-old-title/")["Location"] == article.get_absolute_url()
    study = make_study()
    services.slug_redirect_save(model="study", old_slug="old-study-key", new_slug=study.key, by=editor)
    assert client.get("/studies/old-study-key/")["Location"] == study.get_absolute_url()
    assert client.get("/warnings/never-existed/").status_code == 404


def test_a_redirect_loop_is_refused_and_only_curators_add_redirects():
    editor = make_editor()
    services.slug_redirect_save(model=Claim, old_slug="a", new_slug="b", by=editor)
    with pytest.raises(ValidationError):
        services.slug_redirect_save(model=Claim, old_slug="b", new_slug="a", by=editor)
    with pytest.raises(ValidationError):
        services.slug_redirect_save(model=Claim, old_slug="c", new_slug="c", by=editor)
    with pytest.raises(PermissionDenied):
        services.slug_redirect_save(model=Claim, old_slug="d", new_slug="e", by=None)
    assert SlugRedirect.objects.count() == 1


def test_a_draft_claim_is_not_reachable_through_a_redirect(client):
    draft = make_claim(status=Status.DRAFT, slug="a-draft")
    services.slug_redirect_save(model=Claim, old_slug="older-draft-name", new_slug=draft.slug, by=make_editor())
    response = client.get("/claims/older-draft-name/", follow=True)
    assert response.status_code == 404


def test_an_editor_renames_a_published_claim_and_the_old_address_redirects_after_approval(client):
    from tests.factories import make_reviewer_editor

    claim = make_claim(slug="kratom-first-wording")
    outcome = services.claim_update(claim=claim, by=make_editor(), slug="kratom-better-wording")
    assert client.get("/claims/kratom-first-wording/").status_code == 200  # not renamed until approved
    services.change_approve(request=outcome.pending, by=make_reviewer_editor(), note="A clearer address.")
    response = client.get("/claims/kratom-first-wording/v1/?ref=wiki")
    assert (response.status_code, response["Location"]) == (301, "/claims/kratom-better-wording/v1/?ref=wiki")
    assert client.get("/claims/kratom-better-wording/").status_code == 200


def test_only_editors_see_a_published_slug_as_editable_in_the_admin(reviewer_client, editor_client):
    claim = make_claim()
    url = reverse("admin:evidence_claim_change", args=[claim.pk])
    assert 'name="slug"' not in reviewer_client.get(url).content.decode()
    assert 'name="slug"' in editor_client.get(url).content.decode()
