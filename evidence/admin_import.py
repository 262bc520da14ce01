"""The admin's "Add source article" form: paste text, paste a web page's HTML, upload a file or give a URL.

Whatever is given goes through evidence/importing.py (kind detection, main-content extraction,
the URL fetcher's checks) when the form is validated, so every refusal is shown on the form and
nothing is saved; ``SourceArticleAdmin.save_model`` then imports the prepared text through
``article_import`` (a changed text for an article already in the library becomes its next revision).
"""

from django import forms
from django.conf import settings

from evidence.importing import fetch_url, prepare, source_name_for
from evidence.models import SourceArticle, TextFormat, text_hash
from evidence.services import ArticleImportError, normalise_newlines
from evidence.text import ArticleFormatError, parse_structure


class ArticleImportForm(forms.ModelForm):
    """Adding an article in the admin imports it, exactly as the command does."""

    PASTE_TEXT, PASTE_HTML, UPLOAD, URL = "text", "html", "file", "url"
    KINDS = [
        (PASTE_TEXT, "Paste text (seed format, Markdown or plain text)"),
        (PASTE_HTML, "Paste a web page's HTML (its main content and metadata are extracted)"),
        (UPLOAD, "Upload a file (.html/.htm saved web page, .md Markdown, .txt text)"),
        (URL, "Give the article's URL (the page is fetched now)"),
    ]
    INPUT_FIELD = {PASTE_TEXT: "text", PASTE_HTML: "html", UPLOAD: "upload", URL: "url"}

    kind = forms.ChoiceField(
        label="Import from", choices=KINDS, initial=PASTE_TEXT, required=False, widget=forms.RadioSelect
    )
    text = forms.CharField(label="Text", required=False, strip=False, widget=forms.Textarea(attrs={"rows": 12}))
    text_format = forms.ChoiceField(
        label="Format of the pasted text",
        required=False,
        choices=[("", "Detect: the seed format if it parses as one, Markdown if it has # headings, else plain text")]
        + [(value, label) for value, label in TextFormat.choices],
    )
    html = forms.CharField(label="HTML", required=False, strip=False, widget=forms.Textarea(attrs={"rows": 12}))
    upload = forms.FileField(label="File", required=False)
    url = forms.URLField(label="URL", required=False, max_length=500, assume_scheme="https")
    source_name = forms.CharField(
        max_length=255,
        required=False,
        help_text="Where the text came from. Left empty: the file's name, or the URL; pasted text needs one.",
    )
    original_url = forms.URLField(
        label="Original URL",
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text="Left empty: the page's canonical URL, or the URL fetched.",
    )
    site = forms.CharField(max_length=200, required=False, help_text="Left empty: the site name the page gives.")
    title = forms.CharField(
        max_length=300,
        required=False,
        help_text="Left empty: the page's title, a Markdown text's first heading, or the first line of plain text.",
    )

    class Meta:
        model = SourceArticle
        fields = []

    FIELDS = ["kind", "text", "text_format", "html", "upload", "url", "source_name", "original_url", "site", "title"]

    def clean(self):
        data = super().clean()
        kind = data.get("kind") or self.PASTE_TEXT
        field = self.INPUT_FIELD[kind]
        self.prepared = None
        try:
            prepared, filename, url = self._prepare(kind, data)
        except ArticleImportError as error:
            self.add_error(field, f"Not imported: {error}.")
            return data
        if prepared is None:
            self.add_error(field, "Give the article here (or choose another way to import it above).")
            return data
        if kind == self.PASTE_TEXT and data.get("text_format"):
            prepared.text_format = data["text_format"]
        try:
            parse_structure(prepared.text, prepared.text_format)
        except ArticleFormatError as error:
            label = "Not a source article" if prepared.text_format == TextFormat.SEED else "No article text"
            self.add_error(field, f"{label}: {error}")
            return data
        values = {**prepared.metadata}
        for name in ("original_url", "site", "title"):
            if data.get(name):
                values[name] = data[name]
        source_name = data.get("source_name") or source_name_for(
            filename=filename, url=values.get("original_url") or url
        )
        if not source_name:
            self.add_error(
                "source_name", "Give a source name for pasted text (e.g. the file's name), or its original URL."
            )
            return data
        existing = SourceArticle.objects.filter(content_hash=text_hash(prepared.text)).first()
        if existing:
            self.add_error(field, f"This text is already in the library as “{existing.title}”.")
            return data
        self.prepared, self.source_name, self.values = prepared, source_name, values
        return data

    def _post_clean(self):
        # The article is built and validated by article_import, not from this form's fields (some of
        # which share the model's names but not its rules: a source name may be left empty here).
        pass

    def _prepare(self, kind, data):
        """(Prepared or None when nothing was given, file name, URL) for the chosen kind of input."""
        if kind == self.PASTE_TEXT:
            text = normalise_newlines(data.get("text") or "")
            if not text.strip():
                return None, "", ""
            return prepare(text.encode("utf-8"), content_type=""), "", ""
        if kind == self.PASTE_HTML:
            html = data.get("html") or ""
            if not html.strip():
                return None, "", ""
            prepared = prepare(html.encode("utf-8"), content_type="text/html; charset=utf-8")
            return prepared, "", ""
        if kind == self.UPLOAD:
            upload = data.get("upload")
            if not upload:
                return None, "", ""
            if upload.size > settings.ARTICLE_IMPORT_MAX_BYTES:
                limit = settings.ARTICLE_IMPORT_MAX_BYTES
                raise ArticleImportError(f"the file is too large ({upload.size:,} bytes; the limit is {limit:,})")
            return prepare(upload.read(), filename=upload.name), upload.name, ""
        url = data.get("url") or ""
        if not url:
            if "url" in self.errors:
                raise ArticleImportError("give a valid http or https address")
            return None, "", ""
        fetched = fetch_url(url)
        return prepare(fetched.data, content_type=fetched.content_type, url=fetched.url), "", fetched.url
