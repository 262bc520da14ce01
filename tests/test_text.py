import html
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evidence.text import (
    ArticleFormatError,
    QuoteAmbiguous,
    QuoteNotFound,
    highlight,
    locate_quote,
    parse_article,
)

SEEDS = sorted((Path(__file__).resolve().parent.parent / "evidence" / "seed_library" / "articles").glob("*.txt"))


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_every_seed_article_parses_into_its_sections_with_offsets_into_the_exact_text(path):
    text = path.read_text(encoding="utf-8")
    structure = parse_article(text)
    assert len(structure.contents) == 3
    assert [s["heading"].text(text) for s in structure.sections] == [c.text(text) for c in structure.contents]
    assert structure.conclusion is not None
    for block in structure.blocks():
        assert block.text(text).strip() == block.text(text)
        assert "\n" not in block.text(text)


def test_the_article_with_an_author_box_yields_the_stated_author_and_credentials():
    text = next(p for p in SEEDS if p.name.startswith("003")).read_text(encoding="utf-8")
    structure = parse_article(text)
    assert structure.stated_author == "Dr. Emily Parker"
    assert "PhD in Holistic Medicine" in structure.stated_credentials
    assert len(structure.resources) == 7


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "empty"),
        ("just one line of prose", "too few lines"),
        ("Summary.\nIntro.\nNo contents here.\nMore prose.\nEven more.", "table of contents"),
        ("Summary.\nIntro.\n- Part One\n- Part Two\nPart One\nBody.\n", "Part Two"),
    ],
)
def test_text_without_the_article_structure_is_refused_saying_why(text, reason):
    with pytest.raises(ArticleFormatError, match=reason):
        parse_article(text)


def test_a_quote_is_located_only_when_it_occurs_exactly_once():
    text = "Kratom is safe. Kratom is safe. Kratom is a plant."
    assert locate_quote(text, "Kratom is a plant.") == text.index("Kratom is a plant.")
    with pytest.raises(QuoteAmbiguous, match="2 times"):
        locate_quote(text, "Kratom is safe.")
    with pytest.raises(QuoteNotFound):
        locate_quote(text, "Kratom cures everything.")
    assert locate_quote(text, "Kratom is safe.", start=16) == 16
    with pytest.raises(QuoteNotFound):
        locate_quote(text, "Kratom is safe.", start=3)


def test_highlight_escapes_article_text_including_script_tags():
    text = 'Before <script>alert("x")</script> & kratom <b>after</b>'
    start = text.index("kratom")
    output = highlight(text, [(start, start + 6, {"id": "passage-1", "data-claim": 'a"b'})])
    assert "<script>" not in output and "<b>" not in output
    assert '<mark id="passage-1" data-claim="a&quot;b">kratom</mark>' in output


TAG = re.compile(r"<(/?)([a-zA-Z0-9]+)[^>]*>")


@st.composite
def text_and_spans(draw):
    text = draw(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=200))
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=10, unique=True)))
    spans = [
        (a, b, {"id": f"passage-{i}"}) for i, (a, b) in enumerate(zip(cuts[::2], cuts[1::2], strict=False)) if a < b
    ]
    return text, spans


@given(text_and_spans())
def test_highlighted_output_has_only_marks_and_gives_back_the_original_text(case):
    text, spans = case
    output = highlight(text, spans)
    tags = TAG.findall(output)
    assert {name for _, name in tags} <= {"mark"}
    assert len(tags) == 2 * len(spans)
    assert html.unescape(TAG.sub("", output)) == text
