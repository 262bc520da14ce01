"""Publishers' notices on studies (retractions, expressions of concern, corrections, reinstatements):
the Retraction Watch import, the badges readers see wherever a study is cited, the API and the admin.

The notices in tests/fixtures/retraction_watch_sample.csv are invented test records ("Test fixture:
not a real notice", addresses under https://example.org/); they name real seed-library studies only
so the import has something to match.
"""

import csv
import datetime
import io
import re
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evidence.models import Claim, Status, Study, StudyNotice, Warning
from evidence.services.notices import COLUMNS, import_notices, normalise_doi, parse_notice_date
from evidence.signals import content_version
from tests.factories import make_claim, make_evidence, make_study, make_warning, reach

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE = FIXTURES / "retraction_watch_sample.csv"
RETRACTED = "eggleston-2019-kratom-toxicities-us"  # line 2: a retraction, matched by its DOI in capitals
CONCERN = "tatum-2018-recurrent-seizures-case"  # line 3: an expression of concern, matched by PMID only
CORRECTED = "ahmad-2021-dilin-kratom-liver-injury"  # line 4: a correction, DOI given as a doi.org address
STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "css" / "site.css"


def soup(response):
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content.decode(), "html.parser")


def run(*args, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_retractions", *map(str, args), stdout=out, stderr=err, **options)
    return out.getvalue()


def sample_lines():
    return SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)


def rw_row(**values):
    """One row of the Retraction Watch CSV; keyword names use _ for spaces (Record_ID)."""
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        {
            "Record ID": "1",
            "Title": "Test fixture record (not a real notice)",
            "URLS": "https://example.org/notices/1",
            "RetractionDate": "1/30/2023 0:00",
            "RetractionDOI": "10.5555/test-notice-1",
            "RetractionPubMedID": "0",
            "OriginalPaperDOI": "unavailable",
            "OriginalPaperPubMedID": "0",
            "RetractionNature": "Retraction",
            "Reason": "+Test fixture: not a real notice;",
            "Paywalled": "No",
        }
    )
    row.update({name.replace("_", " "): value for name, value in values.items()})
    return row


def give_notice(study, nature="Retraction", date="1/30/2023 0:00", record_id=None, **values):
    """Record a (fictional) notice on ``study`` through the import, as the command would."""
    record_id = record_id or re.sub(r"\W+", "-", f"{study.pk} {nature} {date}")
    values = {"URLS": f"https://example.org/notices/{record_id}", **values}
    row = rw_row(
        Record_ID=record_id,
        RetractionNature=nature,
        RetractionDate=date,
        OriginalPaperDOI=study.doi or "unavailable",
        OriginalPaperPubMedID=study.pmid or "0",
        **values,
    )
    return import_notices([row])


def cited_study(**overrides):
    """A published study cited by a published claim and by a published warning."""
    study = make_study(year=2030, **overrides)
    claim = make_claim(status=Status.DRAFT)
    make_evidence(claim=claim, study=study)
    claim = reach(claim, Status.PUBLISHED)
    warning = make_warning(studies=[study])
    return study, claim, warning


def badge_near(page, href):
    """The notice badge in the list item or table row that links to ``href``."""
    link = page.find("a", href=href)
    assert link is not None, f"no link to {href}"
    return link.find_parent(["li", "tr"]).select_one(".notice-badge")


# The import command, on the seed library ---------------------------------------------------------


def test_importing_the_sample_flags_the_studies_it_names_and_lists_the_claims_to_regrade(seed_library_module):
    output = run(SAMPLE)

    retraction = StudyNotice.objects.get(study__key=RETRACTED)
    assert retraction.nature == "retraction" and str(retraction.notice_date) == "2023-01-30"
    assert retraction.link == "https://example.org/notices/900001"  # the first of URLS
    assert retraction.notice_doi == "10.5555/test-notice-900001"
    assert retraction.reason == "Test fixture: not a real notice"
    assert (retraction.source, retraction.record_id) == ("Retraction Watch", "900001")
    assert StudyNotice.objects.get(study__key=CONCERN).nature == "concern"
    assert StudyNotice.objects.get(study__key=CORRECTED).nature == "correction"
    assert StudyNotice.objects.count() == 3

    assert "7 notice(s) read: 3 new, 0 updated, 0 already recorded, for 3 study(ies)" in output
    assert "4 notice(s) matched no study in the library (1 name no DOI or PMID)" in output
    assert "doi:10.5555/no-such-study.0001" in output and "PMID 99999999" in output
    relying = Claim.objects.published().filter(evidence__study__key=RETRACTED)
    assert relying.exists()
    for claim in relying:
        assert f"{claim.slug}: {claim.statement}" in output
    for warning in Warning.objects.published().filter(studies__key=RETRACTED):
        assert f"{warning.slug}: {warning.title}" in output


def test_importing_the_same_file_again_creates_nothing_new(seed_library_module):
    run(SAMPLE)
    before = list(StudyNotice.objects.order_by("pk").values())
    output = run(SAMPLE)
    assert list(StudyNotice.objects.order_by("pk").values()) == before
    assert "0 new, 0 updated, 3 already recorded" in output
    assert "nothing new needs attention" in output


def test_a_changed_notice_updates_the_recorded_one(seed_library_module, tmp_path):
    run(SAMPLE)
    first = StudyNotice.objects.get(study__key=RETRACTED)
    changed = tmp_path / "changed.csv"
    changed.write_text("".join(sample_lines()).replace("1/30/2023 0:00", "2/14/2023 0:00"), encoding="utf-8")
    output = run(changed)
    notice = StudyNotice.objects.get(study__key=RETRACTED)
    assert notice.pk == first.pk and str(notice.notice_date) == "2023-02-14"
    assert notice.imported_at > first.imported_at  # the desk lists its claims again
    assert "0 new, 1 updated, 2 already recorded" in output and RETRACTED in output


def test_a_dry_run_reports_and_saves_nothing(seed_library_module):
    output = run(SAMPLE, dry_run=True)
    assert "3 would be new" in output and "Dry run: nothing was saved." in output
    assert not StudyNotice.objects.exists()


def test_another_source_keeps_its_own_notices(seed_library_module):
    run(SAMPLE)
    run(SAMPLE, source="Crossref test feed")
    assert StudyNotice.objects.filter(study__key=RETRACTED).count() == 2


@pytest.mark.parametrize(
    ("line", "column", "value", "problem"),
    [
        (3, "RetractionNature", "Withdrawal", "unknown RetractionNature 'Withdrawal'"),
        (4, "RetractionDate", "30/1/2023", "RetractionDate '30/1/2023' is not a date"),
        (4, "RetractionDate", "January 2023", "RetractionDate 'January 2023' is not a date"),
        (2, "Record ID", "", "no Record ID"),
        (3, "OriginalPaperPubMedID", "", "neither OriginalPaperDOI nor OriginalPaperPubMedID is given"),
        (2, "OriginalPaperPubMedID", "PMC123", "is not a PubMed ID"),
    ],
)
def test_a_malformed_row_stops_the_import_naming_its_line_and_nothing_is_saved(
    seed_library_module, tmp_path, line, column, value, problem
):
    rows = list(csv.DictReader(io.StringIO("".join(sample_lines()), newline="")))
    rows[line - 2][column] = value
    if column == "OriginalPaperPubMedID" and not value:
        rows[line - 2]["OriginalPaperDOI"] = ""  # both identifiers left blank
    bad = tmp_path / "bad.csv"
    with bad.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(CommandError) as raised:
        run(bad)
    assert f"Line {line}: " in str(raised.value) and problem in str(raised.value)
    assert "Nothing was saved" in str(raised.value)
    assert not StudyNotice.objects.exists()


def test_every_malformed_line_is_named_and_a_line_after_a_two_line_field_keeps_its_number(
    seed_library_module, tmp_path
):
    lines = sample_lines()  # line 5's Notes field spans two lines: record 900005 starts on line 7
    lines[2] = lines[2].replace("expression of concern", "Retracted?")
    lines[6] = lines[6].replace("3/3/2021 0:00", "2021-13-45")
    bad = tmp_path / "bad.csv"
    bad.write_text("".join(lines), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_retractions", str(bad), stdout=io.StringIO(), stderr=err)
    assert "Line 3: unknown RetractionNature 'Retracted?'" in err.getvalue()
    assert "Line 7: RetractionDate '2021-13-45' is not a date" in err.getvalue()
    assert not StudyNotice.objects.exists()


def test_a_file_that_is_missing_or_not_the_dataset_is_refused(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "absent.csv")
    other = tmp_path / "other.csv"
    other.write_text("DOI,Title\n10.5555/x,Something\n", encoding="utf-8")
    with pytest.raises(CommandError, match="lacks the column"):
        run(other)
    assert not StudyNotice.objects.exists()


def test_a_file_with_a_byte_order_mark_or_in_latin_1_is_read(seed_library_module, tmp_path):
    text = "".join(sample_lines()).replace("Test Institution", "Université de Test")
    with_bom = tmp_path / "bom.csv"
    with_bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert "3 new" in run(with_bom)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(text.encode("latin-1"))
    assert "3 already recorded" in run(latin)


# The import service --------------------------------------------------------------------------------


def test_rows_match_by_doi_without_resolver_or_case_and_by_pmid_and_the_rest_are_reported():
    by_doi = make_study(doi="10.5555/KR-Test.1")
    by_pmid = make_study(pmid="424242")
    result = import_notices(
        [
            rw_row(Record_ID="1", OriginalPaperDOI="https://doi.org/10.5555/kr-test.1"),
            rw_row(Record_ID="2", OriginalPaperPubMedID="424242", RetractionNature="CORRECTION"),
            rw_row(Record_ID="3", OriginalPaperDOI="10.5555/nobody.1"),
            rw_row(Record_ID="4", OriginalPaperPubMedID="999000999"),
            rw_row(Record_ID="5"),  # "unavailable" and 0: the dataset has no identifier for it
        ]
    )
    assert (result.created, result.updated, result.unchanged, result.unmatched) == (2, 0, 0, 3)
    assert result.flagged == [by_doi, by_pmid] and result.unidentified == 1
    assert result.unmatched_ids == ["doi:10.5555/nobody.1", "PMID 999000999"]
    assert result.unmatched_report() == (
        "3 notice(s) matched no study in the library (1 name no DOI or PMID); "
        "unknown DOI/PMID: doi:10.5555/nobody.1, PMID 999000999."
    )
    assert by_pmid.notices.get().nature == "correction"


def test_a_malformed_row_raises_a_validation_error_and_saves_nothing():
    study = make_study(doi="10.5555/kr-test.2")
    with pytest.raises(ValidationError) as raised:
        import_notices(
            [
                rw_row(Record_ID="1", OriginalPaperDOI=study.doi),
                rw_row(Record_ID="2", OriginalPaperDOI=study.doi, RetractionNature="Erratum"),
                rw_row(Record_ID="1", OriginalPaperDOI="10.5555/other"),
            ]
        )
    assert raised.value.messages[0].startswith("Line 3: unknown RetractionNature 'Erratum'")
    assert raised.value.messages[1] == "Line 4: Record ID 1 already appears on line 2."
    assert not StudyNotice.objects.exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1/30/2023 0:00", "2023-01-30"), ("1/30/2023", "2023-01-30"), ("2023-01-30", "2023-01-30"), ("", "None")],
)
def test_notice_dates_are_read_in_the_dataset_s_formats(value, expected):
    assert str(parse_notice_date(value)) == expected


def test_the_notice_link_is_the_first_web_address_or_else_the_notice_doi():
    assert normalise_doi("https://dx.doi.org/10.5555/X ") == "10.5555/X" and normalise_doi("unavailable") == ""
    study = make_study(doi="10.5555/kr-test.3")
    give_notice(study, URLS="ftp://example.org/notice;https://example.org/second", RetractionDOI="10.5555/n.3")
    assert study.notices.get().link == "https://doi.org/10.5555/n.3"
    other = make_study(doi="10.5555/kr-test.4")
    give_notice(other, URLS="", RetractionDOI="unavailable")
    assert other.notices.get().link == ""


def test_an_import_moves_the_content_version_so_cached_pages_show_the_badge(django_capture_on_commit_callbacks):
    study = make_study(doi="10.5555/kr-test.5")
    before = content_version()
    with django_capture_on_commit_callbacks(execute=True):
        give_notice(study)
    assert content_version() > before


# What readers see ----------------------------------------------------------------------------------


def test_a_retracted_study_shows_a_red_badge_with_date_and_link_wherever_it_is_cited(client):
    study, claim, warning = cited_study(doi="10.5555/kr-test.6")
    give_notice(study, record_id="rw-6")
    pages = {
        "study page": soup(client.get(study.get_absolute_url())).select_one(".study-notice-line .notice-badge"),
        "study list": badge_near(soup(client.get("/studies/")), study.get_absolute_url()),
        "claim page": badge_near(soup(client.get(claim.get_absolute_url())), study.get_absolute_url()),
        "warning page": badge_near(soup(client.get(warning.get_absolute_url())), study.get_absolute_url()),
    }
    for where, badge in pages.items():
        assert badge is not None, where
        assert "notice-retraction" in badge["class"] and badge["data-notice"] == "retraction", where
        assert "Retracted" in badge.get_text() and "30 Jan 2023" in badge.get_text(), where
        assert badge.select_one("time")["datetime"] == "2023-01-30", where
        assert badge.select_one("a")["href"] == "https://example.org/notices/rw-6", where
    notices = soup(client.get(study.get_absolute_url())).select_one(".study-notices")
    assert "Test fixture: not a real notice" in notices.get_text() and "Retraction Watch" in notices.get_text()


def test_a_pinned_version_shows_a_notice_that_came_after_it(client):
    study, claim, _warning = cited_study(doi="10.5555/kr-test.7")
    give_notice(study, record_id="rw-7")
    page = soup(client.get(reverse("evidence:claim-version", kwargs={"slug": claim.slug, "number": 1})))
    row = page.select_one("table.evidence tbody tr")
    assert study.title in row.get_text()
    badge = row.select_one(".notice-badge.notice-retraction")
    assert badge is not None and "Now:" in row.get_text()
    assert badge.select_one("a")["href"] == "https://example.org/notices/rw-7"


def rule_colour(selector):
    """The colour variable site.css gives ``selector`` (a badge class)."""
    css = STYLESHEET.read_text(encoding="utf-8")
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", css):
        if selector in [s.strip() for s in selectors.split(",")] and "color:" in body:
            return re.search(r"(?<!-)color:\s*var\((--[a-z-]+)\)", body).group(1)
    return None


@pytest.mark.parametrize(
    ("nature", "css_class", "label", "colour"),
    [
        ("Retraction", "notice-retraction", "Retracted", "--contradicted"),  # red
        ("Expression of concern", "notice-concern", "Expression of concern", "--mixed"),  # amber
        ("Correction", "notice-correction", "Corrected", "--mixed"),  # amber
        ("Reinstatement", "notice-reinstatement", "Reinstated", "--insufficient"),  # neutral
    ],
)
def test_each_kind_of_notice_has_its_own_badge_colour(client, nature, css_class, label, colour):
    study, claim, _warning = cited_study(doi=f"10.5555/kr-test.{css_class}")
    give_notice(study, nature=nature)
    badge = badge_near(soup(client.get(claim.get_absolute_url())), study.get_absolute_url())
    assert css_class in badge["class"] and label in badge.get_text()
    assert rule_colour(f".{css_class}") == colour


def test_the_most_serious_notice_shows_and_a_reinstatement_supersedes_an_earlier_retraction(client):
    study, claim, _warning = cited_study(doi="10.5555/kr-test.8")
    give_notice(study, nature="Correction", date="2021-05-01")
    give_notice(study, nature="Retraction", date="2022-05-01")
    assert Study.objects.for_detail().get(pk=study.pk).notice_badge.nature == "retraction"
    give_notice(study, nature="Reinstatement", date="2023-05-01")
    # Reinstated: the retraction no longer stands, the earlier correction does.
    badge = badge_near(soup(client.get(claim.get_absolute_url())), study.get_absolute_url())
    assert "notice-correction" in badge["class"]
    listed = soup(client.get(study.get_absolute_url())).select(".study-notices li")
    assert [li["data-notice"] for li in listed] == ["reinstatement", "retraction", "correction"]


def test_a_study_without_notices_shows_no_badge(client):
    study, claim, warning = cited_study(doi="10.5555/kr-test.9")
    flagged = make_study(doi="10.5555/kr-test.10", year=2030)
    give_notice(flagged)
    for url in (study.get_absolute_url(), claim.get_absolute_url(), warning.get_absolute_url()):
        page = soup(client.get(url))
        assert not page.select(".notice-badge") and not page.select(".study-notices"), url
    listing = soup(client.get("/studies/"))
    assert badge_near(listing, study.get_absolute_url()) is None
    assert badge_near(listing, flagged.get_absolute_url()) is not None


def test_the_api_study_carries_its_notices(client):
    study = make_study(doi="10.5555/kr-test.11")
    plain = make_study(doi="10.5555/kr-test.12")
    give_notice(study, record_id="rw-11")
    expected = [
        {
            "nature": "retraction",
            "date": "2023-01-30",
            "url": "https://example.org/notices/rw-11",
            "source": "Retraction Watch",
        }
    ]
    assert client.get(f"/api/v1/studies/{study.key}/").json()["notices"] == expected
    assert client.get(f"/api/v1/studies/{plain.key}/").json()["notices"] == []
    listed = {row["key"]: row["notices"] for row in client.get("/api/v1/studies/?page_size=100").json()["results"]}
    assert listed[study.key] == expected and listed[plain.key] == []
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    assert "notices" in schema["components"]["schemas"]["Study"]["required"]
    assert schema["components"]["schemas"]["StudyNotice"]["properties"]["date"]["format"] == "date"


def test_the_api_says_a_study_changed_when_a_notice_arrives(client):
    study = make_study(doi="10.5555/kr-test.14")
    url = f"/api/v1/studies/{study.key}/"
    modified = client.get(url).headers["Last-Modified"]
    give_notice(study)
    later = timezone.now() + datetime.timedelta(days=1)
    StudyNotice.objects.filter(study=study).update(imported_at=later)  # as if imported tomorrow
    answer = client.get(url, HTTP_IF_MODIFIED_SINCE=modified)
    assert answer.status_code == 200 and answer.json()["notices"]
    assert parsedate_to_datetime(answer.headers["Last-Modified"]) == later.replace(microsecond=0)


def page_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return len(queries)


def test_page_queries_do_not_grow_with_the_number_of_notices(client, django_capture_on_commit_callbacks):
    def library_with(notices):
        """A claim and a warning citing ``notices`` studies with one notice each, and one study with
        ``notices`` notices of its own."""
        claim = make_claim(status=Status.DRAFT)
        studies = [make_study(doi=f"10.5555/kr-count.{notices}.{n}") for n in range(notices)]
        for n, study in enumerate(studies):
            make_evidence(claim=claim, study=study)
            give_notice(study, nature="Retraction" if n == 0 else "Correction", date=f"2021-01-0{n + 1}")
        much_noticed = make_study(doi=f"10.5555/kr-count.{notices}.many")
        for n in range(notices):
            give_notice(much_noticed, nature="Correction", date=f"2022-01-0{n + 1}")
        warning = make_warning(studies=studies)
        claim = reach(claim, Status.PUBLISHED)
        return {
            "claim page": claim.get_absolute_url(),
            "pinned version": claim.get_absolute_url() + "v1/",
            "warning page": warning.get_absolute_url(),
            "study page": much_noticed.get_absolute_url(),
            "study list": "/studies/",
        }

    # The approvals move the content version on commit, as in production, so no page is answered
    # from counts cached for the smaller library.
    with django_capture_on_commit_callbacks(execute=True):
        urls = library_with(2)
    two = {name: page_queries(client, url) for name, url in urls.items()}
    with django_capture_on_commit_callbacks(execute=True):
        urls = library_with(5)
    five = {name: page_queries(client, url) for name, url in urls.items()}
    assert StudyNotice.objects.count() == 2 * 2 + 2 * 5
    assert five == two


# The admin -----------------------------------------------------------------------------------------


def test_curators_read_notices_in_the_admin_and_nobody_edits_them(admin_client, reviewer_client):
    study = make_study(doi="10.5555/kr-test.13")
    give_notice(study, record_id="rw-13")
    notice = study.notices.get()
    changelist = reverse("admin:evidence_studynotice_changelist")
    for client in (admin_client, reviewer_client):
        assert study.title in client.get(changelist).content.decode()
        assert client.get(f"{changelist}?q={study.doi}").status_code == 200
        change = client.get(reverse("admin:evidence_studynotice_change", args=[notice.pk]))
        assert change.status_code == 200 and "https://example.org/notices/rw-13" in change.content.decode()
    assert admin_client.get(reverse("admin:evidence_studynotice_add")).status_code == 403
    assert admin_client.post(reverse("admin:evidence_studynotice_delete", args=[notice.pk])).status_code == 403
    assert (
        admin_client.post(
            reverse("admin:evidence_studynotice_change", args=[notice.pk]), {"nature": "correction"}
        ).status_code
        == 403
    )
    assert study.notices.get().nature == "retraction"
