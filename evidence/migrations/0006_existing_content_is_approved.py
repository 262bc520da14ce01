"""Content public before the review workflow stays public, and each published claim gets version 1.

Substances, articles and verified studies were public as soon as they were saved; they become
"published". Claims and warnings keep their publication date as their first publication. Every
claim the public could read gets review version 1 holding what its page showed; who approved it
was not recorded, so the version says the approver is unknown rather than naming anyone.
"""

from django.db import migrations
from django.utils import timezone

NOTE = (
    "Recorded when review versions were introduced. This is the state the public read then; "
    "who approved it was not recorded."
)


def citation(study):
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


def snapshot(apps, claim):
    Evidence = apps.get_model("evidence", "Evidence")
    Passage = apps.get_model("evidence", "Passage")
    UnfoundReference = apps.get_model("evidence", "UnfoundReference")
    Warning = apps.get_model("evidence", "Warning")
    evidence = (
        Evidence.objects.filter(claim=claim, study__status="published", study__is_verified=True)
        .select_related("study")
        .order_by("study__year", "pk")
    )
    passages = (
        Passage.objects.filter(claim=claim, article__status="published", placement="exact")
        .select_related("article")
        .order_by("article__title", "start")
    )
    unfound = UnfoundReference.objects.filter(claim=claim).select_related("article").order_by("pk")
    warnings = Warning.objects.filter(claims=claim, status="published").order_by("title")
    return {
        "format": 1,
        "slug": claim.slug,
        "statement": claim.statement,
        "topic": claim.topic,
        "verdict": claim.verdict,
        "certainty": claim.certainty,
        "summary": claim.summary,
        "substances": [{"slug": s.slug, "name": s.name} for s in claim.substances.filter(status="published")],
        "evidence": [{"study": citation(e.study), "direction": e.direction, "note": e.note} for e in evidence],
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
            for p in passages
        ],
        "unfound_references": [
            {
                "article": {"slug": r.article.slug, "title": r.article.title},
                "citation": r.citation,
                "searched": r.searched,
            }
            for r in unfound
        ],
        "warnings": [{"slug": w.slug, "title": w.title, "severity": w.severity} for w in warnings],
    }


def approve_existing(apps, schema_editor):
    now = timezone.now()
    for name in ("Substance", "SourceArticle"):
        apps.get_model("evidence", name).objects.all().update(
            status="published", published_at=now, first_published_at=now
        )
    Study = apps.get_model("evidence", "Study")
    Study.objects.filter(is_verified=True).update(status="published", published_at=now, first_published_at=now)
    for name in ("Claim", "Warning"):
        model = apps.get_model("evidence", name)
        for obj in model.objects.exclude(published_at=None):
            model.objects.filter(pk=obj.pk).update(first_published_at=obj.published_at)
    Claim = apps.get_model("evidence", "Claim")
    ClaimVersion = apps.get_model("evidence", "ClaimVersion")
    for claim in Claim.objects.filter(status__in=["published", "withdrawn"]).exclude(published_at=None):
        if not ClaimVersion.objects.filter(claim=claim).exists():
            ClaimVersion.objects.create(
                claim=claim,
                number=1,
                approved_at=claim.published_at,
                approved_by=None,
                approved_by_system="",
                change_note=NOTE,
                snapshot=snapshot(apps, claim),
            )


class Migration(migrations.Migration):
    dependencies = [("evidence", "0005_publication_workflow")]

    operations = [migrations.RunPython(approve_existing, migrations.RunPython.noop)]
