"""The one write path for library content: direct writes to what the public cannot see, pending
changes (change requests) for what it can, the status transition table, and four-eyes approval.

Every writer — the admin, the seed loader, the management commands — calls these functions;
nothing else saves library rows. See docs/decisions/0001-pending-changes-and-versions.md.
"""

import copy
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from concurrency.exceptions import RecordModifiedError
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from evidence.models import (
    PUBLIC_STATUSES,
    ChangeItem,
    ChangeRequest,
    Claim,
    Evidence,
    Passage,
    Reviewed,
    ReviewSchedule,
    SourceArticle,
    Status,
    Study,
    Substance,
    UnfoundReference,
    Warning,
)
from evidence.signals import announce_library_change

# Writers that are not people. Each is named in the history and on the change requests it makes.
SYSTEM_ACTORS = {
    "seed-library": "the seed library loader (load_seed_library)",
    "import-command": "the import_articles command",
    "scale-generator": "the synthetic library generator",
    "migration": "a data migration",
    "retraction-import": "the import_retractions command",
}

CONFLICT_MESSAGE = (
    "Someone else changed this %(name)s after you opened it, so your changes were not saved. "
    "Open it again to see their version, then make your edit again."
)
# Fields only the workflow writes; an edit that names one is refused.
WORKFLOW_FIELDS = {
    "status",
    "published_at",
    "first_published_at",
    "submitted_by",
    "approved_by",
    "contributors",
    "version",
    "created_at",
    "updated_at",
    "last_reviewed_at",
    "last_reviewed_by",
    "next_review_due",
}


class EditConflict(ValidationError):
    """The row changed since the writer read it: the edit is refused, never saved over the newer one."""


@dataclass(frozen=True)
class Transition:
    permission: str  # "change" (reviewers) or "publish" (editors)
    four_eyes: bool = False  # the person who made the change cannot approve it
    needs_note: bool = False
    staged: bool = False  # a change to a public item: proposed now, applied when a second person approves
    note_prompt: str = "Write a change note: what the public will read differently, and why."


# The workflow: the only status moves there are, with who may make each. Published → draft is not a
# move: a change to a published item is a pending change. A withdrawn item stays 410 for good.
TRANSITIONS = {
    (Status.DRAFT, Status.IN_REVIEW): Transition("change"),
    (Status.IN_REVIEW, Status.DRAFT): Transition(
        "change", needs_note=True, note_prompt="Say why it goes back to draft, so its author knows what to change."
    ),
    (Status.IN_REVIEW, Status.PUBLISHED): Transition("publish", four_eyes=True, needs_note=True),
    (Status.PUBLISHED, Status.WITHDRAWN): Transition("publish", four_eyes=True, needs_note=True, staged=True),
}


@dataclass
class Outcome:
    """What a write did: ``obj`` is the row as the public now sees it (or the new draft row);
    ``pending`` is the change request holding the change until a second person approves it."""

    obj: models.Model
    pending: ChangeRequest | None = None

    @property
    def staged(self):
        return self.pending is not None


# --- who is writing ---------------------------------------------------------------------------


def actor_user(by):
    return None if isinstance(by, str) else by


def actor_system(by):
    if isinstance(by, str):
        if by not in SYSTEM_ACTORS:
            raise ValueError(f"Unknown system actor {by!r}; name it in SYSTEM_ACTORS.")
        return by
    return ""


def actor_name(by):
    return actor_system(by) or by.get_username()


def _require(by, action, model):
    if isinstance(by, str):
        actor_system(by)
        return
    if by is None or not by.is_active:
        raise PermissionDenied("Sign in to change the library.")
    if not by.has_perm(f"evidence.{action}_{model._meta.model_name}"):
        raise PermissionDenied(f"You may not {action} a {model._meta.verbose_name}.")


def can_publish(user, model):
    return bool(user) and user.has_perm(f"evidence.publish_{model._meta.model_name}")


# --- system actors writing directly -----------------------------------------------------------------

_SYSTEM_WRITES = ContextVar("kratomref_system_writes", default="")


def library_is_curated():
    """Whether a person has worked on this database: a change request, or a change a person made."""
    if ChangeRequest.objects.exists():
        return True
    tracked = [Substance, Study, Claim, Evidence, SourceArticle, Passage, Warning, UnfoundReference]
    return any(model.history.exclude(history_user=None).exists() for model in tracked)


@contextmanager
def system_writes(actor):
    """Let ``actor`` (a system actor) create and publish directly — only on a database that holds
    no curator-made content. Anywhere else a system actor proposes, like a person."""
    actor_system(actor)
    if library_is_curated():
        raise PermissionDenied(f"{SYSTEM_ACTORS[actor]} may not publish on a database curators have worked on.")
    token = _SYSTEM_WRITES.set(actor)
    try:
        yield
    finally:
        _SYSTEM_WRITES.reset(token)


def _require_system_writes(by):
    if not actor_system(by) or _SYSTEM_WRITES.get() != by:
        raise PermissionDenied("Only a system actor inside system_writes() writes public content directly.")


# --- what the public sees ------------------------------------------------------------------------


def is_public(obj):
    """Whether the public sees this row as it stands (a withdrawn item still shows its 410 page)."""
    if isinstance(obj, Reviewed):
        return obj.status in PUBLIC_STATUSES
    if isinstance(obj, Passage | UnfoundReference):
        return _fk_public(obj, "claim") and _fk_public(obj, "article")
    if isinstance(obj, Evidence):
        return _fk_public(obj, "claim")
    raise TypeError(f"{type(obj).__name__} is not library content")


def _fk_public(obj, name):
    pk = getattr(obj, f"{name}_id")
    if pk is None:
        return False
    model = obj._meta.get_field(name).related_model
    return model.objects.filter(pk=pk, status__in=PUBLIC_STATUSES).exists()


def subject_of(obj):
    """The reviewed item a row's change belongs to: itself, or the claim of a claim's part."""
    if isinstance(obj, Reviewed):
        return obj
    return Claim.objects.get(pk=obj.claim_id)


# --- reading and writing rows ---------------------------------------------------------------------


def _lock(model, pk):
    try:
        return model.objects.select_for_update().get(pk=pk)
    except model.DoesNotExist:
        raise EditConflict(
            "This %(name)s was removed after you opened it.", params={"name": model._meta.verbose_name}
        ) from None


def _check_version(stored, expected):
    if expected is not None and int(expected) != stored.version:
        raise EditConflict(CONFLICT_MESSAGE, params={"name": stored._meta.verbose_name})


def _editable_fields(model):
    return [
        f
        for f in model._meta.get_fields()
        if f.concrete and not f.auto_created and not f.primary_key and f.name not in WORKFLOW_FIELDS
    ]


def serialize(obj, names, m2m=None):
    """Field values as JSON-safe data: foreign keys as primary keys, many-to-many as lists of them."""
    m2m = m2m or {}
    data = {}
    for name in names:
        field = obj._meta.get_field(name)
        if field.many_to_many:
            if name in m2m:
                data[name] = sorted(getattr(o, "pk", o) for o in m2m[name])
            elif obj.pk:
                data[name] = sorted(getattr(obj, name).values_list("pk", flat=True))
            else:
                data[name] = []
        elif field.is_relation:
            data[name] = getattr(obj, field.attname)
        else:
            value = field.value_from_object(obj)
            data[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return data


def _assign(obj, data):
    """Set fields from serialized data; return the many-to-many values to set after saving."""
    m2m = {}
    for name, value in data.items():
        field = obj._meta.get_field(name)
        if field.many_to_many:
            m2m[name] = value
        elif field.is_relation:
            setattr(obj, field.attname, value)
        else:
            setattr(obj, name, field.to_python(value))
    return m2m


def _save_row(obj, *, by, reason, m2m=None):
    obj._history_user = actor_user(by)
    obj._change_reason = reason
    try:
        with transaction.atomic():
            obj.save()
    except RecordModifiedError:
        raise EditConflict(CONFLICT_MESSAGE, params={"name": obj._meta.verbose_name}) from None
    except IntegrityError as error:
        raise ValidationError(
            "This %(name)s clashes with another one saved at the same moment (%(error)s). Try again.",
            params={"name": obj._meta.verbose_name, "error": str(error).splitlines()[0][:120]},
        ) from None
    for name, values in (m2m or {}).items():
        getattr(obj, name).set(values)
    return obj


def _delete_row(obj, *, by, reason):
    obj._history_user = actor_user(by)
    obj._change_reason = reason
    try:
        with transaction.atomic():
            obj.delete()
    except ProtectedError as error:
        names = ", ".join(sorted({str(o)[:60] for o in error.protected_objects})[:3])
        raise ValidationError(
            "This %(name)s is still used by %(names)s; remove those first.",
            params={"name": obj._meta.verbose_name, "names": names},
        ) from None


def _contribute(subject, by):
    user = actor_user(by)
    if user is not None:
        subject.contributors.add(user)


def _contribute_to_parents(row, by):
    """Whoever changes a claim's part contributes to its claim and, for passages and unfound
    references, to its article: publishing either shows the change."""
    if row is None or isinstance(row, Reviewed):
        return
    for name in ("claim", "article"):
        pk = getattr(row, f"{name}_id", None)
        if pk is not None:
            model = row._meta.get_field(name).related_model
            _contribute(model.objects.get(pk=pk), by)


def _check_names(model, values, m2m):
    """Only the model's own editable fields: no workflow field (by name or column), no reverse relation."""
    for name in [*values, *m2m]:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            raise ValidationError(f"{model._meta.verbose_name} has no field {name!r}.") from None
        if field.name in WORKFLOW_FIELDS:
            raise ValidationError(f"{field.name} changes only through the review workflow.")
        forward_m2m = isinstance(field, models.ManyToManyField)
        if name in m2m and not forward_m2m:
            raise ValidationError(f"{name!r} is not a many-to-many field of a {model._meta.verbose_name}.")
        if name in values and (forward_m2m or not field.concrete or field.auto_created):
            raise ValidationError(f"{name!r} is not an editable field of a {model._meta.verbose_name}.")


def _clean(candidate, m2m):
    candidate.full_clean(exclude=list(m2m))
    for name, objects in m2m.items():
        related = candidate._meta.get_field(name).related_model
        pks = {getattr(o, "pk", o) for o in objects}
        if related.objects.filter(pk__in=pks).count() != len(pks):
            raise ValidationError(f"A {related._meta.verbose_name} chosen for {name} no longer exists.")


@transaction.atomic
def library_save(*, obj, by, values=None, m2m=None, expected_version=None, change_note="", dry_run=False, direct=False):
    """Create ``obj`` (unsaved, its fields set) or change the stored row to ``values``.

    A row the public cannot see is written at once and ``by`` becomes a contributor of its
    reviewed item. A row the public sees (before or after the change) is left as it is: the change
    waits in ``by``'s pending change request for that item until a second person approves it.
    ``expected_version`` is the edit version the writer read; a row that moved since is refused.
    ``direct`` writes a public row at once: only a system actor inside ``system_writes()`` may
    ask for it (the seed loader, on a database that holds no curator-made content).
    """
    if direct:
        _require_system_writes(by)
    model = type(obj)
    values, m2m = dict(values or {}), dict(m2m or {})
    _check_names(model, values, m2m)
    stored = _lock(model, obj.pk) if obj.pk else None
    _require(by, "change" if stored else "add", model)
    if stored is not None:
        _check_version(stored, expected_version)
        candidate = copy.copy(stored)
        candidate._state = copy.copy(stored._state)
    else:
        candidate = obj
    for name, value in values.items():
        setattr(candidate, name, value)
    _clean(candidate, m2m)
    public_before = stored is not None and is_public(stored)
    public = not direct and (public_before or is_public(candidate))
    if dry_run:
        return Outcome(stored or candidate)
    if public:
        subject = subject_of(stored if public_before else candidate)
        names = list(values) + list(m2m) if stored else [f.name for f in _editable_fields(model)]
        item = ChangeItem(
            target_type=ContentType.objects.get_for_model(model),
            target_id=stored.pk if stored else None,
            target_label=str(candidate)[:300],
            action=ChangeItem.Action.UPDATE if stored else ChangeItem.Action.CREATE,
            data=serialize(candidate, names, m2m),
            before=serialize(stored, names) if stored else {},
            base_version=stored.version if stored else None,
        )
        if stored is not None:
            # Propose only what differs, so the approver reads the change and nothing else.
            item.data = {k: v for k, v in item.data.items() if item.before.get(k) != v}
            item.before = {k: v for k, v in item.before.items() if k in item.data}
            if not item.data:
                return Outcome(stored)  # nothing would change
        return Outcome(stored or candidate, _stage(subject, by, change_note, item))
    _save_row(candidate, by=by, reason=change_note or ("changed" if stored else "added"), m2m=m2m)
    if stored is not None:
        _keep_old_address(candidate, _address(stored), by=by, note=change_note)
    if isinstance(candidate, Reviewed):
        _contribute(candidate, by)
    for row in (stored, candidate):  # a part moved between claims or articles changes both sides
        _contribute_to_parents(row, by)
    return Outcome(candidate)


@transaction.atomic
def library_delete(*, obj, by, expected_version=None, change_note="", dry_run=False, direct=False):
    """Remove a row: at once when the public cannot see it, otherwise as a pending change.

    A reviewed item that has ever been public is withdrawn, never deleted (its page answers 410).
    ``direct`` removes a public row at once, as in ``library_save``: only inside ``system_writes()``.
    """
    if direct:
        _require_system_writes(by)
    model = type(obj)
    stored = _lock(model, obj.pk)
    _require(by, "delete", model)
    _check_version(stored, expected_version)
    if isinstance(stored, Reviewed) and (stored.first_published_at or stored.is_public):
        raise ValidationError(
            "A %(name)s that has been public is withdrawn, not deleted, so its address keeps explaining itself.",
            params={"name": model._meta.verbose_name},
        )
    if dry_run:
        return Outcome(stored)
    if is_public(stored) and not direct:
        item = ChangeItem(
            target_type=ContentType.objects.get_for_model(model),
            target_id=stored.pk,
            target_label=str(stored)[:300],
            action=ChangeItem.Action.DELETE,
            before=serialize(stored, [f.name for f in _editable_fields(model)]),
            base_version=stored.version,
        )
        return Outcome(stored, _stage(subject_of(stored), by, change_note, item))
    _delete_row(stored, by=by, reason=change_note or "removed")
    _contribute_to_parents(stored, by)
    return Outcome(stored)


def _stage(subject, by, note, item):
    """Add ``item`` to ``by``'s open change request for ``subject`` (opening one if needed)."""
    user, system = actor_user(by), actor_system(by)
    subject_type = ContentType.objects.get_for_model(type(subject))
    request = (
        ChangeRequest.objects.select_for_update()
        .filter(
            subject_type=subject_type,
            subject_id=subject.pk,
            state=ChangeRequest.State.PENDING,
            submitted_by=user,
            submitted_by_system=system,
        )
        .first()
    )
    if request is None:
        request = ChangeRequest.objects.create(
            subject_type=subject_type,
            subject_id=subject.pk,
            subject_label=str(subject)[:300],
            submitted_by=user,
            submitted_by_system=system,
            note=note.strip(),
        )
    elif note.strip() and note.strip() not in request.note:
        request.note = f"{request.note}\n{note.strip()}".strip()
        request.save(update_fields=["note"])
    item.request = request
    item.save()
    return request


# --- status transitions -----------------------------------------------------------------------------


def transition_for(obj, status):
    if status not in Status.values:
        raise ValidationError(f"Unknown status {status!r}.")
    rule = TRANSITIONS.get((obj.status, status))
    if rule is None:
        raise ValidationError(
            "A %(name)s cannot move from “%(from)s” to “%(to)s”.",
            params={"name": obj._meta.verbose_name, "from": Status(obj.status).label, "to": Status(status).label},
        )
    return rule


def _check_four_eyes(*, author_ids, approver, override_reason, what):
    user = actor_user(approver)
    if user is None or user.pk not in author_ids:
        return ""
    if user.is_superuser and override_reason.strip():
        return f"four-eyes overridden by superuser {user.get_username()}: {override_reason.strip()}"
    raise PermissionDenied(
        f"You made or submitted {what}, so another editor must approve it"
        + (" (a superuser may override this with a written reason)." if user.is_superuser else ".")
    )


def _publish_ready(obj):
    if isinstance(obj, Claim) and not obj.summary.strip():
        raise ValidationError("A claim needs a reviewer's summary before it is published.")
    if isinstance(obj, Study) and not obj.is_verified:
        raise ValidationError("A study is published only once its identifiers are verified.")


@transaction.atomic
def status_change(*, obj, status, by, note="", override_reason="", dry_run=False):
    """Move a reviewed item along the workflow (``TRANSITIONS``), recorded with who and why.

    Publishing needs a change note and a second person: nobody who changed or submitted the item
    since its last approval may publish it. Withdrawing a public item is proposed by one editor and
    approved by another (a pending change).
    """
    model = type(obj)
    stored = _lock(model, obj.pk)
    if status == stored.status:
        return Outcome(stored)
    rule = transition_for(stored, status)
    if rule.permission == "publish":
        if actor_system(by):
            _require_system_writes(by)
        elif not can_publish(actor_user(by), model):
            raise PermissionDenied(f"Only editors can move a {model._meta.verbose_name} to “{Status(status).label}”.")
    else:
        _require(by, "change", model)
    if rule.needs_note and not note.strip():
        raise ValidationError(rule.note_prompt)
    if rule.staged:
        if dry_run:
            return Outcome(stored)
        item = ChangeItem(
            target_type=ContentType.objects.get_for_model(model),
            target_id=stored.pk,
            target_label=str(stored)[:300],
            action=ChangeItem.Action.UPDATE,
            data={"status": status},
            before={"status": stored.status},
            base_version=stored.version,
        )
        return Outcome(stored, _stage(stored, by, note, item))
    override = ""
    if rule.four_eyes:
        _publish_ready(stored)
        authors = set(stored.contributors.values_list("pk", flat=True)) | {stored.submitted_by_id}
        override = _check_four_eyes(
            author_ids=authors, approver=by, override_reason=override_reason, what=f"this {model._meta.verbose_name}"
        )
    if dry_run:
        return Outcome(stored)
    _write_status(stored, status, by=by, note=note, override=override)
    if status == Status.PUBLISHED:
        from evidence.services.versions import claim_version_record

        if isinstance(stored, Claim):
            claim_version_record(claim=stored, by=by, note=note, override=override)
        announce_library_change(stored)
    return Outcome(stored)


def mark_reviewed(obj, *, by, at):
    """Record that ``by`` reviewed ``obj`` at ``at``; return the fields to save (the due date follows)."""
    obj.last_reviewed_at = at
    obj.last_reviewed_by = actor_user(by)
    return ["last_reviewed_at", "last_reviewed_by", "next_review_due"]


def _write_status(obj, status, *, by, note, override=""):
    now = timezone.now()
    user = actor_user(by)
    obj.status = status
    fields = ["status", "updated_at", "version"]  # the version moves, so a form opened earlier is refused
    if status == Status.IN_REVIEW:
        obj.submitted_by = user
        fields.append("submitted_by")
    if status == Status.PUBLISHED:
        obj.published_at = now
        obj.approved_by = user
        fields += ["published_at", "approved_by"]
        if isinstance(obj, ReviewSchedule):
            fields += mark_reviewed(obj, by=by, at=now)
        if obj.first_published_at is None:
            obj.first_published_at = now
            fields.append("first_published_at")
    reason = (
        f"status → {status}" + (f": {note.strip()}" if note.strip() else "") + (f" [{override}]" if override else "")
    )
    obj._history_user = user
    obj._change_reason = reason
    obj.full_clean(exclude=["contributors"])
    try:
        obj.save(update_fields=fields)
    except RecordModifiedError:
        raise EditConflict(CONFLICT_MESSAGE, params={"name": obj._meta.verbose_name}) from None
    if status == Status.PUBLISHED:
        obj.contributors.clear()
    return obj


# --- approving and rejecting pending changes -----------------------------------------------------------


def pending_for(obj):
    """Pending change requests for a reviewed item, oldest first."""
    return ChangeRequest.objects.filter(
        subject_type=ContentType.objects.get_for_model(type(obj)),
        subject_id=obj.pk,
        state=ChangeRequest.State.PENDING,
    ).select_related("submitted_by")


def _subject_model(request):
    return request.subject_type.model_class()


@transaction.atomic
def items_seen(request):
    """A token for the items a person read; an approval refuses a request that changed since."""
    return ",".join(str(pk) for pk in request.items.order_by("pk").values_list("pk", flat=True))


@transaction.atomic
def change_approve(*, request, by, note="", override_reason="", dry_run=False, seen=None, corrects_error=False):
    """Apply every item of a pending change request in one transaction; record a claim version.

    The approver needs the publish permission for the item and cannot be the person who proposed
    the change (a superuser may override with a written reason). Publishing needs a change note.
    A row that moved since the change was proposed refuses the approval: the proposal is out of
    date and is rejected or proposed again, never applied over the newer state. ``corrects_error``
    lists the approved change in the public corrections log (/corrections/).
    """
    request = ChangeRequest.objects.select_for_update().get(pk=request.pk)
    if request.state != ChangeRequest.State.PENDING:
        raise ValidationError("This change was already %(state)s.", params={"state": request.get_state_display()})
    if seen is not None and seen != items_seen(request):
        raise EditConflict("This change grew after you opened it; read it again before approving.")
    subject_model = _subject_model(request)
    if not can_publish(actor_user(by), subject_model):
        raise PermissionDenied(f"Only editors can approve changes to a {subject_model._meta.verbose_name}.")
    override = _check_four_eyes(
        author_ids={request.submitted_by_id}, approver=by, override_reason=override_reason, what="this change"
    )
    note = (note or request.note).strip()
    if not note:
        raise ValidationError("Write a change note: what the public will read differently, and why.")
    author = request.submitted_by or request.submitted_by_system or "migration"
    applied_status, moved = None, {}
    for item in request.items.select_related("target_type"):
        applied_status = _apply(item, author=author, approver=by, note=note, moved=moved) or applied_status
    if dry_run:
        transaction.set_rollback(True)
        return Outcome(request)
    request.state = ChangeRequest.State.APPROVED
    request.decided_by = actor_user(by)
    request.decided_at = timezone.now()
    request.decision_note = note
    request.override_reason = override_reason.strip() if override else ""
    request.corrects_error = bool(corrects_error)
    request.save()
    subject = subject_model.objects.get(pk=request.subject_id)
    if subject.status == Status.PUBLISHED and applied_status is None:
        subject.published_at = request.decided_at
        subject.approved_by = actor_user(by)
        subject._history_user = actor_user(by)
        subject._change_reason = f"approved change {request.pk}"
        fields = ["published_at", "approved_by", "updated_at", "version"]
        if isinstance(subject, ReviewSchedule):
            fields += mark_reviewed(subject, by=by, at=request.decided_at)
        subject.save(update_fields=fields)
    from evidence.services.versions import claim_version_record

    for claim in Claim.objects.filter(pk__in=_claims_touched(request, subject), status=Status.PUBLISHED):
        claim_version_record(claim=claim, by=by, note=note, override=override, request=request)
    announce_library_change(subject)
    return Outcome(request)


def _claims_touched(request, subject):
    """Every claim whose page an approved request changes: its subject, and both ends of a moved part."""
    claims = {subject.pk} if isinstance(subject, Claim) else set()
    for item in request.items.all():
        for values in (item.data, item.before):
            if isinstance(values.get("claim"), int):
                claims.add(values["claim"])
    return claims


def _apply(item, *, author, approver, note, moved):
    """Apply one item. ``moved`` holds the versions rows reached through earlier items of the same
    request, so two items proposed on one row (change it, then remove it) apply in order."""
    model = item.target_type.model_class()
    reason = f"approved by {actor_name(approver)}: {note}"
    if item.action == ChangeItem.Action.CREATE:
        obj = model()
        m2m = _assign(obj, item.data)
        _clean(obj, m2m)
        _save_row(obj, by=author, reason=reason, m2m=m2m)
        item.target_id = obj.pk
        item.save(update_fields=["target_id"])
        return None
    obj = _lock(model, item.target_id)
    key = (item.target_type_id, item.target_id)
    if obj.version != moved.get(key, item.base_version):
        raise EditConflict(
            "“%(label)s” changed after this change was proposed; reject it and propose it again on the current "
            "version.",
            params={"label": item.target_label[:80]},
        )
    if item.action == ChangeItem.Action.DELETE:
        _delete_row(obj, by=author, reason=reason)
        return None
    data = dict(item.data)
    status = data.pop("status", None)
    if status is not None:
        _write_status(obj, status, by=approver, note=note)
        moved[key] = obj.version
        return status
    old_address = _address(obj)
    m2m = _assign(obj, data)
    _clean(obj, m2m)
    _save_row(obj, by=author, reason=reason, m2m=m2m)
    _keep_old_address(obj, old_address, by=approver, note=note)
    moved[key] = obj.version
    return None


def _address(obj):
    """The slug (a study's key) in an item's public address, or None for rows without one."""
    name = "key" if isinstance(obj, Study) else "slug"
    return getattr(obj, name, None) if isinstance(obj, Reviewed) else None


def _keep_old_address(obj, old_address, *, by, note):
    """A public item whose slug changed keeps answering at the old one (301), for the sites that link it."""
    new_address = _address(obj)
    if old_address and new_address != old_address and obj.first_published_at:
        from evidence.services.library import slug_redirect_save

        slug_redirect_save(model=type(obj), old_slug=old_address, new_slug=new_address, by=by, reason=note[:300])


@transaction.atomic
def change_reject(*, request, by, note):
    """Refuse a pending change, with the reason; nothing of it reaches the public."""
    request = ChangeRequest.objects.select_for_update().get(pk=request.pk)
    if request.state != ChangeRequest.State.PENDING:
        raise ValidationError("This change was already %(state)s.", params={"state": request.get_state_display()})
    subject_model = _subject_model(request)
    is_own = actor_user(by) is not None and actor_user(by).pk == request.submitted_by_id
    if not (is_own or can_publish(actor_user(by), subject_model)):
        raise PermissionDenied("Only editors, or the person who proposed it, can reject a change.")
    if not note.strip():
        raise ValidationError("Say why the change is rejected.")
    request.state = ChangeRequest.State.REJECTED
    request.decided_by = actor_user(by)
    request.decided_at = timezone.now()
    request.decision_note = note.strip()
    request.save()
    return Outcome(request)
