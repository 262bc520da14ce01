"""Build library state through the real services, as curators do: a reviewer writes and submits,
a different editor approves. Nothing here saves a library row directly."""

import itertools

from django.contrib.auth.models import Group, User

from evidence import services
from evidence.models import Claim, Evidence, Status, Study, Substance, Warning

_counter = itertools.count(1)
NOTE = "Reviewed against the cited studies."


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


def _user(name, group):
    user, _ = User.objects.get_or_create(username=name, defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name=group))
    return user


def make_reviewer():
    return _user("factory-reviewer", "Reviewer")


def make_editor():
    return _user("factory-editor", "Editor")


def settle(outcome, *, by=None):
    """Approve a pending change as a second person (an editor) and return the row as now stored."""
    if outcome.pending is None:
        return outcome.obj
    services.change_approve(request=outcome.pending, by=by or make_editor(), note=NOTE)
    item = outcome.pending.items.order_by("-pk").first()
    model = item.target_type.model_class()
    return model.objects.filter(pk=item.target_id).first()


def reach(obj, status, *, author=None, approver=None):
    """Move a draft along the workflow: submitted by its author, published by another person."""
    if status == Status.DRAFT:
        return obj
    services.status_change(obj=obj, status=Status.IN_REVIEW, by=author or make_reviewer())
    if status in (Status.PUBLISHED, Status.WITHDRAWN):
        services.status_change(obj=obj, status=Status.PUBLISHED, by=approver or make_editor(), note=NOTE)
    if status == Status.WITHDRAWN:
        outcome = services.status_change(
            obj=obj, status=Status.WITHDRAWN, by=approver or make_editor(), note="Withdrawn."
        )
        services.change_approve(request=outcome.pending, by=make_reviewer_editor(), note="Withdrawn.")
    obj.refresh_from_db()
    return obj


def make_reviewer_editor():
    """A second editor, for the second pair of eyes on a withdrawal the first editor proposed."""
    return _user("factory-second-editor", "Editor")


TEST_TEXT_REASON = "Written for the test suite."


def make_article(text=None, source_name=None, *, status=Status.PUBLISHED, full_text_shown=True, **kwargs):
    """An imported article; its whole text is shown (the reason: it was written for the tests) unless
    ``full_text_shown=False``, which leaves readers the reviewed passages in context only."""
    n = next(_counter)
    result = services.article_import(
        text=text or article_text(tag=n), source_name=source_name or f"article-{n}.txt", by=make_reviewer(), **kwargs
    )
    article = result.article
    if result.created and full_text_shown and not article.full_text_shown:
        article = services.article_update(
            article=article, by=make_reviewer(), full_text_shown=True, full_text_reason=TEST_TEXT_REASON
        ).obj
    return reach(article, status) if article.status == Status.DRAFT else article


def make_claim(*, status=Status.PUBLISHED, substances=(), **overrides):
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
    claim = services.claim_create(by=make_reviewer(), substances=substances, **fields).obj
    return reach(claim, status)


def make_study(*, status=Status.PUBLISHED, **overrides):
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
    study = services.study_create(by=make_reviewer(), **fields).obj
    return reach(study, status if study.is_verified else Status.DRAFT)


def make_evidence(*, claim, study=None, direction=Evidence.Direction.SUPPORTS, note=""):
    outcome = services.evidence_create(
        claim=claim, study=study or make_study(), direction=direction, note=note, by=make_reviewer()
    )
    return settle(outcome)


def make_substance(*, status=Status.PUBLISHED, **overrides):
    n = next(_counter)
    fields = {"name": f"Substance {n}", "slug": f"substance-{n}", "kind": Substance.Kind.ALKALOID}
    fields.update(overrides)
    return reach(services.substance_create(by=make_reviewer(), **fields).obj, status)


def make_passage(*, article, claim, quote, **kwargs):
    return settle(services.passage_create(article=article, claim=claim, quote=quote, by=make_reviewer(), **kwargs))


def make_unfound_reference(*, article, claim, citation="Smith 2019, Journal of Nothing", searched="PubMed: no match"):
    outcome = services.unfound_reference_create(
        article=article, claim=claim, citation=citation, searched=searched, by=make_reviewer()
    )
    return settle(outcome)


def make_warning(*, status=Status.PUBLISHED, claims=(), mentioned_by=(), substances=(), studies=(), **overrides):
    n = next(_counter)
    fields = {
        "slug": f"warning-{n}",
        "title": f"Warning {n}",
        "severity": Warning.Severity.HIGH,
        "text": "Something readers should know.",
    }
    fields.update(overrides)
    warning = services.warning_create(
        by=make_reviewer(), claims=claims, mentioned_by=mentioned_by, substances=substances, studies=studies, **fields
    ).obj
    return reach(warning, status)
