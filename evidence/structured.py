"""schema.org ClaimReview for claim pages, pinned versions and the articles that make the claims.

The numeric rating follows the verdict only, on the 1–5 scale fact-checkers' ClaimReview uses
(documented in README, "For sites that cite KratomRef"):

    contradicted 1 · mixed 3 · supported 5

Insufficient evidence and unverifiable are not points on a true–false scale, so they carry no
``ratingValue``; their ``alternateName`` says the verdict and certainty in words, as every rating does.
"""

import functools
import json

from django.contrib.auth import get_user_model
from django.utils.html import strip_tags

from evidence.links import absolute, claim_url
from evidence.models import ClaimVersion, Passage, Verdict, grade_words
from evidence.templatetags.evidence_tags import render_markdown

RATING_VALUES = {Verdict.CONTRADICTED: 1, Verdict.MIXED: 3, Verdict.SUPPORTED: 5}
WORST, BEST = 1, 5
ORGANISATION = {"@type": "Organization", "name": "KratomRef"}


def reviewed_by(user):
    """Who reviewed, as schema.org data: a reviewer who chose to be named, else the organisation."""
    from evidence.services.desk import public_reviewer

    reviewer = public_reviewer(user)
    if reviewer.url:
        return {"@type": "Person", "name": reviewer.name, "url": absolute(reviewer.url)}
    return ORGANISATION


@functools.lru_cache(maxsize=4096)  # a pure function of the text; an article page asks once per claim
def _plain(text):
    return " ".join(strip_tags(render_markdown(text or "")).split())


def claim_review(claim, version, *, pinned, articles=None, first=None):
    """The ClaimReview of ``claim`` as ``version`` recorded it (the claim's current state if None).

    ``articles`` (the published articles making the claim) and ``first`` (its first version) may be
    given by a caller that fetched them for many claims at once.
    """
    state = (
        version.snapshot
        if version is not None
        else {
            "statement": claim.statement,
            "verdict": claim.verdict,
            "certainty": claim.certainty,
            "summary": claim.summary,
        }
    )
    first = first or claim.versions.order_by("number").first()
    published = first.approved_at if first else claim.first_published_at or claim.published_at
    modified = version.approved_at if version is not None else claim.published_at
    if version is not None and pinned:
        reviewer = version.approved_by if version.approved_by_id else None
    else:
        reviewer = claim.last_reviewed_by if claim.last_reviewed_by_id else None
    rating = {
        "@type": "Rating",
        "alternateName": grade_words(state["verdict"], state["certainty"]),
        "ratingExplanation": _plain(state.get("summary"))[:500],
    }
    if state["verdict"] in RATING_VALUES:
        rating.update(ratingValue=RATING_VALUES[state["verdict"]], bestRating=BEST, worstRating=WORST)
    if articles is None:
        articles = {p.article for p in Passage.objects.published().filter(claim=claim).select_related("article")}
    appearance = [
        {
            "@type": "CreativeWork",
            "name": article.title,
            "url": article.original_url or absolute(article.get_absolute_url()),
        }
        for article in sorted(articles, key=lambda a: a.title)
    ]
    review = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": claim_url(claim, version.number if version is not None and pinned else None),
        "claimReviewed": state["statement"],
        "author": ORGANISATION,
        "reviewedBy": reviewed_by(reviewer),
        "reviewRating": rating,
        "itemReviewed": {"@type": "Claim", "appearance": appearance},
        "inLanguage": "en",
    }
    if version is not None:
        review["version"] = str(version.number)
    last_reviewed = modified if version is not None and pinned else claim.last_reviewed_at or modified
    for key, value in (("datePublished", published), ("dateModified", modified), ("lastReviewed", last_reviewed)):
        if value:
            review[key] = value.date().isoformat()
    return review


def as_json_ld(data):
    """JSON for a ``<script type="application/ld+json">`` block: data, safe inside HTML."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def article_claim_reviews(passages):
    """One ClaimReview per claim an article's published passages make, in three queries in all
    (four when a named person reviewed one of them)."""
    claims = {p.claim_id: p.claim for p in passages}
    if not claims:
        return []
    versions = {}
    for version in ClaimVersion.objects.filter(claim_id__in=claims).order_by("claim_id", "number"):
        first, _latest = versions.get(version.claim_id, (version, version))
        versions[version.claim_id] = (first, version)
    reviewer_ids = {claim.last_reviewed_by_id for claim in claims.values()} - {None}
    if reviewer_ids:  # the people who reviewed, with their public profiles, in one query
        reviewers = get_user_model().objects.select_related("reviewer_profile").in_bulk(reviewer_ids)
        for claim in claims.values():
            if claim.last_reviewed_by_id:
                claim.last_reviewed_by = reviewers[claim.last_reviewed_by_id]
    appearances = {}
    for passage in Passage.objects.published().filter(claim_id__in=claims).select_related("article"):
        appearances.setdefault(passage.claim_id, set()).add(passage.article)
    return [
        claim_review(
            claim,
            versions.get(pk, (None, None))[1],
            pinned=False,
            articles=appearances.get(pk, set()),
            first=versions.get(pk, (None, None))[0],
        )
        for pk, claim in sorted(claims.items())
    ]
