"""The admin at scale (issue 14): change forms with many inline rows run a constant number of queries,
and every foreign key to a big table is picked by search-as-you-type, never a <select> of every row."""

import pytest
from bs4 import BeautifulSoup
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evidence.models import Claim, SourceArticle, Study
from tests.factories import (
    article_text,
    make_article,
    make_claim,
    make_evidence,
    make_passage,
    make_study,
    make_unfound_reference,
)

pytestmark = pytest.mark.django_db

BIG_TABLES = (Claim, SourceArticle, Study)


def sentences(tag, n):
    return [f"Sentence {tag}-{i} says kratom was studied in setting {i}." for i in range(n)]


def article_with_passages(n):
    """A published article quoting ``n`` claims, one passage each."""
    lines = sentences(f"a{n}", n)
    article = make_article(text=article_text(extra_paragraphs=lines))
    for i, line in enumerate(lines):
        claim = make_claim(statement=f"Claim {i} of {n} quoted by one article.")
        make_passage(article=article, claim=claim, quote=line)
    return article


def claim_with_rows(n, articles=5):
    """A claim quoted ``n`` times across a few articles, with ``n`` evidence rows and an unfound
    reference per article."""
    claim = make_claim(statement=f"A claim quoted {n} times.")
    per_article = -(-n // articles)
    made = 0
    for a in range(articles):
        lines = sentences(f"c{n}-{a}", min(per_article, n - made))
        article = make_article(text=article_text(extra_paragraphs=lines), title=f"Article {a} quoting {n}")
        for line in lines:
            make_passage(article=article, claim=claim, quote=line)
        made += len(lines)
        make_unfound_reference(article=article, claim=claim, citation=f"Author {a} 2019, a journal")
    for i in range(n):
        make_evidence(claim=claim, study=make_study(title=f"Study {i} for the claim quoted {n} times"))
    return claim


def change_url(obj):
    return reverse(f"admin:evidence_{obj._meta.model_name}_change", args=[obj.pk])


def change_form(client, obj):
    """The change page and the queries it ran."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(change_url(obj))
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser"), len(queries)


def selected_labels(page, inline_prefix, field):
    """The label each inline row's autocomplete shows for its selected item, in row order."""
    labels = []
    for select in page.select(f"select[name^='{inline_prefix}-'][name$='-{field}']"):
        if "__prefix__" in select["name"]:
            continue
        option = select.select_one("option[selected]")
        labels.append(option.get_text() if option else None)
    return labels


def test_an_article_change_form_runs_the_same_queries_with_10_or_50_passages(admin_client):
    small, big = article_with_passages(10), article_with_passages(50)
    change_form(admin_client, small)  # the first admin page of a process also loads content types
    _small_page, small_queries = change_form(admin_client, small)
    big_page, big_queries = change_form(admin_client, big)

    assert big_queries == small_queries
    # Every row still names its claim, as Django's own widget would.
    expected = sorted(f"Claim {i} of 50 quoted by one article." for i in range(50))
    assert sorted(selected_labels(big_page, "passages", "claim")) == expected


def test_a_claim_change_form_runs_the_same_queries_with_10_or_50_rows(admin_client):
    small, big = claim_with_rows(10), claim_with_rows(50)
    change_form(admin_client, small)
    _small_page, small_queries = change_form(admin_client, small)
    big_page, big_queries = change_form(admin_client, big)

    assert big_queries == small_queries
    passages = selected_labels(big_page, "passages", "article")
    assert len(passages) == 50 and set(passages) == {f"Article {a} quoting 50" for a in range(5)}
    studies = selected_labels(big_page, "evidence", "study")
    assert len(studies) == 50 and all(label.endswith("for the claim quoted 50 times") for label in studies)
    assert set(selected_labels(big_page, "unfound_references", "article")) == {
        f"Article {a} quoting 50" for a in range(5)
    }
    # The rows' own labels (Evidence names its study and claim) are there too.
    assert big_page.get_text().count("A claim quoted 50 times.") >= 50


def form_data(page):
    """What the browser would post for the page's change form, as rendered."""
    form = page.select_one("form#sourcearticle_form, form#claim_form")
    data = {}
    for field in form.select("input[name], textarea[name], select[name]"):
        name = field["name"]
        if field.name == "textarea":
            data[name] = field.get_text().lstrip("\n")
        elif field.name == "select":
            chosen = field.select("option[selected]")
            if field.has_attr("multiple"):
                data[name] = [option["value"] for option in chosen]
            elif chosen:
                data[name] = chosen[0]["value"]
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                data[name] = field.get("value", "on")
        elif field.get("type") not in ("submit", "button", "file"):
            data[name] = field.get("value", "")
    return data


def test_a_refused_inline_row_shows_the_item_it_was_changed_to_not_the_stored_one(admin_client):
    article = article_with_passages(3)
    other = make_claim(statement="A different claim the reviewer picked.")
    page, _ = change_form(admin_client, article)
    data = form_data(page)
    data["passages-0-claim"] = str(other.pk)
    data["passages-0-quote"] = "Words that are nowhere in the article text."

    response = admin_client.post(change_url(article), data)

    assert response.status_code == 200  # refused, shown again with the error
    page = BeautifulSoup(response.content.decode(), "html.parser")
    assert "errornote" in str(page.select_one(".errornote") or "") or page.select(".errorlist")
    assert selected_labels(page, "passages", "claim")[0] == "A different claim the reviewer picked."


def test_every_foreign_key_to_a_big_table_is_searched_as_you_type_or_read_only(rf, admin_user):
    """A <select> of 100,000 claims, 10,000 articles or 50,000 studies would take seconds to render."""
    request = rf.get("/")
    request.user = admin_user
    offenders = []
    for model, model_admin in admin.site._registry.items():
        admins = [model_admin, *(inline(model, admin.site) for inline in model_admin.inlines)]
        for each in admins:
            adds = (
                each.has_add_permission(request, None) if each is not model_admin else each.has_add_permission(request)
            )
            if not adds and not each.has_change_permission(request):
                continue  # shown read-only: there is no widget to pick with
            readonly = set(each.get_readonly_fields(request))
            autocomplete = set(each.get_autocomplete_fields(request)) | set(getattr(each, "raw_id_fields", ()))
            fields = each.get_fields(request) if hasattr(each, "get_fields") else []
            for name in fields:
                if not isinstance(name, str) or name in readonly:
                    continue
                try:
                    field = each.model._meta.get_field(name)
                except Exception:
                    continue  # a form-only field
                if field.is_relation and field.related_model in BIG_TABLES and name not in autocomplete:
                    offenders.append(f"{type(each).__name__}.{name}")
    assert offenders == []
