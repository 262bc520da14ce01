"""Issue 13 §5–6 without a browser: the evidence profile by design strength, the filters' words
("Any verdict", "Sorted by: …") and the chips of active filters, read from the pages a reader gets."""

import re
import xml.etree.ElementTree as ET

import pytest
from bs4 import BeautifulSoup
from django.test import RequestFactory

from evidence.filters import ArticleFilter, ClaimFilter, StudyFilter, SubstanceFilter, WarningFilter
from evidence.models import Claim, StudyDesign
from evidence.profile import DESIGN_TIERS, TIER_OF_DESIGN, profile_reading, profile_tiers
from tests.factories import make_claim, make_evidence, make_study, make_substance, make_warning

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def soup(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


def profile_svg(html):
    (found,) = [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", html, flags=re.S) if "chart-profile" in m]
    return found


def withdrawal_like_claim(**overrides):
    """The shape of kratom-eases-opioid-withdrawal: many supporting surveys, little that weighs more."""
    claim = make_claim(verdict="mixed", certainty="very-low", polarity="benefit", **overrides)
    for _ in range(5):
        make_evidence(claim=claim, study=make_study(design="cross-sectional-survey"), direction="supports")
    make_evidence(claim=claim, study=make_study(design="cross-sectional-survey"), direction="mixed")
    make_evidence(claim=claim, study=make_study(design="systematic-review"), direction="supports")
    make_evidence(claim=claim, study=make_study(design="animal", population="animals"), direction="supports")
    make_evidence(claim=claim, study=make_study(design="case-report"), direction="supports")
    make_evidence(claim=claim, study=make_study(design="regulatory", population="none"), direction="contradicts")
    return Claim.objects.for_detail().get(pk=claim.pk)


# ---------------------------------------------------------------- the profile by design strength


def test_every_study_design_belongs_to_one_band_of_design_strength():
    assert set(TIER_OF_DESIGN) == set(StudyDesign)
    assert sum(len(tier.designs) for tier in DESIGN_TIERS) == len(StudyDesign)
    weights = [tier.weight for tier in DESIGN_TIERS]
    assert weights == sorted(weights, reverse=True)  # heaviest first
    heavier = {tier.key for tier in DESIGN_TIERS if tier.weighs_more}
    assert heavier == {"systematic-review", "controlled-trial", "observational"}


def test_the_profile_groups_studies_by_design_strength_heaviest_first():
    claim = withdrawal_like_claim()
    tiers = profile_tiers(claim.evidence.all())
    assert [(tier.key, tier.counts, tier.total) for tier in tiers] == [
        ("systematic-review", [1, 0, 0, 0], 1),
        ("self-report-survey", [5, 0, 1, 0], 6),
        ("case-report", [1, 0, 0, 0], 1),
        ("animal-cell", [1, 0, 0, 0], 1),
        ("other", [0, 1, 0, 0], 1),
    ]
    # Inside a band the designs keep their own rows, for the table.
    assert [row.design for row in tiers[1].rows] == ["cross-sectional-survey"]


def test_designs_of_one_strength_share_a_band_and_keep_their_own_rows():
    claim = make_claim()
    make_evidence(claim=claim, study=make_study(design="controlled-trial"), direction="contradicts")
    make_evidence(claim=claim, study=make_study(design="rct"), direction="supports")
    make_evidence(claim=claim, study=make_study(design="in-vitro", population="cells"))
    claim = Claim.objects.for_detail().get(pk=claim.pk)
    trials, lab = profile_tiers(claim.evidence.all())
    assert trials.key == "controlled-trial" and [row.design for row in trials.rows] == ["rct", "controlled-trial"]
    assert trials.counts == [1, 1, 0, 0] and lab.key == "animal-cell"


def test_the_reading_says_the_support_is_uncontrolled_and_what_the_heavier_designs_show():
    claim = withdrawal_like_claim()
    first, second = profile_reading(profile_tiers(claim.evidence.all()))
    assert first == (
        "8 of 10 studies support this claim, but 7 of them are uncontrolled or indirect: "
        "5 self-report surveys, 1 case or surveillance report and 1 animal, cell or lab study."
    )
    assert (
        second == "Designs that weigh more (systematic reviews, controlled trials, observational studies): 1 supports."
    )


def test_the_reading_names_missing_controlled_evidence_and_leaves_well_founded_support_alone():
    surveys = make_claim()
    for _ in range(2):
        make_evidence(claim=surveys, study=make_study(design="cross-sectional-survey"))
    surveys = Claim.objects.for_detail().get(pk=surveys.pk)
    first, second = profile_reading(profile_tiers(surveys.evidence.all()))
    assert (
        first
        == "Both studies support this claim, but every one of them is uncontrolled or indirect: 2 self-report surveys."
    )
    assert second.startswith("No systematic review, controlled trial or observational study addresses it")
    trials = make_claim()
    for direction in ("contradicts", "contradicts", "supports"):
        make_evidence(claim=trials, study=make_study(design="rct"), direction=direction)
    trials = Claim.objects.for_detail().get(pk=trials.pk)
    first, second = profile_reading(profile_tiers(trials.evidence.all()))
    assert first == "2 of 3 studies contradict this claim."
    assert second.endswith(": 1 supports, 2 contradict.")


def test_a_claim_about_a_mechanism_or_a_law_is_not_called_weak_for_resting_on_lab_studies_or_documents():
    mechanism = make_claim(topic="mechanism", verdict="supported", certainty="moderate")
    for _ in range(3):
        make_evidence(claim=mechanism, study=make_study(design="in-vitro", population="cells"))
    mechanism = Claim.objects.for_detail().get(pk=mechanism.pk)
    tiers = profile_tiers(mechanism.evidence.all())
    assert profile_reading(tiers, mechanism) == ["All 3 studies support this claim."]
    assert "uncontrolled or indirect" in profile_reading(tiers)[0]  # the same studies, read as about people
    efficacy = withdrawal_like_claim()
    assert len(profile_reading(profile_tiers(efficacy.evidence.all()), efficacy)) == 2


def test_each_square_links_to_its_studys_row_in_the_evidence_table(client):
    claim = withdrawal_like_claim()
    html = client.get(claim.get_absolute_url()).content.decode()
    links = list(profile_svg(html).iter(f"{SVG}a"))
    assert len(links) == 10
    rows = {tr["id"]: tr for tr in BeautifulSoup(html, "html.parser").select("table.evidence tbody tr")}
    assert sorted(link.get("href")[1:] for link in links) == sorted(rows)
    for link in links:
        name = "".join(link.find(f"{SVG}title").itertext())
        citation = name.split(" — ")[0]
        assert citation in rows[link.get("href")[1:]].get_text()  # the link's name is the row's study


def test_designs_that_weigh_more_get_solid_squares_and_the_rest_pale_ones(client):
    claim = withdrawal_like_claim()
    svg = profile_svg(client.get(claim.get_absolute_url()).content.decode())
    by_tier = {
        g.get("data-tier"): [r.get("class").split()[-1] for r in g.iter(f"{SVG}rect")]
        for g in svg.iter(f"{SVG}g")
        if g.get("data-tier")
    }
    assert by_tier["systematic-review"] == ["solid"]
    assert by_tier["self-report-survey"] == ["pale"] * 6
    assert {g.get("data-weight") for g in svg.iter(f"{SVG}g") if g.get("data-tier") == "self-report-survey"} == {"2"}


def test_supporting_squares_of_a_harm_follow_the_polarity_palette(client):
    harm = make_claim(polarity="harm", verdict="supported", certainty="low")
    make_evidence(claim=harm, study=make_study(design="case-report"))
    svg = profile_svg(client.get(harm.get_absolute_url()).content.decode())
    (group,) = [g for g in svg if g.tag == f"{SVG}g"]
    assert group.get("class") == "polarity-harm"
    icon = next(t for t in svg.iter(f"{SVG}tspan") if "dir-supports" in t.get("class", ""))
    assert icon.text == "⚠"


def test_the_profile_legend_says_controlled_designs_weigh_more(client):
    claim = withdrawal_like_claim()
    page = soup(client.get(claim.get_absolute_url()))
    legend = page.select_one(".evidence-profile figcaption").get_text(" ", strip=True)
    assert "controlled designs weigh more than uncontrolled self-report" in legend
    assert "Select a square" in legend
    assert "uncontrolled or indirect" in page.select_one(".profile-reading").get_text()


def test_evidence_rows_carry_a_label_on_each_cell_for_the_phone_cards(client):
    claim = make_claim()
    evidence = make_evidence(claim=claim, note="")
    page = soup(client.get(claim.get_absolute_url()))
    row = page.select_one(f"table.evidence tr#evidence-{evidence.pk}")
    assert [td["data-label"] for td in row.select("td")] == ["Study", "Design", "Population", "Direction", "Note"]


# ---------------------------------------------------------------- the filters' words


LISTS = {"/claims/": ClaimFilter, "/studies/": StudyFilter, "/articles/": ArticleFilter, "/warnings/": WarningFilter}


@pytest.mark.parametrize("url", LISTS)
def test_every_filter_form_says_any_instead_of_dashes(client, url):
    make_claim()
    make_study()
    make_warning()
    response = client.get(url)
    page = soup(response)
    assert "---------" not in response.content.decode()
    selects = page.select("form.filters select")
    assert selects
    for select in selects:
        empty = select.select_one('option[value=""]').get_text()
        assert empty.startswith("Default (" if select["name"] == "o" else "Any "), (select["name"], empty)


def test_every_choice_filter_has_an_any_label_even_one_added_without_it():
    for filterset_class in (*LISTS.values(), SubstanceFilter):
        form = filterset_class({}).form
        for name, field in form.fields.items():
            if hasattr(field, "empty_label") and name != "o":
                assert str(field.empty_label).startswith("Any "), (filterset_class.__name__, name)


def test_sort_choices_say_which_end_comes_first():
    labels = [str(label) for _value, label in ClaimFilter({}).form.fields["o"].choices]
    assert labels == [
        "Default (statement, A–Z)",
        "Statement, A–Z",
        "Statement, Z–A",
        "Verdict, supported first",
        "Verdict, unverifiable first",
        "Certainty, highest first",
        "Certainty, lowest first",
        "Least recently updated first",
        "Recently updated first",
    ]
    assert ClaimFilter({"q": "liver"}).form.fields["o"].empty_label == "Default (best match first)"
    studies = dict(StudyFilter({}).form.fields["o"].choices)
    assert studies["-year"] == "Newest first" and studies[""] == "Default (newest first)"
    for filterset_class in (StudyFilter, ArticleFilter):
        assert not any("descending" in str(label) for _v, label in filterset_class({}).form.fields["o"].choices)


# ---------------------------------------------------------------- chips


def chips_for(filterset_class, query, path="/claims/"):
    request = RequestFactory().get(path + "?" + query)
    filterset = filterset_class(request.GET, queryset=filterset_class._meta.model.objects.all(), request=request)
    return filterset.active_filters()


def test_chips_are_built_for_active_filters_only():
    make_substance(slug="kratom", name="Kratom")
    chips = chips_for(ClaimFilter, "q=&verdict=mixed&certainty=&substance=kratom&o=-updated&page=3&utm=x")
    assert [(chip.name, chip.label) for chip in chips] == [
        ("verdict", "Verdict: Mixed"),
        ("substance", "Substance: Kratom"),
        ("o", "Sorted by: recently updated first"),
    ]
    by_name = {chip.name: chip.url for chip in chips}
    # Each chip is this list without its own filter: other values kept, the page and empty fields dropped.
    assert by_name["verdict"] == "/claims/?substance=kratom&o=-updated&utm=x"
    assert by_name["o"] == "/claims/?verdict=mixed&substance=kratom&utm=x"
    assert chips_for(ClaimFilter, "") == []
    assert chips_for(ClaimFilter, "page=2&q=%20") == []


def test_a_chip_for_the_last_filter_leads_back_to_the_whole_list():
    (chip,) = chips_for(StudyFilter, "design=animal&page=2", path="/studies/")
    assert chip.label == "Design: Animal study" and chip.url == "/studies/"


def test_a_value_the_list_does_not_understand_still_gets_a_removable_chip(client):
    make_claim()
    page = soup(client.get("/claims/?verdict=probably&q=liver"))
    chips = {a["data-filter"]: a for a in page.select(".filter-chips a.chip")}
    assert chips["verdict"].get_text(" ", strip=True) == "Remove Verdict: probably ×"
    assert chips["verdict"]["href"] == "/claims/?q=liver"
    assert chips["q"].get_text(" ", strip=True) == "Remove Search: “liver” ×"
    assert "not understood" in page.select_one(".notice").get_text()
    assert page.select_one("details.filter-panel").has_attr("open")  # the error is shown, not folded away


def test_the_filter_panel_is_folded_in_the_markup_and_lists_its_chips(client):
    make_claim(verdict="mixed")
    page = soup(client.get("/claims/?verdict=mixed&o=certainty"))
    panel = page.select_one("details.filter-panel")
    assert not panel.has_attr("open") and panel.select_one("form.filters")
    assert "2 active" in panel.summary.get_text()
    assert [a["data-filter"] for a in page.select(".filter-chips a.chip")] == ["verdict", "o"]
    assert page.select_one(".filter-chips a.chip-clear")["href"] == "?"
    assert soup(client.get("/claims/")).select(".filter-chips") == []


@pytest.mark.parametrize(
    "query", ["o=nonsense", "year_min=abc&design=%00", "verdict=%ff%fe", "page=x&o=-title,,year", "q=" + "x" * 5000]
)
def test_a_malformed_query_string_gives_a_page_never_a_server_error(client, query):
    make_study()
    for url in ("/claims/", "/studies/", "/articles/", "/warnings/"):
        assert client.get(f"{url}?{query}").status_code == 200, (url, query)


def test_warnings_list_keeps_its_facets_with_the_new_words(client):
    make_warning(severity="high")
    page = soup(client.get("/warnings/?severity=high"))
    options = {o["value"]: o.get_text() for o in page.select("#id_severity option")}
    assert options[""] == "Any severity" and options["high"].endswith("(1)")
    assert page.select_one(".filter-chips a.chip")["href"] == "/warnings/"
