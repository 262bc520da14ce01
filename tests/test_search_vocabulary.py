"""The words "Did you mean" draws on (issue 14): kept as approvals publish text, never split from
every statement while a reader waits; rebuilt on demand from what is published."""

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evidence import services
from evidence.models import SearchWord, Status
from evidence.search import did_you_mean, library_vocabulary, parse_query
from tests.factories import make_claim, make_editor, make_reviewer, make_substance, settle

pytestmark = pytest.mark.django_db


def words():
    return set(SearchWord.objects.values_list("word", flat=True))


def test_a_published_claims_words_join_the_vocabulary_and_a_drafts_do_not():
    make_claim(statement="Kratom eases tendinopathy after exercise")
    make_claim(statement="Kratom cures photophobia overnight", status=Status.DRAFT)
    assert {"tendinopathy", "eases", "exercise"} <= words()
    assert "photophobia" not in words() and "overnight" not in words()


def test_an_approved_rewording_adds_its_words_and_a_pending_one_does_not():
    claim = make_claim(statement="Kratom eases restless legs")
    pending = services.claim_update(claim=claim, by=make_reviewer(), statement="Kratom eases neuropathic pain").pending
    assert "neuropathic" not in words()
    settle(services.change_approve(request=pending, by=make_editor(), note="Reworded."))
    assert "neuropathic" in words()


def test_a_published_substances_name_and_synonyms_join_it():
    make_substance(name="Speciociliatine", synonyms=["SC alkaloid"])
    assert {"speciociliatine", "sc alkaloid"} <= words()


def test_did_you_mean_reads_the_vocabulary_not_the_claims():
    make_claim(statement="Kratom eases tendinopathy after exercise")
    cache.clear()  # nothing kept: the vocabulary is read afresh
    with CaptureQueriesContext(connection) as queries:
        suggestion = did_you_mean(parse_query("tendinopaty"))
    assert suggestion == "tendinopathy"
    assert not any("evidence_claim" in query["sql"] for query in queries.captured_queries)
    with CaptureQueriesContext(connection) as queries:
        library_vocabulary()
    assert len(queries) == 0  # kept for the content version


def test_rebuilding_drops_the_words_only_a_withdrawn_claim_used(capsys):
    make_claim(statement="Kratom eases tendinopathy after exercise")
    make_claim(statement="Kratom cures photophobia overnight", status=Status.WITHDRAWN)
    assert "photophobia" in words()  # published once: kept until a rebuild
    call_command("rebuild_search_vocabulary")
    assert "photophobia" not in words() and "tendinopathy" in words()
    assert f"holds {len(words())} words" in capsys.readouterr().out
