"""Every way the admin offers to change library content, generated from the admin's registry.

For each registered library model: its change form, each inline's rows (edited and removed), its
delete page, each of its actions (offered or crafted) and its add form. A reviewer's attempt
leaves every public page byte-identical; where it became a pending change, a second person's
approval makes it appear. A new admin form, inline or action is covered without a new test.
"""

import pytest
from bs4 import BeautifulSoup
from django.contrib import admin
from django.urls import reverse

from evidence import services
from evidence.models import (
    ChangeRequest,
    Claim,
    Evidence,
    Passage,
    Reviewed,
    SourceArticle,
    Study,
    Substance,
    UnfoundReference,
    Versioned,
    Warning,
)
from tests.factories import (
    make_article,
    make_claim,
    make_editor,
    make_evidence,
    make_passage,
    make_study,
    make_substance,
    make_unfound_reference,
    make_warning,
)

pytestmark = pytest.mark.django_db

LIBRARY_ADMINS = {
    model: model_admin
    for model, model_admin in admin.site._registry.items()
    if model._meta.app_label == "evidence" and issubclass(model, Versioned)
}
# Text fields whose edit would be refused for another reason (they must stay unique, parse, or be found).
UNSAFE_TO_EDIT = {"slug", "key", "quote", "change_note", "override_reason", "doi", "pmid", "pmcid", "url"}
UNSAFE_TO_EDIT |= {"original_url", "verified_on", "synonyms", "published_on"}
EDITED = " (edited)"
FREE_QUOTE = "Take 1-3 grams up to three times daily."


def paths():
    for model, model_admin in LIBRARY_ADMINS.items():
        yield model, "change"
        for inline in model_admin.inlines:
            prefix = inline.model._meta.get_field(inline.fk_name or _fk_name(inline, model)).remote_field.related_name
            yield model, f"inline-change:{prefix}"
            yield model, f"inline-delete:{prefix}"
        yield model, "delete"
        for _func, name, _description in model_admin._get_base_actions():
            yield model, f"action:{name}"
        yield model, "add"


def _fk_name(inline, parent):
    return next(f.name for f in inline.model._meta.fields if f.is_relation and f.related_model is parent)


@pytest.fixture
def library():
    """A small public library: every kind of content, published and approved by two people."""
    substance = make_substance(name="Speciociliatine", slug="speciociliatine")
    article = make_article()
    study = make_study()
    claim = make_claim(verdict="supported", certainty="low", summary="A survey supports it.", substances=[substance])
    evidence = make_evidence(claim=claim, study=study)
    passage = make_passage(article=article, claim=claim, quote="Long-term use may lead to dependence.")
    reference = make_unfound_reference(article=article, claim=claim)
    warning = make_warning(claims=[claim], studies=[study], substances=[substance])
    other_claim = make_claim(summary="Nothing addresses it.")
    return {
        Substance: substance,
        SourceArticle: article,
        Study: study,
        Claim: claim,
        Evidence: evidence,
        Passage: passage,
        UnfoundReference: reference,
        Warning: warning,
        "other_claim": other_claim,
    }


def public_pages(client, library):
    urls = ["/", "/claims/", "/studies/", "/articles/", "/warnings/", "/substances/", "/search/?q=kratom"]
    urls += [obj.get_absolute_url() for obj in library.values() if isinstance(obj, Reviewed)]
    pages = {}
    for url in urls:
        response = client.get(url)
        pages[url] = (response.status_code, response.content)
    return pages


def form_data(html, form_id):
    """What a browser would submit from the form as the page shows it."""
    form = BeautifulSoup(html, "html.parser").find("form", id=form_id)
    assert form is not None, f"no form #{form_id} on the page"
    data = {}
    for field in form.find_all(["input", "select", "textarea"]):
        name = field.get("name")
        if not name or field.get("type") in ("submit", "button", "file", "image"):
            continue
        if field.name == "textarea":
            data[name] = field.text.removeprefix("\n")
        elif field.name == "select":
            chosen = [o.get("value", o.text) for o in field.find_all("option") if o.has_attr("selected")]
            if field.has_attr("multiple"):
                data[name] = chosen
            elif chosen:
                data[name] = chosen[0]
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                data[name] = field.get("value", "on")
        else:
            data[name] = field.get("value", "")
    return form, data


def editable_text(form, prefix=""):
    """The first text field (of the main form, or of an inline row) a curator could edit freely."""
    for field in form.find_all(["textarea", "input"]):
        name = field.get("name") or ""
        if field.name == "input" and field.get("type", "text") != "text":
            continue
        if prefix and not name.startswith(prefix):
            continue
        if not prefix and "-" in name:
            continue
        if name.rsplit("-", 1)[-1] in UNSAFE_TO_EDIT:
            continue
        return name
    return None


def change_url(obj):
    return reverse(f"admin:evidence_{obj._meta.model_name}_change", args=[obj.pk])


def attempt(client, model, path, library):
    """Make one change through one admin path; return the response."""
    obj = library[model]
    opts = model._meta
    if path == "change" or path.startswith("inline-"):
        page = client.get(change_url(obj))
        if page.status_code != 200:
            return page
        form, data = form_data(page.content.decode(), f"{opts.model_name}_form")
        if path == "change":
            name = editable_text(form)
        else:
            kind, prefix = path.split(":")
            if kind == "inline-delete":
                data[f"{prefix}-0-DELETE"] = "on"
                return client.post(change_url(obj), data)
            name = editable_text(form, prefix=f"{prefix}-0-")
        assert name, f"{path} on {opts.label} offers no text field to edit"
        data[name] = data.get(name, "") + EDITED
        return client.post(change_url(obj), data)
    if path == "delete":
        return client.post(reverse(f"admin:evidence_{opts.model_name}_delete", args=[obj.pk]), {"post": "yes"})
    if path.startswith("action:"):
        name = path.split(":", 1)[1]
        url = reverse(f"admin:evidence_{opts.model_name}_changelist")
        data = {"action": name, "_selected_action": [f"{obj.pk},{obj.version}"], "post": "yes"}
        response = client.post(url, data)
        if b'name="apply"' in response.content:  # an intermediate page asking for a note
            response = client.post(url, {**data, "apply": "1", "note": "Proposed by a test."})
        return response
    assert path == "add"
    return client.post(reverse(f"admin:evidence_{opts.model_name}_add"), add_data(model, library))


def add_data(model, library):
    """A new row that would be public at once: a part of a public claim, or a new reviewed item."""
    claim, article, study = library[Claim], library[SourceArticle], library[Study]
    common = {"change_note": "Added by a test.", "version": ""}
    if model is Passage:
        return {**common, "article": article.pk, "claim": claim.pk, "quote": FREE_QUOTE, "wording": "accurate"}
    if model is Evidence:
        return {**common, "claim": library["other_claim"].pk, "study": study.pk, "direction": "supports"}
    if model is UnfoundReference:
        return {**common, "article": article.pk, "claim": claim.pk, "citation": "Doe 2031", "searched": "PubMed."}
    assert issubclass(model, Reviewed), f"{model._meta.label}: say what adding one means for the public"
    return {}  # a new reviewed item starts as a draft; its form is exercised by the admin tests


@pytest.mark.parametrize("model, path", list(paths()), ids=lambda v: v._meta.label if hasattr(v, "_meta") else v)
def test_a_reviewers_change_by_any_admin_path_waits_for_a_second_person(model, path, library, client, reviewer_client):
    before = public_pages(client, library)
    response = attempt(reviewer_client, model, path, library)
    assert response.status_code in (200, 302, 403), response.status_code
    assert public_pages(client, library) == before, f"{path} on {model._meta.label} changed a public page"

    pending = list(ChangeRequest.objects.filter(state="pending"))
    must_wait = path in ("change", "add") or path.startswith("inline-")
    must_wait |= path == "delete" and not issubclass(model, Reviewed)
    if must_wait and not (path == "add" and issubclass(model, Reviewed)):
        assert pending, f"{path} on {model._meta.label} was neither refused visibly nor proposed"
    for request in pending:
        services.change_approve(request=request, by=make_editor(), note="Approved by a second person.")
    if pending:
        assert public_pages(client, library) != before, f"approving {path} on {model._meta.label} changed nothing"


def test_every_library_model_in_the_admin_is_covered():
    covered = {model for model, _path in paths()}
    assert covered == set(LIBRARY_ADMINS) and {Claim, Warning, Passage, Evidence, Study} <= covered
