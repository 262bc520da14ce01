"""Warnings are graded like claims: a severity (how serious the harm is) and a certainty (how sure the
evidence lets us be that it is real), shown in words on every page, in the API, the filters and the
seed library's files."""

import shutil
from urllib.parse import urlencode

import pytest
import yaml
from bs4 import BeautifulSoup
from django.core.management import CommandError, call_command

from evidence.models import Certainty, Claim, Severity, SourceArticle, Substance, Warning
from evidence.models.choices import SEVERITY_DEFINITIONS
from evidence.seeding import SEED_DIR

pytestmark = pytest.mark.django_db

API = "/api/v1/"


@pytest.fixture
def loaded(seed_library_module, db):
    """The seed library, loaded once for this module (tests/conftest.py)."""


@pytest.fixture
def seed_copy(tmp_path):
    target = tmp_path / "seed_library"
    shutil.copytree(SEED_DIR, target)
    return target


def set_certainty(seed_copy, slug, value):
    path = seed_copy / "warnings.yaml"
    warnings = yaml.safe_load(path.read_text(encoding="utf-8"))
    next(w for w in warnings if w["slug"] == slug)["certainty"] = value
    path.write_text(yaml.safe_dump(warnings, allow_unicode=True, sort_keys=False), encoding="utf-8")


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.content.decode(), "html.parser")


def words(element):
    return " ".join(element.get_text().split())


def test_every_seed_warning_is_graded_in_its_file_and_loaded_with_that_grade(loaded):
    files = yaml.safe_load((SEED_DIR / "warnings.yaml").read_text(encoding="utf-8"))
    graded = {w["slug"]: w.get("certainty") for w in files}
    assert all(value in Certainty.values for value in graded.values()), graded
    assert dict(Warning.objects.values_list("slug", "certainty")) == graded


def test_the_seed_grades_follow_their_evidence(loaded):
    # Case reports and passive reports alone never make a warning more than low certainty, and no
    # warning is high certainty: none rests on controlled trials or reviews of them.
    assert not Warning.objects.filter(certainty=Certainty.HIGH).exists()
    for warning in Warning.objects.prefetch_related("studies"):
        designs = {study.design for study in warning.studies.all()}
        if designs <= {"case-report", "case-series", "surveillance-report"}:
            assert warning.certainty in (Certainty.LOW, Certainty.VERY_LOW), warning.slug
    # The dependence warning rests on the same surveys as the dependence claim, graded alike.
    dependence = Warning.objects.get(slug="dependence-and-withdrawal")
    assert dependence.certainty == Claim.objects.get(slug="kratom-long-term-use-causes-dependence").certainty


def test_the_warning_page_says_severity_and_certainty_in_words_with_links_to_how_we_grade(loaded, client):
    warning = Warning.objects.get(slug="liver-injury")
    assert (warning.severity, warning.certainty) == (Severity.HIGH, Certainty.LOW)
    soup = page(client, warning.get_absolute_url())
    grades = soup.select_one(".warning-grades")
    assert "High severity: how serious the harm is when it happens" in words(grades)
    assert "Low certainty: how sure the evidence lets us be" in words(grades)
    links = {words(a): a["href"] for a in grades.select("a")}
    assert links == {"High severity": "/how-we-grade/#severity", "Low certainty": "/how-we-grade/#certainty-low"}


def test_the_warning_page_shows_each_study_as_plainly_as_a_claim_page(loaded, client):
    warning = Warning.objects.get(slug="seizures")
    soup = page(client, warning.get_absolute_url())
    rows = soup.select("table.warning-studies tbody tr")
    studies = list(warning.studies.all())
    assert len(rows) == len(studies) > 0
    for study in studies:
        row = soup.select_one(f'tr[data-study="{study.key}"]')
        link = row.select_one("a")
        assert (words(link), link["href"]) == (study.short_citation, study.get_absolute_url())
        text = words(row)
        for shown in (study.get_design_display(), study.get_population_display(), " ".join(study.finding.split())):
            assert shown in text, (study.key, shown)


def test_the_warning_list_shows_severity_and_certainty_in_words(loaded, client):
    soup = page(client, "/warnings/")
    cards = soup.select("li.card")
    assert len(cards) == Warning.objects.published().count()
    by_title = {w.title: w for w in Warning.objects.published()}
    for card in cards:
        warning = by_title[words(card.select_one("a"))]
        badge = card.select_one(".warning-badge")
        assert (badge["data-severity"], badge["data-certainty"]) == (warning.severity, warning.certainty)
        expected = f"{warning.get_severity_display()} severity · {warning.get_certainty_display().lower()} certainty"
        assert words(badge) == expected


def test_warning_badges_on_claim_article_and_substance_pages_say_severity_in_words(loaded, client):
    claim = Claim.objects.get(slug="kratom-not-addictive")
    substance = Substance.objects.get(slug="kratom")
    leaves_out = next(a for a in SourceArticle.objects.published() if Warning.objects.omitted_by(a).exists())
    for url in (claim.get_absolute_url(), substance.get_absolute_url(), leaves_out.get_absolute_url()):
        badges = page(client, url).select(".warning-badge")
        assert badges, url
        for badge in badges:
            assert " severity · " in words(badge) and words(badge).endswith(" certainty"), (url, words(badge))


def test_the_api_gives_each_warnings_certainty_and_filters_by_it_as_the_html_list_does(loaded, client):
    rows = client.get(API + "warnings/?page_size=100").json()["results"]
    assert {row["slug"]: row["certainty"] for row in rows} == dict(
        Warning.objects.published().values_list("slug", "certainty")
    )
    detail = client.get(f"{API}warnings/dependence-and-withdrawal/").json()
    assert (detail["severity"], detail["certainty"]) == ("high", "moderate")
    substance = client.get(f"{API}substances/kratom/").json()
    assert all(ref["certainty"] in Certainty.values for ref in substance["warnings"])
    for value in Certainty.values:
        query = urlencode({"certainty": value, "page_size": 100})
        api = [row["title"] for row in client.get(f"{API}warnings/?{query}").json()["results"]]
        html = [words(card.select_one("a")) for card in page(client, f"/warnings/?{query}").select("li.card")]
        expected = list(Warning.objects.published().filter(certainty=value).values_list("title", flat=True))
        assert api == html and sorted(api) == sorted(expected), value
    bad = client.get(API + "warnings/?certainty=certain")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["certainty"]


def test_the_warning_list_filter_offers_certainty_with_counts(loaded, client):
    soup = page(client, "/warnings/")
    options = [words(o) for o in soup.select('select[name="certainty"] option') if o.get("value")]
    assert options == [
        f"{label} ({Warning.objects.published().filter(certainty=value).count()})" for value, label in Certainty.choices
    ]


def test_an_invalid_warning_certainty_is_refused_naming_the_file_and_the_warning(seed_copy, capsys, db):
    set_certainty(seed_copy, "seizures", "probably")
    before = Warning.objects.count()
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_seed_library", path=str(seed_copy), verbosity=0)
    err = capsys.readouterr().err
    assert any(
        "warnings.yaml [seizures]" in line and "certainty 'probably' is not one of" in line for line in err.splitlines()
    ), err
    assert Warning.objects.count() == before


def test_a_warning_without_a_certainty_is_refused(seed_copy, capsys, db):
    path = seed_copy / "warnings.yaml"
    warnings = yaml.safe_load(path.read_text(encoding="utf-8"))
    warnings[0].pop("certainty")
    path.write_text(yaml.safe_dump(warnings, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_seed_library", path=str(seed_copy), verbosity=0)
    assert f"warnings.yaml [{warnings[0]['slug']}]: certainty None" in capsys.readouterr().err


def test_a_changed_certainty_is_kept_as_curated_until_update_applies_it(loaded, seed_copy):
    warning = Warning.objects.get(slug="seizures")
    assert warning.certainty == Certainty.VERY_LOW
    set_certainty(seed_copy, "seizures", "low")
    call_command("load_seed_library", path=str(seed_copy), verbosity=0)
    warning.refresh_from_db()
    assert warning.certainty == Certainty.VERY_LOW
    call_command("load_seed_library", path=str(seed_copy), update=True, verbosity=0)
    warning.refresh_from_db()
    assert warning.certainty == Certainty.LOW


def test_how_we_grade_explains_warning_severity(client):
    soup = page(client, "/how-we-grade/")
    section = soup.select_one("section#severity")
    text = words(section)
    assert "how serious the harm is when it happens" in text
    assert "how sure the evidence lets us be that the harm is real" in text
    for value, label in Severity.choices:
        term = section.select_one(f"#severity-{value}")
        assert words(term) == f"{label} severity"
        assert " ".join(str(SEVERITY_DEFINITIONS[value]).split()) in text
    for value in Certainty.values:
        assert soup.select_one(f"#certainty-{value}") is not None  # the warning pages link here
