"""An article's bottom line (evidence/bottom_line.py): the sentences, from hand-built reviews, and the
page that shows them at the top with what identifies the article."""

import datetime
from dataclasses import dataclass

import pytest
from bs4 import BeautifulSoup

from evidence import services
from evidence.bottom_line import article_bottom_line
from evidence.models import Status
from tests.factories import (
    make_article,
    make_claim,
    make_passage,
    make_reviewer,
    make_unfound_reference,
    make_warning,
    reach,
    settle,
)

# Hand-built reviews: the function reads only what the page already fetched, so plain objects do.


@dataclass
class Claim:
    pk: int
    statement: str
    verdict: str
    certainty: str = "low"
    topic: str = "efficacy"

    def get_absolute_url(self):
        return f"/claims/claim-{self.pk}/"


@dataclass
class Passage:
    claim: Claim
    wording: str = "accurate"
    start: int = 0


@dataclass
class Warning:
    title: str

    def get_absolute_url(self):
        return f"/warnings/{self.title.lower().replace(' ', '-')}/"


@dataclass
class Unfound:
    citation: str


def claims(*verdicts, **fields):
    return [Claim(pk=i, statement=f"Claim {i}.", verdict=v, **fields) for i, v in enumerate(verdicts, 1)]


def bottom_line(passages=(), omitted=(), unfound=()):
    return article_bottom_line(None, list(passages), list(omitted), list(unfound))


def test_an_article_whose_claims_all_hold_up_says_so_and_nothing_more():
    line = bottom_line([Passage(c, start=i) for i, c in enumerate(claims("supported", "supported", "supported"))])
    assert line.text == (
        "All 3 claims we reviewed in it hold up. "
        "It does not overstate or misrepresent the evidence in any passage we graded."
    )
    assert line.headline == "3 of 3 claims hold up"


def test_a_mostly_contradicted_article_says_none_holds_up_and_names_its_worst_overstatements_first():
    mild, safety, sure, mixed = (
        Claim(1, "Kratom relieves soreness.", "contradicted", certainty="low"),
        Claim(2, "Kratom is safe when used responsibly.", "contradicted", certainty="low", topic="safety"),
        Claim(3, "Kratom is not addictive.", "contradicted", certainty="moderate"),
        Claim(4, "Kratom helps sleep.", "mixed"),
    )
    passages = [
        Passage(mixed, "overstated", start=1),
        Passage(mild, "overstated", start=2),
        Passage(safety, "overstated", start=3),
        Passage(sure, "overstated", start=4),
        Passage(sure, "accurate", start=5),
    ]
    line = bottom_line(passages)
    first, second = line.text.split(". ", 1)
    assert first == (
        "Of the 4 claims we reviewed in it, none holds up: 3 are contradicted by the evidence and 1 has mixed evidence"
    )
    # The surer contradiction first, then the safety claim before an equally graded efficacy one.
    assert second == (
        "It overstates or misrepresents the evidence in 4 of its 5 graded passages, most seriously "
        "“Kratom is not addictive” (contradicted) and “Kratom is safe when used responsibly” (contradicted)."
    )
    assert line.serious == [sure, safety]
    assert line.flagged_count == 4
    assert line.headline == "0 of 4 claims hold up · 3 contradicted · 1 mixed"


def test_an_article_with_nothing_linked_says_it_has_no_bottom_line_yet_but_still_counts_unfound_sources():
    line = bottom_line(unfound=[Unfound("Smith 2019"), Unfound("Jones 2020")])
    assert line.text == (
        "We have not yet linked any passage of this article to a reviewed claim, so it has no bottom line. "
        "2 sources it cites could not be found."
    )
    assert bottom_line().text == (
        "We have not yet linked any passage of this article to a reviewed claim, so it has no bottom line."
    )
    assert bottom_line().headline == "Not yet reviewed"


def test_one_of_everything_is_said_in_the_singular():
    claim = Claim(1, "Kratom relieves pain.", "supported")
    line = bottom_line([Passage(claim, "misrepresented")], [Warning("Liver injury")], [Unfound("Smith 2019")])
    assert line.sentences and len(line.sentences) == 3
    assert line.text == (
        "It makes one claim we reviewed, and it holds up. "
        "It overstates or misrepresents the evidence in its one graded passage: “Kratom relieves pain” (supported). "
        "It leaves out 1 safety warning that bears on what it says (“Liver injury”), "
        "and 1 source it cites could not be found."
    )
    assert line.headline == "1 of 1 claim holds up"


def test_many_are_said_in_the_plural_and_long_lists_name_only_the_first_two():
    a, b, c = claims("supported", "insufficient", "unverifiable")
    passages = [Passage(a, start=1), Passage(b, "overstated", start=2), Passage(c, start=3), Passage(c, start=4)]
    warnings = [Warning("Dependence"), Warning("Liver injury"), Warning("Seizures")]
    line = bottom_line(passages, warnings)
    assert line.text == (
        "Of the 3 claims we reviewed in it, 1 holds up, 1 has too little evidence to judge and 1 cannot be verified. "
        "It overstates or misrepresents the evidence in 1 of its 4 graded passages: “Claim 2” (insufficient evidence). "
        "It leaves out 3 safety warnings that bear on what it says (among them “Dependence” and “Liver injury”)."
    )
    two = bottom_line(passages, warnings[:2], [Unfound("Smith 2019"), Unfound("Doe 2001")])
    assert "(“Dependence” and “Liver injury”), and 2 sources it cites could not be found." in two.text


def test_the_same_claim_in_many_passages_counts_once_and_the_same_source_too():
    claim = Claim(1, "Kratom relieves pain.", "contradicted")
    line = bottom_line(
        [Passage(claim, "overstated", start=i) for i in range(3)],
        unfound=[Unfound("Smith  2019"), Unfound("smith 2019")],
    )
    assert line.claim_count == 1 and line.serious == [claim]
    assert line.text.startswith("It makes one claim we reviewed, and it is contradicted by the evidence. ")
    assert "in all 3 of its graded passages, most seriously “Kratom relieves pain” (contradicted)." in line.text
    assert line.text.endswith(" 1 source it cites could not be found.")


def test_the_html_escapes_statements_and_links_each_named_claim_and_warning():
    claim = Claim(7, "Kratom <script>x</script> cures all.", "contradicted")
    html = str(bottom_line([Passage(claim, "overstated")], [Warning("A & B")]).html)
    assert "<script>" not in html and "&lt;script&gt;" in html
    page = BeautifulSoup(html, "html.parser")
    assert [(a["href"], a.get_text()) for a in page.find_all("a")] == [
        ("/claims/claim-7/", "Kratom <script>x</script> cures all"),
        ("/warnings/a-&-b/", "A & B"),
    ]


# The page ------------------------------------------------------------------------------------------


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


@pytest.mark.django_db
def test_the_article_page_opens_with_what_identifies_it_and_its_bottom_line_before_the_text(client):
    article = make_article(status=Status.DRAFT, original_url="https://example.com/kratom-guide", site="Example Health")
    settle(
        services.article_update(
            article=article, by=make_reviewer(), stated_author="Dr. Example", published_on=datetime.date(2023, 5, 4)
        )
    )
    article = reach(article, Status.PUBLISHED)
    safe = make_claim(statement="Kratom is safe when used responsibly.", verdict="contradicted", certainty="moderate")
    dose = make_claim(statement="Take 1-3 grams up to three times daily.", verdict="insufficient")
    make_passage(
        article=article,
        claim=safe,
        quote="Kratom is safe when used responsibly.",
        wording="overstated",
        wording_note="States a contradicted claim as fact.",
    )
    make_passage(article=article, claim=dose, quote="Take 1-3 grams up to three times daily.")
    make_warning(title="Dependence and withdrawal", claims=[dose])
    make_unfound_reference(article=article, claim=safe)

    page = soup(client.get(article.get_absolute_url()))
    header = page.select_one(".source-article > header")
    facts = {
        div.dt.get_text(strip=True): div.dd.get_text(strip=True) for div in header.select("dl.article-identity > div")
    }
    assert facts["Site"] == "Example Health"
    assert facts["Stated author"] == "Dr. Example"
    assert facts["Published"] == "4 May 2023"
    assert facts["Reviewed by KratomRef"] == f"{article.published_at:%-d %B %Y}"
    original = header.select_one("dl.article-identity a")
    assert original["href"] == "https://example.com/kratom-guide"
    assert set(original["rel"]) == {"noopener", "nofollow"}

    bottom = header.select_one(".bottom-line")
    text = bottom.get_text(" ", strip=True)
    assert "Of the 2 claims we reviewed in it, none holds up: 1 is contradicted by the evidence and 1 has" in text
    assert "“ Kratom is safe when used responsibly ” (contradicted)" in text
    assert "It leaves out 1 safety warning that bears on what it says" in text
    assert "1 source it cites could not be found" in text
    assert bottom.find("a", href=safe.get_absolute_url()) is not None
    # Above the text and above the scorecard, which stays on the page.
    html = str(page)
    assert html.index('class="bottom-line"') < html.index('id="article-text"')
    assert html.index('class="bottom-line"') < html.index('id="scorecard-title"')
    # The page describes itself with its bottom line.
    description = page.select_one('meta[name="description"]')["content"]
    assert description.startswith("Of the 2 claims we reviewed in it")
    assert page.select_one('meta[property="og:description"]')["content"] == description


@pytest.mark.django_db
def test_the_article_page_never_invents_what_it_does_not_know(client):
    article = make_article()
    page = soup(client.get(article.get_absolute_url()))
    terms = [dt.get_text(strip=True) for dt in page.select("dl.article-identity dt")]
    assert terms == ["Reviewed by KratomRef", "Text as taken on"]
    assert "no bottom line" in page.select_one(".bottom-line").get_text()
