"""Claim review versions: what the public read after each approval, recorded once, never edited."""

from django.utils import timezone

from evidence.models import Claim, ClaimVersion

SNAPSHOT_FORMAT = 1
UNKNOWN_APPROVER_NOTE = (
    "Recorded when review versions were introduced. This is the state the public read then; "
    "who approved it was not recorded."
)


def study_citation(study):
    """A study's citation data as the version records it (later edits of the study leave it as is)."""
    return {
        "key": study.key,
        "title": study.title,
        "title_is_descriptive": study.title_is_descriptive,
        "authors": study.authors if study.authors_confirmed else "",
        "venue": study.venue,
        "year": study.year,
        "doi": study.doi,
        "pmid": study.pmid,
        "pmcid": study.pmcid,
        "url": study.url,
        "design": study.design,
        "population": study.population,
        "sample_size": study.sample_size,
        "finding": study.finding,
    }


def claim_snapshot(claim):
    """The claim review as its public page shows it: grade, summary, evidence, passages, warnings."""
    claim = Claim.objects.for_detail().get(pk=claim.pk)
    return {
        "format": SNAPSHOT_FORMAT,
        "slug": claim.slug,
        "statement": claim.statement,
        "topic": claim.topic,
        "verdict": claim.verdict,
        "certainty": claim.certainty,
        "polarity": claim.polarity,
        "summary": claim.summary,
        "substances": [{"slug": s.slug, "name": s.name} for s in claim.substances.all()],
        "evidence": [
            {"study": study_citation(e.study), "direction": e.direction, "note": e.note} for e in claim.evidence.all()
        ],
        "passages": [
            {
                "id": p.pk,
                "article": {"slug": p.article.slug, "title": p.article.title},
                "quote": p.quote,
                "start": p.start,
                "end": p.end,
                "wording": p.wording,
                "wording_note": p.wording_note,
            }
            for p in claim.passages.all()
        ],
        "unfound_references": [
            {
                "article": {"slug": r.article.slug, "title": r.article.title},
                "citation": r.citation,
                "searched": r.searched,
            }
            for r in claim.unfound_references.all()
        ],
        "warnings": [{"slug": w.slug, "title": w.title, "severity": w.severity} for w in claim.warnings.all()],
    }


def claim_version_record(*, claim, by, note, override="", request=None):
    """Record the next review version of a just-approved claim."""
    from evidence.services.workflow import actor_system, actor_user

    last = claim.versions.order_by("-number").values_list("number", flat=True).first() or 0
    change_note = note.strip() + (f"\n[{override}]" if override else "")
    version = ClaimVersion(
        claim=claim,
        number=last + 1,
        approved_at=timezone.now(),
        approved_by=actor_user(by),
        approved_by_system=actor_system(by),
        change_note=change_note,
        change_request=request,
        snapshot=claim_snapshot(claim),
    )
    version.full_clean()
    version.save()
    return version
