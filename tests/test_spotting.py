"""The claim spotter (evidence/spotting.py) and its command, spot_claims.

How well it finds claims is measured in benchmarks/spotting.py, not here: these tests pin what it
promises (offsets, the JSON contract, the gate, hiding examples, reading nothing but the file).
"""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evidence import spotting
from evidence.models import Passage, SourceArticle
from evidence.text import parse_article

FIXTURES = Path(__file__).parent / "fixtures"

CLAIMS = [
    ("kratom-causes-hair-loss", "Kratom can cause hair loss, especially with heavy or prolonged use."),
    ("fda-does-not-regulate-kratom", "The FDA does not regulate kratom supplements."),
    ("kratom-dose-1-3-grams", "1–3 grams is the amount of kratom that users most commonly report taking per dose."),
]
EXAMPLES = [
    ("kratom-causes-hair-loss", "some users report thinning hair after months of daily kratom", "article-a"),
    ("fda-does-not-regulate-kratom", "kratom products are not approved or overseen by the FDA", "article-b"),
]
SYNONYMS = {"kratom": ("kratom", "ketum"), "ketum": ("ketum", "kratom")}


def small_index(**overrides):
    options = {"claims": CLAIMS, "examples": EXAMPLES, "synonyms": SYNONYMS, **overrides}
    return spotting.build_index(**options)


def write(tmp_path, content, name="article.txt"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


# --------------------------------------------------------------------------- without a database


def test_sentences_carry_offsets_into_the_text_as_given():
    text = "Dr. Parker says kratom helps.\r\nIt may cause nausea (e.g. at high doses). Read on!  \r\n"
    spans = [span for block in spotting.blocks(text) for span in spotting.sentences(text, *block)]
    assert [text[start:end] for start, end in spans] == [
        "Dr. Parker says kratom helps.",
        "It may cause nausea (e.g. at high doses).",
        "Read on!",
    ]


def test_plain_text_headings_and_link_lists_are_navigation():
    text = (
        "Kratom: what you should know about hair loss\n"
        "Heavy kratom use can cause hair loss in some people.\n"
        "- Kratom hair loss study (PubMed) – https://pubmed.ncbi.nlm.nih.gov/\n"
        "- Kratom may cause hair loss\n"
    )
    blocks = [text[start:end] for start, end in spotting.blocks(text)]
    assert blocks == ["Heavy kratom use can cause hair loss in some people.", "Kratom may cause hair loss"]


def test_a_sentence_worded_like_a_claim_gets_it_first():
    suggestions = spotting.spot("Heavy kratom use can cause hair loss in some people.", index=small_index())
    assert len(suggestions) == 1
    assert suggestions[0].candidates[0][0] == "kratom-causes-hair-loss"


def test_synonyms_count_as_the_same_word():
    index = small_index(examples=[])
    assert index.rank("Ketum is not regulated by the FDA.")[0][0] == "fda-does-not-regulate-kratom"


@pytest.mark.parametrize(
    "sentence",
    [
        "Read more",
        "Read more about the risks of kratom and hair loss here.",
        "Subscribe to our newsletter for the latest kratom dose news.",
        "Kratom Hair Loss",
        "Jane Doe is a freelance writer who lives in Portland with her two cats.",
        "Thanks for reading and have a great day!",
    ],
)
def test_boilerplate_and_sentences_that_claim_nothing_get_no_suggestion(sentence):
    assert spotting.spot(sentence, index=small_index()) == []


def test_examples_of_a_hidden_article_are_left_out():
    everything = small_index()
    hidden = small_index(exclude_article="article-a")
    assert "some users report thinning hair after months of daily kratom" in [e.text for e in everything.examples]
    assert [e.text for e in hidden.examples if e.article] == ["kratom products are not approved or overseen by the FDA"]
    sentence = "Some users report thinning hair after months of daily kratom."
    assert hidden.rank(sentence)[0][1] < everything.rank(sentence)[0][1]


def test_a_sentence_with_two_claims_is_cut_where_they_meet():
    text = "Kratom is not regulated by the FDA, and heavy kratom use can cause hair loss."
    suggestions = spotting.spot(text, index=small_index())
    assert [(s.text, s.candidates[0][0]) for s in suggestions] == [
        ("Kratom is not regulated by the FDA", "fda-does-not-regulate-kratom"),
        ("and heavy kratom use can cause hair loss.", "kratom-causes-hair-loss"),
    ]


def test_an_empty_library_suggests_nothing():
    assert (
        spotting.spot("Kratom can cause hair loss.", index=spotting.build_index(claims=[], examples=[], synonyms={}))
        == []
    )


def test_candidates_are_ranked_best_first_with_scores_between_0_and_1():
    suggestions = spotting.spot("Most kratom users take 1 to 3 grams per dose.", index=small_index(), limit=3)
    scores = [score for _, score in suggestions[0].candidates]
    assert suggestions[0].candidates[0][0] == "kratom-dose-1-3-grams"
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= score <= 1 for score in scores)
    assert len(scores) <= 3


# --------------------------------------------------------------------------- the published library


@pytest.fixture
def library(seed_library_module, db):
    """The reviewed seed library, published (loaded once for this module)."""


def test_known_claims_are_found_in_new_wording(library):
    text = (
        "Kratom is not regulated by the FDA, so products may not be what the label says.\n"
        "Most users take 1 to 3 grams of kratom per dose.\n"
        "Kratom may interact with other medications you take.\n"
    )
    firsts = [suggestion.candidates[0][0] for suggestion in spotting.spot(text)]
    assert firsts == ["fda-does-not-regulate-kratom", "kratom-dose-1-3-grams", "kratom-interacts-with-medications"]


def test_headings_and_contents_of_a_seed_format_article_get_no_suggestion(library):
    article = SourceArticle.objects.published().order_by("slug").first()
    structure = parse_article(article.text)
    navigation = [*structure.contents, *(section["heading"] for section in structure.sections)]
    suggestions = spotting.spot(article.text, exclude_article=article.slug)
    assert suggestions
    for suggestion in suggestions:
        assert article.text[suggestion.start : suggestion.end] == suggestion.text
        assert not any(block.start <= suggestion.start < block.end for block in navigation)


def test_the_library_index_can_hide_one_articles_passages(library):
    article = SourceArticle.objects.published().order_by("slug").first()
    passages = Passage.objects.published().filter(article=article)
    own = set(passages.values_list("quote", flat=True))
    everything = spotting.build_index()
    hidden = spotting.build_index(exclude_article=article.slug)
    assert own <= {example.text for example in everything.examples}
    assert not own & {example.text for example in hidden.examples if example.article}
    assert (
        len(everything.examples) - len(hidden.examples) == Passage.objects.published().filter(article=article).count()
    )


# --------------------------------------------------------------------------- the command


def spot_claims(path, *options):
    out = StringIO()
    call_command("spot_claims", str(path), *options, stdout=out)
    return out.getvalue()


def test_the_json_contract(library, tmp_path):
    # CRLF line breaks, a byte-order mark and a character outside the BMP: offsets still count
    # code points of the file exactly as stored.
    content = (
        "\ufeffKratom news 🌿 for everyone\r\n\r\n"
        "Kratom is not regulated by the FDA, so products may not be what the label says.\r\n"
        "Read more\r\n"
        "Most users take 1 to 3 grams of kratom per dose.\r\n"
    )
    path = write(tmp_path, content)
    result = json.loads(spot_claims(path, "--format", "json"))
    file_text = path.read_bytes().decode("utf-8")
    assert isinstance(result, list)
    assert len(result) == 2
    for item in result:
        assert set(item) == {"start", "end", "text", "candidates"}
        assert isinstance(item["start"], int)
        assert isinstance(item["end"], int)
        assert isinstance(item["text"], str)
        assert file_text[item["start"] : item["end"]] == item["text"]
        assert item["candidates"]
        for candidate in item["candidates"]:
            assert set(candidate) == {"claim", "score"}
            assert isinstance(candidate["claim"], str)
            assert isinstance(candidate["score"], float)
        scores = [candidate["score"] for candidate in item["candidates"]]
        assert scores == sorted(scores, reverse=True)
    assert result[0]["candidates"][0]["claim"] == "fda-does-not-regulate-kratom"
    assert result[1]["text"] == "Most users take 1 to 3 grams of kratom per dose."


def test_the_text_format_names_each_claim_and_its_statement(library, tmp_path):
    path = write(tmp_path, "Kratom is not regulated by the FDA, so products may not be what the label says.\n")
    output = spot_claims(path, "--format", "text")
    assert "1 sentence with suggestions" in output
    assert "fda-does-not-regulate-kratom" in output
    assert "The FDA does not regulate kratom supplements." in output


def test_the_command_writes_nothing(library, tmp_path):
    article = SourceArticle.objects.published().order_by("slug").first()
    path = write(tmp_path, article.text)
    models = apps.get_models()
    before = {model: model._default_manager.count() for model in models}
    with CaptureQueriesContext(connection) as queries:
        assert json.loads(spot_claims(path, "--format", "json"))
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []
    assert {model: model._default_manager.count() for model in models} == before


def test_the_command_can_leave_an_articles_own_passages_out(library, tmp_path):
    article = SourceArticle.objects.published().order_by("slug").first()
    path = write(tmp_path, article.text)
    assert json.loads(spot_claims(path, "--format", "json", "--exclude-article", article.slug))
    with pytest.raises(CommandError, match="No article has the slug"):
        spot_claims(path, "--exclude-article", "no-such-article")


def test_the_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        spot_claims(tmp_path / "missing.txt")


def test_the_command_refuses_a_binary_file(tmp_path):
    with pytest.raises(CommandError, match="binary"):
        spot_claims(write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image.png"))
    with pytest.raises(CommandError, match="not UTF-8"):
        spot_claims(write(tmp_path, "Kratom kann Haarausfall verursachen, sagt Jürgen.".encode("latin-1"), "old.txt"))


def test_a_saved_web_page_is_spotted_in_the_text_the_import_would_store(library, tmp_path):
    from evidence import importing
    from evidence.services import article_import

    page = FIXTURES / "web" / "kratom-and-sleep.html"
    result = json.loads(spot_claims(page, "--format", "json"))
    stored = article_import(
        text=importing.prepare(page.read_bytes(), filename=page.name).text,
        text_format="markdown",
        source_name=page.name,
        by="import-command",
    ).article.text

    assert result, "the page makes claims the seed library knows"
    for item in result:
        assert stored[item["start"] : item["end"]] == item["text"]
        assert "<" not in item["text"]  # offsets count the extracted text, never the HTML


def test_a_web_page_without_an_article_is_refused_by_name(library, tmp_path):
    with pytest.raises(CommandError, match="mostly navigation"):
        spot_claims(FIXTURES / "web" / "mostly-navigation.html")
