"""The claim spotter at work: suggestions for an article's sentences, and what reviewers decide.

The spotter (evidence/spotting.py) suggests, for each sentence or clause of an article that makes a
claim, the published claims it most likely makes. A reviewer answers each suggestion in place:

- **accept** one claim: a passage is created for exactly that sentence, through the publication
  path (for a public article it waits for a second person, like any other new passage);
- **reject** the suggestions: nothing is created;
- **new claim needed**: a draft claim is created from the sentence (graded *insufficient evidence,
  very low certainty* until someone grades it) and the sentence becomes its passage.

Every answer is kept as a SpotDecision, with the suggestions shown and where the accepted claim
stood among them, so ``decision_summary()`` can report how often the spotter was right.
"""

from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils.text import slugify

from evidence.models import Claim, Passage, SpotDecision, SpotDecisionKind
from evidence.services.library import claim_create, passage_create, unique_slug
from evidence.signals import content_version
from evidence.spotting import Suggestion, spot

SUGGESTIONS_CACHE_SECONDS = 6 * 3600
SPOTTER_NOTE = "accepted from the claim spotter's suggestions"


class SpotError(ValueError):
    """A decision that cannot be taken (a stale offset, a sentence already anchored); nothing is saved."""


@dataclass
class SentenceReview:
    """One suggested sentence of an article, as the reviewer sees it."""

    start: int
    end: int
    text: str
    candidates: list = field(default_factory=list)  # [(Claim, score)], best first
    decision: SpotDecision | None = None  # the latest answer for this sentence in this revision
    passage: Passage | None = None  # a passage already anchored over this sentence

    @property
    def open(self):
        return self.decision is None and self.passage is None

    @property
    def anchor(self):
        return f"spot-{self.start}"


def suggestions_for(article):
    """The spotter's suggestions for ``article``'s current text, cached per revision and content version.

    The article's own passages are left out of the examples, so a sentence is suggested because it
    reads like the claim, not because it is already linked to it.
    """
    key = f"spot:{article.pk}:{article.revision}:{article.content_hash[:16]}:{content_version()}"
    found = cache.get(key)
    if found is None:
        found = [suggestion.as_dict() for suggestion in spot(article.text, exclude_article=article.slug)]
        cache.set(key, found, SUGGESTIONS_CACHE_SECONDS)
    return [
        Suggestion(
            row["start"],
            row["end"],
            row["text"],
            [(candidate["claim"], candidate["score"]) for candidate in row["candidates"]],
        )
        for row in found
    ]


def review_rows(article):
    """Every suggested sentence of ``article`` with its candidates as claims, its latest decision and
    any passage already over it, in reading order (three queries whatever the article's length)."""
    suggestions = suggestions_for(article)
    slugs = {slug for suggestion in suggestions for slug, _ in suggestion.candidates}
    claims = (
        Claim.objects.filter(slug__in=slugs)
        .only("pk", "slug", "statement", "verdict", "certainty")
        .in_bulk(field_name="slug")
    )
    decisions = {}
    for decision in article.spot_decisions.filter(revision=article.revision).select_related("claim"):
        decisions.setdefault((decision.start, decision.end), decision)  # newest first (Meta.ordering)
    passages = list(
        article.passages.exclude(placement=Passage.Placement.ORPHANED).only("pk", "start", "end", "claim_id")
    )
    rows = []
    for suggestion in suggestions:
        candidates = [(claims[slug], score) for slug, score in suggestion.candidates if slug in claims]
        over = next((p for p in passages if p.start < suggestion.end and suggestion.start < p.end), None)
        rows.append(
            SentenceReview(
                suggestion.start,
                suggestion.end,
                suggestion.text,
                candidates,
                decisions.get((suggestion.start, suggestion.end)),
                over,
            )
        )
    return rows


def _sentence(article, start, end, revision):
    if revision != article.revision:
        raise SpotError("The article changed since these suggestions were made; reload the page.")
    if not (0 <= start < end <= len(article.text)):
        raise SpotError("That sentence is not in the article's text.")
    overlapping = article.passages.exclude(placement=Passage.Placement.ORPHANED).filter(start__lt=end, end__gt=start)
    if overlapping.exists():
        raise SpotError("This sentence already holds a passage.")
    latest = article.spot_decisions.filter(revision=revision, start=start, end=end).first()
    if latest is not None and latest.decision != SpotDecisionKind.REJECTED:
        raise SpotError(f"This sentence was answered already ({latest.get_decision_display().lower()}).")
    return article.text[start:end]


def _candidates(article, start, end):
    for suggestion in suggestions_for(article):
        if (suggestion.start, suggestion.end) == (start, end):
            return [{"claim": slug, "score": round(score, 4)} for slug, score in suggestion.candidates]
    return []


def _username(by):
    return by if isinstance(by, str) else by.get_username()


def _best(candidates, *fields):
    """The first suggested claim, or None."""
    return Claim.objects.filter(slug=candidates[0]["claim"]).only("pk", *fields).first() if candidates else None


def _decide(*, article, start, end, decision, by, claim=None, passage=None):
    """Record the answer, with the suggestions that were shown for the sentence."""
    candidates = _candidates(article, start, end)
    rank = None
    if decision == SpotDecisionKind.ACCEPTED and claim is not None:
        slugs = [candidate["claim"] for candidate in candidates]
        rank = slugs.index(claim.slug) + 1 if claim.slug in slugs else None
    return SpotDecision.objects.create(
        article=article,
        revision=article.revision,
        start=start,
        end=end,
        sentence=article.text[start:end],
        decision=decision,
        claim=claim,
        rank=rank,
        candidates=candidates,
        passage=passage if passage is not None and passage.pk else None,
        decided_by=_username(by),
    )


@transaction.atomic
def spot_accept(*, article, start, end, revision, claim, by, wording=Passage.Wording.ACCURATE, wording_note=""):
    """Link the sentence ``article.text[start:end]`` to ``claim`` as a passage; returns the Outcome."""
    sentence = _sentence(article, start, end, revision)
    try:
        outcome = passage_create(
            article=article,
            claim=claim,
            quote=sentence,
            start=start,
            by=by,
            wording=wording,
            wording_note=wording_note,
            change_note=SPOTTER_NOTE,
        )
    except ValidationError as error:
        raise SpotError("; ".join(error.messages)) from error
    _decide(
        article=article,
        start=start,
        end=end,
        decision=SpotDecisionKind.ACCEPTED,
        by=by,
        claim=claim,
        passage=outcome.obj,
    )
    return outcome


@transaction.atomic
def spot_reject(*, article, start, end, revision, by):
    """Record that none of the suggestions for the sentence is a claim it makes."""
    _sentence(article, start, end, revision)
    return _decide(
        article=article,
        start=start,
        end=end,
        decision=SpotDecisionKind.REJECTED,
        by=by,
        claim=_best(_candidates(article, start, end)),
    )


@transaction.atomic
def spot_new_claim(*, article, start, end, revision, by):
    """Create a draft claim worded as the sentence, and the sentence as its passage."""
    sentence = _sentence(article, start, end, revision)
    statement = " ".join(sentence.split())[:300]
    if Claim.objects.filter(statement=statement).exists():
        raise SpotError("A claim with exactly this statement exists already; accept it instead.")
    best = _best(_candidates(article, start, end), "topic")
    try:
        claim = claim_create(
            by=by,
            slug=unique_slug(Claim, slugify(statement)[:80]),
            statement=statement,
            topic=best.topic if best else Claim.Topic.BACKGROUND,
            verdict=Claim.Verdict.INSUFFICIENT,
            certainty=Claim.Certainty.VERY_LOW,
            change_note=f"new claim needed, from a sentence of “{article.title}” (claim spotter)",
        ).obj
        outcome = passage_create(
            article=article, claim=claim, quote=sentence, start=start, by=by, change_note=SPOTTER_NOTE
        )
    except ValidationError as error:
        raise SpotError("; ".join(error.messages)) from error
    _decide(
        article=article,
        start=start,
        end=end,
        decision=SpotDecisionKind.NEW_CLAIM,
        by=by,
        claim=claim,
        passage=outcome.obj,
    )
    return claim


def decision_summary(decisions=None):
    """How the spotter has fared with reviewers: counts of each answer, precision (accepted among
    accepted and rejected), and how often the accepted claim was the first suggestion."""
    decisions = SpotDecision.objects.all() if decisions is None else decisions
    counts = decisions.aggregate(
        accepted=Count("pk", filter=Q(decision=SpotDecisionKind.ACCEPTED)),
        rejected=Count("pk", filter=Q(decision=SpotDecisionKind.REJECTED)),
        new_claim=Count("pk", filter=Q(decision=SpotDecisionKind.NEW_CLAIM)),
        first=Count("pk", filter=Q(decision=SpotDecisionKind.ACCEPTED, rank=1)),
    )
    judged = counts["accepted"] + counts["rejected"]
    counts["precision"] = counts["accepted"] / judged if judged else None
    counts["first_share"] = counts["first"] / counts["accepted"] if counts["accepted"] else None
    counts["precision_percent"] = None if counts["precision"] is None else round(100 * counts["precision"])
    counts["first_percent"] = None if counts["first_share"] is None else round(100 * counts["first_share"])
    counts["total"] = judged + counts["new_claim"]
    return counts
