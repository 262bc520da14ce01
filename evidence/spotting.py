"""Claim spotting: which sentences of a new article make claims the library already knows.

A reviewer reading a new article sentence by sentence wants, beside each sentence that makes a
health, safety, dose, legal or scientific claim, the published claims it most likely makes. The
spotter gives that list as suggestions; a reviewer still decides.

- **Units.** The text is cut into blocks (the seed format's summary, introduction, paragraphs,
  conclusion and author note through ``parse_article``; other text on its lines, Markdown headings
  left out), blocks into sentences. Headings, the table of contents and link lists are navigation
  and never get a suggestion. A sentence is cut into clauses (after a comma, semicolon, colon or
  dash, before "and", "but", "while", "whereas", "although", "though", "yet") only where its parts
  make different known claims better than the whole makes one: "While safe when consumed
  responsibly, | individuals with liver conditions should exercise caution" is two claims. Every
  unit carries code-point offsets into the text exactly as given: ``text[start:end] ==
  suggestion.text``.
- **Ranking.** BM25 (``bm25s``) over one document per example: each claim's statement and each
  passage quote linked to it (the library's own record of how articles word that claim). Words
  are lower-cased, stop words dropped and a common suffix stripped (``search.stem``); every name
  in ``search.synonym_map()`` (substance synonyms and the medical vocabulary) adds one token for
  its whole group, so "ketum" also matches "kratom" and "hepatotoxicity" "liver injury". A claim
  scores as its best example; the BM25 score is divided by the sentence's own weight (the idf
  of its words) so that scores compare between sentences. The best candidates are reranked with
  rapidfuzz's token-set similarity to the same examples; the score is a blend of both, in [0, 1].
- **Gate.** A unit gets suggestions only if it looks like a claim: at least four words, no
  boilerplate ("Read more", "Subscribe", …), at least one cue word (may, can, help, cause, risk,
  dose, grams, legal, safe, study, receptor, pain, withdrawal, …), and a best score of at least
  ``THRESHOLD``.

Nothing is downloaded and nothing is written: the index is built in memory from the claims and
examples given, or from the published library. ``benchmarks/spotting.py`` measures it honestly
(leave one seed article out).
"""

import logging
import math
import re
from dataclasses import dataclass, field

import bm25s
import numpy as np
from rapidfuzz import fuzz

from evidence.search import ONE_WAY_SYNONYMS, STOP_WORDS, stem
from evidence.text import ArticleFormatError, parse_article

# Tuned on the five seed articles by leaving one article out (benchmarks/spotting.py).
THRESHOLD = 0.38  # a sentence or clause whose best claim scores less gets no suggestion
BM25_WEIGHT = 0.6  # score = BM25_WEIGHT * BM25 coverage + (1 - BM25_WEIGHT) * rapidfuzz similarity
RERANK_POOL = 10  # claims, best first by BM25, that rapidfuzz reranks
SIMILARITY = fuzz.token_set_ratio  # the reranker compares word sets: word order does not matter
SPLIT_COST = 0.05  # what cutting a sentence into one more clause must gain (see segments())
MIN_WORDS = 4  # fewer words (a heading, "Read more") are never a claim
HEADING_WORDS = 10  # in plain text, a line of at most this many words without a full stop is a heading
MAX_PIECE_CUTS = 12  # a clause spans at most this many candidate cuts

# bm25s sets its own logger to DEBUG, so that every index build would be logged through Django's
# console handler; its warnings are enough.
logging.getLogger("bm25s").setLevel(logging.WARNING)

NAVIGATION_KINDS = frozenset({"heading", "contents-item", "resources-heading", "resource", "author-heading"})

# --------------------------------------------------------------------------- units

ABBREVIATIONS = frozenset(
    {"dr", "mr", "mrs", "ms", "prof", "e.g", "i.e", "vs", "approx", "st", "no", "fig", "ca", "cf"}
)
SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)")
# Where a clause may begin: after a comma, semicolon, colon or dash, and before a conjunction.
CUT = re.compile(r"[,;:]\s+|\s[–—-]\s|—|\s(?=(?:and|but|while|whereas|although|though|yet)\s)", re.I)
LIST_MARK = re.compile(r"^(?:[-*•]|\d+[.)])\s+")
URL = re.compile(r"https?://|www\.|\s[–-]\s/\S+$")
WORD_RE = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
TRIM = " \t\r\n\ufeff,;:–—-"  # trimmed off both ends of a unit (a byte-order mark too)


def _trimmed(text, start, end):
    while start < end and text[start] in TRIM:
        start += 1
    while end > start and text[end - 1] in TRIM:
        end -= 1
    return start, end


def _lines(text):
    position = 0
    for raw in text.split("\n"):
        yield position, position + len(raw)
        position += len(raw) + 1


def blocks(text):
    """``(start, end)`` of each block of running text that may hold claims, in reading order."""
    try:
        structure = parse_article(text)
    except ArticleFormatError:
        structure = None
    if structure is not None:
        spans = [(block.start, block.end) for block in structure.blocks() if block.kind not in NAVIGATION_KINDS]
        # An article whose "Related Resources" list is a list of links: parse_article keeps its
        # introduction as paragraphs; those describe the links, not kratom.
        resource_intro = {(block.start, block.end) for block in structure.resources_intro}
        return [span for span in spans if span not in resource_intro]
    # Where paragraphs are separated by blank lines (Markdown, most plain text), a paragraph or list
    # item may be wrapped over several lines: a line right after a kept one that ends mid-sentence
    # continues its block, so a sentence is not cut at a line break.
    wrapped = re.search(r"\n[ \t\r]*\n", text) is not None
    spans, continues = [], False
    for start, end in _lines(text):
        line = text[start:end]
        start, end = start + len(line) - len(line.lstrip()), start + len(line.rstrip())
        if start >= end:
            continues = False
            continue
        line = text[start:end]
        kept = continues
        continues = False
        if line.startswith("#"):
            continue  # a Markdown heading
        marker = LIST_MARK.match(line)
        if marker and URL.search(line):
            continue  # an item of a link list
        if kept and not marker:
            start, end = _trimmed(text, spans[-1][0], end)
            spans[-1], continues = (start, end), not _ends_sentence(line)
            continue
        if not marker and not SENTENCE_END.search(line) and len(WORD_RE.findall(line)) <= HEADING_WORDS:
            continue  # a heading: a short line that ends no sentence
        if marker:
            start += marker.end()
        start, end = _trimmed(text, start, end)
        if start < end:
            spans.append((start, end))
            continues = wrapped and not _ends_sentence(line)
    return spans


def _ends_sentence(line):
    """Whether ``line`` (stripped) ends with the end of a sentence."""
    ends = [match.end() for match in SENTENCE_END.finditer(line)]
    return bool(ends) and ends[-1] == len(line)


def sentences(text, start, end):
    """``(start, end)`` of each sentence in ``text[start:end]``."""
    block = text[start:end]
    spans, position = [], 0
    for match in SENTENCE_END.finditer(block):
        before = block[position : match.start()].rsplit(None, 1)
        last_word = before[-1].lower().lstrip("([\"'“‘") if before else ""
        following = block[match.end() :].lstrip()
        if match.group().startswith(".") and (
            last_word in ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha())
        ):
            continue  # "Dr. Parker", "e.g. muscle", "J. Smith"
        if following and following[0].islower():
            continue
        spans.append((position, match.end()))
        position = match.end()
    spans.append((position, len(block)))
    result = []
    for span_start, span_end in spans:
        span_start, span_end = _trimmed(text, start + span_start, start + span_end)
        if span_start < span_end:
            result.append((span_start, span_end))
    return result


# --------------------------------------------------------------------------- the gate

CUES = re.compile(
    r"\b(?:"
    r"may|might|can|could|should|must|helps?|helping|helped|"
    r"reliev\w*|relief|reduc\w*|improv\w*|ease[sd]?|easing|alleviat\w*|treat\w*|cures?|prevent\w*|boost\w*|"
    r"enhanc\w*|promot\w*|support\w*|caus\w*|lead(?:s|ing)? to|leads?|risk\w*|danger\w*|harm\w*|toxic\w*|"
    r"safe\w*|unsafe|side[- ]effects?|adverse|overdos\w*|deaths?|fatal\w*|dos(?:e|es|age|ing)|grams?|mg|g|"
    r"milligrams?|toleran\w*|addict\w*|dependen\w*|withdraw\w*|legal\w*|illegal|ban(?:ned|s)?|regulat\w*|"
    r"fda|dea|laws?|stud(?:y|ies|ied)|research\w*|evidence|scientific\w*|scientists?|clinical\w*|trials?|"
    r"surveys?|shown|shows?|found|report\w*|receptors?|opioids?|opiates?|agonists?|alkaloids?|"
    r"mitragynine|analgesi\w*|pain\w*|sore\w*|aches?|aching|inflamm\w*|nausea|vomit\w*|constipat\w*|"
    r"seizures?|liver|kidneys?|heart|sleep\w*|insomnia|mood|energy|anxiety|depress\w*|focus|sedat\w*|"
    r"stimula\w*|relax\w*|calm\w*|soothing|interact\w*|medications?|medicines?|drugs?|consult\w*|doctors?|"
    r"physicians?|healthcare|health|effects?|effective\w*|efficacy|benefits?|beneficial|therap\w*|remed\w*|"
    r"phd|certified|certification|expert\w*|specialist|experience[sd]?|traditional\w*|native|centuries|"
    r"recovery|muscles?|symptoms?|cramps?|diarrh\w*|hair|dehydrat\w*|diuretic|strains?|potent\w*"
    r")\b",
    re.I,
)
BOILERPLATE = re.compile(
    r"\b(?:read more|click here|subscribe|sign up|newsletter|share (?:this|on)|follow us|cookies?|copyright|"
    r"all rights reserved|table of contents|related (?:posts|articles)|leave a (?:comment|reply)|posted (?:on|by)|"
    r"last updated|add to cart|shop now|advertisement|privacy policy|terms of (?:use|service))\b|©",
    re.I,
)


def looks_like_claim(sentence):
    """Whether ``sentence`` may make a health, safety, dose, legal or scientific claim at all."""
    if len(WORD_RE.findall(sentence)) < MIN_WORDS or BOILERPLATE.search(sentence):
        return False
    return bool(CUES.search(sentence))


# --------------------------------------------------------------------------- the index


@dataclass(frozen=True)
class Example:
    """A wording of a claim: its statement, or a passage quote from an article."""

    claim: str  # the claim's slug
    text: str
    article: str = ""  # the article's slug, for a passage


@dataclass(frozen=True)
class Suggestion:
    start: int
    end: int
    text: str
    candidates: list = field(default_factory=list)  # [(claim slug, score)], best first

    def as_dict(self):
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "candidates": [{"claim": slug, "score": score} for slug, score in self.candidates],
        }


class Tokenizer:
    """Words as index terms: lower-cased, stop words out, one common suffix off, synonyms as one."""

    def __init__(self, synonyms):
        canonical = {}
        for name, group in (synonyms or {}).items():
            members = sorted({member.lower() for member in group if member.lower() not in ONE_WAY_SYNONYMS})
            if name.lower() not in ONE_WAY_SYNONYMS and members:
                canonical[name.lower()] = "syn:" + members[0]
        self.canonical = canonical
        names = sorted(canonical, key=lambda name: (-len(name), name))
        alternatives = [r"(?<![\w-])" + re.escape(name) + r"(?![\w-])" for name in names]
        self.pattern = re.compile("|".join([*alternatives, WORD_RE.pattern]), re.I)

    def __call__(self, text):
        tokens = []
        for match in self.pattern.finditer(text):
            word = match.group().lower().replace("’", "'")
            if word in self.canonical:
                tokens.append(self.canonical[word])  # and its own words too, so an exact match counts more
            for part in re.split(r"[-\s]+", word):
                part = part.split("'")[0]
                if part and part not in STOP_WORDS and (len(part) > 1 or part.isdigit()):
                    tokens.append(stem(part))
        return tokens


class ClaimIndex:
    """BM25 over the examples of each claim, with rapidfuzz reranking."""

    def __init__(self, claims, examples, synonyms):
        self.statements = dict(claims)
        self.tokenize = Tokenizer(synonyms)
        self.examples = [Example(slug, statement) for slug, statement in self.statements.items()]
        self.examples += [example for example in examples if example.claim in self.statements]
        self.tokens = [self.tokenize(example.text) for example in self.examples]
        self.joined = [" ".join(tokens) for tokens in self.tokens]
        self.claim_of = np.array([example.claim for example in self.examples], dtype=object)
        self.positions = {}
        for position, example in enumerate(self.examples):
            self.positions.setdefault(example.claim, []).append(position)
        self.retriever = bm25s.BM25()
        if any(self.tokens):  # an empty library has nothing to index (and nothing to suggest)
            self.retriever.index([tokens or [""] for tokens in self.tokens], show_progress=False)
        count = len(self.tokens)
        frequency = {}
        for tokens in self.tokens:
            for token in set(tokens):
                frequency[token] = frequency.get(token, 0) + 1
        self.idf = {token: math.log(1 + (count - df + 0.5) / (df + 0.5)) for token, df in frequency.items()}
        self.unseen_idf = math.log(1 + (count + 0.5) / 0.5)

    def rank(self, text, limit=3):
        """The claims ``text`` most likely makes, as ``[(slug, score)]`` best first, scores in [0, 1]."""
        query = self.tokenize(text)
        if not query or not any(self.tokens):
            return []
        scores = self.retriever.get_scores(query)
        # BM25 scores are not comparable between queries; divided by the query's own weight (the
        # idf of each of its words, unseen ones counting as rare) they say how much of what the
        # sentence says some example of a claim says too.
        weight = sum(self.idf.get(token, self.unseen_idf) for token in set(query))
        best = {}
        for position in np.argsort(-scores, kind="stable"):
            if scores[position] <= 0 or len(best) >= RERANK_POOL:
                break
            best.setdefault(self.claim_of[position], min(1.0, float(scores[position]) / weight))
        joined = " ".join(query)
        ranked = []
        for slug, coverage in best.items():
            similarity = max(SIMILARITY(joined, self.joined[position]) / 100 for position in self.positions[slug])
            ranked.append((slug, round(BM25_WEIGHT * coverage + (1 - BM25_WEIGHT) * similarity, 4)))
        ranked.sort(key=lambda item: (-item[1], item[0]))
        return ranked[:limit]


def _claims_and_examples(claims, examples, exclude_article):
    from evidence.models import Claim, Passage

    if claims is None:
        claims = Claim.objects.published().order_by("slug").values_list("slug", "statement")
    claims = [(claim.slug, claim.statement) if hasattr(claim, "slug") else tuple(claim) for claim in claims]
    if examples is None:
        passages = Passage.objects.published().order_by("pk")
        if exclude_article is not None:
            passages = passages.exclude(article__slug=exclude_article)
        examples = passages.values_list("claim__slug", "quote", "article__slug")
    examples = [example if isinstance(example, Example) else Example(*example) for example in examples]
    if exclude_article is not None:
        examples = [example for example in examples if example.article != exclude_article]
    return claims, examples


def build_index(*, claims=None, examples=None, exclude_article=None, synonyms=None):
    """An index of ``claims`` (``(slug, statement)`` pairs or Claim objects; default: the published
    claims) with ``examples`` (``Example``s or ``(claim slug, quote[, article slug])`` tuples;
    default: the published passages). ``exclude_article`` leaves out that article's examples.
    ``synonyms`` defaults to ``search.synonym_map()``."""
    if synonyms is None:
        from evidence.search import synonym_map

        synonyms = synonym_map()
    claims, examples = _claims_and_examples(claims, examples, exclude_article)
    return ClaimIndex(claims, examples, synonyms)


def cut_points(text, start, end):
    """Offsets inside the sentence ``text[start:end]`` where a clause may begin."""
    sentence = text[start:end]
    points = set()
    for match in CUT.finditer(sentence):
        point, _ = _trimmed(text, start + match.end(), end)
        if start < point < end:
            points.add(point)
    return sorted(points)


def segments(text, sentence, index, *, limit=3, threshold=None):
    """Cut ``sentence`` into the clauses that best explain it as claims: ``[(start, end, ranked)]``.

    Dynamic programming over the cut points: a piece is worth its share of the sentence's words
    times its best claim's score (zero when it does not look like a claim or scores below
    ``threshold``), and each cut costs ``SPLIT_COST``. So a sentence is cut only where its parts
    make different claims better than the whole makes one ("While safe when consumed
    responsibly, | individuals with liver conditions should exercise caution").
    """
    threshold = THRESHOLD if threshold is None else threshold
    start, end = sentence
    if BOILERPLATE.search(text[start:end]):
        return [(start, end, [])]  # "Read more about …": no part of it is a claim either
    points = [start, *cut_points(text, start, end), end]
    total = max(1, len(WORD_RE.findall(text[start:end])))
    cache = {}

    def piece(i, j):
        if (i, j) not in cache:
            piece_start, piece_end = _trimmed(text, points[i], points[j])
            piece_text = text[piece_start:piece_end]
            ranked = index.rank(piece_text, limit) if looks_like_claim(piece_text) else []
            if ranked and ranked[0][1] < threshold:
                ranked = []
            value = len(WORD_RE.findall(piece_text)) / total * (ranked[0][1] if ranked else 0.0)
            cache[i, j] = (piece_start, piece_end, ranked, value)
        return cache[i, j]

    count = len(points) - 1
    best = [(0.0, [])] + [(-math.inf, [])] * count
    for j in range(1, count + 1):
        for i in range(max(0, j - MAX_PIECE_CUTS), j):
            if best[i][0] == -math.inf:
                continue
            value = piece(i, j)[3] - (SPLIT_COST if i else 0.0)
            if best[i][0] + value > best[j][0]:
                best[j] = (best[i][0] + value, [*best[i][1], (i, j)])
    return [piece(i, j)[:3] for i, j in best[count][1]]


def spot(text, *, claims=None, examples=None, exclude_article=None, limit=3, index=None, threshold=None):
    """The sentences and clauses of ``text`` that make known claims, each with its likeliest claims.

    Returns ``Suggestion``s in reading order; offsets are code points into ``text`` as given, and
    ``text[s.start:s.end] == s.text``. Pass ``index`` (from ``build_index``) to spot many texts
    against one index; otherwise one is built from ``claims``, ``examples`` and ``exclude_article``
    (see ``build_index``).
    """
    if index is None:
        index = build_index(claims=claims, examples=examples, exclude_article=exclude_article)
    suggestions = []
    for block in blocks(text):
        for sentence in sentences(text, *block):
            for start, end, ranked in segments(text, sentence, index, limit=limit, threshold=threshold):
                if ranked:
                    suggestions.append(Suggestion(start, end, text[start:end], ranked))
    return suggestions
