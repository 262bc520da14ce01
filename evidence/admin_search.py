"""Admin for the curated search vocabulary (readers' words for the library's).

Each group is words and phrases search treats as one ("liver damage", "hepatotoxicity", …), on
top of the built-in vocabulary in evidence/search.py. Editors add, change and delete groups;
reviewers read them. A change applies to the next search; its history says who made it.
"""

import re

from django import forms
from django.contrib import admin

from evidence.admin import HistoryAdmin
from evidence.models import SearchSynonym


class TermsField(forms.Field):
    """A list of words and phrases, edited as text: one a line, or separated by commas."""

    widget = forms.Textarea(attrs={"rows": 6, "cols": 60})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(str(term) for term in value)
        return value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        return [term.strip() for term in re.split(r"[\n,]", value or "") if term.strip()]


class SearchSynonymForm(forms.ModelForm):
    terms = TermsField(
        help_text="Two or more words or short phrases meaning the same thing to a reader, one a line or "
        "separated by commas, e.g. liver damage, hepatotoxicity. A group that shares a word with another "
        "group (or with the built-in vocabulary, or a substance's synonyms) joins it.",
    )

    class Meta:
        model = SearchSynonym
        fields = ["terms", "note"]


@admin.register(SearchSynonym)
class SearchSynonymAdmin(HistoryAdmin):
    form = SearchSynonymForm
    list_display = ["terms_display", "note", "updated_at"]
    search_fields = ["terms", "note"]
    ordering = ["pk"]

    @admin.display(description="Terms")
    def terms_display(self, obj):
        return " ↔ ".join(obj.terms) if isinstance(obj.terms, list) else ""
