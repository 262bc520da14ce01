"""The evidence library's models, re-exported so ``from evidence.models import Claim`` keeps working.

choices.py    stored values (verdict, certainty, status, …) and their database checks
querysets.py  named reads: published(), for_list(), for_detail(), search(q), …
library.py    the models themselves
workflow.py   change requests waiting for approval, and immutable claim review versions
datasets.py   published releases of the bulk dataset (evidence/dataset/)
vocabulary.py the curated search vocabulary (readers' words for the library's)
desk.py       review schedules, reviewers' public profiles, study notices, reader reports
articles.py   earlier revisions of articles, and reviewers' decisions on the claim spotter's suggestions
"""

from evidence.models.articles import ArticleRevision, SpotDecision
from evidence.models.choices import (
    CERTAINTY_DEFINITIONS,
    POLARITY_DEFINITIONS,
    PUBLIC_STATUSES,
    REVIEWER_STATUSES,
    VERDICT_DEFINITIONS,
    WORDING_DEFINITIONS,
    Certainty,
    Direction,
    NoticeNature,
    Placement,
    Polarity,
    Population,
    ReportKind,
    ReportState,
    Severity,
    SpotDecisionKind,
    Status,
    StudyDesign,
    SubstanceKind,
    TextFormat,
    Topic,
    Verdict,
    Wording,
    choices_check,
    grade_words,
    text_hash,
)
from evidence.models.datasets import DatasetRelease
from evidence.models.desk import ReaderReport, ReviewerProfile, ReviewSchedule, StudyNotice, add_months
from evidence.models.library import (
    Claim,
    Evidence,
    Passage,
    Reviewed,
    SlugRedirect,
    SourceArticle,
    Study,
    Substance,
    UnfoundReference,
    Versioned,
    Warning,
)
from evidence.models.querysets import (
    ClaimQuerySet,
    PassageQuerySet,
    PublishableQuerySet,
    SearchableQuerySet,
    SourceArticleQuerySet,
    StudyQuerySet,
    SubstanceQuerySet,
    WarningQuerySet,
)
from evidence.models.vocabulary import SearchSynonym, SearchWord
from evidence.models.workflow import ChangeItem, ChangeRequest, ClaimVersion

__all__ = [
    "CERTAINTY_DEFINITIONS",
    "POLARITY_DEFINITIONS",
    "PUBLIC_STATUSES",
    "REVIEWER_STATUSES",
    "VERDICT_DEFINITIONS",
    "WORDING_DEFINITIONS",
    "ArticleRevision",
    "Certainty",
    "ChangeItem",
    "ChangeRequest",
    "Claim",
    "ClaimQuerySet",
    "ClaimVersion",
    "DatasetRelease",
    "Direction",
    "Evidence",
    "NoticeNature",
    "Passage",
    "PassageQuerySet",
    "Placement",
    "Polarity",
    "Population",
    "PublishableQuerySet",
    "ReaderReport",
    "ReportKind",
    "ReportState",
    "ReviewSchedule",
    "Reviewed",
    "ReviewerProfile",
    "SearchSynonym",
    "SearchWord",
    "SearchableQuerySet",
    "Severity",
    "SlugRedirect",
    "SourceArticle",
    "SourceArticleQuerySet",
    "SpotDecision",
    "SpotDecisionKind",
    "Status",
    "Study",
    "StudyDesign",
    "StudyNotice",
    "StudyQuerySet",
    "Substance",
    "SubstanceKind",
    "SubstanceQuerySet",
    "TextFormat",
    "Topic",
    "UnfoundReference",
    "Verdict",
    "Versioned",
    "Warning",
    "WarningQuerySet",
    "Wording",
    "add_months",
    "choices_check",
    "grade_words",
    "text_hash",
]
