"""Evidence visuals: the charts as a reader meets them, parsed with real parsers."""

import re
import xml.etree.ElementTree as ET

import pytest
from bs4 import BeautifulSoup

from evidence.models import Claim
from evidence.profile import evidence_profile, grade_flags
from tests.factories import make_article, make_claim, make_evidence, make_passage, make_study

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def charts(html):
    """Every inline ``<svg>`` on the page, parsed as XML: unescaped text would not parse."""
    return [ET.fromstring(match) for match in re.findall(r"<svg\b.*?</svg>", html, flags=re.S)]


def chart(html, kind):
    found = [svg for svg in charts(html) if f"chart-{kind}" in svg.get("class", "").split()]
    assert len(found) == 1, f"expected one chart-{kind}"
    return found[0]


def classes(element):
    return element.get("class", "").split()


def text_of(element):
    return "".join(element.itertext())


def title_and_desc(svg):
    """The chart's name and description, found through aria-labelledby as a screen reader would."""
    ids = svg.get("aria-labelledby").split()
    by_id = {element.get("id"): element for element in svg.iter() if element.get("id")}
    assert [by_id[i].tag for i in ids] == [f"{SVG}title", f"{SVG}desc"]
    return text_of(by_id[ids[0]]), text_of(by_id[ids[1]])


def studied_claim(*, certainty="low", statement=None):
    """3 animal studies support, 2 surveys mixed, 1 RCT contradicts."""
    claim = make_claim(verdict="mixed", certainty=certainty, **({"statement": statement} if statement else {}))
    for _ in range(3):
        make_evidence(claim=claim, study=make_study(design="animal", population="animals"), direction="supports")
    for _ in range(2):
        make_evidence(claim=claim, study=make_study(design="cross-sectional-survey"), direction="mixed")
    make_evidence(claim=claim, study=make_study(design="rct"), direction="contradicts")
    return claim


# ---------------------------------------------------------------- evidence profile (claim page)


def test_profile_shows_each_design_strength_with_its_studies_in_the_column_of_their_direction(client):
    claim = studied_claim()
    svg = chart(page(client, claim.get_absolute_url()), "profile")
    assert svg.get("role") == "group"  # its squares are links, which an img would hide
    rows = {g.get("data-tier"): g for g in svg.iter(f"{SVG}g") if "row" in classes(g)}
    assert list(rows) == ["controlled-trial", "self-report-survey", "animal-cell"]  # weighs most first

    def squares(row):
        found = {}
        for rect in rows[row].iter(f"{SVG}rect"):
            direction = next(c for c in classes(rect) if c.startswith("dir-"))
            found[direction] = found.get(direction, 0) + 1
        return found

    assert squares("animal-cell") == {"dir-supports": 3}
    assert squares("self-report-survey") == {"dir-mixed": 2}
    assert squares("controlled-trial") == {"dir-contradicts": 1}
    assert "Animal, cell and lab studies" in text_of(rows["animal-cell"])
    assert "indirect · not an effect in people · 3 studies" in text_of(rows["animal-cell"])
    # Each square names its study, for a pointer user and as the name of its link.
    first = next(rows["controlled-trial"].iter(f"{SVG}title"))
    assert text_of(first).endswith("Randomised controlled trial: contradicts")


def test_profile_title_description_and_table_say_what_the_chart_shows(client):
    claim = studied_claim()
    html = page(client, claim.get_absolute_url())
    title, desc = title_and_desc(chart(html, "profile"))
    assert title == "Evidence profile: 6 studies by design strength and direction"
    assert claim.statement in desc and "mixed · low certainty" in desc
    assert "Animal, cell and lab studies (indirect · not an effect in people; animal study 3): 3 supports" in desc
    assert "Uncontrolled self-report surveys (uncontrolled · weighs less; cross-sectional survey 2): 2 mixed" in desc
    assert "Controlled trials (controlled · weighs most; randomised controlled trial 1): 1 contradicts" in desc
    table = BeautifulSoup(html, "html.parser").select_one(".evidence-profile details table")
    headers = [th.get_text(strip=True) for th in table.select("thead th")]
    assert headers == ["Design", "Supports", "Contradicts", "Mixed", "Neutral", "Total"]
    assert [tbody["data-tier"] for tbody in table.select("tbody")] == [
        "controlled-trial",
        "self-report-survey",
        "animal-cell",
    ]
    cells = {
        tr.th.get_text(strip=True): [td.get_text(strip=True) for td in tr.select("td")]
        for tr in table.select("tbody tr[data-design]")
    }
    assert cells == {
        "Randomised controlled trial": ["0", "1", "0", "0", "1"],
        "Cross-sectional survey": ["0", "0", "2", "0", "2"],
        "Animal study": ["3", "0", "0", "0", "3"],
    }


def test_a_statement_with_markup_is_escaped_in_the_chart(client):
    statement = 'Kratom <script>alert("x")</script> & opioids'
    claim = studied_claim(statement=statement)
    html = page(client, claim.get_absolute_url())
    assert '<script>alert("x")' not in html
    _title, desc = title_and_desc(chart(html, "profile"))  # parses only if escaped
    assert statement in desc


def test_a_claim_without_studies_has_no_profile_chart(client):
    claim = make_claim()
    html = page(client, claim.get_absolute_url())
    assert [svg for svg in charts(html) if "chart-profile" in classes(svg)] == []
    assert BeautifulSoup(html, "html.parser").select(".evidence-profile table") == []


# ---------------------------------------------------------------- grades the profile cannot carry


def flag_codes(claim):
    claim = Claim.objects.for_detail().get(pk=claim.pk)
    return [flag.code for flag in grade_flags(claim, claim.evidence.all())]


def test_high_certainty_on_animal_studies_alone_is_flagged_on_the_claim_page(client):
    claim = make_claim(verdict="supported", certainty="high")
    make_evidence(claim=claim, study=make_study(design="animal", population="animals"))
    make_evidence(claim=claim, study=make_study(design="in-vitro", population="cells"))
    assert flag_codes(claim) == ["no-human-study", "no-controlled-study"]
    flags = BeautifulSoup(page(client, claim.get_absolute_url()), "html.parser").select(".grade-flag")
    text = " ".join(flag.get_text(" ", strip=True) for flag in flags)
    assert "graded high certainty, but none of its studies was done in humans" in text
    assert "randomised or controlled trials" in text


def test_high_certainty_on_a_human_rct_is_not_flagged(client):
    claim = make_claim(verdict="supported", certainty="high")
    make_evidence(claim=claim, study=make_study(design="rct", population="humans"))
    make_evidence(claim=claim, study=make_study(design="animal", population="animals"))
    assert flag_codes(claim) == []
    assert BeautifulSoup(page(client, claim.get_absolute_url()), "html.parser").select(".grade-flag") == []


def test_moderate_certainty_needs_a_human_study_but_not_a_trial():
    in_cells = make_claim(verdict="supported", certainty="moderate")
    make_evidence(claim=in_cells, study=make_study(design="in-vitro", population="cells"))
    assert flag_codes(in_cells) == ["no-human-study"]
    surveyed = make_claim(verdict="supported", certainty="moderate")
    make_evidence(claim=surveyed, study=make_study(design="cross-sectional-survey", population="humans"))
    assert flag_codes(surveyed) == []


def test_high_certainty_on_human_surveys_alone_is_flagged_for_the_missing_trial():
    claim = make_claim(verdict="contradicted", certainty="high")
    make_evidence(claim=claim, study=make_study(design="cross-sectional-survey"), direction="contradicts")
    assert flag_codes(claim) == ["no-controlled-study"]


def test_a_graded_claim_with_no_study_at_all_is_flagged():
    claim = make_claim(verdict="supported", certainty="moderate")
    claim = Claim.objects.for_detail().get(pk=claim.pk)
    (flag,) = grade_flags(claim, claim.evidence.all())
    assert flag.code == "no-human-study" and "no study in the library addresses it" in flag.message


def test_low_certainty_unverifiable_and_document_only_grades_are_not_flagged():
    low = make_claim(verdict="supported", certainty="low")
    make_evidence(claim=low, study=make_study(design="animal", population="animals"))
    unverifiable = make_claim(verdict="unverifiable", certainty="high")
    legal = make_claim(topic="regulation", verdict="supported", certainty="high")
    make_evidence(claim=legal, study=make_study(design="regulatory", population="none"))
    assert flag_codes(low) == flag_codes(unverifiable) == flag_codes(legal) == []


def test_profile_rows_follow_the_evidence_hierarchy():
    claim = studied_claim()
    claim = Claim.objects.for_detail().get(pk=claim.pk)
    rows = evidence_profile(claim.evidence.all())
    assert [(row.design, row.counts, row.total) for row in rows] == [
        ("rct", [0, 1, 0, 0], 1),
        ("cross-sectional-survey", [0, 0, 2, 0], 2),
        ("animal", [3, 0, 0, 0], 3),
    ]


# ---------------------------------------------------------------- article page


def reviewed_article():
    article = make_article()
    supported = make_claim(verdict="supported", certainty="low")
    contradicted = make_claim(verdict="contradicted", certainty="moderate")
    passages = [
        make_passage(
            article=article,
            claim=supported,
            quote="Its alkaloids interact with opioid receptors to relieve muscle soreness.",
        ),
        make_passage(
            article=article,
            claim=contradicted,
            quote="Kratom is safe when used responsibly.",
            wording="overstated",
            wording_note="Calls it safe despite documented harms.",
        ),
        make_passage(
            article=article,
            claim=supported,
            quote="Long-term use may lead to dependence.",
            wording="understated",
            wording_note="Plays down how common dependence is.",
        ),
    ]
    return article, passages


def test_claim_map_links_each_passage_to_its_highlight_at_its_place(client):
    article, passages = reviewed_article()
    html = page(client, article.get_absolute_url())
    svg = chart(html, "map")
    links = list(svg.iter(f"{SVG}a"))
    assert sorted(link.get("href") for link in links) == sorted(f"#passage-{p.pk}" for p in passages)
    marks = {mark.get("id") for mark in BeautifulSoup(html, "html.parser").select("mark.passage")}
    assert {link.get("href")[1:] for link in links} <= marks  # every link lands on a highlight
    by_href = {link.get("href"): link for link in links}
    length = len(article.text)
    for passage in passages:
        link = by_href[f"#passage-{passage.pk}"]
        assert passage.claim.statement in text_of(link.find(f"{SVG}title"))
        rect = link.find(f"{SVG}rect")
        assert f"verdict-{passage.claim.verdict}" in classes(rect)
        assert float(rect.get("x").rstrip("%")) == pytest.approx(100 * passage.start / length, abs=0.01)


def test_claim_map_tells_verdicts_apart_by_labelled_lanes_not_colour_alone(client):
    article, _passages = reviewed_article()
    svg = chart(page(client, article.get_absolute_url()), "map")
    lanes = {g.get("data-verdict"): g for g in svg.iter(f"{SVG}g") if "lane-group" in classes(g)}
    assert list(lanes) == ["supported", "contradicted"]
    assert "✓ Supported · 2 passages" in text_of(lanes["supported"].find(f"{SVG}text"))
    assert "✗ Contradicted · 1 passage" in text_of(lanes["contradicted"].find(f"{SVG}text"))
    assert len(list(lanes["supported"].iter(f"{SVG}a"))) == 2
    title, desc = title_and_desc(svg)
    assert title == f"Claim map: 3 graded passages along “{article.title}”"
    assert "Supported: 2; Contradicted: 1" in desc


def test_article_title_with_markup_is_escaped_in_the_claim_map(client):
    article, _passages = reviewed_article()
    article.title = 'Kratom <script>alert(1)</script> & "pain"'
    article.save(update_fields=["title"])  # as a curator's edit in the admin
    html = page(client, article.get_absolute_url())
    assert "<script>alert(1)" not in html
    title, _desc = title_and_desc(chart(html, "map"))
    assert article.title in title


def test_scorecard_chart_counts_passages_by_verdict_and_wording_beside_its_table(client):
    article, _passages = reviewed_article()
    html = page(client, article.get_absolute_url())
    svg = chart(html, "scorecard")
    assert svg.get("role") == "img"
    bubbles = {}
    for cell in svg.iter(f"{SVG}g"):
        if "cell" in classes(cell):
            bubbles[text_of(cell.find(f"{SVG}title"))] = text_of(cell.find(f"{SVG}text"))
    assert bubbles == {
        "Supported, accurate: 1": "1",
        "Supported, understated: 1": "1",
        "Contradicted, overstated: 1": "1",
    }
    title, desc = title_and_desc(svg)
    assert title == "Scorecard: 3 graded passages by verdict and wording"
    assert "Supported: 2 (1 accurate, 1 understated)" in desc and "Contradicted: 1 (1 overstated)" in desc
    table = BeautifulSoup(html, "html.parser").select_one(".scorecard table")
    rows = [[cell.get_text(strip=True) for cell in tr.select("th, td")] for tr in table.select("tbody tr")]
    assert rows == [["Supported", "1", "0", "1", "0", "2"], ["Contradicted", "0", "1", "0", "0", "1"]]


def test_an_article_without_graded_passages_has_no_map_or_scorecard_chart(client):
    html = page(client, make_article().get_absolute_url())
    kinds = {c for svg in charts(html) for c in classes(svg)}
    assert "chart-map" not in kinds and "chart-scorecard" not in kinds


# ---------------------------------------------------------------- home page


def test_home_chart_counts_claims_by_verdict_and_certainty(client):
    for _ in range(2):
        make_claim(verdict="supported", certainty="low")
    make_claim(verdict="contradicted", certainty="moderate")
    make_claim(verdict="mixed", certainty="low", status="draft")  # not public: not counted
    html = page(client, "/")
    svg = chart(html, "library")
    title, desc = title_and_desc(svg)
    assert title == "3 reviewed claims by verdict and certainty"
    assert "Supported: 2 (2 low certainty)" in desc and "Contradicted: 1 (1 moderate certainty)" in desc
    assert "Mixed: 0" in desc
    bubbles = {
        text_of(cell.find(f"{SVG}title")): text_of(cell.find(f"{SVG}text"))
        for cell in svg.iter(f"{SVG}g")
        if "cell" in classes(cell)
    }
    assert bubbles == {"Supported, low: 2": "2", "Contradicted, moderate: 1": "1"}
    table = BeautifulSoup(html, "html.parser").select_one(".library-table")
    supported = table.select_one('tr[data-verdict="supported"]')
    assert [td.get_text(strip=True) for td in supported.select("td")] == ["0", "0", "2", "0", "2"]
    assert supported.select_one("a")["href"] == "/claims/?verdict=supported&certainty=low"


# ---------------------------------------------------------------- every chart


def test_every_chart_is_named_described_and_csp_safe(client):
    article, passages = reviewed_article()
    claim = studied_claim()
    make_evidence(claim=passages[0].claim, study=make_study())
    for url in ["/", article.get_absolute_url(), claim.get_absolute_url(), passages[0].claim.get_absolute_url()]:
        html = page(client, url)
        soup = BeautifulSoup(html, "html.parser")
        assert soup.find_all(attrs={"style": True}) == [], url
        assert soup.find_all("style") == [], url
        found = charts(html)
        assert found, url
        for svg in found:
            title, desc = title_and_desc(svg)
            assert title.strip() and desc.strip()
            assert svg.get("role") in ("img", "group")
            assert svg.get("width") == "100%"
            assert svg.get("viewBox") or svg.get("height")
            for link in svg.iter(f"{SVG}a"):  # links inside a chart carry their own name
                assert text_of(link.find(f"{SVG}title")).strip()
