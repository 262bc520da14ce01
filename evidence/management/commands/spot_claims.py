"""Suggest, sentence by sentence, which published claims a new article makes — without importing it.

A reviewer's slowest work is reading a new article sentence by sentence to find the claims the
library already knows. This command runs the claim spotter (``evidence/spotting.py``) on a file
and prints its suggestions, so the reviewer starts from a list. It only reads: nothing is written
to the database.

``--format json`` is a contract that checks outside the test suite rely on: a JSON array with one
object per sentence or clause that has suggestions, ``{"start", "end", "text", "candidates":
[{"claim": slug, "score": float}, …]}``, candidates best first. For a plain-text, Markdown or
seed-format file, ``start`` and ``end`` count code points of the file decoded as UTF-8 exactly as
stored: nothing is normalised (a CRLF line break counts as two, a byte-order mark as one), so
``text == file_text[start:end]``. For a web page (HTML) they count code points of the text the
import would store: the article's main content extracted as Markdown (evidence/importing.py).
"""

import json
import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evidence import importing, spotting
from evidence.models import SourceArticle
from evidence.services import ArticleImportError
from evidence.services.library import normalise_newlines

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


def is_web_page(path):
    """Whether the file at ``path`` is a saved web page (read in the character set it declares)."""
    path = Path(path)
    if not path.is_file():
        return False
    head = path.read_bytes()[:4096].lstrip(b"\xef\xbb\xbf")
    return path.suffix.lower() in importing.HTML_EXTENSIONS or bool(importing.HTML_START.match(head))


def html_text(path):
    """The text the import would store for the web page at ``path``: its main content as Markdown."""
    try:
        prepared = importing.prepare(Path(path).read_bytes(), filename=Path(path).name, content_type="text/html")
    except ArticleImportError as error:
        raise CommandError(f"{path}: {error}.") from error
    return normalise_newlines(prepared.text)


class Command(BaseCommand):
    help = (
        "Suggest which published claims each sentence of an article file makes (plain text, Markdown, the "
        "seed format or a saved web page), without importing it. Writes nothing. --format json prints the "
        "stable contract: [{start, end, text, candidates: [{claim, score}]}], offsets in code points of the "
        "file as stored (for a web page, of the text the import would store)."
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
        text = html_text(file) if is_web_page(file) else read_text(file)
        if not is_web_page(file) and looks_like_html(text):
            # Offsets then refer to the extracted text that the import would store, not to the HTML.
            text = html_text(file)
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
