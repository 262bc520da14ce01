"""Full-text search: the backend-aware body behind each QuerySet's ``search(q)``, and the search page.

A query is cleaned and parsed once (``parse_query``) into OR-groups of terms, with websearch
semantics: words and "quoted phrases" must all match, ``-word`` excludes, ``or`` separates
alternatives. Each term carries its synonyms (``Substance.synonyms`` plus ``BUILT_IN_SYNONYMS``),
so "7-OH" finds "7-hydroxymitragynine" and the other way round.

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
from dataclasses import dataclass, field
from functools import reduce
from operator import and_, or_

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVectorField
from django.db import connections
from django.db.models import Case, Expression, F, FloatField, JSONField, Q, TextField, Value, When
from django.db.models.functions import Cast, Replace
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz, process

CONFIG = "english"
COLUMN = "search_vector"  # added by migration 0003, on PostgreSQL only
MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
# Words a query may search for once synonyms are added (each synonym is one more alternative to
# match): later terms keep only the word as typed, so a long query stays bounded.
MAX_ALTERNATIVES = 30
RESULTS_PER_GROUP = 20
FEW_RESULTS = 3  # fewer results than this, and a close word exists: "Did you mean …?"
SNIPPET_WORDS = 35

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
# Synonyms that are also ordinary words: typing them finds the substance, but searching for the
# substance does not find them ("mg" is mostly milligrams).
ONE_WAY_SYNONYMS = frozenset({"mg"})

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
    """Lower-cased name → every name for the same thing (curated synonyms plus the built-in map)."""
    from evidence.models import Substance

    groups = [list(names) for names in BUILT_IN_SYNONYMS]
    for name, scientific_name, synonyms in (
        Substance.objects.using(using).published().values_list("name", "scientific_name", "synonyms")
    ):
        names = [name, scientific_name, *(synonyms if isinstance(synonyms, list) else [])]
        groups.append([clean_query(n)[0] for n in names if isinstance(n, str) and clean_query(n)[0]])
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


@dataclass(frozen=True)
class Term:
    """A word or phrase as typed, and every name that counts as a match for it."""

    text: str
    is_phrase: bool
    alternatives: tuple

    def tsquery(self, invert=False):
        # Each alternative goes through websearch_to_tsquery as a quoted phrase: operators in
        # curated synonyms are never interpreted, and hyphenated names tokenise as in the text.
        queries = [
            SearchQuery(f'"{alt.replace(chr(34), " ")}"', search_type="websearch", config=CONFIG, invert=invert)
            for alt in self.alternatives
        ]
        return reduce(and_ if invert else or_, queries)

    def pattern(self):
        """A regex for SQLite: any alternative, as whole words give or take a common ending."""
        return "|".join(
            r"\b" + r"\W+".join(word_pattern(word) for word in WORD_RE.findall(alt))
            for alt in self.alternatives
            if WORD_RE.search(alt)
        )


@dataclass(frozen=True)
class Group:
    terms: tuple
    excluded: tuple = ()


@dataclass
class ParsedQuery:
    text: str = ""
    groups: tuple = ()
    notices: list = field(default_factory=list)

    def __bool__(self):
        return bool(self.groups)

    @property
    def terms(self):
        return [term for group in self.groups for term in group.terms]

    def tsquery(self):
        return reduce(
            or_,
            (
                reduce(and_, [t.tsquery() for t in group.terms] + [t.tsquery(invert=True) for t in group.excluded])
                for group in self.groups
            ),
        )

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


def parse_query(raw, *, using="default", synonyms=None):
    """Parse a reader's query with websearch semantics; never raises."""
    text, shortened = clean_query(raw)
    query = ParsedQuery(text=text)
    if shortened:
        query.notices.append(_("Your search was shortened to its first %(n)s characters.") % {"n": MAX_QUERY_LENGTH})
    if not text:
        return query
    if synonyms is None:
        synonyms = synonym_map(using)
    groups, terms, excluded, count, dropped, budget = [], [], [], 0, False, MAX_ALTERNATIVES
    for match in TOKEN_RE.finditer(text):
        phrase, word = match["phrase"], match["word"]
        if word is not None and word.lower() == "or" and not match["minus"]:
            if terms:
                groups.append(Group(tuple(terms), tuple(excluded)))
            terms, excluded = [], []
            continue
        words = WORD_RE.findall(phrase if phrase is not None else word)
        if not is_searchable(words):
            continue
        if count >= MAX_TERMS:
            dropped = True
            continue
        typed = " ".join(words)
        alternatives = synonyms.get(typed.lower(), (typed,))
        alternatives = (typed, *(a for a in alternatives if a.lower() != typed.lower()))  # as typed, first
        alternatives = tuple(a for a in alternatives if is_searchable(WORD_RE.findall(a)))
        alternatives = alternatives[: max(1, budget)]
        budget -= len(alternatives)
        term = Term(typed, phrase is not None, alternatives)
        (excluded if match["minus"] else terms).append(term)
        count += 1
    if terms:
        groups.append(Group(tuple(terms), tuple(excluded)))
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


def headline_attr(name):
    return f"search_headline_{name}"


def search_queryset(queryset, q, *, fields, title, body):
    """The body of every ``search(q)``: matching rows, best first, with ``rank`` (and headlines on PG).

    ``fields`` maps each searched field to its weight (A–D) and must match migration 0003.
    """
    query = q if isinstance(q, ParsedQuery) else parse_query(q, using=queryset.db)
    if not query:
        return queryset.none()
    ordering = ["-rank", *(queryset.query.order_by or queryset.model._meta.ordering), "pk"]
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
            if name
        }
        return (
            queryset.alias(search_vector=StoredSearchVector())
            .filter(search_vector=tsquery)
            .annotate(rank=SearchRank(F("search_vector"), tsquery), **headlines)
            .order_by(*ordering)
        )
    # SQLite (and any other backend): word matching, with JSON fields searched as text.
    json_fields = {name for name in fields if isinstance(queryset.model._meta.get_field(name), JSONField)}
    casts = {f"{name}_text": Cast(name, TextField()) for name in json_fields}
    names = [f"{name}_text" if name in json_fields else name for name in fields]
    weights = [WEIGHTS[weight] for weight in fields.values()]
    rank = reduce(
        lambda a, b: a + b,
        (
            Case(When(Q(**{f"{name}__iregex": term.pattern()}), then=Value(weight)), default=Value(0.0))
            for term in query.terms
            for name, weight in zip(names, weights, strict=True)
        ),
    )
    return (
        queryset.alias(**casts)
        .filter(query.condition(names))
        .annotate(rank=Cast(rank, FloatField()))
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


def python_highlight(text, query, *, whole):
    highlighter = query.highlighter()
    text = MARKDOWN_NOISE.sub("", (text or "").replace(START_SEL, "").replace(STOP_SEL, ""))
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


def vocabulary_sql(connection):
    from evidence.models import Claim, Substance

    quote = connection.ops.quote_name
    substance, claim = quote(Substance._meta.db_table), quote(Claim._meta.db_table)
    return f"""
        SELECT lower(name) FROM {substance}
        UNION SELECT lower(synonym) FROM {substance}, jsonb_array_elements_text(
            CASE WHEN jsonb_typeof(synonyms) = 'array' THEN synonyms ELSE '[]'::jsonb END) AS synonym
        UNION SELECT btrim(word, '-') FROM {claim},
            regexp_split_to_table(lower(statement), '[^[:alnum:]-]+') AS word WHERE status = %s
    """


def vocabulary(using="default"):
    """The short words "Did you mean" draws on: substance names and synonyms, claim statement words."""
    from evidence.models import Claim, Status, Substance

    words = set()
    for name, synonyms in Substance.objects.using(using).published().values_list("name", "synonyms"):
        words.add(name.lower())
        if isinstance(synonyms, list):
            words.update(s.lower() for s in synonyms if isinstance(s, str))
    for statement in Claim.objects.using(using).filter(status=Status.PUBLISHED).values_list("statement", flat=True):
        words.update(w.strip("-") for w in re.findall(r"[^\W_]+(?:-[^\W_]*)*", statement.lower()))
    return {w for w in words if len(w) >= 3}


def did_you_mean(query, *, using="default"):
    """The query with misspelt words replaced by close known words, or "" when there is none."""
    candidates = suggestion_candidates(query)
    if not candidates:
        return ""
    connection = connections[using]
    if connection.vendor == "postgresql":
        from evidence.models import Status

        sql = f"""
            WITH vocabulary(word) AS ({vocabulary_sql(connection)}),
                 terms(term) AS (SELECT unnest(%s::text[]))
            SELECT DISTINCT ON (term) term, word FROM terms CROSS JOIN vocabulary
            WHERE length(word) >= 3 AND similarity(term, word) >= %s
            ORDER BY term, similarity(term, word) DESC, word
        """
        with connection.cursor() as cursor:
            cursor.execute(sql, [Status.PUBLISHED, candidates, TRIGRAM_THRESHOLD])
            replacements = dict(cursor.fetchall())
    else:
        known = vocabulary(using)
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


@dataclass
class ResultGroup:
    key: str
    label: str
    count: int
    hits: list


@dataclass
class SearchPage:
    query: ParsedQuery
    groups: list = field(default_factory=list)
    suggestion: str = ""

    @property
    def total(self):
        return sum(group.count for group in self.groups)

    @property
    def found(self):
        return [group for group in self.groups if group.count]


def result_querysets():
    """What the public search covers, in page order: (key, label, published queryset)."""
    from evidence.models import Claim, Passage, SourceArticle, Study, Substance, Warning

    return [
        ("claims", _("Claims"), Claim.objects.published()),
        ("passages", _("Passages"), Passage.objects.published().select_related("article", "claim")),
        ("articles", _("Articles"), SourceArticle.objects.published()),
        ("studies", _("Studies"), Study.objects.published()),
        ("warnings", _("Warnings"), Warning.objects.published()),
        ("substances", _("Substances"), Substance.objects.published()),
    ]


def search_library(raw, *, limit=RESULTS_PER_GROUP, using="default"):
    """Every public result for a query, grouped by type, at most ``limit`` per group.

    Queries: one for synonyms, then one per group (plus a count where a group has more than
    ``limit`` results), plus one for "Did you mean" when there are few results.
    """
    query = parse_query(raw, using=using)
    page = SearchPage(query=query)
    if not query:
        return page
    pg = connections[using].vendor == "postgresql"
    for key, label, queryset in result_querysets():
        queryset = queryset.using(using)
        if key == "passages":
            queryset = queryset.defer("article__text")
        elif key == "articles" and pg:
            queryset = queryset.defer("text")  # ts_headline reads it in the database
        results = queryset.search(query)
        rows = list(results[: limit + 1])
        count = len(rows) if len(rows) <= limit else results.count()
        title, body = queryset.SEARCH_TITLE, queryset.SEARCH_BODY
        hits = [
            Hit(
                object=row,
                title_html=highlighted(row, title, query, whole=True),
                snippet_html=highlighted(row, body, query) if body else "",
            )
            for row in rows[:limit]
        ]
        page.groups.append(ResultGroup(key=key, label=label, count=count, hits=hits))
    if page.total < FEW_RESULTS:
        page.suggestion = did_you_mean(query, using=using)
    return page
