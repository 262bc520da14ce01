"""Multi-step writes. The admin, management commands and views call these; nothing else does."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from evidence.models import (
    REVIEWER_STATUSES,
    Claim,
    Passage,
    SourceArticle,
    Status,
    Warning,
    text_hash,
)
from evidence.text import (
    ArticleFormatError,
    context_around,
    locate_quote,
    parse_article,
)


class ArticleImportError(ValueError):
    """An article could not be imported; the message names the reason."""


@dataclass
class ImportResult:
    article: SourceArticle
    created: bool


def unique_slug(model, base, *, exclude_pk=None, max_length=120):
    base = (slugify(base) or "item")[:max_length].strip("-")
    slug, n = base, 2
    while model.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
        suffix = f"-{n}"
        slug = f"{base[: max_length - len(suffix)]}{suffix}"
        n += 1
    return slug


@transaction.atomic
def article_import(*, text, source_name, original_url="", site=""):
    """Store an article's text exactly as given, with its hash and the metadata its structure yields.

    Importing the same text again changes nothing. A changed text under the same source name is
    refused: the stored text is never edited in place.
    """
    if "\x00" in text:
        raise ArticleImportError("the file looks binary (it contains NUL bytes)")
    try:
        structure = parse_article(text)
    except ArticleFormatError as error:
        raise ArticleImportError(f"not a source article: {error}") from error
    digest = text_hash(text)
    existing = SourceArticle.objects.filter(source_name=source_name).first()
    if existing:
        if existing.content_hash == digest:
            return ImportResult(existing, created=False)
        raise ArticleImportError(
            "its text differs from the copy imported before; the stored text is never edited in place"
        )
    same_text = SourceArticle.objects.filter(content_hash=digest).first()
    if same_text:
        return ImportResult(same_text, created=False)
    article = SourceArticle(
        title=structure.title[:300],
        slug=unique_slug(SourceArticle, slugify(structure.title) or f"article-{digest[:8]}"),
        source_name=source_name,
        original_url=original_url,
        site=site,
        stated_author=structure.stated_author[:200],
        stated_credentials=structure.stated_credentials,
        text=text,
        content_hash=digest,
    )
    article.full_clean()
    article.save()
    return ImportResult(article, created=True)


@transaction.atomic
def passage_create(
    *,
    article,
    claim,
    quote,
    wording=Passage.Wording.ACCURATE,
    wording_note="",
    start=None,
):
    """Anchor ``quote`` in ``article`` and link it to ``claim``.

    The quote is located in the article text (at ``start`` when given, otherwise it must occur
    exactly once); offsets are never typed by hand.
    """
    start = locate_quote(article.text, quote, start)
    passage = Passage(
        article=article,
        claim=claim,
        quote=quote,
        wording=wording,
        wording_note=wording_note,
    )
    passage_place(passage=passage, start=start)
    passage.full_clean()
    passage.save()
    return passage


def passage_place(*, passage, start):
    """Set a passage's position selector and its quote context from an offset into its article."""
    text = passage.article.text
    passage.start = start
    passage.end = start + len(passage.quote)
    passage.prefix, passage.suffix = context_around(text, passage.start, passage.end, Passage.CONTEXT_LENGTH)
    passage.placement = Passage.Placement.EXACT
    passage.match_score = 100.0
    return passage


def can_publish(user, model):
    return user.has_perm(f"evidence.publish_{model._meta.model_name}")


def _set_status(obj, status, by):
    if status not in Status.values:
        raise ValidationError(f"Unknown status {status!r}.")
    if status == obj.status:
        return obj
    moving_out_of_editor_state = obj.status not in REVIEWER_STATUSES
    if (status not in REVIEWER_STATUSES or moving_out_of_editor_state) and not can_publish(by, type(obj)):
        raise PermissionDenied(f"Only editors can move a {obj._meta.verbose_name} to “{Status(status).label}”.")
    return status_write(obj, status, by=by, reason=f"status → {status}")


def status_write(obj, status, *, by=None, reason):
    """Store a new status. Callers decide who may; this only writes it, with its history reason."""
    obj.status = status
    fields = ["status", "updated_at", "version"]  # the version moves, so a form opened earlier is refused
    if status == Status.PUBLISHED:
        obj.published_at = timezone.now()
        fields.append("published_at")
    obj._change_reason = reason
    obj._history_user = by
    obj.full_clean()
    obj.save(update_fields=fields)
    return obj


@transaction.atomic
def claim_set_status(*, claim, status, by):
    """Move a claim through draft → in review → published / withdrawn; only editors publish or withdraw."""
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if status == Status.PUBLISHED and not claim.summary.strip():
        raise ValidationError("A claim needs a reviewer's summary before it is published.")
    return _set_status(claim, status, by)


def claim_publish(*, claim, by):
    return claim_set_status(claim=claim, status=Status.PUBLISHED, by=by)


@transaction.atomic
def warning_set_status(*, warning, status, by):
    warning = Warning.objects.select_for_update().get(pk=warning.pk)
    return _set_status(warning, status, by)


def warning_publish(*, warning, by):
    return warning_set_status(warning=warning, status=Status.PUBLISHED, by=by)
