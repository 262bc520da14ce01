"""What curators tripped over: pasted quotes in other typography, the study picker's order, the
placement shown before a quote is found, and making a reviewer or an editor account."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from evidence import services
from evidence.models import Passage, Status
from evidence.text import QuoteAmbiguous, QuoteNotFound, match_quote
from tests.factories import article_text, make_article, make_claim, make_reviewer, make_study

pytestmark = pytest.mark.django_db

ARTICLE = "Intro\nIt’s said kratom eases pain – users report relief.\nKratom isn’t “safe”.\nEnd"


def test_a_quote_pasted_in_plain_typography_is_found_and_stored_as_the_article_writes_it():
    start, exact = match_quote(ARTICLE, "It's said kratom eases pain - users report relief.")
    assert exact == "It’s said kratom eases pain – users report relief."
    assert ARTICLE[start : start + len(exact)] == exact
    start, exact = match_quote(ARTICLE, 'Kratom  isn\'t\n"safe".')
    assert exact == "Kratom isn’t “safe”."
    assert match_quote("Wait… what", "Wait... what") == (0, "Wait… what")


def test_an_absent_or_repeated_quote_is_still_refused_and_an_offset_means_exactly_there():
    with pytest.raises(QuoteNotFound):
        match_quote(ARTICLE, "It's said kratom cures pain.")
    with pytest.raises(QuoteAmbiguous):
        match_quote("It’s fine. It’s fine.", "It's fine.")
    with pytest.raises(QuoteNotFound):
        match_quote(ARTICLE, "It's said kratom eases pain", start=6)


def test_the_admin_stores_the_articles_characters_for_a_quote_pasted_with_straight_apostrophes(reviewer_client):
    article = make_article(article_text(extra_paragraphs=["It’s safe – they say – for everyone."]), status=Status.DRAFT)
    claim = make_claim(status=Status.DRAFT)
    response = reviewer_client.post(
        reverse("admin:evidence_passage_add"),
        {
            "article": article.pk,
            "claim": claim.pk,
            "quote": "It's safe - they say - for everyone.",
            "wording": "accurate",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    passage = Passage.objects.get()
    assert passage.quote == "It’s safe – they say – for everyone."
    assert article.text[passage.start : passage.end] == passage.quote


def test_services_anchor_a_quote_in_other_typography_too():
    article = make_article(article_text(extra_paragraphs=["It’s safe – they say."]), status=Status.DRAFT)
    outcome = services.passage_create(
        article=article, claim=make_claim(status=Status.DRAFT), quote="It's safe - they say.", by=make_reviewer()
    )
    assert outcome.obj.quote == "It’s safe – they say."


def test_the_study_picker_lists_the_first_author_before_a_co_author(reviewer_client):
    co_author = make_study(authors="Smith A, Grundmann O, Veltri CA", title="Kratom use in the United States")
    first_author = make_study(authors="Grundmann O", title="Patterns of kratom use")
    url = reverse("admin:autocomplete")
    params = {"term": "Grundmann", "app_label": "evidence", "model_name": "evidence", "field_name": "study"}
    results = reviewer_client.get(url, params).json()["results"]
    assert [int(r["id"]) for r in results] == [first_author.pk, co_author.pk]
    exact = reviewer_client.get(url, {**params, "term": co_author.key}).json()["results"]
    assert int(exact[0]["id"]) == co_author.pk


def test_a_new_passage_does_not_claim_an_exact_placement_before_its_quote_is_found(reviewer_client):
    page = reviewer_client.get(reverse("admin:evidence_passage_add")).content.decode()
    assert "Not located yet" in page
    assert ">Exact<" not in page


def test_create_curator_makes_a_staff_account_with_its_role_and_no_superuser_powers(tmp_path, capsys):
    secret = tmp_path / "password"
    secret.write_text("a-long-curator-passphrase-42\n")
    call_command("create_curator", "rita", role="reviewer", password_file=secret)
    user = User.objects.get(username="rita")
    assert user.is_staff and not user.is_superuser
    assert [g.name for g in user.groups.all()] == ["Reviewer"]
    assert user.check_password("a-long-curator-passphrase-42")
    call_command("create_curator", "eddie", role="editor", password_file=secret)
    assert "setup_two_factor eddie" in capsys.readouterr().out
    assert User.objects.get(username="eddie").has_perm("evidence.publish_claim")


def test_create_curator_refuses_a_taken_name_and_a_weak_password_and_creates_nothing(tmp_path):
    secret = tmp_path / "password"
    secret.write_text("a-long-curator-passphrase-42")
    call_command("create_curator", "rita", role="reviewer", password_file=secret)
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_curator", "rita", role="editor", password_file=secret)
    weak = tmp_path / "weak"
    weak.write_text("123")
    with pytest.raises(CommandError, match="password was refused"):
        call_command("create_curator", "sam", role="reviewer", password_file=weak)
    assert not User.objects.filter(username="sam").exists()
