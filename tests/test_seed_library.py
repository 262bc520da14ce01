import shutil

import pytest
import yaml
from django.core.management import CommandError, call_command

from evidence.models import (
    Claim,
    Evidence,
    Passage,
    SourceArticle,
    Status,
    Study,
    Substance,
    UnfoundReference,
    Verdict,
    Warning,
)
from evidence.seeding import SEED_DIR
from evidence.text import parse_article

pytestmark = pytest.mark.django_db

MODELS = [Substance, Study, Claim, Evidence, SourceArticle, Passage, Warning, UnfoundReference]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def loaded(seed_library_module, db):
    """The seed library, loaded once for this module (tests/conftest.py)."""


@pytest.fixture
def seed_copy(tmp_path):
    target = tmp_path / "seed_library"
    shutil.copytree(SEED_DIR, target)
    return target


def edit_yaml(path, change):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def first_passage_file(seed_copy):
    return sorted((seed_copy / "passages").glob("*.yaml"))[0]


def break_quote(seed_copy):
    path = first_passage_file(seed_copy)
    edit_yaml(path, lambda data: data["passages"][0].update(quote="Kratom cures every known illness."))
    return f"passages/{path.name}", "does not occur in the article text"


def break_study(seed_copy):
    path = seed_copy / "claims.yaml"

    def change(claims):
        claim = next(c for c in claims if c.get("evidence"))
        claim["evidence"][0]["study"] = "nobody-2099-imaginary-trial"

    edit_yaml(path, change)
    return "claims.yaml", "unknown study 'nobody-2099-imaginary-trial'"


def break_verdict(seed_copy):
    path = seed_copy / "claims.yaml"
    edit_yaml(path, lambda claims: claims[0].pop("verdict"))
    return "claims.yaml", "verdict None is not one of"


def break_warning_study(seed_copy):
    path = seed_copy / "warnings.yaml"
    edit_yaml(path, lambda warnings: warnings[0]["studies"].append("made-up-key"))
    return "warnings.yaml", "unknown study 'made-up-key'"


@pytest.mark.parametrize("breakage", [break_quote, break_study, break_verdict, break_warning_study])
def test_an_invalid_seed_library_is_refused_naming_the_file_and_nothing_is_loaded(seed_copy, capsys, breakage):
    before = counts()
    file, message = breakage(seed_copy)
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_seed_library", path=str(seed_copy), verbosity=0)
    err = capsys.readouterr().err
    assert any(file in line and message in line for line in err.splitlines()), err
    assert counts() == before


def test_dry_run_validates_without_writing():
    before = counts()
    call_command("load_seed_library", dry_run=True, verbosity=0)
    assert counts() == before


def test_loading_twice_changes_nothing(loaded):
    before = counts()
    history = Claim.history.count() + Passage.history.count() + Warning.history.count()
    call_command("load_seed_library", verbosity=0)
    assert counts() == before
    assert Claim.history.count() + Passage.history.count() + Warning.history.count() == history


def test_the_seed_library_loads_the_five_articles_and_every_verified_study(loaded):
    assert SourceArticle.objects.count() == 5
    # The 45 studies of the project's checked reference list, and two clinical sources for the
    # background claims added in the 2026-12 review, each read on its publisher's page.
    assert Study.objects.count() == 47
    assert {"csat-2006-tip45-opioid-withdrawal-signs", "hotfiel-2018-doms-pathogenesis"} <= set(
        Study.objects.values_list("key", flat=True)
    )
    assert 30 <= Claim.objects.count() <= 60


def test_everything_loaded_is_published(loaded):
    assert not Claim.objects.exclude(status=Status.PUBLISHED).exists()
    assert not Warning.objects.exclude(status=Status.PUBLISHED).exists()


def test_every_claim_making_part_of_each_article_has_passages(loaded):
    for article in SourceArticle.objects.all():
        structure = parse_article(article.text)
        starts = list(article.passages.values_list("start", flat=True))

        def has_passage(block, starts=starts):
            return any(block.start <= s < block.end for s in starts)

        assert has_passage(structure.summary), article.source_name
        for section in structure.sections:
            assert any(has_passage(p) for p in section["paragraphs"]), (article.source_name, section["heading"])
        assert has_passage(structure.conclusion), article.source_name
        for passage in article.passages.all():
            assert article.text[passage.start : passage.end] == passage.quote


def test_contents_lines_and_headings_are_not_claims(loaded):
    for article in SourceArticle.objects.all():
        structure = parse_article(article.text)
        announcing = list(structure.contents) + [s["heading"] for s in structure.sections]
        for passage in article.passages.all():
            assert not any(b.start <= passage.start < b.end for b in announcing), passage.quote


def test_every_published_claim_has_a_summary_and_evidence_or_an_explicit_verdict(loaded):
    for claim in Claim.objects.published():
        assert claim.summary.strip(), claim.slug
        if not claim.evidence.exists():
            assert claim.verdict in {Verdict.INSUFFICIENT, Verdict.UNVERIFIABLE}, claim.slug


def test_no_study_lacks_a_doi_pmid_or_url(loaded):
    for study in Study.objects.all():
        assert study.doi or study.pmid or study.url, study.key
        assert study.is_verified and study.verified_on


def test_studies_with_inferred_authors_show_no_author_names(loaded, client):
    study = Study.objects.get(key="singh-2018-pain-sleep-cessation")
    assert not study.authors_confirmed and study.authors == ""
    page = client.get(study.get_absolute_url()).content.decode()
    assert "Not confirmed" in page
    assert "Singh" not in page  # the curators' provenance notes name the inferred author; they stay internal


def test_cited_sources_that_cannot_be_found_make_their_claims_unverifiable(loaded, client):
    references = UnfoundReference.objects.select_related("claim", "article")
    citations = {ref.citation for ref in references}
    assert any("Pharmacognosy Research" in c for c in citations)
    assert any("Journal of Ethnopharmacology" in c for c in citations)
    for ref in references:
        assert ref.claim.verdict == Verdict.UNVERIFIABLE
        page = client.get(ref.article.get_absolute_url()).content.decode()
        assert ref.citation in page


def test_the_hair_loss_and_fibromyalgia_claims_are_not_graded_as_supported(loaded):
    for claim in Claim.objects.filter(statement__iregex=r"hair|fibromyalgia"):
        assert claim.verdict in {Verdict.INSUFFICIENT, Verdict.UNVERIFIABLE, Verdict.CONTRADICTED}, claim.slug


def test_required_warnings_exist_with_studies_and_claims(loaded):
    titles = " ".join(Warning.objects.values_list("title", flat=True)).lower()
    for topic in [
        "dependence",
        "liver",
        "seizure",
        "interaction",
        "contaminat",
        "death",
        "7-hydroxymitragynine",
        "regulat",
    ]:
        assert topic in titles, topic
    for warning in Warning.objects.all():
        assert warning.studies.exists() and warning.claims.exists(), warning.slug


def test_article_that_gives_doses_without_mentioning_dependence_shows_it_left_out(loaded, client):
    muscle = SourceArticle.objects.get(source_name="000_cfb65b5ab12287d4.txt")
    omitted = {w.slug for w in Warning.objects.omitted_by(muscle)}
    assert {"dependence-and-withdrawal", "liver-injury"} <= omitted
    page = client.get(muscle.get_absolute_url()).content.decode()
    assert "What this article leaves out" in page

    pain = SourceArticle.objects.get(source_name="002_2038480a45c36397.txt")
    assert "dependence-and-withdrawal" not in {w.slug for w in Warning.objects.omitted_by(pain)}


def test_synonyms_readers_use_are_recorded(loaded):
    synonyms = {s for substance in Substance.objects.all() for s in substance.synonyms}
    assert {"7-OH", "MG", "ketum", "biak"} <= synonyms


def test_a_malformed_entry_is_reported_by_file_and_item_not_crashed_on(seed_copy, capsys):
    path = seed_copy / "claims.yaml"

    def change(claims):
        claim = next(c for c in claims if c.get("evidence"))
        claim["evidence"][0] = "just a study name"

    edit_yaml(path, change)
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_seed_library", path=str(seed_copy), verbosity=0)
    assert "is not a mapping of fields" in capsys.readouterr().err


def test_reloading_keeps_curators_edits_and_never_republishes_a_withdrawn_claim(loaded, editor, reviewer):
    from evidence import services
    from tests.factories import make_reviewer_editor

    edited = Claim.objects.get(slug="kratom-relieves-muscle-soreness")
    proposal = services.claim_update(claim=edited, by=reviewer, summary="A curator's newer summary.").pending
    services.change_approve(request=proposal, by=editor, note="Clearer summary.")
    withdrawn = Claim.objects.exclude(pk=edited.pk).first()
    proposal = services.claim_set_status(claim=withdrawn, status=Status.WITHDRAWN, by=editor, note="Unsafe.").pending
    services.change_approve(request=proposal, by=make_reviewer_editor(), note="Unsafe.")

    call_command("load_seed_library", verbosity=0)
    edited.refresh_from_db()
    withdrawn.refresh_from_db()
    assert edited.summary == "A curator's newer summary."
    assert withdrawn.status == Status.WITHDRAWN

    # The files win only through an editor: on a curated database --update proposes, it does not publish.
    call_command("load_seed_library", update=True, verbosity=0)
    edited.refresh_from_db()
    assert edited.summary == "A curator's newer summary."
    proposal = services.pending_for(edited).get()
    assert proposal.submitted_by_system == "seed-library"
    services.change_approve(request=proposal, by=editor, note="Seed library correction.")
    edited.refresh_from_db()
    withdrawn.refresh_from_db()
    assert edited.summary != "A curator's newer summary."
    assert withdrawn.status == Status.WITHDRAWN


def test_update_on_a_database_no_curator_touched_records_seed_corrections_as_versions(loaded, seed_copy):
    slug = "kratom-relieves-muscle-soreness"
    edit_yaml(
        seed_copy / "claims.yaml",
        lambda claims: next(c for c in claims if c["slug"] == slug).update(summary="A corrected summary."),
    )
    claim = Claim.objects.get(slug=slug)
    versions = claim.versions.count()
    call_command("load_seed_library", path=str(seed_copy), update=True, verbosity=0)
    claim.refresh_from_db()
    assert claim.summary == "A corrected summary."
    latest = claim.versions.order_by("-number").first()
    assert claim.versions.count() == versions + 1
    assert (latest.approved_by, latest.approved_by_system) == (None, "seed-library")
    assert "seed library correction" in latest.change_note.lower()
    assert latest.snapshot["summary"] == "A corrected summary."


def test_a_claim_renamed_in_the_files_keeps_its_history_and_its_old_address(loaded, seed_copy, client):
    old, new = "kratom-strains-maeng-da-bali", "kratom-strains-differ-in-pain-relief"
    for path in [*seed_copy.glob("*.yaml"), *(seed_copy / "passages").glob("*.yaml")]:
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    edit_yaml(
        seed_copy / "claims.yaml", lambda claims: next(c for c in claims if c["slug"] == new).update(formerly=[old])
    )
    claim = Claim.objects.get(slug=old)
    versions = claim.versions.count()

    call_command("load_seed_library", path=str(seed_copy), update=True, verbosity=0)

    renamed = Claim.objects.get(pk=claim.pk)
    assert renamed.slug == new
    assert not Claim.objects.filter(slug=old).exists()
    assert renamed.versions.count() == versions + 1
    assert renamed.versions.order_by("-number").first().snapshot["slug"] == new
    response = client.get(f"/claims/{old}/")
    assert (response.status_code, response["Location"]) == (301, f"/claims/{new}/")
    assert client.get(response["Location"]).status_code == 200


def test_a_former_slug_that_is_also_a_current_claim_is_refused(seed_copy, capsys):
    def claim_a_live_slug(claims):
        claims[1]["formerly"] = [claims[0]["slug"]]

    edit_yaml(seed_copy / "claims.yaml", claim_a_live_slug)
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_seed_library", path=str(seed_copy), dry_run=True, verbosity=0)
    assert "also listed as another claim's former slug" in capsys.readouterr().err


def test_every_claim_has_a_polarity_and_a_supported_harm_is_never_labelled_a_benefit(loaded):
    assert not Claim.objects.exclude(polarity__in=["benefit", "harm", "neutral"]).exists()
    harms = set(Claim.objects.filter(polarity="harm").values_list("slug", flat=True))
    assert {"kratom-long-term-use-causes-dependence", "kratom-liver-disease-caution"} <= harms
    benefits = set(Claim.objects.filter(polarity="benefit").values_list("slug", flat=True))
    assert {"kratom-relieves-pain", "kratom-safe-when-used-responsibly", "kratom-not-addictive"} <= benefits


def test_the_library_figures_after_the_2026_12_methodological_review(loaded):
    from collections import Counter

    assert (Claim.objects.count(), Passage.objects.count(), Warning.objects.count(), Evidence.objects.count()) == (
        50,
        241,
        10,
        169,
    )
    assert Counter(Claim.objects.values_list("verdict", flat=True)) == {
        "supported": 17,
        "insufficient": 12,
        "contradicted": 8,
        "mixed": 8,
        "unverifiable": 5,
    }
    assert Counter(Passage.objects.values_list("wording", flat=True)) == {
        "accurate": 94,
        "overstated": 125,
        "misrepresented": 20,
        "understated": 2,
    }
    assert Counter(Claim.objects.values_list("polarity", flat=True)) == {"benefit": 25, "neutral": 16, "harm": 9}


def test_understated_is_only_used_where_the_evidence_backs_the_claim(loaded):
    """Understated means weaker than the evidence allows, which only a claim the evidence backs can
    be; a reassuring sentence on a contradicted claim is overstated (the scale was once used backwards)."""
    understated = Passage.objects.filter(wording="understated").select_related("claim")
    assert understated.exists()
    for passage in understated:
        assert passage.claim.verdict in {Verdict.SUPPORTED, Verdict.MIXED}, (passage.quote, passage.claim.slug)
    safe = Passage.objects.get(quote="While safe when consumed responsibly")
    assert (safe.claim.verdict, safe.wording) == (Verdict.CONTRADICTED, "overstated")


def test_background_claims_are_graded_on_a_clinical_source_not_left_insufficient(loaded, client):
    for slug in ("opioid-withdrawal-symptoms", "muscle-soreness-micro-tears-inflammation"):
        claim = Claim.objects.get(slug=slug)
        assert claim.verdict == Verdict.SUPPORTED
        assert claim.evidence.filter(study__design__in=["guideline", "narrative-review"]).exists()
        assert claim.polarity == "neutral"


def test_the_split_liver_claim_answers_at_its_old_address(loaded, client):
    response = client.get("/claims/kratom-liver-kidney-caution/")
    assert (response.status_code, response["Location"]) == (301, "/claims/kratom-liver-disease-caution/")
    assert Claim.objects.get(slug="kratom-metabolised-by-liver-and-kidneys").verdict == Verdict.INSUFFICIENT


def test_the_article_listing_its_publishers_own_guide_carries_a_reviewers_note(loaded, client):
    article = SourceArticle.objects.get(source_name__startswith="003_")
    assert "Kratom Review" in article.reviewer_note
    assert "Reviewer’s note on this article" in client.get(article.get_absolute_url()).content.decode()


def test_new_standalone_warnings_and_the_regulatory_warning_no_longer_credits_the_fda_sentence(loaded):
    assert Warning.objects.filter(slug__in=["pregnancy-and-newborn-withdrawal", "opioids-and-sedatives"]).count() == 2
    regulatory = Warning.objects.get(slug="regulatory-status")
    assert not regulatory.mentioned_by.filter(slug="fda-does-not-regulate-kratom").exists()
