"""The scale generator (evidence/scale.py, ``manage.py generate_library``): a synthetic library that
keeps every rule of the model, reads like the real one to the pages and to search, is the same for
a seed, and is never written next to curated content."""

import hashlib
import json
import re
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Count

from evidence.links import url_key
from evidence.models import (
    Claim,
    ClaimVersion,
    Evidence,
    Passage,
    SourceArticle,
    Status,
    Study,
    Substance,
    Warning,
    text_hash,
)
from evidence.scale import DOI_PREFIX, SOURCE_PREFIX, LibraryNotEmpty, SizeError, Sizes, generate
from evidence.services.versions import claim_snapshot
from evidence.signals import content_version
from evidence.text import context_around, fits_one_block, parse_article
from tests.factories import make_claim

pytestmark = pytest.mark.django_db

SMALL = Sizes.for_claims(300, articles=30, studies=150, heavy_articles=3)
LIBRARY_MODELS = [Substance, Study, Claim, Evidence, SourceArticle, Passage, Warning, ClaimVersion]


@pytest.fixture
def library(db):
    """A small generated library (300 claims, 30 articles of which 3 have 50 passages)."""
    return generate(SMALL, seed=1)


def row_counts():
    return {model.__name__: model.objects.count() for model in LIBRARY_MODELS}


def digest():
    """What a reader sees of the library, without row ids or timestamps."""
    parts = [
        list(Claim.objects.order_by("slug").values_list("slug", "statement", "verdict", "certainty", "status")),
        list(
            SourceArticle.objects.order_by("source_name").values_list("source_name", "slug", "content_hash", "status")
        ),
        list(Study.objects.order_by("key").values_list("key", "title", "doi", "year", "design")),
        sorted(Passage.objects.values_list("article__source_name", "start", "end", "claim__slug", "wording")),
        sorted(Evidence.objects.values_list("claim__slug", "study__key", "direction")),
        list(Warning.objects.order_by("slug").values_list("slug", "severity", "status")),
    ]
    return hashlib.sha256(json.dumps(parts, cls=DjangoJSONEncoder).encode()).hexdigest()


def test_it_writes_the_sizes_asked_for(library):
    assert Claim.objects.count() == 300
    assert SourceArticle.objects.count() == 30
    assert Study.objects.count() == 150
    assert Warning.objects.count() == SMALL.warnings == 1
    # About three evidence rows per claim, one study at most once per claim.
    assert 800 <= Evidence.objects.count() <= 1000
    heavy = SourceArticle.objects.annotate(n=Count("passages")).filter(n=50)
    assert heavy.count() == 3
    assert library["passages"] == Passage.objects.count()
    # Most items are public; every public claim has its first review version.
    assert Claim.objects.published().count() > 250
    assert Claim.objects.exclude(status=Status.PUBLISHED).exists()
    public = Claim.objects.filter(status__in=[Status.PUBLISHED, Status.WITHDRAWN])
    assert ClaimVersion.objects.filter(number=1).count() == public.count() == library["claim versions"]


def test_every_passage_is_where_its_offsets_say_with_its_context(library):
    passages = list(Passage.objects.select_related("article"))
    assert len(passages) > 300
    for passage in passages:
        text = passage.article.text
        assert text[passage.start : passage.end] == passage.quote
        assert fits_one_block(text, passage.start, passage.end)
        assert (passage.prefix, passage.suffix) == context_around(text, passage.start, passage.end, 32)
        assert passage.placement == Passage.Placement.EXACT


def test_every_article_parses_with_its_hash_and_title(library):
    for article in SourceArticle.objects.all():
        structure = parse_article(article.text)
        assert article.content_hash == text_hash(article.text)
        assert article.title == structure.title
        assert article.source_name.startswith(SOURCE_PREFIX)
        assert article.stated_author == structure.stated_author
        assert article.url_key == url_key(article.original_url) != ""
        assert article.full_text_shown and article.full_text_reason


def test_a_sample_of_every_model_passes_full_clean(library):
    for model in [Substance, Study, Claim, Evidence, SourceArticle, Passage, Warning, ClaimVersion]:
        sample = list(model.objects.order_by("pk")[::7][:25])
        assert sample, model
        for row in sample:
            row.full_clean()


def test_each_version_is_the_snapshot_the_workflow_would_record(library):
    for claim in Claim.objects.published().order_by("pk")[::5]:
        recorded = claim.versions.get(number=1)
        expected = json.loads(json.dumps(claim_snapshot(claim), cls=DjangoJSONEncoder))
        assert recorded.snapshot == expected
        assert recorded.approved_by_system == "scale-generator"


def test_studies_carry_no_real_looking_identifiers(library):
    assert not Study.objects.exclude(pmid="").exists()
    assert not Study.objects.exclude(doi__startswith=DOI_PREFIX).exists()
    assert DOI_PREFIX.startswith("10.5555/")  # the DOI handbook's prefix for examples and tests
    assert not Study.objects.exclude(title__startswith="Synthetic study ").exists()
    assert not Study.objects.exclude(authors="").exists()
    # Published studies are verified (the workflow's rule), unpublished ones are not.
    assert not Study.objects.filter(status=Status.PUBLISHED, is_verified=False).exists()


def test_kratom_is_the_commonest_term_and_rare_terms_exist(library):
    words = Counter()
    for text in SourceArticle.objects.values_list("text", flat=True):
        words.update(re.findall(r"[a-z0-9-]+", text.lower()))
    vocabulary = ["kratom", "pain", "dose", "opioid", "withdrawal", "mitragynine", "liver", "rhabdomyolysis"]
    counts = [words[term] for term in vocabulary]
    assert counts[0] == max(counts)
    assert counts[0] > 3 * words["liver"] > 0
    assert 0 < words["rhabdomyolysis"] < words["liver"]


def test_the_search_vocabulary_holds_every_published_statements_words(library):
    from evidence.models import SearchWord
    from evidence.search import words_of

    kept = set(SearchWord.objects.values_list("word", flat=True))
    expected = set()
    for claim in Claim.objects.published():
        expected |= words_of(claim)
    assert expected and expected <= kept


def test_the_pages_show_the_generated_library(library, client):
    claim = Claim.objects.published().filter(passages__isnull=False).order_by("pk").first()
    response = client.get("/claims/")
    assert response.status_code == 200
    assert Claim.objects.published().order_by("statement").first().statement in response.content.decode()

    response = client.get(claim.get_absolute_url())
    assert response.status_code == 200
    assert claim.statement in response.content.decode()

    heavy = SourceArticle.objects.published().annotate(n=Count("passages")).filter(n=50).order_by("pk").first()
    response = client.get(heavy.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    shown = Passage.objects.filter(article=heavy).published().count()
    assert shown > 40
    assert len(set(re.findall(r'id="passage-(\d+)"', page))) == shown

    response = client.get("/search/", {"q": "kratom"})
    assert response.status_code == 200
    page = response.content.decode()
    statements = Claim.objects.published().filter(statement__icontains="kratom").values_list("statement", flat=True)
    assert any(statement in page for statement in statements)


def test_the_same_seed_gives_the_same_library_and_another_seed_another(db):
    def generated(seed):
        with transaction.atomic():
            generate(Sizes.for_claims(60, articles=6, studies=30), seed=seed)
            result = digest()
            transaction.set_rollback(True)
        return result

    first = generated(7)
    assert row_counts()["Claim"] == 0  # rolled back
    assert generated(7) == first
    assert generated(8) != first


def test_it_moves_the_content_version_once(db, django_capture_on_commit_callbacks):
    before = content_version()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        generate(Sizes.for_claims(20, articles=2, studies=10), seed=1)
    assert len(callbacks) == 1
    assert content_version() == before + 1


def test_it_refuses_a_database_with_the_seed_library_and_writes_nothing(db):
    call_command("load_seed_library", verbosity=0)
    before = row_counts()
    with pytest.raises(CommandError, match="curated library content"):
        call_command("generate_library", "--claims", "20", verbosity=0)
    assert row_counts() == before


def test_it_refuses_a_database_with_one_curated_claim(db):
    make_claim(statement="A curator wrote this claim.")
    with pytest.raises(LibraryNotEmpty, match="curated library content"):
        generate(Sizes.for_claims(20), seed=1)
    assert list(Claim.objects.values_list("statement", flat=True)) == ["A curator wrote this claim."]


def test_it_refuses_to_generate_twice_into_one_database(library):
    before = row_counts()
    with pytest.raises(CommandError, match="already holds a generated library"):
        call_command("generate_library", "--claims", "20", verbosity=0)
    assert row_counts() == before


def test_the_command_writes_proportional_sizes_and_refuses_impossible_ones(db, capsys):
    call_command("generate_library", "--claims", "100", "--seed", "3", verbosity=1)
    out = capsys.readouterr().out
    assert "claims: 100" in out and "Generated a synthetic library (seed 3)" in out
    assert SourceArticle.objects.count() == 10
    assert Study.objects.count() == 50

    for args, message in [
        (["--claims", "0"], "--claims must be at least 1"),
        (["--claims", "10", "--articles", "2", "--heavy-articles", "3"], "cannot exceed --articles"),
        (["--claims", "10", "--evidence", "-1"], "cannot be negative"),
    ]:
        with pytest.raises(CommandError, match=message):
            call_command("generate_library", *args, verbosity=0)
    with pytest.raises(SizeError):
        Sizes.for_claims(10, studies=2, evidence=100)
