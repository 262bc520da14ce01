"""Full-text search: the backend-aware body behind each QuerySet's ``search(q)``, and the search page.

A query is cleaned and parsed once (``parse_query``) into OR-groups of terms, with websearch
semantics: words and "quoted phrases" must all match, ``-word`` excludes, ``or`` separates
alternatives. Each term carries its synonyms: the names of things (``Substance.synonyms`` plus
``BUILT_IN_SYNONYMS``, so "7-OH" finds "7-hydroxymitragynine" and the other way round) and the
words readers use for what the library calls something else (``BUILT_IN_VOCABULARY`` plus the
``SearchSynonym`` groups curators keep in the admin, so "liver damage" finds "liver injury").
Readers also type questions: words that only shape a question ("does kratom *help* …") are left
out when other words remain, and several typed words that form one vocabulary phrase ("hair
loss") are one term.

Results are ordered by **coverage** (how many of the query's topical terms a row matches; the
library's subject word, kratom, is not topical when other words remain), then by how many match
the title, then by rank. When the strict query finds little, ``search_library`` relaxes it to
*any* topical term, so the rows matching most of the words come first, and says so; it also
ranks the best claims, warnings and substances together as "best answers".

- **PostgreSQL** matches the stored, weighted ``search_vector`` column that migration 0003 adds
  (``english`` configuration, GIN index) against ``websearch_to_tsquery`` terms, ranks with
  ``ts_rank`` and builds snippets with ``ts_headline``.
- **SQLite** (the newcomer's database) matches every term case-insensitively at the start of a
  word, after stripping a common English suffix, across the same fields; it ranks by the fields'
  weights and builds snippets in Python.

Snippets are HTML: the text is always escaped, and only our own ``<mark class="hit">`` tags are
put back (``ts_headline`` marks hits with sentinel characters that cannot occur in the text).
"""

import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache, reduce
from operator import and_, or_

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchQueryField,
    SearchRank,
    SearchVectorField,
)
from django.db import connections, transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Expression,
    F,
    FloatField,
    Func,
    IntegerField,
    JSONField,
    Max,
    Prefetch,
    Q,
    Subquery,
    TextField,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Replace
from django.db.models.query import prefetch_related_objects
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rapidfuzz import fuzz, process

CONFIG = "english"
COLUMN = "search_vector"  # added by migration 0003, on PostgreSQL only
MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
# Words a query may search for once synonyms are added (each synonym is one more alternative to
# match): later terms keep only the word as typed, so a long query stays bounded.
MAX_ALTERNATIVES = 30
RESULTS_PER_GROUP = 20
FEW_RESULTS = 3  # fewer results than this: "Did you mean …?", and relaxing to any word
ANSWERS = 5  # "Best answers": claims, warnings and named substances ranked together
SNIPPET_WORDS = 35
# PostgreSQL at scale ("kratom" is in most rows of 100,000): a result group ranks at most the first
# CANDIDATES matching rows it meets (the GIN index for a selective term, storage order for a common
# one), and counts matches up to that many; beyond it the page says "more than". ts_rank, coverage
# and ts_headline then run over a bounded set, whatever the term.
CANDIDATES = 200
# Bodies too long for ts_headline on every result (an article's whole text): their snippet is cut
# around the first hit in Python, from the page's rows only. Their search vectors are long too, and
# every article has most of the library's words, so the planner expects any unknown word in ~2% of
# them and scans the table for a typo (35 ms at 10,000 articles): their candidates always come from
# the GIN index.
PYTHON_SNIPPETS = frozenset({"evidence.SourceArticle"})


@contextmanager
def index_only_candidates(connection, model, *, always=False):
    """Keep PostgreSQL from scanning every row for candidates (see above): for tables of long texts,
    and (``always``) for a query it misjudges (``needs_index``). Nested blocks set it once."""
    wanted = always or (model is not None and model._meta.label in PYTHON_SNIPPETS)
    if connection.vendor != "postgresql" or not wanted or getattr(connection, "_kratomref_index_only", False):
        yield  # not needed, or already set by an enclosing block
        return
    connection._kratomref_index_only = True
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
    try:
        yield
    finally:
        connection._kratomref_index_only = False
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_seqscan")


# Private-use characters: they are removed from queries, and from text before ts_headline.
START_SEL, STOP_SEL = "\ue000", "\ue001"
HIT_OPEN, HIT_CLOSE = '<mark class="hit">', "</mark>"

WEIGHTS = {"A": 1.0, "B": 0.4, "C": 0.2, "D": 0.1}  # ts_rank's defaults, reused on SQLite

# Names readers type for the same thing. Curators add more as Substance.synonyms in the admin.
BUILT_IN_SYNONYMS = (
    ("7-hydroxymitragynine", "7-OH", "7-OH-MG"),
    ("mitragynine", "MG"),
    ("kratom", "ketum", "biak", "kakuam", "Mitragyna speciosa"),
)
# The library's subject: every item is about kratom, so a query that names it and something else
# is about the something else (the word still has to match while every word must).
SUBJECT = "kratom"

# Readers' words for what the library calls something else: each group is words and phrases that
# mean the same thing to a reader asking a question (forms of one word need no entry: stemming
# finds them). Chosen against the seed library's claims and warnings; curators add groups in the
# admin (SearchSynonym). Groups that share a word become one group, so keep these disjoint.
BUILT_IN_VOCABULARY = (
    (
        *("liver", "hepatic", "hepatotoxicity", "hepatotoxic", "liver injury", "liver damage"),
        *("liver toxicity", "drug-induced liver injury"),
    ),
    ("kidney", "renal"),
    (
        *("addiction", "addictive", "addicted", "dependence", "dependency", "dependent", "use disorder"),
        *("habit-forming", "hooked"),
    ),
    ("withdrawal", "withdrawal symptoms", "detox", "detoxification"),
    ("quit", "quitting", "stop", "stopping", "cessation"),
    ("pain", "analgesia", "analgesic", "painkiller", "pain relief", "pain-relieving", "pain reliever", "ache"),
    ("muscle soreness", "sore muscles", "muscle aches", "muscle pain", "DOMS"),
    ("exercise", "workout", "gym"),
    ("seizure", "convulsion", "epileptic fit"),
    ("death", "die", "dying", "died", "fatal", "fatality", "lethal", "deadly", "kill", "mortality"),
    ("pregnancy", "pregnant", "prenatal"),
    ("newborn", "neonatal", "neonate", "baby", "infant"),
    ("anxiety", "anxious", "anxiolytic"),
    ("depression", "depressed", "low mood"),
    ("energy", "energetic", "energizing", "energising", "stimulant", "stimulating"),
    ("sleep", "insomnia", "sleepless"),
    ("opioid", "opiate", "narcotic", "heroin", "fentanyl", "oxycodone", "hydrocodone"),
    ("benzodiazepine", "benzo", "xanax", "valium"),
    ("interaction", "interact", "mixing", "mix", "combining", "combination"),
    ("medication", "medicine", "meds", "prescription", "prescription drug"),
    ("alcohol", "ethanol", "booze", "liquor"),
    (
        *("contamination", "contaminated", "contaminant", "adulterated", "adulteration", "tainted"),
        *("salmonella", "heavy metals"),
    ),
    (
        *("legal", "legality", "illegal", "law", "ban", "banned", "legal status", "regulatory status"),
        "controlled substance",
    ),
    ("hair loss", "alopecia", "balding", "losing hair", "thinning hair"),
    ("side effects", "side effect", "adverse effects", "unwanted effects", "adverse events"),
    ("dose", "dosage", "dosing", "how much"),
    ("dangerous", "danger", "harm", "harmful", "unsafe", "hazardous"),
    ("tachycardia", "fast heartbeat", "racing heart", "rapid heartbeat", "palpitations"),
    ("breathing", "respiratory", "respiration"),
    ("respiratory depression", "slowed breathing", "slow breathing", "stop breathing", "stopped breathing"),
    ("vomiting", "vomit", "retching"),
    ("nausea", "nauseous", "nauseated", "queasy"),
    ("doctor", "physician", "clinician", "healthcare professional", "health professional"),
    ("inflammation", "inflammatory", "anti-inflammatory"),
    ("FDA", "Food and Drug Administration"),
    ("DEA", "Drug Enforcement Administration"),
    ("CDC", "Centers for Disease Control"),
)
# Synonyms that are also ordinary words, or narrower than their group: typing them finds the
# group, but searching for the group does not find them ("mg" is mostly milligrams; "opioid"
# should not find every text that names heroin; "dose" should not find every "how much").
ONE_WAY_SYNONYMS = frozenset({"mg", "heroin", "fentanyl", "oxycodone", "hydrocodone", "xanax", "valium", "how much"})

# Words that shape a reader's question rather than name its topic ("does kratom *help* with …",
# "I *read* an *article* … can I *trust* it"). Unquoted, they are left out when other words
# remain; alone, they are searched for like any word.
QUESTION = """help helps helped helpful work works worked working good bad better worse best worst really
    actually true truth real fact facts myth myths trust trustworthy believe read reading article
    articles heard hear say says said tell told know learn want need think mean means use using used
    take taking took get gets getting give gives make makes cause causes caused causing happen
    happens happened ok okay fine thing things stuff someone anyone anybody somebody people person
    question wondering wonder please thanks also even still ever much many lot lots way possible
    possibly likely maybe research evidence study studies science scientific proof proven prove
    can't cannot won't isn't aren't doesn't don't didn't i'm i've i'd it's that's what's there's"""
QUESTION_WORDS = frozenset(QUESTION.split())
MAX_PHRASE_WORDS = 4  # typed words joined into one vocabulary phrase ("drug-induced liver injury")

# PostgreSQL's english.stop, so that both backends ignore the same words.
ENGLISH_STOP = """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she
    her hers herself it its itself they them their theirs themselves what which who whom this that
    these those am is are was were be been being have has had having do does did doing a an the and
    but if or because as until while of at by for with about against between into through during
    before after above below to from up down in out on off over under again further then once here
    there when where why how all any both each few more most other some such no nor not only own
    same so than too very s t can will just don should now"""
STOP_WORDS = frozenset(ENGLISH_STOP.split())

WORD = r"[^\W_]+(?:[-'’][^\W_]+)*"
TOKEN_RE = re.compile(rf'(?P<minus>-?)(?:"(?P<phrase>[^"]*)"?|(?P<word>{WORD}))')
WORD_RE = re.compile(WORD)
SUFFIXES = (
    *("ations", "ation", "ions", "ion", "ives", "ive", "ence", "ency", "ent"),
    *("ies", "ied", "ing", "ed", "es", "s", "y", "e"),
)
# On SQLite a word matches its stem plus at most one common ending, as a whole word.
ENDING = "(?:" + "|".join(sorted({*SUFFIXES, "d", "ly", "er", "ers", "ents"}, key=lambda s: (-len(s), s))) + ")?"
MARKDOWN_NOISE = re.compile(r"[*`]+")


def stem(word):
    """Strip one common English suffix, so that "injury" also finds "injuries" (SQLite only)."""
    word = word.lower()
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def word_pattern(word):
    """A typed word as a regex for SQLite: its stem, a common ending if the stem is not tiny, no more."""
    stemmed = stem(word)
    return re.escape(stemmed) + (ENDING if len(stemmed) >= 3 else "") + r"(?!\w)"


def clean_query(raw):
    """Normalise what a reader typed: no control, format or private-use characters, bounded length."""
    text = unicodedata.normalize("NFKC", raw or "")
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category == "Cc" or char.isspace():
            kept.append(" ")  # NUL, tabs, newlines …
        elif category not in {"Cf", "Co", "Cs", "Cn"}:
            kept.append(char)
    text = " ".join("".join(kept).split())
    shortened = len(text) > MAX_QUERY_LENGTH
    return text[:MAX_QUERY_LENGTH].strip(), shortened


def synonym_map(using="default"):
    """Lower-cased name → every name for the same thing.

    Merges the built-in names and vocabulary, each published substance's names and synonyms, and
    the curated SearchSynonym groups: two queries.
    """
    from evidence.models import SearchSynonym, Substance

    groups = [list(names) for names in (*BUILT_IN_SYNONYMS, *BUILT_IN_VOCABULARY)]
    for name, scientific_name, synonyms in (
        Substance.objects.using(using).published().values_list("name", "scientific_name", "synonyms")
    ):
        groups.append([name, scientific_name, *(synonyms if isinstance(synonyms, list) else [])])
    groups.extend(
        terms for terms in SearchSynonym.objects.using(using).values_list("terms", flat=True) if isinstance(terms, list)
    )
    groups = [[clean_query(n)[0] for n in names if isinstance(n, str) and clean_query(n)[0]] for names in groups]
    # Union-find: groups that share a name are one group.
    parent, spelling = {}, {}

    def root(key):
        while parent[key] != key:
            key = parent[key]
        return key

    for group in groups:
        for name in group:
            spelling.setdefault(name.lower(), name)
            parent.setdefault(name.lower(), name.lower())
        for name in group[1:]:
            parent[root(name.lower())] = root(group[0].lower())
    members = {}
    for key in parent:
        members.setdefault(root(key), []).append(key)
    return {
        key: tuple(
            dict.fromkeys([spelling[key]] + [spelling[k] for k in members[root(key)] if k not in ONE_WAY_SYNONYMS])
        )
        for key in parent
    }


def lookup_key(words):
    """How typed words are looked up when their exact spelling is not a name: possessive dropped, stemmed."""
    return " ".join(stem(re.sub(r"['’]s$", "", word.lower())) for word in words)


@dataclass(frozen=True)
class Term:
    """A word or phrase as typed, and every name that counts as a match for it."""

    text: str
    is_phrase: bool
    alternatives: tuple
    # PostgreSQL: the term's tsquery as text, computed once for the search (``fold``); empty until then.
    folded: str = field(default="", compare=False)

    @property
    def key(self):
        """Terms with the same names are one term, however they were typed."""
        return frozenset(alt.lower() for alt in self.alternatives)

    @property
    def is_subject(self):
        return SUBJECT in self.key

    @property
    def is_question_word(self):
        return not self.is_phrase and self.text.lower().replace("’", "'") in QUESTION_WORDS

    def tsquery(self, invert=False):
        if self.folded:
            return literal_tsquery(self.folded, invert)
        return term_tsquery(self.alternatives, invert)

    def pattern(self):
        """A regex for SQLite: any alternative, as whole words give or take a common ending."""
        return "|".join(
            r"\b" + r"\W+".join(word_pattern(word) for word in WORD_RE.findall(alt))
            for alt in self.alternatives
            if WORD_RE.search(alt)
        )


class TsQuery(SearchQuery):
    """A tsquery written out as SQL once, usable wherever Django takes a ``SearchQuery``.

    A term with its synonyms is up to ``MAX_ALTERNATIVES`` queries combined, and a search uses each
    term in several expressions (the match, the coverage flags, the rank, the headlines) of several
    querysets. As a tree of ``SearchQuery`` objects, Django copied and resolved every node of it
    for each of them: about a third of a search's time at 100k claims, before any SQL ran. This
    expression has no parts to resolve; combining two (``|``, ``&``) writes the combined SQL.
    """

    def __init__(self, sql, params):
        Expression.__init__(self, output_field=SearchQueryField())
        self.sql, self.params = sql, tuple(params)
        self.invert, self.config = False, None
        self.source_expressions, self.extra = [], {}

    def resolve_expression(self, *args, **kwargs):
        return self  # nothing in it refers to a model or a query

    def as_sql(self, compiler, connection, **extra):
        return self.sql, list(self.params)

    def _combine(self, other, connector, reversed):
        first, second = (other, self) if reversed else (self, other)
        return TsQuery(f"({first.sql} {connector} {second.sql})", first.params + second.params)

    def __invert__(self):
        return TsQuery(f"!!{self.sql}", self.params)


@lru_cache(maxsize=4096)
def term_tsquery(alternatives, invert=False):
    """Rows that match any of ``alternatives`` (or, ``invert``, none of them), as one tsquery.

    Each alternative goes through websearch_to_tsquery as a quoted phrase: operators in curated
    synonyms are never interpreted, and hyphenated names tokenise as in the text."""
    one = f"websearch_to_tsquery('{CONFIG}'::regconfig, %s)"
    parts = [f"!!{one}" if invert else one for _alt in alternatives]
    connector = f" {SearchQuery.BITAND} " if invert else f" {SearchQuery.BITOR} "
    return TsQuery(f"({connector.join(parts)})", [f'"{alt.replace(chr(34), " ")}"' for alt in alternatives])


@lru_cache(maxsize=4096)
def literal_tsquery(text, invert=False):
    """A tsquery PostgreSQL has already computed (``fold``), sent back as a constant."""
    return TsQuery("(!!(%s::tsquery))" if invert else "(%s::tsquery)", [text])


def fold(query, using="default"):
    """``query`` with each term's tsquery computed by PostgreSQL once, in one query (elsewhere,
    ``query`` unchanged).

    A term is up to ``MAX_ALTERNATIVES`` websearch_to_tsquery calls, and a search's statements use
    it in the match, the coverage flags, the rank and the headlines. PostgreSQL computes such
    constant calls while planning, once for each place they appear: at 100k claims planning took
    as long as running some statements (8 ms of 30 for the articles group). Sent as the computed
    tsquery, a term is parsed, not computed, wherever it appears."""
    terms = query.every_term
    if not terms or connections[using].vendor != "postgresql":
        return query
    parts = [term_tsquery(term.alternatives) for term in terms]
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join(f"({part.sql})::text" for part in parts),
            [param for part in parts for param in part.params],
        )
        texts = cursor.fetchone()
    return query.with_terms(
        {term: replace(term, folded=text) if text else term for term, text in zip(terms, texts, strict=True)}
    )


@dataclass(frozen=True)
class Group:
    terms: tuple
    excluded: tuple = ()


def unique_terms(terms):
    return tuple({term.key: term for term in reversed(terms)}.values())[::-1]


@dataclass
class ParsedQuery:
    text: str = ""
    groups: tuple = ()
    notices: list = field(default_factory=list)
    left_out: tuple = ()  # question words left out, as typed
    known_words: frozenset = frozenset()  # vocabulary words "Did you mean" may suggest
    is_relaxed: bool = False

    def __bool__(self):
        return bool(self.groups)

    @property
    def terms(self):
        return [term for group in self.groups for term in group.terms]

    @property
    def every_term(self):
        """Each distinct term once, excluded ones too, in query order."""
        return list(dict.fromkeys(term for group in self.groups for term in (*group.terms, *group.excluded)))

    def with_terms(self, new):
        """The same query with each term replaced by ``new[term]``."""
        return replace(
            self,
            groups=tuple(
                Group(tuple(new[t] for t in group.terms), tuple(new[t] for t in group.excluded))
                for group in self.groups
            ),
        )

    @property
    def scoring_terms(self):
        """The terms that say what the query is about: coverage and rank count these.

        The subject word (kratom and its other names) is left out when other terms remain.
        """
        terms = unique_terms(self.terms)
        return tuple(term for term in terms if not term.is_subject) or terms

    @property
    def is_any(self):
        """True when every group is one term: relaxing to "any term" would find nothing more."""
        return all(len(group.terms) == 1 for group in self.groups)

    def relaxed(self):
        """The same query matching ANY of its topical terms (exclusions still hold)."""
        excluded = unique_terms([term for group in self.groups for term in group.excluded])
        return ParsedQuery(
            text=self.text,
            groups=tuple(Group((term,), excluded) for term in self.scoring_terms),
            left_out=self.left_out,
            known_words=self.known_words,
            is_relaxed=True,
        )

    def tsquery(self):
        return reduce(
            or_,
            (
                reduce(and_, [t.tsquery() for t in group.terms] + [t.tsquery(invert=True) for t in group.excluded])
                for group in self.groups
            ),
        )

    def scoring_tsquery(self):
        return reduce(or_, (term.tsquery() for term in self.scoring_terms))

    def condition(self, fields):
        """A Q object for SQLite: in some group, every term matches a field and no excluded term does."""

        def matches(term):
            pattern = term.pattern()
            return reduce(or_, (Q(**{f"{name}__iregex": pattern}) for name in fields))

        return reduce(
            or_,
            (
                reduce(and_, [matches(t) for t in group.terms] + [~matches(t) for t in group.excluded])
                for group in self.groups
            ),
        )

    def highlighter(self):
        patterns = [p for p in (t.pattern() for t in self.terms) if p]
        if not patterns:
            return None
        return re.compile("|".join(patterns), re.IGNORECASE)


def is_searchable(words):
    return any(word.lower() not in STOP_WORDS for word in words)


def has_no_outer_stop_word(name):
    words = WORD_RE.findall(name)
    return len(words) < 2 or (words[0].lower() not in STOP_WORDS and words[-1].lower() not in STOP_WORDS)


def vocabulary_phrases(synonyms):
    """Multi-word names, exactly and by ``lookup_key``: typed one after another, they are one term."""
    phrases = {}
    for key in synonyms:
        words = WORD_RE.findall(key)
        if len(words) > 1:
            phrases.setdefault(key, key)
            phrases.setdefault(lookup_key(words), key)
    return phrases


@dataclass(frozen=True)
class Lexicon:
    """What parsing looks typed words up in: every name for each thing (``synonym_map``), the same
    by ``lookup_key``, the multi-word names (``vocabulary_phrases``) and the one-word names."""

    synonyms: dict
    stemmed: dict
    phrases: dict
    known_words: frozenset

    @classmethod
    def of(cls, synonyms):
        stemmed = {}
        for key, names in synonyms.items():
            stemmed.setdefault(lookup_key(WORD_RE.findall(key)), names)
        known_words = frozenset(key for key in synonyms if WORD_RE.fullmatch(key))
        return cls(synonyms, stemmed, vocabulary_phrases(synonyms), known_words)


LEXICON_SECONDS = 24 * 3600  # kept per content version: an approval or a synonym group makes a new key


def lexicon(using="default"):
    """The current ``Lexicon``, built once per content version and kept in the shared cache, so a
    search neither queries the names nor rebuilds the lookups (about 9 ms at 100k claims). Substances
    change only through approvals; curated synonym groups move the version themselves
    (evidence/signals.py)."""
    from evidence.http import kept_per_version

    return kept_per_version("search-lexicon", (using,), lambda: Lexicon.of(synonym_map(using)), LEXICON_SECONDS)


def parse_query(raw, *, using="default", synonyms=None):
    """Parse a reader's query with websearch semantics; never raises. ``synonyms`` (a
    ``synonym_map``) replaces the library's current names."""
    text, shortened = clean_query(raw)
    query = ParsedQuery(text=text)
    if shortened:
        query.notices.append(_("Your search was shortened to its first %(n)s characters.") % {"n": MAX_QUERY_LENGTH})
    if not text:
        return query
    words = lexicon(using) if synonyms is None else Lexicon.of(synonyms)
    synonyms, stemmed, phrases = words.synonyms, words.stemmed, words.phrases
    query.known_words = words.known_words

    tokens = list(TOKEN_RE.finditer(text))

    def plain(i):
        """The words of an unquoted, not excluded word token (None for anything else)."""
        token = tokens[i]
        if token["word"] is None or token["minus"] or token["word"].lower() == "or":
            return None
        return WORD_RE.findall(token["word"])

    groups, terms, excluded, count, dropped, budget = [], [], [], 0, False, MAX_ALTERNATIVES
    seen = set()  # (excluded?, names) of the current group's terms
    i = 0
    while i < len(tokens):
        match = tokens[i]
        phrase, word = match["phrase"], match["word"]
        if word is not None and word.lower() == "or" and not match["minus"]:
            if terms:
                groups.append(Group(tuple(terms), tuple(excluded)))
            terms, excluded, seen = [], [], set()
            i += 1
            continue
        # Words typed one after another that form a vocabulary phrase ("liver damage") are one term.
        words, step, is_phrase, names = None, 1, phrase is not None, None
        if plain(i) is not None:
            for n in range(min(MAX_PHRASE_WORDS, len(tokens) - i), 1, -1):
                run = [plain(k) for k in range(i, i + n)]
                if all(run):
                    joined = [w for ws in run for w in ws]
                    key = " ".join(joined).lower()
                    found = phrases.get(key) or phrases.get(lookup_key(joined))
                    if found:
                        words, step, is_phrase, names = joined, n, True, synonyms[found]
                        break
        if words is None:
            words = WORD_RE.findall(phrase if phrase is not None else word)
        i += step
        if not is_searchable(words):
            continue
        typed = " ".join(words)
        if names is None:
            names = synonyms.get(typed.lower()) or stemmed.get(lookup_key(words), (typed,))
        alternatives = (typed, *(a for a in names if a.lower() != typed.lower()))  # as typed, first
        alternatives = tuple(a for a in alternatives if is_searchable(WORD_RE.findall(a)))
        # PostgreSQL drops a phrase's outer stop words ("how much" would find every "much"), so
        # such a phrase is searched only when nothing else names the term.
        alternatives = tuple(a for a in alternatives if has_no_outer_stop_word(a)) or alternatives
        names_key = (bool(match["minus"]), Term(typed, is_phrase, alternatives).key)
        if names_key in seen:
            continue  # "contaminated salmonella": one term, two of its names
        seen.add(names_key)
        if count >= MAX_TERMS:
            dropped = True
            continue
        term = Term(typed, is_phrase, alternatives[: max(1, budget)])
        budget -= len(term.alternatives)
        (excluded if match["minus"] else terms).append(term)
        count += 1
    if terms:
        groups.append(Group(tuple(terms), tuple(excluded)))
    # Question words ("does it help", "can I trust it") go when anything else is asked.
    if any(not t.is_question_word for group in groups for t in group.terms):
        left_out = [t.text for group in groups for t in group.terms if t.is_question_word]
        groups = [Group(tuple(t for t in group.terms if not t.is_question_word), group.excluded) for group in groups]
        groups = [group for group in groups if group.terms]
        query.left_out = tuple(dict.fromkeys(left_out))
    query.groups = tuple(groups)
    if dropped:
        query.notices.append(_("Only the first %(n)s words were searched for.") % {"n": MAX_TERMS})
    return query


class StoredSearchVector(Expression):
    """The ``search_vector`` column of the queried table (PostgreSQL only, see migration 0003)."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        alias = compiler.query.get_initial_alias()
        return f"{compiler.quote_name_unless_alias(alias)}.{connection.ops.quote_name(COLUMN)}", []


class TitleVector(Func):
    """Only the weight-A (title) lexemes of a stored vector."""

    function = "ts_filter"
    template = "%(function)s(%(expressions)s, '{a}')"
    output_field = SearchVectorField()


class Matches(Func):
    """``vector @@ tsquery`` as a condition (PostgreSQL)."""

    template = "(%(expressions)s)"
    arg_joiner = " @@ "
    output_field = BooleanField()


def headline_attr(name):
    return f"search_headline_{name}"


def has_attr(index):
    return f"search_has_{index}"


def flag(condition):
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def added(expressions):
    return reduce(lambda a, b: a + b, expressions)


def search_queryset(queryset, q, *, fields, title, body, candidates=None):
    """The body of every ``search(q)``: matching rows, best first.

    Each row carries ``search_has_<i>`` (1 if it matches the query's i-th scoring term),
    ``search_coverage`` (how many scoring terms it matches), ``search_title_coverage`` (how many
    match a weight-A field) and ``rank``; on PostgreSQL also the headlines. Rows are ordered by
    coverage, title coverage, then rank. ``fields`` maps each searched field to its weight (A–D)
    and must match migration 0003.

    ``candidates`` (PostgreSQL): a condition that already selects only matching rows (``bounded``);
    the match is then not tested again on every row of the table.
    """
    query = q if isinstance(q, ParsedQuery) else parse_query(q, using=queryset.db)
    if not query:
        return queryset.none()
    scoring = query.scoring_terms
    ordering = [
        "-search_coverage",
        "-search_title_coverage",
        "-rank",
        *(queryset.query.order_by or queryset.model._meta.ordering),
        "pk",
    ]
    if connections[queryset.db].vendor == "postgresql":
        tsquery = query.tsquery()
        headlines = {
            headline_attr(name): SearchHeadline(
                Replace(Replace(F(name), Value(START_SEL), Value("")), Value(STOP_SEL), Value("")),
                tsquery,
                config=CONFIG,
                start_sel=START_SEL,
                stop_sel=STOP_SEL,
                **(
                    {"highlight_all": True}
                    if name == title
                    else {"max_fragments": 1, "max_words": SNIPPET_WORDS, "min_words": 15}
                ),
            )
            for name in (title, body)
            if name and not (name == body and queryset.model._meta.label in PYTHON_SNIPPETS)
        }
        has = {has_attr(i): flag(Matches(F("search_vector"), term.tsquery())) for i, term in enumerate(scoring)}
        in_title = [flag(Matches(TitleVector(F("search_vector")), term.tsquery())) for term in scoring]
        return (
            queryset.alias(search_vector=StoredSearchVector())
            .filter(Q(search_vector=tsquery) if candidates is None else candidates)
            .annotate(**has)
            .annotate(
                search_coverage=added(F(name) for name in has),
                search_title_coverage=added(in_title),
                rank=SearchRank(F("search_vector"), query.scoring_tsquery()),
                **headlines,
            )
            .order_by(*ordering)
        )
    # SQLite (and any other backend): word matching, with JSON fields searched as text.
    json_fields = {name for name in fields if isinstance(queryset.model._meta.get_field(name), JSONField)}
    casts = {f"{name}_text": Cast(name, TextField()) for name in json_fields}
    names = [f"{name}_text" if name in json_fields else name for name in fields]
    weights = [WEIGHTS[weight] for weight in fields.values()]
    titles = [name for name, weight in zip(names, fields.values(), strict=True) if weight == "A"]

    def matches(term, columns):
        return reduce(or_, (Q(**{f"{column}__iregex": term.pattern()}) for column in columns))

    has = {has_attr(i): flag(matches(term, names)) for i, term in enumerate(scoring)}
    rank = added(
        Case(When(Q(**{f"{name}__iregex": term.pattern()}), then=Value(weight)), default=Value(0.0))
        for term in scoring
        for name, weight in zip(names, weights, strict=True)
    )
    return (
        queryset.alias(**casts)
        .filter(query.condition(names))
        .annotate(**has)
        .annotate(
            search_coverage=added(F(name) for name in has),
            search_title_coverage=added(flag(matches(term, titles)) for term in scoring),
            rank=Cast(rank, FloatField()),
        )
        .order_by(*ordering)
    )


# Snippets ------------------------------------------------------------------------------------


def marked_html(raw):
    """Escape ts_headline output, turning only its sentinel pairs into highlight tags."""
    # "7-OH" is two lexemes to PostgreSQL: show one highlight, not two around a hyphen.
    raw = re.sub(f"{STOP_SEL}(-?){START_SEL}", r"\1", raw or "")
    out, open_ = [], False
    for part in re.split(f"({START_SEL}|{STOP_SEL})", raw):
        if part == START_SEL:
            if not open_:
                out.append(HIT_OPEN)
                open_ = True
        elif part == STOP_SEL:
            if open_:
                out.append(HIT_CLOSE)
                open_ = False
        else:
            out.append(escape(MARKDOWN_NOISE.sub("", part)))
    if open_:
        out.append(HIT_CLOSE)
    return mark_safe("".join(out))  # every piece of text above was escaped


def excerpt(text, highlighter, max_words=SNIPPET_WORDS):
    """Up to ``max_words`` words of ``text`` around its first hit (or its start), like ts_headline."""
    words = list(re.finditer(r"\S+", text))
    if len(words) <= max_words:
        return text
    hit = highlighter.search(text) if highlighter else None
    first = 0
    if hit:
        first = next((i for i, w in enumerate(words) if w.end() > hit.start()), 0)
        first = max(0, min(first - 5, len(words) - max_words))
    last = min(len(words), first + max_words) - 1
    return text[words[first].start() : words[last].end()]


SNIPPET_WINDOW = (400, 1200)  # characters kept before and after the first hit before cutting words


def snippet_window(text, highlighter):
    """A long text cut to the characters around its first hit (or its start): an excerpt never
    needs more, and an article's whole text is never split into words for one snippet."""
    before, after = SNIPPET_WINDOW
    if len(text) <= before + after:
        return text
    hit = highlighter.search(text) if highlighter else None
    start = max(0, hit.start() - before) if hit else 0
    return text[start : start + before + after]


def python_highlight(text, query, *, whole):
    highlighter = query.highlighter()
    text = text or ""
    if not whole:
        text = snippet_window(text, highlighter)
    text = MARKDOWN_NOISE.sub("", text.replace(START_SEL, "").replace(STOP_SEL, ""))
    if not whole:
        text = excerpt(text, highlighter)
    out, position = [], 0
    for match in highlighter.finditer(text) if highlighter else ():
        out += [escape(text[position : match.start()]), HIT_OPEN, escape(match.group()), HIT_CLOSE]
        position = match.end()
    out.append(escape(text[position:]))
    return mark_safe("".join(out))  # every piece of text above was escaped


def highlighted(obj, name, query, *, whole=False):
    """``obj.<name>`` as safe HTML with the query's hits marked: ts_headline on PG, Python elsewhere."""
    attr = headline_attr(name)
    if hasattr(obj, attr):
        return marked_html(getattr(obj, attr))
    return python_highlight(getattr(obj, name), query, whole=whole)


# Did you mean ---------------------------------------------------------------------------------

TRIGRAM_THRESHOLD = 0.35
FUZZ_THRESHOLD = 82


def suggestion_candidates(query):
    return sorted(
        {t.text.lower() for t in query.terms if not t.is_phrase and len(t.text) >= 4 and not t.text.isdigit()}
    )


STATEMENT_WORD = re.compile(r"[^\W_]+(?:-[^\W_]*)*")
MAX_WORD_LENGTH = 200


def words_of(obj):
    """The vocabulary words a published claim or substance brings: a statement's words, a
    substance's name and synonyms (each whole); lower case, three letters or more."""
    from evidence.models import Claim, Substance

    if isinstance(obj, Claim):
        words = (w.strip("-") for w in STATEMENT_WORD.findall(obj.statement.lower()))
    elif isinstance(obj, Substance):
        synonyms = obj.synonyms if isinstance(obj.synonyms, list) else []
        words = [obj.name.lower(), *(s.lower() for s in synonyms if isinstance(s, str))]
    else:
        return set()
    return {w for w in words if 3 <= len(w) <= MAX_WORD_LENGTH}


def add_library_words(objects, using="default"):
    """Add the vocabulary words of ``objects`` (claims and substances; those not published are
    skipped) to the library's vocabulary. Called inside the approving transaction (evidence/signals.py)."""
    from evidence.models import SearchWord, Status

    words = set()
    for obj in objects:
        if getattr(obj, "status", None) == Status.PUBLISHED:
            words |= words_of(obj)
    if words:
        SearchWord.objects.using(using).bulk_create([SearchWord(word=w) for w in sorted(words)], ignore_conflicts=True)
    return words


def rebuild_library_words(using="default", batch=5000):
    """Recompute the vocabulary from what is published now (``manage.py rebuild_search_vocabulary``);
    returns the number of words."""
    from evidence.models import Claim, SearchWord, Substance

    with transaction.atomic(using=using):
        SearchWord.objects.using(using).all().delete()
        add_library_words(Substance.objects.using(using).published(), using)
        claims = Claim.objects.using(using).published().only("statement", "status").order_by("pk")
        last = 0
        while True:
            rows = list(claims.filter(pk__gt=last)[:batch])
            if not rows:
                break
            add_library_words(rows, using)
            last = rows[-1].pk
        return SearchWord.objects.using(using).count()


VOCABULARY_SECONDS = 24 * 3600  # kept per content version: an approval makes a new key


def library_vocabulary(using="default"):
    """The library's own words (``SearchWord``, kept as approvals publish text), read once per
    content version and kept in the shared cache: never split from every statement per query."""
    from evidence.http import kept_per_version
    from evidence.models import SearchWord

    def compute():
        return list(SearchWord.objects.using(using).values_list("word", flat=True).order_by("word"))

    return kept_per_version("search-vocabulary", (using,), compute, VOCABULARY_SECONDS)


def did_you_mean(query, *, using="default"):
    """The query with misspelt words replaced by close known words, or "" when there is none."""
    candidates = suggestion_candidates(query)
    if not candidates:
        return ""
    connection = connections[using]
    words = library_vocabulary(using)
    if connection.vendor == "postgresql":
        sql = """
            WITH vocabulary(word) AS (SELECT unnest(%s::text[])),
                 terms(term) AS (SELECT unnest(%s::text[]))
            SELECT DISTINCT ON (term) term, word FROM terms CROSS JOIN vocabulary
            WHERE length(word) >= 3 AND similarity(term, word) >= %s
            ORDER BY term, similarity(term, word) DESC, word
        """
        known = sorted(set(words) | set(query.known_words))
        with connection.cursor() as cursor:
            cursor.execute(sql, [known, candidates, TRIGRAM_THRESHOLD])
            replacements = dict(cursor.fetchall())
    else:
        known = set(words) | {w for w in query.known_words if len(w) >= 3}
        replacements = {}
        for term in candidates:
            match = process.extractOne(term, known, scorer=fuzz.ratio, score_cutoff=FUZZ_THRESHOLD)
            if match:
                replacements[term] = match[0]
    replacements = {term: word for term, word in replacements.items() if word != term}
    if not replacements:
        return ""
    return re.sub(
        WORD,
        lambda m: replacements.get(m.group().lower(), m.group()),
        query.text,
    )


# The search page -----------------------------------------------------------------------------


@dataclass
class Hit:
    object: object
    title_html: str
    snippet_html: str = ""
    kind: str = ""  # the result group's key: "claims", "warnings", …
    kind_label: str = ""  # "Claim", "Warning", … (best answers mix types)
    coverage: int = 0
    title_coverage: int = 0
    score: float = 0.0  # term occurrences, title counting most: ties in best answers


@dataclass
class ResultGroup:
    key: str
    label: str
    count: int
    hits: list
    more: bool = False  # more than ``count`` match: counting stopped at CANDIDATES (PostgreSQL)


@dataclass
class SearchPage:
    query: ParsedQuery
    groups: list = field(default_factory=list)
    suggestion: str = ""
    answers: list = field(default_factory=list)  # best answers across claims, warnings, substances
    relaxed: ParsedQuery = None  # the any-term query shown, when the strict one found too little
    notices: list = field(default_factory=list)
    closest_claims: list = field(default_factory=list)  # when nothing matches at all
    closest_warning: object = None

    @property
    def total(self):
        return sum(group.count for group in self.groups)

    @property
    def more(self):
        """True when some group stopped counting: the total is a lower bound ("more than")."""
        return any(group.more for group in self.groups)

    @property
    def found(self):
        return [group for group in self.groups if group.count]

    def count(self, key):
        return next((group.count for group in self.groups if group.key == key), 0)


def result_querysets():
    """What the public search covers, in page order: (key, label, one item's label, published queryset)."""
    from evidence.models import Claim, Passage, SourceArticle, Study, Substance, Warning

    return [
        ("claims", _("Claims"), _("Claim"), Claim.objects.published()),
        ("passages", _("Passages"), _("Passage"), Passage.objects.published().select_related("article", "claim")),
        ("articles", _("Articles"), _("Article"), SourceArticle.objects.published()),
        ("studies", _("Studies"), _("Study"), Study.objects.published()),
        ("warnings", _("Warnings"), _("Warning"), Warning.objects.published()),
        ("substances", _("Substances"), _("Substance"), Substance.objects.published()),
    ]


# Best answers: a warning before a claim before a substance when they are otherwise equal.
ANSWER_KINDS = {"warnings": 0, "claims": 1, "substances": 2}
ANSWER_CANDIDATES = 2 * ANSWERS  # fetched per type, so that ties are broken on enough rows


def occurrences(query, obj, title, body):
    """How often the query's scoring terms occur in a row's title (weight 1) and body (weight 0.4).

    Counted in Python on rows already fetched, so both backends break ties in best answers alike.
    """
    score = 0.0
    for term in query.scoring_terms:
        pattern = term.pattern()
        if not pattern:
            continue
        regex = re.compile(pattern, re.IGNORECASE)
        score += len(regex.findall(str(getattr(obj, title, "") or "")))
        if body:
            score += WEIGHTS["B"] * len(regex.findall(str(getattr(obj, body, "") or "")))
    return score


def make_hit(query, key, kind_label, row, title, body):
    return Hit(
        object=row,
        title_html=highlighted(row, title, query, whole=True),
        snippet_html=highlighted(row, body, query) if body else "",
        kind=key,
        kind_label=kind_label,
        coverage=row.search_coverage,
        title_coverage=row.search_title_coverage,
    )


def any_attr(index):
    return f"search_any_{index}"


def every_term_tsquery(query):
    """The relaxed query's terms all together (its exclusions still hold)."""
    excluded = [term for group in query.groups for term in group.excluded]
    return reduce(and_, [t.tsquery() for t in query.scoring_terms] + [t.tsquery(invert=True) for t in excluded])


def bounded(queryset, query, *, counted=True, index_only=False):
    """PostgreSQL: ``queryset.search(query)`` ranked over the first ``CANDIDATES + 1`` matching rows only.

    The candidates are found without ranking (a GIN bitmap for a selective term; for a term in most
    rows, the first rows a scan meets), so neither ranking nor counting reads every match of
    "kratom". A relaxed query also takes the first rows that have every term, so those are never
    left out, and says per term whether any candidate matches it (``search_any_<i>``), for the
    notice that names the words nothing matches (``terms_found`` asks the index about the others
    when the candidates are not all the matches). Each row carries ``search_total``, the number of
    candidates (more than ``CANDIDATES`` means "more than").
    """
    base = queryset.alias(search_vector=StoredSearchVector()).order_by()
    long_texts = index_only or queryset.model._meta.label in PYTHON_SNIPPETS
    # Long texts, and queries the planner misjudges (``index_only``): candidates from the GIN index
    # alone (any status; the page's filter applies after), so it has no other plan to prefer
    # (index_only_candidates).
    pool = queryset.model._base_manager.using(queryset.db).alias(search_vector=StoredSearchVector()).order_by()

    def first(tsquery):
        return (pool if long_texts else base).filter(search_vector=tsquery).values("pk")[: CANDIDATES + 1]

    candidates = first(query.tsquery())
    if query.is_relaxed and len(query.scoring_terms) > 1:
        candidates = candidates.union(first(every_term_tsquery(query)))  # one semi-join, not an OR of two
    candidates = Q(pk__in=candidates)
    results = search_queryset(
        queryset,
        query,
        fields=queryset.SEARCH_FIELDS,
        title=queryset.SEARCH_TITLE,
        body=queryset.SEARCH_BODY,
        candidates=candidates,
    )
    if not counted:
        return results
    if query.is_relaxed:
        results = results.annotate(**{any_attr(i): Window(Max(has_attr(i))) for i in range(len(query.scoring_terms))})
    results = results.annotate(search_total=Window(Count("pk")))
    if long_texts:  # more than CANDIDATES match, published or not: the count is a lower bound
        results = results.annotate(search_pool=CappedCount(first(query.tsquery())))
    return results


def needs_index(query, using):
    """Whether PostgreSQL must take a query's candidates from the GIN index (PostgreSQL only).

    The planner estimates a word it has no statistics for (a typo, a rare word) as fairly common,
    and several words together as independent, so for those it scans whole tables looking for rows
    that are not there (30–70 ms at 100k claims). One known word, alone, is left to the planner: for
    "kratom" a scan that stops at the first rows beats reading the whole index. Known: a word of the
    library's vocabulary (``library_vocabulary``, cached per content version)."""
    if any(len(group.terms) > 1 or group.excluded for group in query.groups):
        return True
    known = set(library_vocabulary(using))
    return any(  # the word as typed: its synonyms only widen a match the planner already expects
        word.lower() not in known
        for group in query.groups
        for term in group.terms
        for word in WORD_RE.findall(term.text)
    )


def terms_found(queryset, terms):
    """The terms (by index) that match any row of ``queryset``'s table: one GIN probe each (PostgreSQL).

    The probe asks the index alone (rows of any status): a word found only in unpublished rows is
    then not named as matching nothing, which leaves a notice out rather than saying something false."""
    base = queryset.model._base_manager.using(queryset.db).alias(search_vector=StoredSearchVector()).order_by()
    found = set()
    with index_only_candidates(connections[queryset.db], queryset.model, always=True):
        for i, term in terms:
            if base.filter(search_vector=term.tsquery()).values("pk")[:1]:
                found.add(i)
    return found


class CappedCount(Subquery):
    """How many rows a (sliced) subquery returns."""

    template = "(SELECT count(*) FROM (%(subquery)s) AS capped)"
    output_field = IntegerField()


# Statements by shape (PostgreSQL) -----------------------------------------------------------

# Private-use marks around a term's number: a compiled statement's stand-in for its tsquery.
TERM_MARK = "\ue002{}\ue003"
STATEMENTS = 512  # shapes kept per process (a shape is a result group and a query's structure)
_statements = {}


def skeleton(query):
    """``query`` with each folded term's tsquery replaced by a numbered stand-in, and the real texts
    by stand-in; None when a term is not folded (its SQL then depends on its words)."""
    terms = query.every_term
    if not terms or not all(term.folded for term in terms):
        return None, {}
    marks = {term: TERM_MARK.format(i) for i, term in enumerate(terms)}
    marked = query.with_terms({term: replace(term, folded=marks[term]) for term in terms})
    return marked, {marks[term]: term.folded for term in terms}


def shape_of(query):
    """What a statement's SQL depends on besides the terms' texts: which term is where."""
    return (
        tuple((tuple(t.folded for t in g.terms), tuple(t.folded for t in g.excluded)) for g in query.groups),
        tuple(t.folded for t in query.scoring_terms),
        query.is_relaxed,
    )


def ranked_rows(name, query, build, *, using):
    """The rows of ``build(query)`` (a search queryset, PostgreSQL), compiled once per shape.

    Django builds and compiles a search statement in about 6 ms, as long as PostgreSQL takes to run
    it, and a search runs up to a dozen. Once terms are folded (``fold``), a statement's SQL depends
    only on the result group (``name``: the queryset and its options) and on where each term
    stands in the query, so it is compiled for the first query of that shape, with stand-ins for
    the terms, and run again with each later query's terms. ``build`` must not select related rows
    (their columns would share names); the caller fetches those."""
    marked, texts = skeleton(query)
    if marked is None:
        return list(build(query))
    shape = (name, using, shape_of(marked))
    statement = _statements.get(shape)
    if statement is None:
        queryset = build(marked)
        sql, params = queryset.query.get_compiler(using).as_sql()
        statement = (queryset.model, sql, tuple(params))
        if len(_statements) >= STATEMENTS:
            _statements.clear()
        _statements[shape] = statement
    model, sql, params = statement
    params = [texts.get(param, param) if isinstance(param, str) else param for param in params]
    return list(model._base_manager.using(using).raw(sql, params))


def related(key, rows, using):
    """What a hit shows of its related rows (a passage's article and claim), for these rows only."""
    from evidence.models import SourceArticle

    if key == "passages":
        prefetch_related_objects(rows, Prefetch("article", SourceArticle.objects.using(using).defer("text")), "claim")


def search_group(query, key, label, kind_label, queryset, *, limit, using, pg, index_only=False):
    """One result group: its hits (best first, at most ``limit``), its count, and which scoring terms matched.

    On PostgreSQL one query, ranking a bounded set of candidates (``bounded``), counting up to
    ``CANDIDATES``; elsewhere one query, plus one more when more than ``limit`` rows match.
    """
    queryset = queryset.using(using)
    if key == "passages":
        queryset = queryset.defer("article__text")
    n_terms = len(query.scoring_terms)
    more = False
    if pg:
        plain = queryset.select_related(None)

        def build(q):
            return bounded(plain, q, index_only=index_only)[: limit + 1]

        with index_only_candidates(connections[using], queryset.model, always=index_only):
            rows = ranked_rows(("group", key, limit, index_only), query, build, using=using)
        related(key, rows, using)
        total = rows[0].search_total if rows else 0
        pool = getattr(rows[0], "search_pool", 0) if rows else 0
        count, more = min(total, CANDIDATES), total > CANDIDATES or pool > CANDIDATES
        matched = {i for row in rows[:1] for i in range(n_terms) if getattr(row, any_attr(i), False)}
        matched |= {i for row in rows for i in range(n_terms) if getattr(row, has_attr(i))}
        unseen = [(i, term) for i, term in enumerate(query.scoring_terms) if i not in matched]
        if query.is_relaxed and more and unseen:  # the candidates are not every match: ask the index
            matched |= terms_found(queryset, unseen)
    else:
        results = queryset.search(query)
        rows = list(results[: limit + 1])
        matched = {i for row in rows for i in range(n_terms) if getattr(row, has_attr(i))}
        if len(rows) <= limit:
            count = len(rows)
        elif query.is_relaxed:
            # One query for the count and for which terms match anything at all (the notice names them).
            totals = results.aggregate(n=Count("pk"), **{f"any_{i}": Max(has_attr(i)) for i in range(n_terms)})
            count = totals["n"]
            matched |= {i for i in range(n_terms) if totals[f"any_{i}"]}
        else:
            count = results.count()
    title, body = queryset.SEARCH_TITLE, queryset.SEARCH_BODY
    hits = [make_hit(query, key, kind_label, row, title, body) for row in rows[:limit]]
    return ResultGroup(key=key, label=label, count=count, hits=hits, more=more), matched


def search_groups(query, *, limit, using):
    connection = connections[using]
    pg = connection.vendor == "postgresql"
    index_only = pg and needs_index(query, using)
    groups, matched = [], set()
    with index_only_candidates(connection, None, always=index_only):  # one SET for the page's groups
        for key, label, kind_label, queryset in result_querysets():
            group, found = search_group(
                query, key, label, kind_label, queryset, limit=limit, using=using, pg=pg, index_only=index_only
            )
            groups.append(group)
            matched |= found
    return groups, matched


def answer_key(row):
    return (-(row.search_coverage + row.search_title_coverage), -row.search_coverage, -row.rank, row.pk)


def answer_candidates(query, *, using, groups=()):
    """Claims, warnings, and the substances the query names (a term matches a name or synonym): for
    each type the rows with the most terms, a term in the title counting twice. One query per type,
    except where ``groups`` (the page's groups, from this same query) already hold them: with one
    scoring term every row has the same coverage, so both orders agree and a group's first rows are
    the answers' candidates."""
    candidates = []
    shown = {group.key: group for group in groups} if len(query.scoring_terms) == 1 else {}
    for key, _label, kind_label, queryset in result_querysets():
        if key not in ANSWER_KINDS:
            continue
        group = shown.get(key)
        if group is not None and (len(group.hits) >= ANSWER_CANDIDATES or len(group.hits) == group.count):
            title, body = queryset.SEARCH_TITLE, queryset.SEARCH_BODY
            rows = sorted((hit.object for hit in group.hits), key=answer_key)
            if key == "substances":
                rows = [row for row in rows if row.search_title_coverage > 0]
            for row in rows[:ANSWER_CANDIDATES]:
                hit = make_hit(query, key, kind_label, row, title, body)
                hit.score = occurrences(query, row, title, body)
                candidates.append(hit)
            continue

        def build(q, queryset=queryset, key=key):
            if connections[using].vendor == "postgresql":
                results = bounded(queryset.using(using), q, counted=False)
            else:
                results = queryset.using(using).search(q)
            if key == "substances":
                results = results.filter(search_title_coverage__gt=0)
            return results.order_by(
                (F("search_coverage") + F("search_title_coverage")).desc(), "-search_coverage", "-rank", "pk"
            )[:ANSWER_CANDIDATES]

        rows = ranked_rows(("answers", key), query, build, using=using)
        title, body = queryset.SEARCH_TITLE, queryset.SEARCH_BODY
        for row in rows:
            hit = make_hit(query, key, kind_label, row, title, body)
            hit.score = occurrences(query, row, title, body)
            candidates.append(hit)
    return candidates


def best_answers(candidates):
    """The top results across types, by relevance: the query's terms found, a term found in the
    title (statement, name) counting twice; then a warning before a claim before a substance; then
    how often the terms occur.

    A title names what an item is about, so the warning "Concentrated 7-OH products" answers
    "7-OH products dangerous" better than a claim whose long summary happens to hold all three
    words. A warning is the library's own summary of a harm, so among equals it comes first.
    """
    ranked = sorted(
        candidates,
        key=lambda hit: (-(hit.coverage + hit.title_coverage), -hit.coverage, ANSWER_KINDS[hit.kind], -hit.score),
    )
    return ranked[:ANSWERS]


def terms_list(terms):
    return ", ".join(f"“{term}”" for term in terms)


def relaxed_notices(page, relaxed, matched):
    """What the reader is told when the page shows the relaxed query's results."""
    strict, strict_total = page.query, page.total
    scoring = relaxed.scoring_terms
    shown = terms_list(term.text for i, term in enumerate(scoring) if i in matched)
    missing = [term.text for i, term in enumerate(scoring) if i not in matched]
    subject = [term.text for term in unique_terms(strict.terms) if term.is_subject and term not in scoring]
    if not strict_total and len(matched) == 1:
        notices = [_("No result has every word, so these have %(terms)s.") % {"terms": shown}]
    elif not strict_total:
        notices = [
            _("No result has every word, so these have any of: %(terms)s. Results with more of them come first.")
            % {"terms": shown}
        ]
    elif strict_total < FEW_RESULTS:
        notices = [
            ngettext(
                "Only %(n)s result has every word; it comes first, followed by results with any of: %(terms)s.",
                "Only %(n)s results have every word; they come first, followed by results with any of: %(terms)s.",
                strict_total,
            )
            % {"n": strict_total, "terms": shown}
        ]
    else:
        notices = [
            _("No claim or warning has every word, so these have any of: %(terms)s. Those with more come first.")
            % {"terms": shown}
        ]
    if subject:
        notices.append(
            _("%(terms)s was left out: everything in this library is about it.") % {"terms": terms_list(subject)}
        )
    if missing:
        notices.append(_("Nothing in the library matches %(terms)s.") % {"terms": terms_list(missing)})
    return notices


CLOSEST_CLAIM = 70  # rapidfuzz partial_ratio, averaged over the query's words
CLOSEST_WARNING = 80
# Rows fuzzy-matched one by one when nothing matches. A larger library is narrowed first to the rows
# that have a word of the "Did you mean" suggestion (its corrected words), so a typo never scores
# 100,000 statements in Python; on PostgreSQL to the best of the first CANDIDATES such rows
# (``bounded``): ranking every claim that says "alcohol" took 120–180 ms at 100k claims.
CLOSEST_SCAN = 2000


def closest_items(query, *, using, suggestion=""):
    """When nothing matches: the claims whose statements come closest to the query's words, and the
    warning whose text comes closest, by fuzzy matching (two queries; two more when the library has
    more than ``CLOSEST_SCAN`` of either and the candidates come from ``suggestion``)."""
    from evidence.models import Claim, Warning

    words = [term.text.lower() for term in query.scoring_terms if len(term.text) >= 3]
    if not words:
        return [], None
    corrected = parse_query(suggestion, using=using).relaxed() if suggestion else None

    def closeness(text):
        text = text.lower()
        return sum(fuzz.partial_ratio(word, text) for word in words) / len(words)

    def candidates(queryset, fields):
        rows = list(queryset.using(using).published().only(*fields)[: CLOSEST_SCAN + 1])
        if len(rows) <= CLOSEST_SCAN:
            return rows  # the whole (small) library
        if not corrected:
            return []
        published = queryset.using(using).published()
        if connections[using].vendor == "postgresql":
            return list(bounded(published, corrected, counted=False).only(*fields)[:CLOSEST_SCAN])
        return list(published.search(corrected).only(*fields)[:CLOSEST_SCAN])

    claims = candidates(Claim.objects, ["slug", "statement", "verdict", "certainty", "polarity"])
    scored = sorted(((closeness(c.statement), c.statement, c) for c in claims), key=lambda x: (-x[0], x[1]))
    closest = [claim for score, _statement, claim in scored[:3] if score >= CLOSEST_CLAIM]
    warnings = candidates(Warning.objects, ["slug", "title", "text", "severity", "certainty"])
    scored = sorted(((closeness(f"{w.title} {w.text}"), w.title, w) for w in warnings), key=lambda x: (-x[0], x[1]))
    warning = scored[0][2] if scored and scored[0][0] >= CLOSEST_WARNING else None
    return closest, warning


def search_library(raw, *, limit=RESULTS_PER_GROUP, using="default"):
    """Every public result for a query, grouped by type, at most ``limit`` per group, with best answers.

    The strict query (every word) runs first. When it finds fewer than ``FEW_RESULTS`` results, or
    no claim and no warning, the query is relaxed to any of its topical words and the page shows
    that instead, saying so. Best answers rank claims, warnings and named substances together, from
    the any-term query, by the terms each row has (a term in its title counting twice).

    Queries: none for synonyms (``lexicon``, kept per content version); on PostgreSQL one that
    computes the terms' tsqueries (``fold``); one per group (plus a count where a group has more
    than ``limit`` results) and three for best answers; with few results, one for "Did you mean"
    and one per group (plus counts) for the relaxed query; with no result at all, two for the
    closest claims and warning.
    """
    query = parse_query(raw, using=using)
    page = SearchPage(query=query)
    if not query:
        return page
    query = page.query = fold(query, using)
    if query.left_out:
        page.notices.append(
            _("Left out as question words: %(terms)s.") % {"terms": ", ".join(f"“{w}”" for w in query.left_out)}
        )
    page.groups, _matched = search_groups(query, limit=limit, using=using)
    if page.total < FEW_RESULTS:
        page.suggestion = did_you_mean(query, using=using)
    relaxed = query if query.is_any else query.relaxed()  # "any term" already, or made so
    if relaxed is not query and (page.total < FEW_RESULTS or not (page.count("claims") or page.count("warnings"))):
        groups, matched = search_groups(relaxed, limit=limit, using=using)
        if sum(group.count for group in groups) > page.total:  # it found more
            page.notices.extend(relaxed_notices(page, relaxed, matched))
            page.relaxed, page.groups = relaxed, groups
    # Best answers rank by terms found, so they come from the any-term query whatever the page shows.
    shown = page.groups if (page.relaxed or query) is relaxed else ()
    page.answers = best_answers(answer_candidates(relaxed, using=using, groups=shown))
    if not page.total:
        page.closest_claims, page.closest_warning = closest_items(query, using=using, suggestion=page.suggestion)
    return page
