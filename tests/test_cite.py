"""Cite this review: BibTeX, RIS and CSL-JSON downloads, content negotiation, Highwire meta tags and
the "Cite this review" box, each read back with a real parser.

evidence/schemas/csl-data.json is the CSL-JSON schema exactly as published in
github.com/citation-style-language/schema, schemas/input/csl-data.json at commit
e3ce254a72c4470a5ed3b9d23b428017d25674e9 (master, 2023-01-25; blob ab52447266f77d4794830da35f89e4cc6cb0f1df).
"""

import json
import re
from pathlib import Path

import bibtexparser
import jsonschema
import pytest
import rispy
from bs4 import BeautifulSoup
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from django.conf import settings
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import resolve
from django.utils import timezone

from evidence import cite, services
from evidence.models import Claim, Status
from tests.factories import make_claim, make_reviewer, settle

pytestmark = [
    pytest.mark.django_db,
    # bibtexparser 1.4 calls pyparsing by its pre-3.0 names; that is its business, not ours.
    pytest.mark.filterwarnings("ignore::pyparsing.warnings.PyparsingDeprecationWarning"),
]

SCHEMA = json.loads((Path(settings.BASE_DIR) / "evidence" / "schemas" / "csl-data.json").read_text())
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
HOSTILE = (
    'Kratom {cures} 100% of "pain" #1 & more_so \\end{document} $x^2$ ~ | <script>alert(1)</script>\n'
    "ER  - \nTY  - JOUR\n@misc{evil, title={pwned}}"
)

# What LaTeX prints for the commands a BibTeX title may use to write characters literally.
LATEX_WORDS = {
    "textbackslash": "\\",
    "textbraceleft": "{",
    "textbraceright": "}",
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textless": "<",
    "textgreater": ">",
    "textbar": "|",
}


def latex_text(value):
    """The text LaTeX typesets for ``value``: control symbols print their character, grouping braces vanish."""
    out, i = [], 0
    while i < len(value):
        char = value[i]
        if char == "\\":
            word = re.match(r"[A-Za-z]+", value[i + 1 :])
            if word:
                out.append(LATEX_WORDS[word.group()])
                i += 1 + len(word.group())
                if value.startswith("{}", i):
                    i += 2
                continue
            out.append(value[i + 1])
            i += 2
            continue
        if char not in "{}":
            out.append(char)
        i += 1
    return "".join(out)


def one_line(text):
    return " ".join(text.split())


def bib_entry(response):
    database = bibtexparser.loads(response.content.decode())
    assert len(database.entries) == 1
    return database.entries[0]


def ris_entry(response):
    entries = rispy.loads(response.content.decode())
    assert len(entries) == 1
    return entries[0]


def csl_items(response):
    items = json.loads(response.content)
    jsonschema.Draft7Validator(SCHEMA).validate(items)
    return items


def csl_rendered(items):
    """The bibliography entry citeproc-py formats from ``items`` with a style it ships."""
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    bibliography.register(Citation([CitationItem(items[0]["id"])]))
    return str(bibliography.bibliography()[0])


def second_version(claim, **values):
    """Edit a published claim and approve the edit as a second person: review version 2."""
    settle(services.claim_update(claim=claim, by=make_reviewer(), **values))
    claim.refresh_from_db()
    return claim


def day_of(version):
    return timezone.localdate(version.approved_at)


# --- the three files -----------------------------------------------------------------------------


def test_bibtex_download_parses_as_a_misc_entry_naming_the_version_date_and_url(client):
    claim = make_claim(slug="kratom-eases-pain", statement="Kratom eases chronic pain.")
    version = claim.versions.get()

    response = client.get("/claims/kratom-eases-pain/cite.bib")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-bibtex")
    assert response["Content-Disposition"] == 'attachment; filename="kratomref-kratom-eases-pain-v1.bib"'
    entry = bib_entry(response)
    assert entry["ENTRYTYPE"] == "misc"
    assert entry["ID"] == "kratomref-kratom-eases-pain-v1"
    assert latex_text(entry["title"]) == "Kratom eases chronic pain."
    assert entry["author"] == "{KratomRef}"  # an organisation: BibTeX will not split it into names
    assert entry["url"] == f"{settings.SITE_URL}/claims/kratom-eases-pain/"
    assert entry["year"] == str(day_of(version).year)
    assert entry["date"] == day_of(version).isoformat()
    assert entry["version"] == "1"
    assert "version 1" in entry["note"]
    assert "Insufficient evidence · very low certainty" in entry["note"]


def test_ris_download_parses_with_rispy(client):
    claim = make_claim(slug="kratom-ris", statement="Kratom relieves opioid withdrawal.")
    version = claim.versions.get()

    response = client.get("/claims/kratom-ris/cite.ris")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-research-info-systems")
    assert response["Content-Disposition"] == 'attachment; filename="kratomref-kratom-ris-v1.ris"'
    entry = ris_entry(response)
    assert entry["type_of_reference"] == "ELEC"
    assert entry["title"] == "Kratom relieves opioid withdrawal."
    assert entry["authors"] == ["KratomRef"]
    assert entry["urls"] == [f"{settings.SITE_URL}/claims/kratom-ris/"]
    assert entry["name_of_database"] == "KratomRef"
    assert entry["date"] == day_of(version).strftime("%Y/%m/%d")
    assert entry["year"] == str(day_of(version).year)
    assert any("version 1" in note for note in entry["notes"])


def test_csl_json_download_is_valid_against_the_csl_schema_and_renders_with_citeproc(client):
    claim = make_claim(slug="kratom-csl", statement="Kratom improves mood.")
    version = claim.versions.get()

    response = client.get("/claims/kratom-csl/cite.json")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.citationstyles.csl+json")
    assert response["Content-Disposition"] == 'attachment; filename="kratomref-kratom-csl-v1.json"'
    items = csl_items(response)
    assert len(items) == 1
    item = items[0]
    assert item["title"] == "Kratom improves mood."
    assert item["author"] == [{"literal": "KratomRef"}]
    assert item["URL"] == f"{settings.SITE_URL}/claims/kratom-csl/"
    assert item["version"] == "1"
    assert item["container-title"] == "KratomRef"
    approved = day_of(version)
    assert item["issued"] == {"date-parts": [[approved.year, approved.month, approved.day]]}
    rendered = csl_rendered(items)
    assert "Kratom improves mood" in rendered
    assert "KratomRef" in rendered
    assert str(approved.year) in rendered


def test_the_csl_schema_is_the_published_one_and_refuses_a_malformed_item():
    assert SCHEMA["$id"] == "https://resource.citationstyles.org/schema/v1.0/input/json/csl-data.json"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(SCHEMA).validate([{"id": "x", "type": "webpage", "author": "KratomRef"}])


# --- what each address cites ---------------------------------------------------------------------


def test_pinned_citation_keeps_the_old_statement_after_a_later_edit_is_approved(client):
    claim = make_claim(slug="pinned-claim", statement="Kratom is a stimulant at low doses.")
    first = claim.versions.get(number=1)
    second_version(claim, statement="Kratom may act as a stimulant at low doses.")

    pinned = bib_entry(client.get("/claims/pinned-claim/v1/cite.bib"))
    current = bib_entry(client.get("/claims/pinned-claim/cite.bib"))

    assert latex_text(pinned["title"]) == "Kratom is a stimulant at low doses."
    assert pinned["url"] == f"{settings.SITE_URL}/claims/pinned-claim/v1/"
    assert pinned["version"] == "1"
    assert pinned["date"] == day_of(first).isoformat()
    assert latex_text(current["title"]) == "Kratom may act as a stimulant at low doses."
    assert current["url"] == f"{settings.SITE_URL}/claims/pinned-claim/"
    assert current["version"] == "2"
    assert current["ID"] == "kratomref-pinned-claim-v2"


def test_pinned_ris_and_csl_cite_the_pinned_url_and_that_versions_number(client):
    claim = make_claim(slug="pinned-formats", statement="Kratom lowers blood pressure.")
    second_version(claim, statement="Kratom raises blood pressure.")

    ris = ris_entry(client.get("/claims/pinned-formats/v1/cite.ris"))
    csl = csl_items(client.get("/claims/pinned-formats/v1/cite.json"))[0]
    disposition = client.get("/claims/pinned-formats/v2/cite.json")["Content-Disposition"]

    assert ris["title"] == "Kratom lowers blood pressure."
    assert ris["urls"] == [f"{settings.SITE_URL}/claims/pinned-formats/v1/"]
    assert csl["title"] == "Kratom lowers blood pressure."
    assert csl["URL"] == f"{settings.SITE_URL}/claims/pinned-formats/v1/"
    assert csl["version"] == "1"
    assert disposition == 'attachment; filename="kratomref-pinned-formats-v2.json"'


def test_a_claim_never_versioned_is_cited_from_its_current_fields(client):
    claim = make_claim(slug="legacy-claim", statement="Kratom is legal everywhere.")
    claim.versions.all().delete()  # a claim published before review versions were recorded

    entry = bib_entry(client.get("/claims/legacy-claim/cite.bib"))
    item = csl_items(client.get("/claims/legacy-claim/cite.json"))[0]

    assert entry["ID"] == "kratomref-legacy-claim"
    assert latex_text(entry["title"]) == "Kratom is legal everywhere."
    assert entry["date"] == timezone.localdate(claim.published_at).isoformat()
    assert "version" not in entry
    assert "version" not in item
    text = cite.citation_context(claim, None)["text"]
    assert text.startswith("KratomRef. “Kratom is legal everywhere.” Claim review, ")
    assert "version" not in text


def test_unknown_format_unknown_version_and_draft_claims_answer_404(client):
    make_claim(slug="known-claim")
    make_claim(slug="draft-claim", status=Status.DRAFT)

    assert client.get("/claims/known-claim/cite.docx").status_code == 404
    assert client.get("/claims/known-claim/v1/cite.txt").status_code == 404
    assert client.get("/claims/known-claim/v9/cite.bib").status_code == 404
    assert client.get("/claims/draft-claim/cite.bib").status_code == 404
    assert client.get("/claims/no-such-claim/cite.ris").status_code == 404


def test_withdrawn_claim_current_citation_is_gone_but_the_pinned_one_stays(client):
    make_claim(slug="withdrawn-claim", statement="Kratom cures anxiety.", status=Status.WITHDRAWN)

    assert client.get("/claims/withdrawn-claim/cite.bib").status_code == 410
    pinned = client.get("/claims/withdrawn-claim/v1/cite.bib")
    assert pinned.status_code == 200
    assert latex_text(bib_entry(pinned)["title"]) == "Kratom cures anxiety."


# --- hostile statement text ----------------------------------------------------------------------


def test_hostile_statement_round_trips_through_every_format(client):
    make_claim(slug="hostile", statement=HOSTILE)
    expected = one_line(HOSTILE)

    bib = client.get("/claims/hostile/cite.bib")
    ris = client.get("/claims/hostile/cite.ris")
    csl = client.get("/claims/hostile/cite.json")

    entry = bib_entry(bib)
    assert latex_text(entry["title"]) == expected
    assert entry["url"] == f"{settings.SITE_URL}/claims/hostile/"
    # LaTeX's special characters are escaped, and no brace BibTeX would count is left unpaired.
    assert not re.search(r"(?<!\\)[%#&_$]", entry["title"])
    assert entry["title"].count("{") == entry["title"].count("}")
    ris_record = ris_entry(ris)
    assert ris_record["title"] == expected
    assert ris_record["type_of_reference"] == "ELEC"  # the embedded "TY  - JOUR" did not start a line
    assert "journal_name" not in ris_record
    assert all(re.match(r"^[A-Z][A-Z0-9]  - ", line) for line in ris.content.decode().splitlines())
    items = csl_items(csl)
    assert items[0]["title"] == expected
    assert expected.split("<")[0].strip() in csl_rendered(items)


def test_hostile_statement_is_escaped_in_the_cite_box_and_meta_tags():
    claim = make_claim(slug="hostile-html", statement=HOSTILE)
    citation = cite.citation_context(claim, claim.versions.get())

    html = render_to_string("includes/_citation_meta.html", {"citation": citation}) + render_to_string(
        "includes/_cite_box.html", {"citation": citation}
    )

    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script") is None
    assert soup.find("meta", attrs={"name": "citation_title"})["content"] == one_line(HOSTILE)
    assert one_line(HOSTILE) in soup.find("textarea").get_text()


# --- content negotiation -------------------------------------------------------------------------


def negotiated(path, accept):
    """What cite.negotiate answers for ``path`` (a claim page or a pinned version) and ``accept``."""
    request = RequestFactory().get(path, HTTP_ACCEPT=accept)
    request.resolver_match = resolve(path)
    claim = Claim.objects.get(slug=request.resolver_match.kwargs["slug"])
    number = request.resolver_match.kwargs.get("number")
    versions = claim.versions.order_by("-number")
    version = versions.get(number=number) if number else versions.first()
    return cite.negotiate(request, claim, version)


def test_content_negotiation_answers_each_citation_type_and_varies_on_accept():
    make_claim(slug="negotiated", statement="Kratom helps sleep.")

    bib = negotiated("/claims/negotiated/", "application/x-bibtex")
    ris = negotiated("/claims/negotiated/", "application/x-research-info-systems")
    csl = negotiated("/claims/negotiated/", "application/vnd.citationstyles.csl+json")

    assert bib["Content-Type"].startswith("application/x-bibtex")
    assert latex_text(bib_entry(bib)["title"]) == "Kratom helps sleep."
    assert ris["Content-Type"].startswith("application/x-research-info-systems")
    assert ris_entry(ris)["title"] == "Kratom helps sleep."
    assert csl["Content-Type"].startswith("application/vnd.citationstyles.csl+json")
    assert csl_items(csl)[0]["URL"] == f"{settings.SITE_URL}/claims/negotiated/"
    for response in (bib, ris, csl):
        assert "Accept" in response["Vary"]
        assert "Content-Disposition" not in response


def test_browsers_and_wildcards_get_the_html_page():
    make_claim(slug="browsed")

    assert negotiated("/claims/browsed/", BROWSER_ACCEPT) is None
    assert negotiated("/claims/browsed/", "*/*") is None
    assert negotiated("/claims/browsed/", "application/*") is None
    assert negotiated("/claims/browsed/", "text/html, application/x-bibtex") is None
    assert negotiated("/claims/browsed/", "text/html;q=0.5, application/x-bibtex") is not None


def test_negotiation_on_a_pinned_version_cites_that_version():
    claim = make_claim(slug="negotiated-pin", statement="Kratom is an opioid.")
    second_version(claim, statement="Kratom acts on opioid receptors.")

    item = csl_items(negotiated("/claims/negotiated-pin/v1/", "application/vnd.citationstyles.csl+json"))[0]

    assert item["title"] == "Kratom is an opioid."
    assert item["URL"] == f"{settings.SITE_URL}/claims/negotiated-pin/v1/"
    assert item["version"] == "1"


# --- the page parts: Highwire meta tags and the "Cite this review" box ---------------------------


def meta(html, name):
    return BeautifulSoup(html, "html.parser").find("meta", attrs={"name": name})["content"]


def test_highwire_meta_tags_name_the_organisation_both_dates_and_the_cited_url():
    claim = make_claim(slug="highwire", statement="Kratom is addictive.")
    first = claim.versions.get(number=1)
    claim = second_version(claim, summary="Dependence is reported in surveys.")
    second = claim.versions.get(number=2)

    current = render_to_string("includes/_citation_meta.html", {"citation": cite.citation_context(claim, second)})
    pinned = render_to_string(
        "includes/_citation_meta.html", {"citation": cite.citation_context(claim, first, pinned=True)}
    )

    assert meta(current, "citation_title") == "Kratom is addictive."
    assert meta(current, "citation_author") == "KratomRef"
    assert meta(current, "citation_publisher") == "KratomRef"
    assert meta(current, "citation_language") == "en"
    assert meta(current, "citation_publication_date") == day_of(first).strftime("%Y/%m/%d")
    assert meta(current, "citation_online_date") == day_of(second).strftime("%Y/%m/%d")
    assert meta(current, "citation_public_url") == f"{settings.SITE_URL}/claims/highwire/"
    assert meta(pinned, "citation_public_url") == f"{settings.SITE_URL}/claims/highwire/v1/"
    assert meta(pinned, "citation_online_date") == day_of(first).strftime("%Y/%m/%d")
    alternates = BeautifulSoup(current, "html.parser").find_all("link", rel="alternate")
    assert {link["type"] for link in alternates} == {
        "application/x-bibtex",
        "application/x-research-info-systems",
        "application/vnd.citationstyles.csl+json",
    }


def test_cite_box_offers_a_text_citation_naming_version_and_date_and_working_downloads(client):
    claim = make_claim(slug="cite-box", statement="Kratom causes liver injury")
    claim = second_version(claim, summary="Case reports describe liver injury.")
    second = claim.versions.get(number=2)

    soup = BeautifulSoup(
        render_to_string("includes/_cite_box.html", {"citation": cite.citation_context(claim, second)}), "html.parser"
    )

    assert soup.find("h2").get_text() == "Cite this review"
    textarea = soup.find("textarea")
    assert textarea.has_attr("readonly")
    assert soup.find("label", attrs={"for": textarea["id"]}) is not None
    date = f"{day_of(second).day} {day_of(second):%B %Y}"
    assert textarea.get_text() == (
        f"KratomRef. “Kratom causes liver injury.” Claim review, version 2, {date}. "
        f"{settings.SITE_URL}/claims/cite-box/"
    )
    assert soup.find("a", href=f"{settings.SITE_URL}/claims/cite-box/v2/") is not None  # this version, pinned
    links = {a.get_text(): a["href"] for a in soup.select(".cite-downloads a")}
    assert set(links) == {"BibTeX (.bib)", "RIS (.ris)", "CSL-JSON (.json)"}
    for href in links.values():
        response = client.get(href)
        assert response.status_code == 200
        assert "kratomref-cite-box-v2" in response["Content-Disposition"]


def test_pinned_cite_box_cites_the_permanent_address_and_links_the_current_review(client):
    claim = make_claim(slug="cite-box-pin", statement="Kratom is safe in pregnancy.")
    claim = second_version(claim, statement="Kratom use in pregnancy is unstudied.")

    soup = BeautifulSoup(
        render_to_string(
            "includes/_cite_box.html", {"citation": cite.citation_context(claim, claim.versions.get(number=1), True)}
        ),
        "html.parser",
    )

    text = soup.find("textarea").get_text()
    assert "“Kratom is safe in pregnancy.” Claim review, version 1," in text
    assert text.endswith(f"{settings.SITE_URL}/claims/cite-box-pin/v1/")
    assert soup.find("a", href=f"{settings.SITE_URL}/claims/cite-box-pin/") is not None
    hrefs = [a["href"] for a in soup.select(".cite-downloads a")]
    assert hrefs == [f"/claims/cite-box-pin/v1/cite.{ext}" for ext in ("bib", "ris", "json")]
    assert latex_text(bib_entry(client.get(hrefs[0]))["title"]) == "Kratom is safe in pregnancy."
