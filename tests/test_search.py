"""Full-text search: the same behaviour on SQLite and PostgreSQL, through the page readers use."""

import importlib

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evidence import search as search_module
from evidence.models import Claim, Passage, SearchSynonym, SourceArticle, Status, Study, Substance, Warning
from tests.factories import (
    article_text,
    make_article,
    make_claim,
    make_passage,
    make_study,
    make_substance,
    make_warning,
)

pytestmark = pytest.mark.django_db


def search(client, q):
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


def group(page, key):
    """The result titles of one group, as text, in page order."""
    return [a.get_text() for a in page.select(f"#{key} .result-title")]


def counts(page):
    return {
        section["id"]: int(section.select_one("h2 .n").get_text()) for section in page.select("section.result-group")
    }


def test_search_finds_every_kind_of_public_item_and_groups_them_by_type(client):
    claim = make_claim(statement="Kratom causes jaundice in some users.", summary="Case series only.")
    article = make_article(text=article_text(extra_paragraphs=["Some readers reported jaundice after a month."]))
    passage = make_passage(article=article, claim=claim, quote="Some readers reported jaundice after a month.")
    make_study(title="Kratom and the liver", finding="Eleven cases of jaundice were attributed to kratom.")
    make_warning(title="Liver injury", text="Watch for **jaundice** and dark urine.")
    make_substance(name="Bilirubin marker", summary="Raised in jaundice.")

    page = search(client, "jaundice")

    assert counts(page) == {"claims": 1, "passages": 1, "articles": 1, "studies": 1, "warnings": 1, "substances": 1}
    assert [h.get_text(" ", strip=True) for h in page.select("section.result-group h2")] == [
        "Claims 1",
        "Passages 1",
        "Articles 1",
        "Studies 1",
        "Warnings 1",
        "Substances 1",
    ]
    assert group(page, "claims") == ["Kratom causes jaundice in some users."]
    assert page.select_one("#passages .result-title")["href"] == f"{article.get_absolute_url()}#passage-{passage.pk}"
    assert page.select_one("#claims .result-title")["href"] == claim.get_absolute_url()
    assert "1 result" not in page.select_one("[role=status]").get_text()
    assert "6 results" in page.select_one("[role=status]").get_text()


def test_every_word_must_match_unless_or_joins_them_and_a_minus_leaves_one_out(client):
    # Three full matches, so the page does not relax the query to any word (see the next test).
    tea_fatigue = [make_claim(statement=f"Kratom tea eases fatigue, survey {n}.").statement for n in range(3)]
    make_claim(statement="Kratom capsules ease fatigue.")
    make_claim(statement="Kratom tea tastes bitter.")

    assert sorted(group(search(client, "tea fatigue"), "claims")) == tea_fatigue
    assert sorted(group(search(client, "TEA Fatigue"), "claims")) == tea_fatigue
    assert sorted(group(search(client, "capsules or bitter"), "claims")) == [
        "Kratom capsules ease fatigue.",
        "Kratom tea tastes bitter.",
    ]
    assert sorted(group(search(client, "tea -bitter"), "claims")) == tea_fatigue
    assert group(search(client, '"tea tastes"'), "claims") == ["Kratom tea tastes bitter."]
    assert group(search(client, '"tastes tea"'), "claims") == []


def test_when_few_results_have_every_word_they_come_first_then_results_with_any_of_them(client):
    make_claim(statement="Kratom tea eases fatigue.")
    make_claim(statement="Kratom capsules ease fatigue.")
    make_claim(statement="Kratom tea tastes bitter.")
    make_claim(statement="Kratom leaves are chewed.")

    page = search(client, "tea fatigue")

    claims = group(page, "claims")
    assert claims[0] == "Kratom tea eases fatigue."
    assert sorted(claims[1:]) == ["Kratom capsules ease fatigue.", "Kratom tea tastes bitter."]
    status = page.select_one("[role=status]").get_text(" ", strip=True)
    assert "Only 1 result has every word" in status and "any of: “tea”, “fatigue”" in status
    # A minus still leaves a word out when the query is relaxed.
    assert group(search(client, "tea fatigue -bitter"), "claims")[1:] == ["Kratom capsules ease fatigue."]


def test_other_forms_of_a_word_match_on_both_backends(client):
    make_claim(statement="Kratom has been linked to liver injuries.")
    assert group(search(client, "injury"), "claims") == ["Kratom has been linked to liver injuries."]
    assert group(search(client, "livers"), "claims") == ["Kratom has been linked to liver injuries."]


def test_drafts_withdrawn_items_unverified_studies_and_their_passages_never_appear(client):
    article = make_article(
        text=article_text(extra_paragraphs=["A quokka sentence from a draft.", "A quokka sentence that is public."])
    )
    public = make_claim(statement="The quokka claim that is published.")
    hidden = [
        make_claim(statement="The quokka claim still in draft.", status=Status.DRAFT),
        make_claim(statement="The quokka claim in review.", status=Status.IN_REVIEW),
        make_claim(statement="The quokka claim that was withdrawn.", status=Status.WITHDRAWN),
    ]
    make_passage(article=article, claim=hidden[0], quote="A quokka sentence from a draft.")
    make_passage(article=article, claim=public, quote="A quokka sentence that is public.")
    make_warning(title="Quokka warning in draft", status=Status.DRAFT)
    make_warning(title="Quokka warning published")
    make_study(title="Unverified quokka study", is_verified=False, url="")
    make_study(title="Verified quokka study")

    page = search(client, "quokka")

    assert group(page, "claims") == ["The quokka claim that is published."]
    assert group(page, "passages") == ["A quokka sentence that is public."]
    assert group(page, "warnings") == ["Quokka warning published"]
    assert group(page, "studies") == ["Verified quokka study"]
    body = str(page)
    for text in [*(claim.statement for claim in hidden), "A quokka sentence from a draft."]:
        assert text not in body
    assert "Quokka warning in draft" not in body and "Unverified quokka study" not in body


def test_seven_oh_finds_7_hydroxymitragynine_and_the_other_way_round(client):
    long_name = make_claim(statement="7-Hydroxymitragynine is a potent opioid agonist.")
    short_name = make_study(title="Warning letters about 7-OH gummies")

    by_short = search(client, "7-OH")
    by_long = search(client, "7-hydroxymitragynine")

    assert group(by_short, "claims") == [long_name.statement]
    assert group(by_short, "studies") == [short_name.title]
    assert group(by_long, "claims") == [long_name.statement]
    assert group(by_long, "studies") == [short_name.title]
    assert by_short.select_one("#claims .result-title mark.hit").get_text() == "7-Hydroxymitragynine"


def test_kratom_is_found_by_its_local_names(client):
    make_claim(statement="Kratom leaves are chewed by farm workers.")
    for name in ["ketum", "Biak", "kakuam"]:
        assert group(search(client, name), "claims") == ["Kratom leaves are chewed by farm workers."], name
    make_claim(statement="Ketum tea is drunk in Malaysia.")
    assert sorted(group(search(client, "kratom"), "claims")) == [
        "Ketum tea is drunk in Malaysia.",
        "Kratom leaves are chewed by farm workers.",
    ]


def test_synonyms_curators_add_to_a_substance_are_searched_both_ways(client):
    make_substance(name="Speciociliatine", slug="speciociliatine", synonyms=["SC"])
    by_name = make_claim(statement="Speciociliatine binds opioid receptors weakly.")
    by_synonym = make_study(title="Plasma SC levels after kratom tea")

    assert group(search(client, "SC"), "claims") == [by_name.statement]
    assert group(search(client, "speciociliatine"), "studies") == [by_synonym.title]


def test_mg_finds_mitragynine_but_mitragynine_does_not_find_every_dose_in_mg(client):
    make_substance(name="Mitragynine", slug="mitragynine", synonyms=["MG"])
    alkaloid = make_claim(statement="Mitragynine is the main kratom alkaloid.")
    make_study(title="A drink with 200 mg of caffeine")

    assert group(search(client, "MG"), "claims") == [alkaloid.statement]
    assert group(search(client, "mitragynine"), "studies") == []


def test_a_title_match_ranks_above_a_summary_match(client):
    in_summary = make_claim(statement="Kratom use is common in Thailand.", summary="Farmers mention insomnia.")
    in_statement = make_claim(statement="Kratom causes insomnia.", summary="Surveys report it.")
    assert group(search(client, "insomnia"), "claims") == [in_statement.statement, in_summary.statement]
    assert list(Claim.objects.published().search("insomnia")) == [in_statement, in_summary]


def test_search_method_starts_from_published_and_finds_nothing_for_an_empty_query():
    public = make_claim(statement="Kratom relieves fibromyalgia pain.")
    make_claim(statement="Kratom cures fibromyalgia.", status=Status.DRAFT)

    assert list(Claim.objects.published().search("fibromyalgia")) == [public]
    assert list(Claim.objects.published().search("")) == []
    assert list(Claim.objects.published().search('" - or')) == []
    for model in [Claim, Passage, SourceArticle, Study, Substance, Warning]:
        assert list(model.objects.published().search("fibromyalgia-free nonsense")) == []


def test_snippets_escape_article_text_and_mark_only_the_hits(client):
    # ts_headline keeps what its parser does not see as a tag (<img/src=…>), and all tags with HighlightAll.
    evil = '<script>alert("kratom")</script> <img/src=x onerror=alert(1)>'
    make_article(text=article_text(extra_paragraphs=[f"Imported markup about narcolepsy {evil} stays text."]))
    make_claim(statement="Kratom <b>helps</b> narcolepsy.", summary="Before \ue000 narcolepsy \ue001 after & more.")

    response = client.get("/search/", {"q": "narcolepsy"})
    body = response.content.decode()
    page = BeautifulSoup(body, "html.parser")

    assert "<script>alert" not in body and "<img/src=x" not in body and "<b>helps" not in body
    assert "\ue000" not in body and "\ue001" not in body
    article_snippet = page.select_one("#articles .snippet")
    assert [m.get_text() for m in article_snippet.select("mark")] == ["narcolepsy"]
    assert article_snippet.select("script, img") == []
    claim = page.select_one("#claims li.result")
    assert [m.get_text() for m in claim.select(".result-title mark")] == ["narcolepsy"]
    assert claim.select(".result-title b") == []
    assert [m.get_text() for m in claim.select(".snippet mark")] == ["narcolepsy"]
    assert all(m.get("class") == ["hit"] for m in page.select("main mark"))


def test_groups_are_capped_and_say_how_many_matched(client):
    for i in range(25):
        make_claim(statement=f"Kratom claim about pangolins, number {i}.")
    page = search(client, "pangolins")
    assert counts(page)["claims"] == 25
    assert len(group(page, "claims")) == 20
    assert "The 20 best of 25." in page.select_one("#claims").get_text()


def test_a_relaxed_group_past_its_cap_counts_every_match_and_knows_which_words_matched(client):
    for i in range(25):
        make_claim(statement=f"Kratom claim about pangolins, number {i}.")
    page = search(client, "pangolins xylophone")
    assert counts(page)["claims"] == 25 and len(group(page, "claims")) == 20
    status = page.select_one("[role=status]").get_text()
    assert "these have “pangolins”" in status and "Nothing in the library matches “xylophone”." in status


def test_did_you_mean_suggests_a_close_substance_name_or_claim_word(client):
    make_substance(name="Mitragynine", slug="mitragynine")
    make_claim(statement="Kratom relieves muscle soreness.")

    page = search(client, "mitraginine")
    link = page.select_one(".suggestion a")
    assert link.get_text() == "mitragynine"
    assert link["href"] == "/search/?q=mitragynine"

    assert search(client, "kratum soreness").select_one(".suggestion a").get_text() == "kratom soreness"
    assert search(client, "kratom").select_one(".suggestion") is None
    assert search(client, "xylophone").select_one(".suggestion") is None


def test_in_a_large_library_the_closest_claims_come_from_the_suggested_words(client, monkeypatch):
    """Beyond CLOSEST_SCAN claims a typo's closest claims are looked for among the claims that have
    the "Did you mean" words, not among every claim (shrunk here from 2,000 to 3)."""
    monkeypatch.setattr(search_module, "CLOSEST_SCAN", 3)
    make_claim(statement="Kratom with alcohol raises the risk of a fatal overdose.")
    make_claim(statement="Alcohol and kratom together slow breathing.")
    for n in range(4):
        make_claim(statement=f"Kratom eases muscle soreness number {n}.")

    page = search(client, "alcoohol")

    assert page.select_one(".suggestion a").get_text() == "alcohol"
    closest = {a.get_text() for a in page.select(".no-results ul.results .result-title")}
    assert closest == {
        "Kratom with alcohol raises the risk of a fatal overdose.",
        "Alcohol and kratom together slow breathing.",
    }


@pytest.mark.parametrize(
    "query_string",
    [
        "",
        "q=",
        "q=%20%20",
        "q=%00",
        "q=liver%00injury",
        "q=%22",
        "q=-",
        "q=or",
        "q=or%20or%20-",
        "q=%27",
        "q=%27%20OR%201%3D1%20--",
        "q=%5C",
        "q=(%20)%20%26%20!%20%7C%20%3A*",
        "q=" + "a" * 2000,
        "q=" + "kratom%20" * 300,
        "q=" + "%F0%9F%8C%BF" * 300,
        "q=%E2%80%AE%E2%80%8Bliver",
        "q=%ED%A0%80",
        "q=%EE%80%80liver%EE%80%81",
        "q=liver&q=kidney",
    ],
)
def test_bad_input_gives_a_message_or_results_never_a_server_error(client, query_string):
    make_claim(statement="Kratom and liver injury.")
    response = client.get(f"/search/?{query_string}")
    assert response.status_code == 200
    status = BeautifulSoup(response.content.decode(), "html.parser").select_one("[role=status]").get_text()
    assert status.strip()


def test_a_query_without_words_explains_itself(client):
    for q in ['"', "-", "or", "the"]:
        assert "has no words to search for" in search(client, q).select_one("[role=status]").get_text()
    assert "shortened" in search(client, "kratom " * 300).select_one("[role=status]").get_text()


def test_every_page_has_a_labelled_search_box_in_the_header(client):
    page = BeautifulSoup(client.get("/").content.decode(), "html.parser")
    form = page.select_one("header form[role=search]")
    assert form["action"] == "/search/" and form.get("method", "get").lower() == "get"
    field = form.select_one("input[name=q]")
    assert form.select_one(f"label[for={field['id']}]").get_text(strip=True)


class Matches:
    """Rows in every group that match "ibogaine", grown in steps."""

    def __init__(self):
        self.claim = make_claim(statement="Passages about an alkaloid point here.")
        self.count = 0

    def grow(self, n):
        for i in range(self.count, self.count + n):
            sentence = f"Ibogaine sentence number {i}."
            article = make_article(text=article_text(extra_paragraphs=[sentence]))
            make_passage(article=article, claim=self.claim, quote=sentence)
            make_claim(statement=f"Ibogaine claim number {i}.")
            make_study(title=f"Ibogaine study number {i}")
            make_warning(title=f"Ibogaine warning number {i}")
            make_substance(name=f"Ibogaine analogue {i}")
        self.count += n


def page_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_search_page_query_count_does_not_grow_with_rows(client, django_capture_on_commit_callbacks):
    matches = Matches()
    matches.grow(2)
    small = page_queries(client, "/search/?q=ibogaine")
    with django_capture_on_commit_callbacks(execute=True):  # approvals move the content version, as when
        matches.grow(18)  # they commit: the vocabulary (PostgreSQL's plan choice) is read afresh, as on the first page
    large = page_queries(client, "/search/?q=ibogaine")
    assert large == small
    groups = ["claims", "passages", "articles", "studies", "warnings", "substances"]
    assert counts(search(client, "ibogaine")) == dict.fromkeys(groups, 20)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_postgres_stores_generated_search_vectors_with_gin_indexes_and_has_trigrams():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'evidence\\_%%\\_search\\_gin' ORDER BY indexname"
        )
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE column_name = 'search_vector' AND is_generated = 'ALWAYS' ORDER BY table_name"
        )
        tables = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        has_trigrams = cursor.fetchone() is not None
    models = ["claim", "passage", "sourcearticle", "study", "substance", "warning"]
    assert indexes == [f"evidence_{m}_search_gin" for m in models]
    assert tables == [f"evidence_{m}" for m in models]
    assert has_trigrams


def test_searched_fields_and_weights_are_the_ones_postgres_stores():
    migration = importlib.import_module("evidence.migrations.0003_full_text_search")
    for model in [Claim, Passage, SourceArticle, Study, Substance, Warning]:
        stored = {column: weight for column, weight, _ in migration.SEARCH_VECTORS[model._meta.db_table]}
        assert stored == model.objects.all().SEARCH_FIELDS, model


# Questions, vocabulary, relaxing, best answers (issue 13; the seed library's questions are in
# test_search_questions.py) ------------------------------------------------------------------


def test_readers_words_find_the_librarys_words_both_ways(client):
    injury = make_claim(statement="Kratom has been linked to liver injury.")
    damage = make_study(title="Hepatotoxicity of herbal products")

    for q in ["liver damage", "hepatotoxicity", "Hepatic", '"liver damage"']:
        assert group(search(client, q), "claims") == [injury.statement], q
    assert group(search(client, "liver"), "studies") == [damage.title]
    assert search(client, "liver damage").select_one(".result-title mark.hit").get_text().startswith("liver")


def test_typed_words_that_form_a_vocabulary_phrase_are_one_term_and_other_forms_find_their_group():
    synonyms = search_module.synonym_map()
    assert [t.text for t in search_module.parse_query("kratom hair loss", synonyms=synonyms).terms] == [
        "kratom",
        "hair loss",
    ]
    assert "alopecia" in search_module.parse_query("hair loss", synonyms=synonyms).terms[0].alternatives
    assert "convulsion" in search_module.parse_query("seizures", synonyms=synonyms).terms[0].alternatives
    scientific = search_module.parse_query("Mitragyna speciosa", synonyms=synonyms).terms
    assert len(scientific) == 1 and scientific[0].is_subject
    assert search_module.parse_query("kratom's", synonyms=synonyms).terms[0].is_subject
    # "contaminated salmonella": two names of one thing are one term.
    assert len(search_module.parse_query("contaminated salmonella", synonyms=synonyms).terms) == 1


def test_the_built_in_vocabulary_keeps_its_groups_apart():
    names = [name.lower() for group in search_module.BUILT_IN_VOCABULARY for name in group]
    others = {name.lower() for group in search_module.BUILT_IN_SYNONYMS for name in group}
    assert len(names) == len(set(names))  # a shared word would merge two groups into one
    assert not set(names) & others
    assert all(len(group) >= 2 for group in search_module.BUILT_IN_VOCABULARY)
    outer_stop = [n for n in names if not search_module.has_no_outer_stop_word(n)]
    assert set(outer_stop) <= search_module.ONE_WAY_SYNONYMS  # PostgreSQL would drop the stop word


def test_groups_curators_add_are_searched_both_ways_with_one_query(client, django_assert_num_queries):
    jaundice = make_claim(statement="Kratom has been linked to jaundice.")
    eyes = make_study(title="Yellow eyes after an herbal powder")
    assert group(search(client, "yellow eyes"), "claims") == []

    SearchSynonym.objects.create(terms=["jaundice", "yellow eyes"], note="What readers notice.")

    assert group(search(client, "yellow eyes"), "claims") == [jaundice.statement]
    assert group(search(client, "jaundice"), "studies") == [eyes.title]
    with django_assert_num_queries(2):  # substances, and the curated groups
        synonyms = search_module.synonym_map()
    assert "yellow eyes" in synonyms["jaundice"]


def test_postgresql_computes_each_terms_tsquery_once_and_finds_the_same_rows():
    liver = make_claim(statement="Kratom has been linked to liver injury.")
    make_claim(statement="Kratom and alcohol together harm the liver.")
    make_claim(statement="Kratom eases muscle soreness.")
    query = search_module.parse_query("hepatotoxicity -alcohol or soreness")
    with CaptureQueriesContext(connection) as computed:
        folded = search_module.fold(query)
    found = [c.statement for c in Claim.objects.published().search(folded)]
    assert found == [c.statement for c in Claim.objects.published().search(query)]
    assert liver.statement in found and len(found) == 2
    terms = [t for g in folded.groups for t in (*g.terms, *g.excluded)]
    if connection.vendor == "postgresql":
        assert len(computed) == 1 and all(t.folded for t in terms)
        assert "'alcohol'" in folded.groups[0].excluded[0].folded  # an excluded word is computed like the others
        assert "websearch_to_tsquery" not in str(Claim.objects.search(folded).query)
    else:
        assert len(computed) == 0 and folded is query


def test_searches_of_the_same_shape_share_a_statement_and_each_finds_its_own_rows(client, monkeypatch):
    monkeypatch.setattr(search_module, "_statements", {})
    liver = make_claim(statement="Kratom has been linked to liver injury.")
    seizure = make_claim(statement="Kratom users have reported seizures.")
    article = make_article(text=article_text(extra_paragraphs=["Seizures were reported after heavy use."]))
    make_passage(article=article, claim=seizure, quote="Seizures were reported after heavy use.")

    assert group(search(client, "liver"), "claims") == [liver.statement]
    kept = dict(search_module._statements)
    page = search(client, "seizures")  # one known word again: the same statements, other words
    assert group(page, "claims") == [seizure.statement]
    assert group(page, "passages") == ["Seizures were reported after heavy use."]
    assert article.title in page.select_one("#passages .meta").get_text()  # its article, fetched for the hit
    if connection.vendor == "postgresql":
        assert kept and search_module._statements.keys() == kept.keys()
        assert all(search_module.TERM_MARK.format(0) in params for _model, _sql, params in kept.values())
    else:
        assert not kept  # SQLite's statements depend on the words: Django builds each


def test_a_search_looks_names_up_without_a_query_until_a_curator_changes_them(editor_client):
    make_substance(name="Mitragynine", synonyms=["MG"])
    search_module.parse_query("liver")  # the first search of this content version builds the lexicon
    with CaptureQueriesContext(connection) as parsed:
        query = search_module.parse_query("liver damage")
    assert len(parsed) == 0
    assert "hepatotoxicity" in query.terms[0].alternatives

    response = editor_client.post(
        reverse("admin:evidence_searchsynonym_add"), {"terms": "liver damage\nyellow skin", "note": "Readers' words."}
    )
    assert response.status_code == 302
    assert "yellow skin" in search_module.parse_query("liver damage").terms[0].alternatives
    synonym = SearchSynonym.objects.get()
    editor_client.post(reverse("admin:evidence_searchsynonym_delete", args=[synonym.pk]), {"post": "yes"})
    assert not SearchSynonym.objects.exists()
    assert "yellow skin" not in search_module.parse_query("liver damage").terms[0].alternatives


def test_question_words_are_left_out_when_other_words_remain_and_the_reader_is_told(client):
    claim = make_claim(statement="Kratom causes jaundice in some users.")
    helps = make_claim(statement="Kratom helps farmers through long days.")

    page = search(client, "Does kratom really help with jaundice?")

    assert group(page, "claims") == [claim.statement]
    assert "Left out as question words: “really”, “help”." in page.select_one("[role=status]").get_text()
    assert group(search(client, "help"), "claims") == [helps.statement]  # alone, it is searched for
    quoted = search(client, '"help" jaundice')  # quoted, it counts: no claim has both, so either is shown
    assert "Left out" not in quoted.select_one("[role=status]").get_text()
    assert group(quoted, "claims") == [claim.statement, helps.statement]


def test_best_answers_rank_a_warning_named_by_the_query_above_claims_that_only_mention_it(client):
    for n in range(8):
        make_claim(statement=f"Kratom claim number {n}.", summary="Mentions liver problems in passing.")
    make_claim(statement="Kratom has been linked to liver injury.")
    make_warning(title="Liver injury", text="Kratom has been linked to drug-induced liver injury.")

    page = search(client, "is kratom bad for my liver")

    answers = page.select("#best-answers li.answer")
    assert [li["data-type"] for li in answers[:2]] == ["warnings", "claims"]
    assert [li.select_one(".answer-title").get_text() for li in answers[:2]] == [
        "Liver injury",
        "Kratom has been linked to liver injury.",
    ]
    assert len(answers) == search_module.ANSWERS
    assert len(group(page, "claims")) == 9  # and every result stays below, by type


def test_best_answers_include_a_substance_only_when_the_query_names_it(client):
    make_substance(name="Speciogynine", slug="speciogynine", summary="An alkaloid studied for pain.")
    make_claim(statement="Speciogynine relieves pain in mice.")

    named = search(client, "speciogynine")
    assert "substances" in [li["data-type"] for li in named.select("#best-answers li.answer")]
    by_summary = search(client, "pain")
    assert "substances" not in [li["data-type"] for li in by_summary.select("#best-answers li.answer")]
    assert group(by_summary, "substances") == ["Speciogynine"]


def test_a_relaxed_search_page_query_count_does_not_grow_with_rows(client, django_capture_on_commit_callbacks):
    matches = Matches()
    matches.grow(2)
    small = page_queries(client, "/search/?q=ibogaine+xylophone")
    with django_capture_on_commit_callbacks(execute=True):  # approvals move the content version, as when
        matches.grow(18)  # they commit: "Did you mean" reads the vocabulary afresh, as on the first page
    assert page_queries(client, "/search/?q=ibogaine+xylophone") == small
    page = search(client, "ibogaine xylophone")
    assert "Nothing in the library matches “xylophone”." in page.select_one("[role=status]").get_text()
    assert counts(page)["claims"] == 20


def test_editors_curate_vocabulary_in_the_admin_as_text(editor_client, reviewer_client):
    add = reverse("admin:evidence_searchsynonym_add")
    response = editor_client.post(add, {"terms": "yellow eyes\njaundice, icterus\n\n", "note": "Readers' words."})
    assert response.status_code == 302
    synonym = SearchSynonym.objects.get()
    assert synonym.terms == ["yellow eyes", "jaundice", "icterus"]

    change = reverse("admin:evidence_searchsynonym_change", args=[synonym.pk])
    form = BeautifulSoup(editor_client.get(change).content.decode(), "html.parser")
    assert form.select_one("textarea[name=terms]").get_text().split() == ["yellow", "eyes", "jaundice", "icterus"]
    refused = editor_client.post(change, {"terms": "jaundice", "note": ""})
    assert refused.status_code == 200 and "Give at least two words or phrases." in refused.content.decode()

    changelist = reverse("admin:evidence_searchsynonym_changelist")
    listed = editor_client.get(changelist, {"q": "icterus"}).content.decode()
    assert "yellow eyes ↔ jaundice ↔ icterus" in listed and "Readers&#x27; words." in listed
    assert reviewer_client.get(changelist).status_code == 200
    assert reviewer_client.post(add, {"terms": "a, b"}).status_code == 403
