"""The bulk dataset as its users meet it: ``export_dataset DIR`` read back with frictionless, csv and
json; releases on /data/ downloaded as a zip; the admin's release view. The seed library is loaded
once for the module (tests/conftest.py); what a test adds on top is rolled back after it."""

import csv
import hashlib
import io
import json
import re
import zipfile
from datetime import timedelta
from urllib.parse import urlsplit

import frictionless
import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from evidence import dataset, services
from evidence.models import (
    Claim,
    ClaimVersion,
    DatasetRelease,
    Evidence,
    Passage,
    SourceArticle,
    Status,
    Study,
    Substance,
    Warning,
)
from tests.factories import (
    make_article,
    make_claim,
    make_evidence,
    make_passage,
    make_study,
    make_warning,
    reach,
)

TABLES = ["claims", "claim_versions", "evidence", "studies", "passages", "articles", "warnings", "substances"]
PACKAGE_FILES = {"datapackage.json", "README.md", "annotations.jsonld"} | {
    f"{name}.{suffix}" for name in TABLES for suffix in ("csv", "jsonl")
}
QUOTE = "Long-term use may lead to dependence."  # in tests.factories.article_text
FORMULA = '=HYPERLINK("https://evil.example/","Kratom cures everything")'


@pytest.fixture
def library(seed_library_module, db):
    """The reviewed seed library (loaded once for this module)."""


@pytest.fixture
def media(settings, tmp_path_factory):
    """Dataset releases go to a throwaway default storage."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    return settings.MEDIA_ROOT


def export(directory, *args):
    out = io.StringIO()
    call_command("export_dataset", str(directory), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def read_csv(directory, name):
    with (directory / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_jsonl(directory, name):
    return [json.loads(line) for line in (directory / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]


def every_file(directory):
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def person(username, group):
    user = User.objects.create_user(
        username, email=f"{username}@example.org", first_name="Quill", last_name="Feather", is_staff=True
    )
    user.groups.add(Group.objects.get(name=group))
    return user


# --- pure functions first (no database) ------------------------------------------------------------


def unneutralise(cell):
    """What the README tells CSV readers to do."""
    if cell.startswith("'") and cell.lstrip("'")[:1] in dataset.FORMULA_TRIGGERS:
        return cell[1:]
    return cell


@given(st.text())
def test_neutralising_a_cell_never_leaves_a_formula_and_can_be_undone(text):
    cell = dataset.neutralise(text)
    assert cell[:1] not in dataset.FORMULA_TRIGGERS
    assert unneutralise(cell) == text


# --- a small library built through the services ----------------------------------------------------


@pytest.mark.django_db
def test_formula_text_is_neutralised_in_csv_but_kept_exactly_in_json_lines(tmp_path):
    claim = make_claim(slug="formula-claim", statement=FORMULA, summary="-5 mg is not a dose; @risk +1")
    make_passage(article=make_article(), claim=claim, quote=QUOTE)

    export(tmp_path)

    (row,) = [r for r in read_csv(tmp_path, "claims") if r["slug"] == "formula-claim"]
    assert row["statement"] == "'" + FORMULA
    assert row["summary"] == "'-5 mg is not a dose; @risk +1"
    (line,) = [r for r in read_jsonl(tmp_path, "claims") if r["slug"] == "formula-claim"]
    assert line["statement"] == FORMULA
    assert line["summary"] == "-5 mg is not a dose; @risk +1"
    versions = [r for r in read_csv(tmp_path, "claim_versions") if r["claim_slug"] == "formula-claim"]
    assert versions[0]["statement"] == "'" + FORMULA
    assert "formula" in (tmp_path / "README.md").read_text(encoding="utf-8")
    assert frictionless.validate(tmp_path / "datapackage.json").valid


@pytest.mark.django_db
def test_no_account_name_appears_in_any_file_of_the_dataset(tmp_path, media):
    reviewer = person("zz-reviewer-marrowby", "Reviewer")
    approver = person("zz-approver-quillfeather", "Editor")
    draft = services.claim_create(
        by=reviewer,
        slug="approved-by-a-person",
        statement="A claim a person approved.",
        topic="efficacy",
        verdict="mixed",
        certainty="low",
        summary="Two studies disagree.",
        substances=[],
    ).obj
    claim = reach(draft, Status.PUBLISHED, author=reviewer, approver=approver)
    make_evidence(claim=claim, study=make_study())
    make_passage(article=make_article(), claim=claim, quote=QUOTE)
    assert ClaimVersion.objects.get(claim=claim, number=1).approved_by == approver  # later ones: factory-editor

    export(tmp_path, "--release")

    release = DatasetRelease.objects.get()
    with default_storage.open(release.file_name, "rb") as stored:
        archive = zipfile.ZipFile(io.BytesIO(stored.read()))
    contents = {**every_file(tmp_path), **{info.filename: archive.read(info) for info in archive.infolist()}}
    for name, data in contents.items():
        text = data.decode("utf-8").lower()
        for needle in ("zz-reviewer-marrowby", "zz-approver-quillfeather", "@example.org", "quill", "factory-"):
            assert needle not in text, f"{needle} in {name}"
    versions = [r for r in read_csv(tmp_path, "claim_versions") if r["claim_slug"] == "approved-by-a-person"]
    assert [v["approved_by"] for v in versions] == ["KratomRef editors"] * 3


@pytest.mark.django_db
def test_only_public_content_is_exported(tmp_path):
    public = make_claim(slug="public-claim")
    article = make_article()
    make_passage(article=article, claim=public, quote=QUOTE)
    make_evidence(claim=public, study=make_study(key="unverified-study", is_verified=False))
    make_evidence(claim=public, study=make_study(key="draft-study", status=Status.DRAFT))
    hidden = [
        make_claim(slug="draft-claim", status=Status.DRAFT),
        make_claim(slug="claim-in-review", status=Status.IN_REVIEW),
        make_claim(slug="withdrawn-claim", status=Status.WITHDRAWN),
    ]
    draft_article = make_article(status=Status.DRAFT)
    make_passage(article=draft_article, claim=public, quote=QUOTE)
    make_warning(slug="draft-warning", status=Status.DRAFT, claims=[public])
    make_warning(slug="public-warning", claims=[public, hidden[0]])

    export(tmp_path)

    everything = b"".join(every_file(tmp_path).values()).decode("utf-8")
    for slug in ("draft-claim", "claim-in-review", "withdrawn-claim", "unverified-study", "draft-study"):
        assert slug not in everything
    assert draft_article.slug not in everything and "draft-warning" not in everything
    assert "public-claim" in everything and article.slug in everything
    (warning,) = [w for w in read_jsonl(tmp_path, "warnings") if w["slug"] == "public-warning"]
    assert warning["claims"] == ["public-claim"]
    (passage,) = [p for p in read_jsonl(tmp_path, "passages") if p["claim_slug"] == "public-claim"]
    assert passage["article_slug"] == article.slug


@pytest.mark.django_db
def test_data_page_says_when_there_is_no_release(client, media):
    response = client.get("/data/")
    assert response.status_code == 200
    assert "No release has been published yet." in response.content.decode()
    assert client.get("/data/latest.zip").status_code == 404


@pytest.mark.django_db
def test_dry_run_builds_the_package_and_writes_nothing(tmp_path, media):
    make_claim()
    output = export(tmp_path / "out", "--release", "--dry-run")
    assert "Dry run" in output and f"{Claim.objects.published().count()} claims" in output
    assert not (tmp_path / "out").exists()
    assert not DatasetRelease.objects.exists()


# --- the seed library ----------------------------------------------------------------------------


def test_export_of_the_seed_library_validates_as_a_frictionless_data_package(library, tmp_path):
    export(tmp_path)

    assert set(every_file(tmp_path)) == PACKAGE_FILES
    report = frictionless.validate(tmp_path / "datapackage.json")
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])
    descriptor = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    assert sorted(task.name for task in report.tasks) == sorted(r["name"] for r in descriptor["resources"])
    assert all(task.valid for task in report.tasks)
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    assert re.fullmatch(r"\d{4}\.\d\d\.\d\d-[0-9a-f]{8}", descriptor["version"])
    latest = ClaimVersion.objects.order_by("-approved_at").first().approved_at
    assert descriptor["created"] >= latest.strftime("%Y-%m-%dT%H:%M:%SZ")[:17]  # the content's date, UTC
    assert descriptor["version"].startswith(descriptor["created"][:10].replace("-", "."))
    for table in TABLES:  # the JSON Lines copies follow the CSV files' schemas too
        (resource,) = [r for r in descriptor["resources"] if r["name"] == table]
        rows = read_jsonl(tmp_path, table)
        schema = {k: v for k, v in resource["schema"].items() if k != "foreignKeys"}  # checked on the CSV files
        checked = frictionless.Resource(data=rows, schema=frictionless.Schema.from_descriptor(schema))
        assert checked.validate().valid, table
        assert len(rows) == len(read_csv(tmp_path, table))
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert descriptor["version"] in readme and "CC-BY-4.0" in readme


def test_dataset_counts_agree_with_the_public_querysets_and_the_api(library, tmp_path, client):
    export(tmp_path)

    expected = {
        "claims": Claim.objects.published().count(),
        "claim_versions": ClaimVersion.objects.filter(claim__status=Status.PUBLISHED).count(),
        "evidence": Evidence.objects.filter(
            claim__status=Status.PUBLISHED, study__in=Study.objects.published()
        ).count(),
        "studies": Study.objects.published().count(),
        "passages": Passage.objects.published().count(),
        "articles": SourceArticle.objects.published().count(),
        "warnings": Warning.objects.published().count(),
        "substances": Substance.objects.published().count(),
    }
    assert all(expected.values())  # the seed library has some of everything
    assert {table: len(read_csv(tmp_path, table)) for table in TABLES} == expected
    annotations = json.loads((tmp_path / "annotations.jsonld").read_text(encoding="utf-8"))
    assert annotations["total"] == len(annotations["first"]["items"]) == expected["passages"]
    selectors = {s["type"] for s in annotations["first"]["items"][0]["target"]["selector"]}
    assert selectors == {"TextQuoteSelector", "TextPositionSelector"}
    # The API writes the same annotations: same passage, target, selectors and assessment.
    packaged = {item["id"]: item for item in annotations["first"]["items"]}
    article = SourceArticle.objects.published().order_by("slug").first()
    served = client.get(f"/api/v1/articles/{article.slug}/", HTTP_ACCEPT="application/json").json()["passages"]
    assert served and all(item["id"] in packaged for item in served)
    for item in served:
        assert (item["body"], item["target"]) == (packaged[item["id"]]["body"], packaged[item["id"]]["target"])

    # An outside client paging through the API by cursor finds the same items.
    for table, resource, key in (
        ("claims", "claims", "slug"),
        ("studies", "studies", "key"),
        ("articles", "articles", "slug"),
        ("warnings", "warnings", "slug"),
        ("substances", "substances", "slug"),
    ):
        found, url = [], f"/api/v1/{resource}/?page_size=100"
        while url:
            page = client.get(url, HTTP_ACCEPT="application/json")
            assert page.status_code == 200, url
            found += [item[key] for item in page.json()["results"]]
            url = page.json()["next"] and urlsplit(page.json()["next"])._replace(scheme="", netloc="").geturl()
        assert sorted(found) == sorted(row[key] for row in read_csv(tmp_path, table)), resource


def test_the_same_library_gives_byte_identical_files_and_zip_whatever_the_clock(library, tmp_path, monkeypatch):
    export(tmp_path / "first")
    first = dataset.build_package()
    later = timezone.now() + timedelta(days=400)
    monkeypatch.setattr(timezone, "now", lambda: later)
    export(tmp_path / "second")
    second = dataset.build_package()

    assert every_file(tmp_path / "first") == every_file(tmp_path / "second")
    assert first.files == second.files and first.version == second.version
    zipped = dataset.package_zip(first)
    assert zipped == dataset.package_zip(second)
    archive = zipfile.ZipFile(io.BytesIO(zipped))
    names = [info.filename for info in archive.infolist()]
    assert names == sorted(names) and len(names) == len(PACKAGE_FILES)
    year, month, day, hour, minute, second = first.content_changed_at.timetuple()[:6]
    stamped = (year, month, day, hour, minute, second - second % 2)  # a zip keeps even seconds
    assert {info.date_time for info in archive.infolist()} == {stamped}
    assert archive.read(f"kratomref-dataset-{first.version}/claims.csv") == first.files["claims.csv"]


def test_an_approval_gives_a_new_version_dated_by_that_approval(library):
    before = dataset.build_package()
    claim = make_claim(slug="a-newly-approved-claim")
    after = dataset.build_package()

    approved_at = ClaimVersion.objects.get(claim=claim).approved_at
    assert after.version != before.version
    assert after.created == approved_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert after.counts["claims"] == before.counts["claims"] + 1


def test_a_release_is_listed_on_the_data_page_and_downloads_as_the_zip(library, tmp_path, media, client):
    first_output = export(tmp_path, "--release")
    release = DatasetRelease.objects.get()
    assert "Released" in first_output
    again = export(tmp_path, "--release")  # unchanged content: the release is reused, nothing is added
    assert "already exists" in again
    assert DatasetRelease.objects.get() == release

    with default_storage.open(release.file_name, "rb") as stored:
        stored_bytes = stored.read()
    assert hashlib.sha256(stored_bytes).hexdigest() == release.sha256 and len(stored_bytes) == release.size
    assert release.counts["claims"] == Claim.objects.published().count()

    page = client.get("/data/")
    assert page.status_code == 200
    soup = BeautifulSoup(page.content, "html.parser")
    row = soup.select_one("table.dataset-releases tbody tr")
    assert release.version in row.get_text()
    assert row.select_one("code.checksum").get_text() == release.sha256
    assert row.select_one('a[rel="license"]')["href"] == "https://creativecommons.org/licenses/by/4.0/"
    assert "KB" in row.get_text()  # the size, readable

    for url in ("/data/latest.zip", soup.select_one(".dataset-latest a")["href"], row.select_one("a")["href"]):
        download = client.get(url)
        assert download.status_code == 200, url
        assert download["Content-Type"] == "application/zip"
        assert download["Content-Disposition"] == f'attachment; filename="kratomref-dataset-{release.version}.zip"'
        body = b"".join(download.streaming_content)
        assert hashlib.sha256(body).hexdigest() == release.sha256
    archive = zipfile.ZipFile(io.BytesIO(body))
    descriptor = json.loads(archive.read(f"kratomref-dataset-{release.version}/datapackage.json"))
    assert descriptor["version"] == release.version
    assert client.get("/data/latest.zip", HTTP_IF_NONE_MATCH=f'"{release.sha256}"').status_code == 304
    assert client.get("/data/kratomref-dataset-1999.01.01-00000000.zip").status_code == 404


def test_an_editor_makes_a_release_in_the_admin_and_a_reviewer_may_not(
    library, media, editor, editor_client, reviewer, reviewer_client
):
    changelist = reverse("admin:evidence_datasetrelease_changelist")
    release_url = reverse("admin:evidence_datasetrelease_release")
    assert release_url in editor_client.get(changelist).content.decode()
    assert release_url not in reviewer_client.get(changelist).content.decode()
    assert reviewer_client.get(release_url).status_code == 403
    with pytest.raises(PermissionDenied):
        dataset.release_create(by=reviewer)

    preview = editor_client.get(release_url)
    assert preview.status_code == 200
    version = dataset.build_package().version
    assert version in preview.content.decode()
    assert editor_client.post(release_url).status_code == 302

    release = DatasetRelease.objects.get()
    assert (release.version, release.released_by) == (version, editor)
    assert default_storage.exists(release.file_name)
    change = editor_client.get(reverse("admin:evidence_datasetrelease_change", args=[release.pk]))
    assert change.status_code == 200 and release.sha256 in change.content.decode()
    assert editor_client.post(release_url).status_code == 302  # again: the same release, nothing new
    assert DatasetRelease.objects.count() == 1
    assert editor.username not in editor_client.get("/data/").content.decode()
