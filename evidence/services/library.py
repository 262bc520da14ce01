"""Named writes for each kind of library content, all through ``library_save``/``library_delete``.

Each takes ``by`` (a user, or a system actor named in ``SYSTEM_ACTORS``) and returns an
``Outcome``: the row, and the pending change request when the change waits for approval.
"""

from dataclasses import dataclass
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from evidence.links import url_key
from evidence.models import (
    Claim,
    Evidence,
    Passage,
    SlugRedirect,
    SourceArticle,
    Status,
    Study,
    Substance,
    TextFormat,
    UnfoundReference,
    Warning,
    text_hash,
)
from evidence.services.workflow import _require, library_delete, library_save, status_change
from evidence.signals import announce_library_change
from evidence.text import ArticleFormatError, context_around, match_quote, parse_structure


class ArticleImportError(ValueError):
    """An article could not be imported; the message names the reason."""


@dataclass
class ImportResult:
    article: SourceArticle
    created: bool
    # When a changed text made a new revision: how many passages were re-anchored each way
    # ({"exact": 3, "moved": 1, "fuzzy": 0, "orphaned": 1}); None otherwise.
    reanchored: dict | None = None


def unique_slug(model, base, *, exclude_pk=None, max_length=120):
    base = (slugify(base) or "item")[:max_length].strip("-")
    slug, n = base, 2
    while model.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
        suffix = f"-{n}"
        slug = f"{base[: max_length - len(suffix)]}{suffix}"
        n += 1
    return slug


def normalise_newlines(text):
    """Browsers send a textarea's line breaks as CRLF (HTML spec); files may use CR or CRLF too.
    The library stores LF only, so pasted and imported copies of one text are the same text."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- articles -------------------------------------------------------------------------------------


def derived_title(text, structure, text_format, source_name):
    """The title of an article imported without one: the seed format's first contents line; for
    Markdown its first heading; for plain text its first line when that reads as a title (at most
    TITLE_LINE_MAX characters, not ending a sentence with "."); otherwise the source name's file
    name, without its extension, dashes and underscores as spaces."""
    if structure.title:
        return structure.title
    if text_format == TextFormat.TEXT:
        first = next(structure.blocks()).text(text).split("\n", 1)[0].strip()
        if first and len(first) <= TITLE_LINE_MAX and not first.endswith("."):
            return first
    name = PurePath(source_name.rstrip("/")).name
    stem = " ".join(name.rsplit(".", 1)[0].replace("_", " ").replace("-", " ").split()) or name
    return stem[:1].upper() + stem[1:]


TITLE_LINE_MAX = 150


@transaction.atomic
def article_import(
    *,
    text,
    source_name,
    by,
    text_format=None,
    original_url="",
    site="",
    title="",
    stated_author="",
    stated_credentials="",
    published_on=None,
):
    """Store an article's text as given (line endings normalised), with its hash, as a draft.

    ``text_format`` is how the text marks its structure (docs/decisions/0006-article-text-formats.md):
    the seed format (the default; the text must parse as one), ``markdown`` or ``text``. A title not
    given comes from the text (``derived_title``); author and credentials not given come from a seed
    article's "About the Author".

    Importing the same text again changes nothing. A changed text for an article already in the
    library (the same source name, or for an import with a URL, the same normalised URL) becomes a
    new revision of it (``article_revise``: its passages are re-anchored). A new article becomes
    public only when an editor other than the importer approves it.
    """
    if "\x00" in text:
        raise ArticleImportError("the file looks binary (it contains NUL bytes)")
    text = normalise_newlines(text)
    text_format = text_format or TextFormat.SEED
    if text_format not in TextFormat.values:
        raise ArticleImportError(f"unknown text format {text_format!r}")
    try:
        structure = parse_structure(text, text_format)
    except ArticleFormatError as error:
        kind = "not a source article" if text_format == TextFormat.SEED else "no article text"
        raise ArticleImportError(f"{kind}: {error}") from error
    digest = text_hash(text)
    existing = SourceArticle.objects.filter(source_name=source_name).first()
    key = url_key(original_url)
    if existing is None and key:
        existing = SourceArticle.objects.filter(url_key=key).order_by("pk").first()
    if existing:
        if existing.content_hash == digest:
            return ImportResult(existing, created=False)
        from evidence.services.revisions import article_revise

        return article_revise(article=existing, text=text, text_format=text_format, by=by)
    same_text = SourceArticle.objects.filter(content_hash=digest).first()
    if same_text:
        return ImportResult(same_text, created=False)
    title = " ".join((title or derived_title(text, structure, text_format, source_name)).split())
    if not title:
        raise ArticleImportError("the article has no title: give one")
    article = SourceArticle(
        title=title[:300],
        slug=unique_slug(SourceArticle, slugify(title) or f"article-{digest[:8]}"),
        source_name=source_name,
        original_url=original_url,
        site=site[:200],
        stated_author=(stated_author or structure.stated_author)[:200],
        stated_credentials=stated_credentials or structure.stated_credentials,
        published_on=published_on,
        text=text,
        text_format=text_format,
        content_hash=digest,
    )
    try:
        library_save(obj=article, by=by, change_note=f"imported from {source_name}")
    except ValidationError as error:
        # Another import of the same name or text committed first, or a value the model refuses
        # (an original URL too long): say so, save nothing.
        raise ArticleImportError("; ".join(error.messages)) from error
    return ImportResult(article, created=True)


def article_update(*, article, by, expected_version=None, change_note="", **values):
    """Change an article's metadata (never its text)."""
    if {"text", "content_hash", "source_name"} & set(values):
        raise ValidationError("An article's text is never edited in place; import the new text instead.")
    return library_save(obj=article, by=by, values=values, expected_version=expected_version, change_note=change_note)


# --- passages ------------------------------------------------------------------------------------


def passage_place(*, passage, start):
    """Set a passage's position selector and its quote context from an offset into its article."""
    text = passage.article.text
    passage.start = start
    passage.end = start + len(passage.quote)
    passage.prefix, passage.suffix = context_around(text, passage.start, passage.end, Passage.CONTEXT_LENGTH)
    passage.placement = Passage.Placement.EXACT
    passage.match_score = 100.0
    return passage


def placement_values(*, article, quote, start=None):
    """The selector fields of ``quote`` anchored in ``article`` (offsets are never typed by hand),
    with the quote as the article writes it (a pasted straight apostrophe becomes the article's curly one)."""
    start, quote = match_quote(article.text, quote, start)
    placed = passage_place(passage=Passage(article=article, quote=quote), start=start)
    fields = ("quote", "start", "end", "prefix", "suffix", "placement", "match_score")
    return {name: getattr(placed, name) for name in fields}


def passage_create(
    *, article, claim, quote, by, wording=Passage.Wording.ACCURATE, wording_note="", start=None, change_note=""
):
    """Anchor ``quote`` in ``article`` and link it to ``claim`` (at ``start``, or where it occurs once)."""
    passage = Passage(article=article, claim=claim, quote=quote, wording=wording, wording_note=wording_note)
    for name, value in placement_values(article=article, quote=quote, start=start).items():
        setattr(passage, name, value)
    return library_save(obj=passage, by=by, change_note=change_note)


def passage_update(*, passage, by, expected_version=None, change_note="", **values):
    """Change a passage; a new quote or article is anchored again. Its id (its public anchor) stays."""
    article = values.get("article") or passage.article
    quote = values.get("quote", passage.quote)
    if article.pk != passage.article_id or quote != passage.quote:
        values.update(placement_values(article=article, quote=quote))
    return library_save(obj=passage, by=by, values=values, expected_version=expected_version, change_note=change_note)


def passage_confirm_placement(*, passage, by, expected_version=None, change_note=""):
    """A curator confirms a passage placed other than exactly (moved, fuzzy) where it now sits, e.g.
    after a changed article was re-anchored (services/revisions.py): it becomes exact and may then be
    shown (after approval when its claim and article are public). A passage whose quote is not at its
    offsets is re-anchored where the quote occurs once. An orphan is re-placed or removed instead."""
    if passage.placement == Passage.Placement.ORPHANED:
        raise ValidationError("An orphaned passage is not in the current text: paste its new quote, or remove it.")
    if passage.placement == Passage.Placement.EXACT:
        raise ValidationError("This passage is already placed exactly.")
    text = passage.article.text
    start = passage.start if text[passage.start : passage.end] == passage.quote else None
    values = placement_values(article=passage.article, quote=passage.quote, start=start)
    values["previous_quote"] = ""
    note = change_note or (
        f"placement confirmed in revision {passage.article.revision} "
        f"(was {passage.placement}, score {passage.match_score:g})"
    )
    return library_save(obj=passage, by=by, values=values, expected_version=expected_version, change_note=note)


def passage_delete(*, passage, by, expected_version=None, change_note=""):
    return library_delete(obj=passage, by=by, expected_version=expected_version, change_note=change_note)


# --- claims, warnings, studies, substances and a claim's parts --------------------------------------


def claim_create(*, by, substances=(), change_note="", **fields):
    return library_save(obj=Claim(**fields), by=by, m2m={"substances": list(substances)}, change_note=change_note)


def claim_update(*, claim, by, expected_version=None, change_note="", m2m=None, **values):
    return library_save(
        obj=claim, by=by, values=values, m2m=m2m, expected_version=expected_version, change_note=change_note
    )


WARNING_RELATIONS = ("substances", "studies", "claims", "mentioned_by")


def warning_create(*, by, change_note="", **fields):
    m2m = {name: list(fields.pop(name, ())) for name in WARNING_RELATIONS}
    return library_save(obj=Warning(**fields), by=by, m2m=m2m, change_note=change_note)


def warning_update(*, warning, by, expected_version=None, change_note="", m2m=None, **values):
    return library_save(
        obj=warning, by=by, values=values, m2m=m2m, expected_version=expected_version, change_note=change_note
    )


def study_create(*, by, change_note="", **fields):
    return library_save(obj=Study(**fields), by=by, change_note=change_note)


def study_update(*, study, by, expected_version=None, change_note="", **values):
    """Change a study; on a public study, ticking or unticking "verified" waits for approval too."""
    return library_save(obj=study, by=by, values=values, expected_version=expected_version, change_note=change_note)


def substance_create(*, by, change_note="", **fields):
    return library_save(obj=Substance(**fields), by=by, change_note=change_note)


def substance_update(*, substance, by, expected_version=None, change_note="", **values):
    return library_save(obj=substance, by=by, values=values, expected_version=expected_version, change_note=change_note)


def evidence_create(*, claim, study, direction, by, note="", change_note=""):
    """Attach ``study`` to ``claim`` with a direction; ``note`` is the evidence row's own note."""
    row = Evidence(claim=claim, study=study, direction=direction, note=note)
    return library_save(obj=row, by=by, change_note=change_note)


def evidence_update(*, evidence, by, expected_version=None, change_note="", **values):
    return library_save(obj=evidence, by=by, values=values, expected_version=expected_version, change_note=change_note)


def evidence_delete(*, evidence, by, expected_version=None, change_note=""):
    return library_delete(obj=evidence, by=by, expected_version=expected_version, change_note=change_note)


def unfound_reference_create(*, article, claim, citation, searched, by, change_note=""):
    row = UnfoundReference(article=article, claim=claim, citation=citation, searched=searched)
    return library_save(obj=row, by=by, change_note=change_note)


def unfound_reference_update(*, reference, by, expected_version=None, change_note="", **values):
    return library_save(obj=reference, by=by, values=values, expected_version=expected_version, change_note=change_note)


def unfound_reference_delete(*, reference, by, expected_version=None, change_note=""):
    return library_delete(obj=reference, by=by, expected_version=expected_version, change_note=change_note)


# --- public addresses that moved ------------------------------------------------------------------


REDIRECTED_MODELS = {model._meta.model_name: model for model in (Claim, SourceArticle, Study, Substance, Warning)}


def slug_redirect_save(*, model, old_slug, new_slug, by, reason=""):
    """Keep ``old_slug`` answering with a 301 to ``new_slug`` (a split or renamed item).

    The old address only redirects while no public item holds it, so adding a redirect never hides
    a page. Saving the same redirect twice changes nothing.
    """
    model_class = REDIRECTED_MODELS[model] if isinstance(model, str) else model
    _require(by, "change", model_class)
    name = model_class._meta.model_name
    if old_slug == new_slug:
        raise ValidationError("A redirect from %(slug)s to itself would loop.", params={"slug": old_slug})
    if SlugRedirect.resolve(name, new_slug) == old_slug:
        raise ValidationError(
            "%(new)s already redirects to %(old)s; the two would loop.", params={"new": new_slug, "old": old_slug}
        )
    redirect, created = SlugRedirect.objects.get_or_create(
        model=name, old_slug=old_slug, defaults={"new_slug": new_slug, "reason": reason}
    )
    changed = created or (redirect.new_slug, redirect.reason) != (new_slug, reason)
    if not created and changed:
        redirect.new_slug, redirect.reason = new_slug, reason
        redirect.save(update_fields=["new_slug", "reason"])
    if changed:
        announce_library_change(redirect)
    return redirect


# --- status ----------------------------------------------------------------------------------------


def claim_set_status(*, claim, status, by, note="", override_reason=""):
    return status_change(obj=claim, status=status, by=by, note=note, override_reason=override_reason)


def warning_set_status(*, warning, status, by, note="", override_reason=""):
    return status_change(obj=warning, status=status, by=by, note=note, override_reason=override_reason)


def submit(*, obj, by):
    """Send a draft for review."""
    return status_change(obj=obj, status=Status.IN_REVIEW, by=by)


def publish(*, obj, by, note, override_reason=""):
    """Approve an item in review: it becomes public (needs a second person and a change note)."""
    return status_change(obj=obj, status=Status.PUBLISHED, by=by, note=note, override_reason=override_reason)
