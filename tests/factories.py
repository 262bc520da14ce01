"""Build library state through the real services, as curators do."""

import itertools

from django.contrib.auth.models import Group, User

from evidence import services
from evidence.models import Claim, Evidence, Status, Study, Substance, Warning

_counter = itertools.count(1)


def article_text(*, extra_paragraphs=(), tag=None):
    tag = tag or next(_counter)
    body = "\n".join(extra_paragraphs)
    return (
        f"Kratom summary {tag}: kratom relieves muscle soreness and is safe when used responsibly.\n"
        "This guide explores kratom for sore muscles.\n"
        "- How Kratom Works\n"
        "- Dosage and Safety\n"
        "How Kratom Works\n"
        "Its alkaloids interact with opioid receptors to relieve muscle soreness.\n"
        f"{body + chr(10) if body else ''}"
        "Dosage and Safety\n"
        "Take 1-3 grams up to three times daily. Kratom is safe when used responsibly.\n"
        "Long-term use may lead to dependence.\n"
        "In short, kratom may help with soreness, but ask a doctor first."
    )


def make_article(text=None, source_name=None, **kwargs):
    n = next(_counter)
    return services.article_import(
        text=text or article_text(tag=n), source_name=source_name or f"article-{n}.txt", **kwargs
    ).article


def make_editor():
    user, _ = User.objects.get_or_create(username="factory-editor", defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name="Editor"))
    return user


def make_claim(*, status=Status.PUBLISHED, **overrides):
    n = next(_counter)
    fields = {
        "slug": f"claim-{n}",
        "statement": f"Kratom claim number {n}.",
        "topic": Claim.Topic.EFFICACY,
        "verdict": Claim.Verdict.INSUFFICIENT,
        "certainty": Claim.Certainty.VERY_LOW,
        "summary": "No study addresses this claim.",
    }
    fields.update(overrides)
    claim = Claim(**fields)
    claim.full_clean()
    claim.save()
    if status != Status.DRAFT:
        if status != Status.IN_REVIEW:
            services.claim_set_status(claim=claim, status=Status.IN_REVIEW, by=make_editor())
        services.claim_set_status(claim=claim, status=status, by=make_editor())
        claim.refresh_from_db()
    return claim


def make_study(**overrides):
    n = next(_counter)
    fields = {
        "key": f"study-{n}",
        "title": f"A study of kratom, number {n}",
        "authors": "Doe J, Roe R",
        "venue": "Journal of Examples",
        "year": 2020,
        "url": f"https://example.org/study-{n}",
        "design": Study.Design.CROSS_SECTIONAL_SURVEY,
        "population": Study.Population.HUMANS,
        "is_verified": True,
    }
    fields.update(overrides)
    study = Study(**fields)
    study.full_clean()
    study.save()
    return study


def make_evidence(*, claim, study=None, direction=Evidence.Direction.SUPPORTS, note=""):
    evidence = Evidence(claim=claim, study=study or make_study(), direction=direction, note=note)
    evidence.full_clean()
    evidence.save()
    return evidence


def make_substance(**overrides):
    n = next(_counter)
    fields = {"name": f"Substance {n}", "slug": f"substance-{n}", "kind": Substance.Kind.ALKALOID}
    fields.update(overrides)
    return Substance.objects.create(**fields)


def make_passage(*, article, claim, quote, **kwargs):
    return services.passage_create(article=article, claim=claim, quote=quote, **kwargs)


def make_warning(*, status=Status.PUBLISHED, claims=(), mentioned_by=(), substances=(), studies=(), **overrides):
    n = next(_counter)
    fields = {
        "slug": f"warning-{n}",
        "title": f"Warning {n}",
        "severity": Warning.Severity.HIGH,
        "text": "Something readers should know.",
    }
    fields.update(overrides)
    warning = Warning.objects.create(**fields)
    warning.claims.set(claims)
    warning.mentioned_by.set(mentioned_by)
    warning.substances.set(substances)
    warning.studies.set(studies)
    if status != Status.DRAFT:
        services.warning_set_status(warning=warning, status=status, by=make_editor())
        warning.refresh_from_db()
    return warning
