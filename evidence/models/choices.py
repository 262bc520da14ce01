"""Stored values and the helpers that keep them in the database (choices, hashes)."""

import hashlib

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def choices_check(field, choices, name):
    """A named CheckConstraint that refuses values outside a TextChoices class."""
    return models.CheckConstraint(condition=Q(**{f"{field}__in": choices.values}), name=name)


def rank(field, values):
    """An expression ordering ``field`` by the position of its value in ``values`` (not alphabetically)."""
    whens = [models.When(**{field: value}, then=position) for position, value in enumerate(values)]
    return models.Case(*whens, default=len(values), output_field=models.IntegerField())


def text_hash(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Verdict(models.TextChoices):
    SUPPORTED = "supported", _("Supported")
    MIXED = "mixed", _("Mixed")
    INSUFFICIENT = "insufficient", _("Insufficient evidence")
    CONTRADICTED = "contradicted", _("Contradicted")
    UNVERIFIABLE = "unverifiable", _("Unverifiable")


class Certainty(models.TextChoices):
    HIGH = "high", _("High")
    MODERATE = "moderate", _("Moderate")
    LOW = "low", _("Low")
    VERY_LOW = "very-low", _("Very low")


def grade_words(verdict, certainty):
    """A grade in words, as every page, badge, card, citation and ClaimReview says it:
    "Supported · low certainty". A value that is no longer a choice (in an old snapshot) is shown as
    recorded."""
    verdict_label = VERDICT_LABELS.get(verdict, verdict)
    certainty_label = str(CERTAINTY_LABELS.get(certainty, certainty)).lower()
    return gettext("%(verdict)s · %(certainty)s certainty") % {"verdict": verdict_label, "certainty": certainty_label}


VERDICT_LABELS, CERTAINTY_LABELS = dict(Verdict.choices), dict(Certainty.choices)


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in-review", _("In review")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class SubstanceKind(models.TextChoices):
    PLANT = "plant", _("Plant")
    ALKALOID = "alkaloid", _("Alkaloid")
    METABOLITE = "metabolite", _("Metabolite")


class Topic(models.TextChoices):
    MECHANISM = "mechanism", _("Mechanism")
    EFFICACY = "efficacy", _("Efficacy")
    DOSAGE = "dosage", _("Dosage")
    SAFETY = "safety", _("Safety")
    INTERACTIONS = "interactions", _("Interactions")
    REGULATION = "regulation", _("Regulation")
    BACKGROUND = "background", _("Background")
    CITATION = "citation", _("Citation")
    CREDENTIALS = "credentials", _("Credentials")


class StudyDesign(models.TextChoices):
    RCT = "rct", _("Randomised controlled trial")
    CONTROLLED_TRIAL = "controlled-trial", _("Controlled trial")
    COHORT = "cohort", _("Cohort study")
    CASE_CONTROL = "case-control", _("Case-control study")
    CROSS_SECTIONAL_SURVEY = "cross-sectional-survey", _("Cross-sectional survey")
    CASE_REPORT = "case-report", _("Case report")
    CASE_SERIES = "case-series", _("Case series")
    SYSTEMATIC_REVIEW = "systematic-review", _("Systematic review")
    NARRATIVE_REVIEW = "narrative-review", _("Narrative review")
    GUIDELINE = "guideline", _("Clinical guideline")
    ANIMAL = "animal", _("Animal study")
    IN_VITRO = "in-vitro", _("In vitro study")
    PHARMACOKINETIC = "pharmacokinetic", _("Pharmacokinetic study")
    REGULATORY = "regulatory", _("Regulatory document")
    SURVEILLANCE_REPORT = "surveillance-report", _("Surveillance report")


class Population(models.TextChoices):
    HUMANS = "humans", _("Humans")
    ANIMALS = "animals", _("Animals")
    CELLS = "cells", _("Cells")
    NONE = "none", _("Not applicable")


class Direction(models.TextChoices):
    SUPPORTS = "supports", _("Supports")
    CONTRADICTS = "contradicts", _("Contradicts")
    MIXED = "mixed", _("Mixed")
    NEUTRAL = "neutral", _("Neutral")


class Wording(models.TextChoices):
    ACCURATE = "accurate", _("Accurate")
    OVERSTATED = "overstated", _("Overstated")
    UNDERSTATED = "understated", _("Understated")
    MISREPRESENTED = "misrepresented", _("Misrepresented")


# What each grade means, for the "How we grade" page and the admin's help texts.
VERDICT_DEFINITIONS = {
    Verdict.SUPPORTED: _("The studies we reviewed back the claim."),
    Verdict.MIXED: _("Some studies back the claim and others do not, or they back only part of it."),
    Verdict.INSUFFICIENT: _(
        "No study we reviewed tests the claim well enough to say. This is not a yes or a no: "
        "nobody has shown it either way."
    ),
    Verdict.CONTRADICTED: _("The studies we reviewed go against the claim."),
    Verdict.UNVERIFIABLE: _(
        "The article cites a source or a credential that cannot be found, so the claim as made cannot be checked."
    ),
}
CERTAINTY_DEFINITIONS = {
    Certainty.HIGH: _(
        "Further research is very unlikely to change the verdict: consistent controlled trials or reviews of them."
    ),
    Certainty.MODERATE: _(
        "Further research could change the verdict, but it is consistent across several kinds of study in people."
    ),
    Certainty.LOW: _(
        "Further research may well change the verdict: few studies, surveys or small samples, or indirect evidence."
    ),
    Certainty.VERY_LOW: _(
        "The verdict is a best guess: anecdotes, single cases, animal or cell studies, or no study at all."
    ),
}

# What each wording verdict means. One definition, shown to curators (the passage form's help
# text), to readers (the "How we grade" page) and in the README. The wording is always judged
# against the claim the passage is linked to, never against what the reader would like to hear.
WORDING_DEFINITIONS = {
    Wording.ACCURATE: _("The article states the claim about as strongly as its evidence allows."),
    Wording.OVERSTATED: _(
        "The article asserts the claim more strongly, more certainly or more broadly than its "
        "evidence allows. A contradicted claim stated as fact is overstated."
    ),
    Wording.UNDERSTATED: _(
        "The article states the claim more weakly than its evidence allows, for example a "
        "well-established risk phrased as a remote possibility."
    ),
    Wording.MISREPRESENTED: _(
        "The article says the evidence shows what it does not, or cites a source that cannot be found."
    ),
}


class Polarity(models.TextChoices):
    """What a claim would mean for a person who uses kratom if it were true."""

    BENEFIT = "benefit", _("Benefit")
    HARM = "harm", _("Harm")
    NEUTRAL = "neutral", _("Neutral")


POLARITY_DEFINITIONS = {
    Polarity.BENEFIT: _("If true, good news for a person who uses kratom (it relieves pain, it is safe)."),
    Polarity.HARM: _("If true, a risk or cost for a person who uses kratom (it causes dependence, liver injury)."),
    Polarity.NEUTRAL: _("Neither: background, chemistry, dosing customs, law, or who said what."),
}


class Placement(models.TextChoices):
    EXACT = "exact", _("Exact")
    MOVED = "moved", _("Moved")
    FUZZY = "fuzzy", _("Fuzzy")
    ORPHANED = "orphaned", _("Orphaned")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MODERATE = "moderate", _("Moderate")
    HIGH = "high", _("High")


# What each warning severity means: how bad the harm is when it happens, not how likely it is or how
# sure the evidence lets us be (that is the warning's certainty, graded as for a claim).
SEVERITY_DEFINITIONS = {
    Severity.HIGH: _(
        "The harm can be life-threatening or lasting, or can need hospital care: for example dependence, "
        "liver injury or a fatal overdose."
    ),
    Severity.MODERATE: _(
        "The harm can need medical attention or cause real trouble, but is usually not life-threatening "
        "and passes with care or on stopping."
    ),
    Severity.LOW: _("The harm is unpleasant or inconvenient and usually passes on its own."),
}


# Statuses of items the public has not seen; changing anything else waits for a second person.
REVIEWER_STATUSES = (Status.DRAFT, Status.IN_REVIEW)
# Statuses whose item the public sees: published, or withdrawn (answers 410 with an explanation).
PUBLIC_STATUSES = (Status.PUBLISHED, Status.WITHDRAWN)


class NoticeNature(models.TextChoices):
    """What a publisher said about a study after it appeared (NISO CREC, Retraction Watch's terms)."""

    RETRACTION = "retraction", _("Retracted")
    CONCERN = "concern", _("Expression of concern")
    CORRECTION = "correction", _("Corrected")
    REINSTATEMENT = "reinstatement", _("Reinstated")


class ReportKind(models.TextChoices):
    ERROR = "error", _("Report an error")
    REVIEW = "review", _("Ask us to review an article")


class ReportState(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    DISMISSED = "dismissed", _("Dismissed")


class TextFormat(models.TextChoices):
    """How an article's stored text marks its structure (docs/decisions/0006-article-text-formats.md)."""

    SEED = "seed", _("Seed format")
    MARKDOWN = "markdown", _("Markdown (extracted from a web page or given as Markdown)")
    TEXT = "text", _("Plain text")


class SpotDecisionKind(models.TextChoices):
    """What a reviewer did with the claim spotter's suggestions for one sentence of an article."""

    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    NEW_CLAIM = "new-claim", _("New claim needed")
