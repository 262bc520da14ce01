"""The curation desk: what waits for whom, who is on what, what is due for re-review and what needs
attention; re-reviews that change nothing; the names readers see for the people who reviewed.

Soft locks live in the shared cache (Redis in production): opening an item for review marks it
"being reviewed by …" for DESK_LOCK_MINUTES. A lock guards nobody's data — the optimistic edit
versions do that — it only saves two editors from doing the same work. An expired lock is kept a
while longer so whoever takes the item over is told whose review lapsed.
See docs/decisions/0005-curation-desk.md.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from evidence.models import (
    ChangeRequest,
    Claim,
    Evidence,
    Passage,
    Placement,
    ReaderReport,
    ReportState,
    Reviewed,
    SourceArticle,
    Status,
    Study,
    StudyNotice,
    Substance,
    Warning,
)
from evidence.profile import grade_flags
from evidence.services.workflow import (
    _check_version,
    _lock,
    actor_user,
    can_publish,
    mark_reviewed,
)
from evidence.signals import announce_library_change

REVIEWED_MODELS = [Claim, Warning, SourceArticle, Study, Substance]
SCHEDULED_MODELS = [Claim, Warning]
SENT_BACK_DAYS = 30  # a rejection stays on its author's desk this long
DUE_SOON_DAYS = 30  # "due for re-review" lists what falls due within this many days, and everything overdue
LOCK_PREFIX = "kratomref:desk:lock"
LOCK_MEMORY = 24 * 60 * 60  # how long an expired lock is remembered, to say whose review lapsed
TEAM_NAME = "the KratomRef editors"


# --- who reviewed, as readers see it ------------------------------------------------------------------


@dataclass(frozen=True)
class PublicReviewer:
    name: str
    url: str = ""  # a named reviewer's public profile


def public_reviewer(user):
    """The name readers see for a review: the reviewer's own, if they chose to be named, else the team."""
    profile = getattr(user, "reviewer_profile", None) if user is not None else None
    if profile is not None and profile.show_name:
        return PublicReviewer(profile.public_name, profile.get_absolute_url())
    return PublicReviewer(TEAM_NAME)


# --- re-review ------------------------------------------------------------------------------------


@transaction.atomic
def review_confirm(*, obj, by, note, expected_version=None):
    """An editor re-reviewed a published claim or warning and found nothing to change.

    Recorded in the item's history with the reviewer and the note; "last reviewed" moves and the
    next due date follows. No review version is made: versions mark changes of what readers read.
    """
    model = type(obj)
    if model not in SCHEDULED_MODELS:
        raise ValidationError(f"A {model._meta.verbose_name} has no review schedule.")
    user = actor_user(by)
    if not can_publish(user, model):
        raise PermissionDenied(f"Only editors record a re-review of a {model._meta.verbose_name}.")
    stored = _lock(model, obj.pk)
    _check_version(stored, expected_version)
    if stored.status != Status.PUBLISHED:
        raise ValidationError(f"Only a published item is re-reviewed; this one is “{stored.get_status_display()}”.")
    if not note.strip():
        raise ValidationError("Say what you checked, so the history shows why the review still stands.")
    fields = mark_reviewed(stored, by=user, at=timezone.now())
    stored._history_user = user
    stored._change_reason = f"re-reviewed, nothing changed: {note.strip()}"
    stored.save(update_fields=[*fields, "updated_at", "version"])
    announce_library_change(stored)  # the page's "last reviewed" line changed
    return stored


# --- reader reports -----------------------------------------------------------------------------


@transaction.atomic
def report_submit(*, kind, message, page="", subject=None, article_url="", email=""):
    """Record what a reader sent; it waits, open, for the desk."""
    report = ReaderReport(
        kind=kind,
        page=page,
        subject_type=ContentType.objects.get_for_model(subject) if subject is not None else None,
        subject_id=subject.pk if subject is not None else None,
        article_url=article_url if kind == ReaderReport.Kind.REVIEW else "",
        message=message,
        email=email,
    )
    report.full_clean()
    report.save()
    return report


@transaction.atomic
def report_draft(*, report, answer, change_request=None):
    """Keep the desk's answer to an open report as a draft (or the change that will answer it)."""
    report = ReaderReport.objects.select_for_update().get(pk=report.pk)
    if report.state != ReaderReport.State.OPEN:
        raise ValidationError(_("This report was already %(state)s."), params={"state": report.get_state_display()})
    report.answer = answer or ""
    report.change_request = change_request
    report.save(update_fields=["answer", "change_request"])
    return report


@transaction.atomic
def report_answer(*, report, by, state, answer, change_request=None):
    """The desk answers an open report (or dismisses it) with a written answer, recorded with who and when."""
    report = ReaderReport.objects.select_for_update().get(pk=report.pk)
    if report.state != ReaderReport.State.OPEN:
        raise ValidationError(_("This report was already %(state)s."), params={"state": report.get_state_display()})
    if state not in (ReaderReport.State.ANSWERED, ReaderReport.State.DISMISSED):
        raise ValidationError(_("A report is answered or dismissed."))
    if not (answer or "").strip():
        raise ValidationError(_("Write the answer: what the desk did about this report, or why it was dismissed."))
    report.state = state
    report.answer = answer.strip()
    report.answered_by = by
    report.answered_at = timezone.now()
    if change_request is not None:
        report.change_request = change_request
    report.full_clean()
    report.save(update_fields=["state", "answer", "answered_by", "answered_at", "change_request"])
    return report


# --- soft locks ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SoftLock:
    user_id: int
    name: str
    since: datetime.datetime
    until: datetime.datetime

    @property
    def active(self):
        return self.until > timezone.now()


@dataclass(frozen=True)
class LockOutcome:
    held_by: SoftLock | None = None  # someone else is reviewing it: the caller did not get the lock
    lapsed: SoftLock | None = None  # someone else's lock had expired: the caller took it over


def _lock_key(obj):
    return f"{LOCK_PREFIX}:{obj._meta.label_lower}:{obj.pk}"


def _stored_lock(value):
    if not isinstance(value, dict):
        return None
    try:
        return SoftLock(
            value["user_id"],
            value["name"],
            datetime.datetime.fromisoformat(value["since"]),
            datetime.datetime.fromisoformat(value["until"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def lock_open(obj, user):
    """``user`` opens ``obj`` for review: take its soft lock unless someone else holds a live one."""
    key = _lock_key(obj)
    current = _stored_lock(cache.get(key))
    if current is not None and current.user_id != user.pk and current.active:
        return LockOutcome(held_by=current)
    now = timezone.now()
    since = current.since if current is not None and current.user_id == user.pk and current.active else now
    until = now + datetime.timedelta(minutes=settings.DESK_LOCK_MINUTES)
    value = {"user_id": user.pk, "name": user.get_username(), "since": since.isoformat(), "until": until.isoformat()}
    cache.set(key, value, timeout=int((until - now).total_seconds()) + LOCK_MEMORY)
    lapsed = current if current is not None and current.user_id != user.pk else None
    return LockOutcome(lapsed=lapsed)


def lock_release(obj, user):
    """``user`` is done with ``obj`` (approved, rejected, published, saved): others may take it."""
    current = _stored_lock(cache.get(_lock_key(obj)))
    if current is not None and current.user_id == user.pk:
        cache.delete(_lock_key(obj))


def locks_for(objects):
    """The live soft locks on ``objects``, keyed by object, in one cache round trip."""
    keys = {_lock_key(obj): obj for obj in objects}
    found = cache.get_many(list(keys))
    locks = {}
    for key, value in found.items():
        lock = _stored_lock(value)
        if lock is not None and lock.active:
            locks[keys[key]] = lock
    return locks


# --- the queue ----------------------------------------------------------------------------------------


@dataclass
class DeskItem:
    obj: object
    title: str
    admin_url: str
    what: str  # e.g. "Change to a claim", "Claim in review"
    since: datetime.datetime | datetime.date | None
    who: str = ""
    reasons: list = field(default_factory=list)
    action: str = ""  # what the viewer can do: "approve", "review", "publish", "re-review"
    lock: SoftLock | None = None
    overdue: bool = False


@dataclass
class Desk:
    waiting: list
    drafts: list
    sent_back: list
    due: list
    attention: list
    reports: list

    SECTIONS = [
        ("waiting", "Waiting for me", "Changes and items in review that I can review or approve, oldest first."),
        ("drafts", "My drafts", "Drafts I worked on and my changes still waiting for approval."),
        ("sent_back", "Sent back to me", "Items returned to draft and changes rejected, with the reason."),
        ("due", "Due for re-review", "Published claims and warnings overdue or due within 30 days."),
        (
            "attention",
            "Needs attention",
            "Evidence changed since the last review, studies with notices, "
            "passages to place, and grades the evidence profile cannot carry.",
        ),
        ("reports", "Reader reports", "What readers reported, oldest first."),
    ]

    def sections(self):
        return [(key, title, help_text, getattr(self, key)) for key, title, help_text in self.SECTIONS]

    def counts(self):
        return {key: len(getattr(self, key)) for key, _title, _help in self.SECTIONS}


def _admin_url(obj):
    from django.urls import reverse

    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def _reanchor_url(passage):
    """A passage waiting after its article changed is answered on the article's re-anchor page."""
    from django.urls import reverse

    return reverse("admin:article-reanchor", args=[passage.article_id]) + f"#reanchor-{passage.pk}"


def _waiting(user):
    items = []
    requests = (
        ChangeRequest.objects.filter(state=ChangeRequest.State.PENDING)
        .exclude(submitted_by=user)
        .select_related("subject_type", "submitted_by")
        .order_by("submitted_at", "pk")
    )
    for request in requests:
        model = request.subject_type.model_class()
        items.append(
            DeskItem(
                request,
                request.subject_label,
                _admin_url(request),
                f"Change to a {model._meta.verbose_name}",
                request.submitted_at,
                who=request.submitter_name,
                reasons=[request.note] if request.note else [],
                action="approve" if can_publish(user, model) else "review",
            )
        )
    for model in REVIEWED_MODELS:
        for obj in (
            model.objects.filter(status=Status.IN_REVIEW)
            .exclude(submitted_by=user)
            .select_related("submitted_by")
            .order_by("updated_at", "pk")
        ):
            items.append(
                DeskItem(
                    obj,
                    str(obj),
                    _admin_url(obj),
                    f"{model._meta.verbose_name.capitalize()} in review",
                    obj.updated_at,
                    who=obj.submitted_by.get_username() if obj.submitted_by_id else "",
                    action="publish" if can_publish(user, model) else "review",
                )
            )
    return sorted(items, key=lambda item: item.since)


def _last_reason(model):
    """The change reason of an item's newest history record, as a subquery."""
    history = model.history.model
    return Subquery(
        history.objects.filter(id=OuterRef("pk"))
        .order_by("-history_date", "-history_id")
        .values("history_change_reason")[:1]
    )


def _drafts_and_sent_back(user):
    drafts, sent_back = [], []
    for model in REVIEWED_MODELS:
        rows = (
            model.objects.filter(status=Status.DRAFT)
            .filter(Q(contributors=user) | Q(submitted_by=user))
            .annotate(last_reason=_last_reason(model))
            .distinct()
            .order_by("updated_at", "pk")
        )
        for obj in rows:
            reason = obj.last_reason or ""
            returned = reason.startswith(f"status → {Status.DRAFT}") and obj.submitted_by_id == user.pk
            item = DeskItem(
                obj,
                str(obj),
                _admin_url(obj),
                f"{model._meta.verbose_name.capitalize()} (draft)",
                obj.updated_at,
                reasons=[reason.split(": ", 1)[-1]] if returned else [],
            )
            (sent_back if returned else drafts).append(item)
    for request in (
        ChangeRequest.objects.filter(state=ChangeRequest.State.PENDING, submitted_by=user)
        .select_related("subject_type")
        .order_by("submitted_at", "pk")
    ):
        model = request.subject_type.model_class()
        drafts.append(
            DeskItem(
                request,
                request.subject_label,
                _admin_url(request),
                f"My change to a {model._meta.verbose_name}, waiting for approval",
                request.submitted_at,
            )
        )
    since = timezone.now() - datetime.timedelta(days=SENT_BACK_DAYS)
    for request in (
        ChangeRequest.objects.filter(state=ChangeRequest.State.REJECTED, submitted_by=user, decided_at__gte=since)
        .select_related("subject_type", "decided_by")
        .order_by("decided_at", "pk")
    ):
        model = request.subject_type.model_class()
        sent_back.append(
            DeskItem(
                request,
                request.subject_label,
                _admin_url(request),
                f"My change to a {model._meta.verbose_name}, rejected",
                request.decided_at,
                who=request.decided_by.get_username() if request.decided_by_id else "",
                reasons=[request.decision_note],
            )
        )
    return drafts, sent_back


def _due(user, today):
    items = []
    horizon = today + datetime.timedelta(days=DUE_SOON_DAYS)
    for model in SCHEDULED_MODELS:
        for obj in model.objects.filter(status=Status.PUBLISHED, next_review_due__lte=horizon).order_by(
            "next_review_due", "pk"
        ):
            items.append(
                DeskItem(
                    obj,
                    str(obj),
                    _admin_url(obj),
                    f"{model._meta.verbose_name.capitalize()} due for re-review",
                    obj.next_review_due,
                    reasons=[f"Last reviewed {date_format(obj.last_reviewed_at, 'j F Y')}."]
                    if obj.last_reviewed_at
                    else [],
                    action="re-review" if can_publish(user, model) else "",
                    overdue=obj.next_review_due < today,
                )
            )
    return sorted(items, key=lambda item: item.since)


def claims_needing_attention():
    """Published or in-review claims with the reasons a curator should look at them again, in few
    queries: evidence or a study changed since the last review, a study with a publisher's notice
    since then, or a grade the evidence profile cannot carry."""
    changed_evidence = Evidence.history.model.objects.filter(
        claim_id=OuterRef("pk"), history_date__gt=OuterRef("last_reviewed_at")
    )
    changed_study = Evidence.objects.filter(claim=OuterRef("pk"), study__updated_at__gt=OuterRef("last_reviewed_at"))
    new_notice = StudyNotice.objects.filter(
        study__evidence__claim=OuterRef("pk"), imported_at__gt=OuterRef("last_reviewed_at")
    )
    claims = (
        Claim.objects.filter(status__in=[Status.PUBLISHED, Status.IN_REVIEW])
        .annotate(
            evidence_changed=Exists(changed_evidence),
            study_changed=Exists(changed_study),
            study_noticed=Exists(new_notice),
        )
        .prefetch_related(Prefetch("evidence", queryset=Evidence.objects.select_related("study")))
        .order_by("statement")
    )
    found = []
    for claim in claims:
        reasons = []
        if claim.evidence_changed:
            reasons.append("Its evidence rows changed since its last review.")
        if claim.study_changed:
            reasons.append("A study it cites was edited since its last review.")
        if claim.study_noticed:
            reasons.append("A study it cites was retracted, corrected or given an expression of concern.")
        reasons += [flag.message for flag in grade_flags(claim, claim.evidence.all())]
        if reasons:
            found.append((claim, reasons))
    return found


def _attention(user):
    items = [
        DeskItem(
            claim,
            str(claim),
            _admin_url(claim),
            f"Claim ({claim.get_status_display().lower()})",
            claim.last_reviewed_at,
            reasons=reasons,
        )
        for claim, reasons in claims_needing_attention()
    ]
    for passage in (
        Passage.objects.exclude(placement=Placement.EXACT)
        .select_related("article", "claim")
        .only("pk", "quote", "placement", "created_at", "article__title", "claim__statement")
        .order_by("created_at", "pk")
    ):
        items.append(
            DeskItem(
                passage,
                f"{passage} in “{passage.article.title}”",
                _reanchor_url(passage),
                "Passage to place",
                passage.created_at,
                reasons=[f"Placement: {passage.get_placement_display().lower()}; confirm where it sits."],
            )
        )
    return items


def _reports():
    return [
        DeskItem(
            report,
            report.page or report.article_url,
            _admin_url(report),
            report.get_kind_display(),
            report.created_at,
            reasons=[report.message[:200]],
        )
        for report in ReaderReport.objects.filter(state=ReportState.OPEN).order_by("created_at", "pk")
    ]


def desk_for(user, today=None):
    """Everything on ``user``'s desk, each section in the order to work through it."""
    today = today or timezone.localdate()
    drafts, sent_back = _drafts_and_sent_back(user)
    desk = Desk(
        waiting=_waiting(user),
        drafts=drafts,
        sent_back=sent_back,
        due=_due(user, today),
        attention=_attention(user),
        reports=_reports(),
    )
    lockable = [item for _key, _title, _help, items in desk.sections() for item in items]
    locks = locks_for([item.obj for item in lockable if isinstance(item.obj, ChangeRequest | Reviewed)])
    for item in lockable:
        lock = locks.get(item.obj)
        if lock is not None and lock.user_id != user.pk:
            item.lock = lock
    return desk
