"""What the dataset holds: its name, licence and the Table Schema of each table."""

from dataclasses import dataclass, field

from evidence.models.choices import (
    Certainty,
    Direction,
    Polarity,
    Population,
    Severity,
    StudyDesign,
    SubstanceKind,
    Topic,
    Verdict,
    Wording,
)

NAME = "kratomref"
TITLE = "KratomRef: graded claims about kratom"
PUBLISHER = "KratomRef"
EDITORS = "KratomRef editors"  # how a person who approved a version appears: never by account name
LICENCE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 International",
}
STORAGE_DIR = "datasets"
# Cells a spreadsheet would run as a formula (OWASP's list: the four signs, tab and carriage return).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
ANNOTATIONS_FILE = "annotations.jsonld"
QUOTE_NOTE = (
    "The quote, prefix and suffix are short excerpts of the reviewed article, quoted to identify the "
    "passage; they belong to the article's publisher, are not covered by the dataset's licence, and "
    "each row names its source."
)


def col(name, type_, description, *, required=False, enum=None, fmt=None):
    """One Table Schema field."""
    spec = {"name": name, "type": type_, "description": description}
    if fmt:
        spec["format"] = fmt
    constraints = {}
    if required:
        constraints["required"] = True
    if enum is not None:
        constraints["enum"] = list(enum.values)
    if constraints:
        spec["constraints"] = constraints
    return spec


def fk(field_name, resource, target="id"):
    return {"fields": [field_name], "reference": {"resource": resource, "fields": [target]}}


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    fields: list
    primary_key: list
    foreign_keys: list = field(default_factory=list)

    def schema(self):
        schema = {"fields": self.fields, "primaryKey": self.primary_key, "missingValues": [""]}
        if self.foreign_keys:
            schema["foreignKeys"] = self.foreign_keys
        return schema


ID = "The row's number in KratomRef; stable for the life of the item."
URL = "Its public page on KratomRef."
FIRST_PUBLISHED = "When it was first published (UTC)."
PUBLISHED = "When its current public state was approved (UTC)."

TABLES = [
    Table(
        "claims",
        "Claims",
        "Every published claim review: the canonical statement, its verdict and certainty, and the "
        "reviewer's summary. Verdict values: supported, mixed, insufficient, contradicted, unverifiable; "
        "certainty: high, moderate, low, very-low.",
        [
            col("id", "integer", ID, required=True),
            col("slug", "string", "The claim's address on KratomRef (/claims/<slug>/).", required=True),
            col("url", "string", URL, required=True, fmt="uri"),
            col("statement", "string", "The canonical statement.", required=True),
            col("topic", "string", "What the claim is about.", required=True, enum=Topic),
            col("verdict", "string", "What the evidence says about the claim.", required=True, enum=Verdict),
            col("certainty", "string", "How sure the review is of its verdict.", required=True, enum=Certainty),
            col("polarity", "string", "What it would mean for a user if true.", required=True, enum=Polarity),
            col("summary", "string", "The reviewer's summary (Markdown).", required=True),
            col("substances", "array", "Slugs of the published substances it concerns (see substances)."),
            col("version", "integer", "The number of the current review version (see claim_versions)."),
            col("version_url", "string", "The pinned, citable address of the current version.", fmt="uri"),
            col("first_published_at", "datetime", FIRST_PUBLISHED),
            col("published_at", "datetime", PUBLISHED),
        ],
        ["id"],
    ),
    Table(
        "claim_versions",
        "Claim review versions",
        "Every recorded version of each published claim review, as the public read it after each approval.",
        [
            col("claim_id", "integer", "The claim (claims.id).", required=True),
            col("claim_slug", "string", "The claim's slug.", required=True),
            col("number", "integer", "The version number, from 1.", required=True),
            col("url", "string", "The version's pinned address; it stays readable.", required=True, fmt="uri"),
            col("approved_at", "datetime", "When the version was approved (UTC).", required=True),
            col(
                "approved_by",
                "string",
                f"“{EDITORS}” when an editor approved it (or the editor's public name, when they chose to be "
                "named), or the system that did (e.g. the seed library loader); empty when not recorded. "
                "Account names are never published.",
            ),
            col("change_note", "string", "What changed for readers, and why.", required=True),
            col("statement", "string", "The statement as this version recorded it.", required=True),
            col("verdict", "string", "The verdict this version gave.", enum=Verdict),
            col("certainty", "string", "The certainty this version gave.", enum=Certainty),
            col(
                "polarity",
                "string",
                "The polarity this version recorded (empty in versions before it existed).",
                enum=Polarity,
            ),
            col("summary", "string", "The summary this version recorded (Markdown)."),
        ],
        ["claim_id", "number"],
        [fk("claim_id", "claims")],
    ),
    Table(
        "evidence",
        "Evidence",
        "Each study's bearing on a claim: one row per (claim, study), for published claims and studies.",
        [
            col("claim_id", "integer", "The claim (claims.id).", required=True),
            col("study_id", "integer", "The study (studies.id).", required=True),
            col("claim_slug", "string", "The claim's slug.", required=True),
            col("study_key", "string", "The study's key.", required=True),
            col("direction", "string", "Which way the study points.", required=True, enum=Direction),
            col("note", "string", "The reviewer's note on this study for this claim."),
        ],
        ["claim_id", "study_id"],
        [fk("claim_id", "claims"), fk("study_id", "studies")],
    ),
    Table(
        "studies",
        "Studies",
        "Published studies whose identifiers were verified.",
        [
            col("id", "integer", ID, required=True),
            col("key", "string", "The study's address on KratomRef (/studies/<key>/).", required=True),
            col("url", "string", URL, required=True, fmt="uri"),
            col("title", "string", "Its title.", required=True),
            col("title_is_descriptive", "boolean", "True when the exact title was not confirmed.", required=True),
            col("authors", "string", "Its authors (empty when the author list was not confirmed)."),
            col("venue", "string", "Journal, publisher or body."),
            col("year", "integer", "Year of publication."),
            col("doi", "string", "DOI."),
            col("pmid", "string", "PubMed ID."),
            col("pmcid", "string", "PubMed Central ID."),
            col("source_url", "string", "Another address of the work."),
            col("design", "string", "Study design.", required=True, enum=StudyDesign),
            col("population", "string", "Who or what was studied.", required=True, enum=Population),
            col("sample_size", "string", "Sample size as reported."),
            col("finding", "string", "One line: what it found."),
            col("verified_on", "string", "The page its identifiers were checked on."),
            col("first_published_at", "datetime", FIRST_PUBLISHED),
            col("published_at", "datetime", PUBLISHED),
        ],
        ["id"],
    ),
    Table(
        "passages",
        "Passages",
        "Where each claim appears in a reviewed article, with the article's wording verdict. " + QUOTE_NOTE,
        [
            col("id", "integer", ID + " Its anchor on the article page is #passage-<id>.", required=True),
            col("article_id", "integer", "The article (articles.id).", required=True),
            col("claim_id", "integer", "The claim it states (claims.id).", required=True),
            col("article_slug", "string", "The article's slug.", required=True),
            col("claim_slug", "string", "The claim's slug.", required=True),
            col("url", "string", "The passage on the article's page on KratomRef.", required=True, fmt="uri"),
            col("quote", "string", "The exact quote (a W3C TextQuoteSelector's exact).", required=True),
            col("start", "integer", "Offset of the quote in the article text, in Unicode code points.", required=True),
            col("end", "integer", "Offset just past the quote, in code points.", required=True),
            col("prefix", "string", "Up to 32 characters before the quote."),
            col("suffix", "string", "Up to 32 characters after the quote."),
            col("wording", "string", "How faithfully this article words the claim.", required=True, enum=Wording),
            col("wording_note", "string", "How the wording departs from the evidence (unless accurate)."),
            col("source_url", "string", "The article's original address (empty when unknown)."),
            col(
                "source_fragment_url", "string", "The original address with a text fragment that scrolls to the quote."
            ),
        ],
        ["id"],
        [fk("article_id", "articles"), fk("claim_id", "claims")],
    ),
    Table(
        "articles",
        "Articles",
        "The reviewed articles' metadata (their text is not included: only the passages' quotes).",
        [
            col("id", "integer", ID, required=True),
            col("slug", "string", "The article's address on KratomRef (/articles/<slug>/).", required=True),
            col("url", "string", URL, required=True, fmt="uri"),
            col("title", "string", "Its title.", required=True),
            col("original_url", "string", "Where it was published (empty when unknown)."),
            col("site", "string", "Site or publisher."),
            col("stated_author", "string", "The author the article names."),
            col("reviewer_note", "string", "What readers should know about the article itself (Markdown)."),
            col("published_on", "date", "The date the article gives."),
            col("imported_at", "datetime", "When KratomRef took the text that the passages' offsets refer to (UTC)."),
            col("text_sha256", "string", "SHA-256 of that text (UTF-8), to tell its revisions apart.", required=True),
            col(
                "full_text_shown",
                "boolean",
                "True when KratomRef shows the whole text on its page (an editor recorded why that is allowed); "
                "otherwise its page shows the reviewed passages in context. The text itself is never in this dataset.",
                required=True,
            ),
            col("passage_count", "integer", "Its published passages (see passages).", required=True),
            col("first_published_at", "datetime", FIRST_PUBLISHED),
            col("published_at", "datetime", PUBLISHED),
        ],
        ["id"],
    ),
    Table(
        "warnings",
        "Warnings",
        "Published safety warnings.",
        [
            col("id", "integer", ID, required=True),
            col("slug", "string", "The warning's address on KratomRef (/warnings/<slug>/).", required=True),
            col("url", "string", URL, required=True, fmt="uri"),
            col("title", "string", "Its title.", required=True),
            col("severity", "string", "How serious it is.", required=True, enum=Severity),
            col(
                "certainty",
                "string",
                "How sure the evidence lets us be that the harm is real, graded as for a claim.",
                required=True,
                enum=Certainty,
            ),
            col("text", "string", "The warning (Markdown).", required=True),
            col("substances", "array", "Slugs of the published substances it concerns."),
            col("studies", "array", "Keys of the published studies behind it."),
            col("claims", "array", "Slugs of the published claims it bears on."),
            col("mentioned_by", "array", "Slugs of the published claims whose statement conveys it."),
            col("first_published_at", "datetime", FIRST_PUBLISHED),
            col("published_at", "datetime", PUBLISHED),
        ],
        ["id"],
    ),
    Table(
        "substances",
        "Substances",
        "Kratom and its alkaloids.",
        [
            col("id", "integer", ID, required=True),
            col("slug", "string", "The substance's address on KratomRef (/substances/<slug>/).", required=True),
            col("url", "string", URL, required=True, fmt="uri"),
            col("name", "string", "Its name.", required=True),
            col("scientific_name", "string", "Its scientific name."),
            col("kind", "string", "Plant, alkaloid or metabolite.", required=True, enum=SubstanceKind),
            col("synonyms", "array", "Other names readers use."),
            col("summary", "string", "A summary (Markdown)."),
            col("parent_id", "integer", "The substance it is part of (substances.id), when published."),
            col("first_published_at", "datetime", FIRST_PUBLISHED),
            col("published_at", "datetime", PUBLISHED),
        ],
        ["id"],
        [{"fields": ["parent_id"], "reference": {"resource": "", "fields": ["id"]}}],
    ),
]
