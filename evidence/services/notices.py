"""Publishers' notices about studies (retractions, expressions of concern, corrections,
reinstatements), imported from the Retraction Watch dataset as Crossref distributes it.

A notice is a verified external record, not library content: the import writes ``StudyNotice``
rows directly and never changes a study or a claim. Readers see the notice as a badge wherever the
study is cited; the claims that rely on a flagged study are then re-graded by editors through the
normal workflow (the curation desk lists them).

The file is the whole world's retractions, so most rows match no study in the library: those are
counted and reported, not errors. A malformed row is an error, and one error saves nothing.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from evidence.models import Claim, NoticeNature, Study, StudyNotice, Warning
from evidence.signals import announce_library_change

DEFAULT_SOURCE = "Retraction Watch"

# The columns of the Retraction Watch dataset (Crossref's CSV); the import reads these.
COLUMNS = [
    "Record ID",
    "Title",
    "Subject",
    "Institution",
    "Journal",
    "Publisher",
    "Country",
    "Author",
    "URLS",
    "ArticleType",
    "RetractionDate",
    "RetractionDOI",
    "RetractionPubMedID",
    "OriginalPaperDate",
    "OriginalPaperDOI",
    "OriginalPaperPubMedID",
    "RetractionNature",
    "Reason",
    "Paywalled",
    "Notes",
]
REQUIRED_COLUMNS = ["Record ID", "RetractionDate", "OriginalPaperDOI", "OriginalPaperPubMedID", "RetractionNature"]

NATURES = {
    "retraction": NoticeNature.RETRACTION,
    "expression of concern": NoticeNature.CONCERN,
    "correction": NoticeNature.CORRECTION,
    "reinstatement": NoticeNature.REINSTATEMENT,
}
NO_DOI = {"", "unavailable", "unknown", "none", "n/a", "na"}  # what the dataset writes for "no DOI"
NO_PMID = {"", "0"}
DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2})?)?$")
MAX_ERRORS = 20  # how many malformed rows one error message names
SHOW_UNMATCHED = 5  # how many unmatched identifiers a report names


@dataclass
class NoticeImport:
    """What an import did (or, in a dry run, would do)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unmatched: int = 0
    # Rows whose paper has no DOI or PMID in the dataset ("unavailable", PMID 0): they cannot match
    # anything, and are counted in ``unmatched`` too.
    unidentified: int = 0
    unmatched_ids: list = field(default_factory=list)  # the first few, as "doi:…" / "PMID …"
    # Studies whose notices are new or changed in this import (empty when re-importing the same file).
    flagged: list = field(default_factory=list)
    matched: list = field(default_factory=list)  # every study a row of the file matched
    dry_run: bool = False

    @property
    def rows(self):
        return self.created + self.updated + self.unchanged + self.unmatched

    def unmatched_report(self):
        """One sentence for the rows that matched no study, naming the first few identifiers."""
        if not self.unmatched:
            return ""
        sentence = f"{self.unmatched} notice(s) matched no study in the library"
        if self.unidentified:
            sentence += f" ({self.unidentified} name no DOI or PMID)"
        if self.unmatched_ids:
            more = self.unmatched - self.unidentified - len(self.unmatched_ids)
            sentence += f"; unknown DOI/PMID: {', '.join(self.unmatched_ids)}" + (f" and {more} more" if more else "")
        return sentence + "."


@dataclass(frozen=True)
class _Row:
    line: int
    record_id: str
    nature: str
    notice_date: datetime.date | None
    doi: str
    pmid: str
    notice_url: str
    notice_doi: str
    reason: str


def normalise_doi(value):
    """A DOI as the library stores it: no resolver prefix, no surrounding space; compare it lower-cased."""
    value = DOI_PREFIX.sub("", (value or "").strip()).strip()
    return "" if value.lower() in NO_DOI else value


def normalise_pmid(value):
    value = (value or "").strip()
    return "" if value in NO_PMID else value


def parse_notice_date(value):
    """``1/30/2023 0:00``, ``1/30/2023`` (month first, as the dataset writes) or ISO ``2023-01-30``.
    Empty is no date; anything else raises ValueError."""
    value = (value or "").strip()
    if not value:
        return None
    if match := US_DATE.match(value):
        month, day, year = (int(part) for part in match.groups())
    elif match := ISO_DATE.match(value):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise ValueError(value)
    return datetime.date(year, month, day)


def tidy_reason(value):
    """Retraction Watch writes reasons as ``+Duplication of Article;+Investigation by Journal;``."""
    parts = [part.strip().lstrip("+").strip() for part in (value or "").split(";")]
    return "; ".join(part for part in parts if part)


def first_url(value):
    """The first of the semicolon-separated ``URLS`` if it is an http(s) address, else empty."""
    first = (value or "").split(";")[0].strip()
    if len(first) > 500:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(first)
    except ValidationError:
        return ""
    return first


def _parse(line, row):
    """A ``_Row`` from one CSV row, or raise ValueError saying what is wrong with it."""
    get = lambda name: (row.get(name) or "").strip()  # noqa: E731
    problems = []
    record_id = get("Record ID")
    if not record_id:
        problems.append("no Record ID")
    elif len(record_id) > StudyNotice._meta.get_field("record_id").max_length:
        problems.append(f"Record ID {record_id[:20]!r}… is too long")
    nature = NATURES.get(re.sub(r"\s+", " ", get("RetractionNature")).lower())
    if nature is None:
        known = ", ".join(f"“{name.capitalize()}”" for name in NATURES)
        problems.append(f"unknown RetractionNature {get('RetractionNature')!r} (expected one of {known})")
    try:
        notice_date = parse_notice_date(get("RetractionDate"))
    except ValueError:
        problems.append(f"RetractionDate {get('RetractionDate')!r} is not a date like 1/30/2023 or 2023-01-30")
        notice_date = None
    raw_doi, raw_pmid = get("OriginalPaperDOI"), get("OriginalPaperPubMedID")
    doi, pmid = normalise_doi(raw_doi), normalise_pmid(raw_pmid)
    if not raw_doi and not raw_pmid:
        # The dataset writes "unavailable" and 0 when a paper has no DOI or PMID; both columns
        # empty means the row lost its identifiers.
        problems.append("neither OriginalPaperDOI nor OriginalPaperPubMedID is given")
    if pmid and not pmid.isdigit():
        problems.append(f"OriginalPaperPubMedID {raw_pmid!r} is not a PubMed ID (digits)")
    if problems:
        raise ValueError("; ".join(problems))
    return _Row(
        line=line,
        record_id=record_id,
        nature=nature,
        notice_date=notice_date,
        doi=doi,
        pmid=pmid,
        notice_url=first_url(get("URLS")),
        notice_doi=normalise_doi(get("RetractionDOI"))[:200],
        reason=tidy_reason(get("Reason")),
    )


def _read(rows):
    """Parse every row first; raise one ValidationError naming each malformed line (up to MAX_ERRORS)."""
    header = getattr(rows, "fieldnames", None)  # a csv.DictReader reads its header here
    if header is not None:
        missing = [name for name in REQUIRED_COLUMNS if name not in header]
        if missing:
            raise ValidationError(
                f"Line 1: the header lacks the column(s) {', '.join(missing)}; "
                "is this the Retraction Watch dataset (CSV)?"
            )
    parsed, errors, seen = [], [], {}
    position = 1  # the header is line 1
    for row in rows:
        # A csv.DictReader knows the line a record ends on (a quoted field may span lines).
        position = getattr(rows, "line_num", None) or position + 1
        missing = [name for name in REQUIRED_COLUMNS if name not in row]
        if missing or None in row:
            problem = f"missing column(s) {', '.join(missing)}" if missing else "more fields than the header names"
            errors.append(f"Line {position}: {problem}.")
        else:
            try:
                parsed_row = _parse(position, row)
            except ValueError as error:
                errors.append(f"Line {position}: {error}.")
            else:
                if parsed_row.record_id in seen:
                    errors.append(
                        f"Line {position}: Record ID {parsed_row.record_id} already appears on line "
                        f"{seen[parsed_row.record_id]}."
                    )
                else:
                    seen[parsed_row.record_id] = position
                    parsed.append(parsed_row)
        if len(errors) >= MAX_ERRORS:
            errors.append("Stopped reading after this many errors.")
            break
    if errors:
        raise ValidationError(errors)
    return parsed


def _match(parsed):
    """Each row's study (by DOI, case-insensitively, then by PMID), or None."""
    dois = {row.doi.lower() for row in parsed if row.doi}
    pmids = {row.pmid for row in parsed if row.pmid}
    by_doi, by_pmid = {}, {}
    if dois or pmids:
        # Studies are few; the file may hold tens of thousands of identifiers. Read the studies that
        # have an identifier and match here, case-insensitively, rather than send them all to SQL.
        for study in Study.objects.filter(~Q(doi="") | ~Q(pmid="")).order_by("pk"):
            doi = normalise_doi(study.doi).lower()
            if doi and doi in dois:
                by_doi.setdefault(doi, study)
            if study.pmid and study.pmid in pmids:
                by_pmid.setdefault(study.pmid, study)
    return [(row, by_doi.get(row.doi.lower()) or by_pmid.get(row.pmid)) for row in parsed]


def import_notices(rows, *, source=DEFAULT_SOURCE, dry_run=False):
    """Import notices from Retraction Watch CSV rows (dicts keyed by the dataset's column names).

    All or nothing: every row is checked first, and a malformed row raises ValidationError naming
    its line and saves nothing. A notice is keyed by (study, source, Record ID): importing the same
    file again changes nothing. ``dry_run`` reports what would change and writes nothing.
    """
    source = (source or "").strip()
    limit = StudyNotice._meta.get_field("source").max_length
    if not source or len(source) > limit:
        raise ValidationError(f"Name the source of the notices in 1 to {limit} characters.")
    with transaction.atomic():
        parsed = _read(rows)
        matches = _match(parsed)
        result = NoticeImport(dry_run=dry_run)
        studies = {study.pk: study for _row, study in matches if study is not None}
        existing = {
            (notice.study_id, notice.record_id): notice
            for notice in StudyNotice.objects.filter(study__in=list(studies), source=source)
        }
        flagged, now = {}, timezone.now()
        for row, study in matches:
            if study is None:
                result.unmatched += 1
                if not row.doi and not row.pmid:
                    result.unidentified += 1
                elif len(result.unmatched_ids) < SHOW_UNMATCHED:
                    result.unmatched_ids.append(f"doi:{row.doi}" if row.doi else f"PMID {row.pmid}")
                continue
            if study not in result.matched:
                result.matched.append(study)
            values = {
                "nature": row.nature,
                "notice_date": row.notice_date,
                "notice_url": row.notice_url,
                "notice_doi": row.notice_doi,
                "reason": row.reason,
            }
            notice = existing.get((study.pk, row.record_id))
            if notice is None:
                notice = StudyNotice(study=study, source=source, record_id=row.record_id, **values)
                result.created += 1
            elif any(getattr(notice, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(notice, name, value)
                notice.imported_at = now  # the desk re-lists claims whose studies' notices changed
                result.updated += 1
            else:
                result.unchanged += 1
                continue
            flagged[study.pk] = study
            if dry_run:
                continue
            try:
                notice.full_clean(validate_unique=False)  # the (study, source, record_id) key is ours
            except ValidationError as error:
                raise ValidationError(f"Line {row.line}: {'; '.join(error.messages)}") from error
            notice.save()
        result.flagged = list(flagged.values())
        if not dry_run:
            for study in result.flagged:
                announce_library_change(study)  # the study's badge changed on every page citing it
    return result


def claims_relying_on(studies):
    """Published claims with evidence from any of ``studies``: the reviews editors should re-grade."""
    return (
        Claim.objects.published()
        .filter(evidence__study__in=list(studies))
        .distinct()
        .prefetch_related("evidence__study")
        .order_by("statement")
    )


def warnings_citing(studies):
    """Published warnings that list any of ``studies`` behind them."""
    return Warning.objects.published().filter(studies__in=list(studies)).distinct().order_by("title")
