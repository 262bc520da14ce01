import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from evidence.models import Claim, Evidence, Passage, Study
from tests.factories import make_article, make_claim, make_passage, make_study

pytestmark = pytest.mark.django_db


def test_database_refuses_a_second_evidence_row_for_the_same_claim_and_study():
    claim, study = make_claim(), make_study()
    Evidence.objects.create(claim=claim, study=study, direction="supports")
    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.create(claim=claim, study=study, direction="contradicts")


@pytest.mark.parametrize(
    "field, value",
    [("verdict", "probably"), ("certainty", "very low"), ("topic", "gossip"), ("status", "live")],
)
def test_database_refuses_a_claim_value_outside_its_choices(field, value):
    claim = make_claim()
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(**{field: value})


def test_stored_verdict_and_certainty_values_are_the_documented_ones():
    assert Claim.Verdict.values == ["supported", "mixed", "insufficient", "contradicted", "unverifiable"]
    assert Claim.Certainty.values == ["high", "moderate", "low", "very-low"]
    assert Passage.Wording.values == ["accurate", "overstated", "understated", "misrepresented"]


def test_database_refuses_a_passage_whose_offsets_do_not_span_its_quote():
    article, claim = make_article(), make_claim()
    quote = "Long-term use may lead to dependence."
    start = article.text.index(quote)
    with pytest.raises(IntegrityError), transaction.atomic():
        Passage.objects.create(article=article, claim=claim, quote=quote, start=start, end=start + 5)


def test_passage_whose_quote_is_not_the_text_at_its_offsets_is_refused_with_a_message():
    article, claim = make_article(), make_claim()
    quote = "Long-term use may lead to dependence."
    passage = Passage(article=article, claim=claim, quote=quote, start=0, end=len(quote))
    with pytest.raises(ValidationError) as error:
        passage.full_clean()
    assert "not this quote" in str(error.value)


def test_overlapping_passages_in_one_article_are_refused():
    article, claim = make_article(), make_claim()
    make_passage(article=article, claim=claim, quote="Long-term use may lead to dependence.")
    with pytest.raises(ValidationError) as error:
        make_passage(article=article, claim=claim, quote="may lead to dependence")
    assert "overlaps" in str(error.value)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (exclusion constraints)")
def test_postgres_refuses_overlapping_passages_that_skip_the_model_check():
    article, claim = make_article(), make_claim()
    quote = "Long-term use may lead to dependence."
    make_passage(article=article, claim=claim, quote=quote)
    inner = "may lead to dependence"
    start = article.text.index(inner)
    with pytest.raises(IntegrityError, match="evidence_passage_no_overlap"), transaction.atomic():
        Passage.objects.create(article=article, claim=claim, quote=inner, start=start, end=start + len(inner))
    touching = "In short"
    start = article.text.index(touching)
    Passage.objects.create(article=article, claim=claim, quote=touching, start=start, end=start + len(touching))


def test_database_refuses_a_verified_study_without_any_identifier():
    with pytest.raises(IntegrityError), transaction.atomic():
        Study.objects.create(
            key="no-ids", title="No identifiers", design="animal", population="animals", is_verified=True
        )


def test_database_refuses_two_studies_with_the_same_doi_but_allows_many_without_one():
    make_study(doi="10.1000/example.1")
    make_study(doi="", url="https://example.org/a")
    make_study(doi="", url="https://example.org/b")
    with pytest.raises(IntegrityError), transaction.atomic():
        Study.objects.create(key="dup", title="Dup", design="animal", population="animals", doi="10.1000/example.1")


def test_a_study_with_an_unconfirmed_author_list_shows_no_author_in_its_citation():
    study = make_study(authors="", authors_confirmed=False, year=2018, venue="J Psychoactive Drugs")
    assert study.first_author == ""
    assert "2018" in study.short_citation


def test_a_passage_worded_other_than_accurate_needs_a_note():
    article, claim = make_article(), make_claim()
    with pytest.raises(ValidationError) as error:
        make_passage(article=article, claim=claim, quote="Long-term use may lead to dependence.", wording="overstated")
    assert "wording_note" in error.value.message_dict


def test_a_passage_must_lie_inside_one_block_of_the_article():
    article, claim = make_article(), make_claim()
    with pytest.raises(ValidationError) as error:
        make_passage(article=article, claim=claim, quote="- Dosage and Safety")
    assert "inside one paragraph" in str(error.value)


def test_database_refuses_a_published_claim_without_a_summary_and_a_loaded_wording_without_a_note():
    claim = make_claim()
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(summary="")
    passage = make_passage(article=make_article(), claim=claim, quote="Long-term use may lead to dependence.")
    with pytest.raises(IntegrityError), transaction.atomic():
        Passage.objects.filter(pk=passage.pk).update(wording="overstated")


def test_clearing_a_published_claims_summary_is_refused_with_a_message_when_proposed():
    from evidence import services
    from tests.factories import make_reviewer

    claim = make_claim()
    with pytest.raises(ValidationError, match="needs a reviewer's summary"):
        services.claim_update(claim=claim, by=make_reviewer(), summary="")
