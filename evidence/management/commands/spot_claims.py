"""Suggest, sentence by sentence, which published claims a new article makes — without importing it.

A reviewer's slowest work is reading a new article sentence by sentence to find the claims the
library already knows. This command runs the claim spotter (``evidence/spotting.py``) on a file
and prints its suggestions, so the reviewer starts from a list. It only reads: nothing is written
to the database.

``--format json`` is a contract that checks outside the test suite rely on: a JSON array with one
object per sentence or clause that has suggestions, ``{"start", "end", "text", "candidates":
[{"claim": slug, "score": float}, …]}``, candidates best first. ``start`` and ``end`` count code
points of the file decoded as UTF-8 exactly as stored: nothing is normalised (a CRLF line break
counts as two, a byte-order mark as one), so ``text == file_text[start:end]``.
"""

import json
import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evidence import spotting
from evidence.models import SourceArticle

HTML = re.compile(r"\A\s*<(?:!doctype\s+html|html|head|body|article|main|div|p|h[1-6])\b", re.I)
HTML_CLOSING_TAGS = re.compile(r"</(?:html|body|div|p|h[1-6]|li|span|a|article|section)\s*>", re.I)


def read_text(path):
    """The text of ``path``, decoded as UTF-8 and otherwise exactly as stored."""
    path = Path(path)
    if not path.exists():
        raise CommandError(f"{path}: no such file.")
    if path.is_dir():
        raise CommandError(f"{path} is a directory, not a file.")
    data = path.read_bytes()
    if b"\x00" in data:
        raise CommandError(f"{path} looks binary (it contains NUL bytes); give a plain-text article.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CommandError(f"{path} is not UTF-8 text (byte {error.start} cannot be decoded).") from error
    if not text.strip():
        raise CommandError(f"{path} is empty.")
    return text


def looks_like_html(text):
    return bool(HTML.match(text)) or len(HTML_CLOSING_TAGS.findall(text)) >= 3


def html_text(path, text):
    """The text the import step would store for an HTML file, if the HTML import exists yet."""
    try:
        from evidence.importing import extract
    except ImportError:
        raise CommandError(
            f"{path} is HTML. HTML articles need the import step first, which extracts the article's "
            "text; spot_claims reads plain text or the seed format. Save the article's text as a .txt "
            "file and run spot_claims on that."
        ) from None
    extracted = extract(text)
    stored = extracted if isinstance(extracted, str) else getattr(extracted, "text", None)
    if not isinstance(stored, str) or not stored.strip():
        raise CommandError(f"{path}: no article text could be extracted from this HTML.")
    return stored


class Command(BaseCommand):
    help = (
        "Suggest which published claims each sentence of an article file makes (plain text or the seed "
        "format, UTF-8), without importing it. Writes nothing. --format json prints the stable contract: "
        "[{start, end, text, candidates: [{claim, score}]}], offsets in code points of the file as stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The article: a UTF-8 text file.")
        parser.add_argument("--format", choices=["json", "text"], default="text", help="Output format (text).")
        parser.add_argument("--limit", type=int, default=3, help="Candidates per sentence, at most (3).")
        parser.add_argument(
            "--exclude-article",
            metavar="SLUG",
            help="Leave this library article's passages out of the examples (to spot an article already in it).",
        )

    def handle(self, *args, file, format, limit, exclude_article=None, verbosity=1, **options):
        if limit < 1:
            raise CommandError("--limit must be at least 1.")
        if exclude_article is not None and not SourceArticle.objects.filter(slug=exclude_article).exists():
            raise CommandError(f"No article has the slug {exclude_article!r} (--exclude-article).")
        text = read_text(file)
        if looks_like_html(text):
            # Offsets then refer to the extracted text that the import would store, not to the HTML.
            text = html_text(file, text)
        index = spotting.build_index(exclude_article=exclude_article)
        if not index.statements:
            self.stderr.write(self.style.WARNING("The library has no published claims yet: nothing to suggest."))
        suggestions = spotting.spot(text, index=index, limit=limit)
        if format == "json":
            self.stdout.write(json.dumps([s.as_dict() for s in suggestions], ensure_ascii=False, indent=2))
            return
        if verbosity:
            self.stdout.write(
                self.style.MIGRATE_HEADING(
                    f"{len(suggestions)} sentence{'s' if len(suggestions) != 1 else ''} with suggestions in {file}"
                )
            )
        for suggestion in suggestions:
            self.stdout.write(f"\n{suggestion.start}–{suggestion.end}  “{suggestion.text}”")
            for rank, (slug, score) in enumerate(suggestion.candidates, start=1):
                statement = index.statements.get(slug, "")
                self.stdout.write(f"  {rank}. {self.style.SUCCESS(slug)} ({score:.2f})  {statement}")
