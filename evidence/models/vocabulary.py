"""The words readers use for what the library calls something else: a curated search vocabulary."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class SearchSynonym(models.Model):
    """A group of words and phrases search treats as one ("liver damage", "hepatotoxicity", …).

    Curators extend it in the admin, as they extend a substance's synonyms; search also keeps a
    built-in medical vocabulary (evidence/search.py) so a fresh database answers questions too.
    """

    terms = models.JSONField(
        default=list,
        help_text=_("Two or more words or short phrases meaning the same thing to a reader, e.g. liver, hepatic."),
    )
    note = models.CharField(max_length=300, blank=True, help_text=_("Why these belong together."))
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))

    class Meta:
        ordering = ["pk"]
        verbose_name = "search synonym group"

    def __str__(self):
        return " ↔ ".join(self.terms[:4]) + (" …" if len(self.terms) > 4 else "")

    def clean(self):
        terms = self.terms if isinstance(self.terms, list) else []
        cleaned = [" ".join(str(t).split()) for t in terms if isinstance(t, str) and t.strip()]
        if len(cleaned) < 2:
            raise ValidationError({"terms": _("Give at least two words or phrases.")})
        if any(len(t) > 60 for t in cleaned):
            raise ValidationError({"terms": _("Keep each term to 60 characters or fewer.")})
        self.terms = list(dict.fromkeys(cleaned))


class SearchWord(models.Model):
    """A word of the library's own vocabulary, which "Did you mean" draws on: the words of published
    claims' statements and published substances' names and synonyms.

    Kept as approvals publish text (``evidence.search.add_library_words``, called by the change hook
    inside the approving transaction), so no request ever splits every statement into words. A
    word is never taken out one by one: once the library has used it, it stays a fair suggestion.
    ``manage.py rebuild_search_vocabulary`` recomputes the whole set from what is published.
    """

    word = models.CharField(max_length=200, primary_key=True)

    class Meta:
        ordering = ["word"]
        verbose_name = "search vocabulary word"

    def __str__(self):
        return self.word
