"""An article's bottom line: "can I trust it?" answered in two or three plain sentences.

Generated from the article's review, never typed: how many of the claims it makes hold up and how
many do not (by verdict), in how many passages it overstates or misrepresents the evidence (naming
the most serious claims), which safety warnings it leaves out, and how many of the sources it cites
could not be found. It works on rows the article page has already fetched — the published passages
with their claims, the omitted warnings, the unfound references — so it adds no query.

A sentence is a list of pieces: plain strings and ``Link``s. The page shows ``html_sentences`` (each
named claim or warning links to its page); meta descriptions and share images use ``text``.
"""

import re
from dataclasses import dataclass, field

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from evidence.models import Certainty, Topic, Verdict, Wording

# How serious an overstated or misrepresented passage is: first by what the evidence says of its
# claim (a contradicted claim asserted is worse than a supported one exaggerated), then by how sure
# that verdict is, then safety, interactions and dosage before other topics, then misrepresenting
# before overstating, then by place in the article.
SERIOUSNESS = [Verdict.CONTRADICTED, Verdict.UNVERIFIABLE, Verdict.INSUFFICIENT, Verdict.MIXED, Verdict.SUPPORTED]
CERTAINTY_ORDER = [Certainty.HIGH, Certainty.MODERATE, Certainty.LOW, Certainty.VERY_LOW]
FLAGGED = [Wording.MISREPRESENTED, Wording.OVERSTATED]
# Claims whose misstatement can hurt a reader come first among equally graded ones.
HARMFUL_TOPICS = {Topic.SAFETY, Topic.INTERACTIONS, Topic.DOSAGE}
# The order of the tally after "hold up": what most changes a reader's trust first.
TALLY_ORDER = [Verdict.CONTRADICTED, Verdict.MIXED, Verdict.INSUFFICIENT, Verdict.UNVERIFIABLE]
NAMED = 2  # claims and warnings named in a sentence at most
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class Link:
    """A claim or warning named in the bottom line, shown in curly quotes."""

    text: str
    url: str

    def __str__(self):
        return f"“{self.text}”"

    def __html__(self):
        return format_html('“<a href="{}">{}</a>”', self.url, self.text)


@dataclass
class BottomLine:
    sentences: list = field(default_factory=list)  # each a list of pieces (str or Link)
    claim_count: int = 0
    verdict_counts: dict = field(default_factory=dict)  # verdict → number of distinct claims
    graded_count: int = 0  # published passages
    flagged_count: int = 0  # of them, overstated or misrepresented
    serious: list = field(default_factory=list)  # the most serious of their claims, at most NAMED
    omitted: list = field(default_factory=list)
    unfound_count: int = 0

    @property
    def text(self):
        return " ".join("".join(str(piece) for piece in sentence) for sentence in self.sentences)

    @property
    def html_sentences(self):
        """Each sentence as HTML: every piece escaped, each named claim or warning a link."""
        return [mark_safe("".join(conditional_escape(piece) for piece in sentence)) for sentence in self.sentences]

    @property
    def html(self):
        return mark_safe(" ".join(self.html_sentences))  # each sentence escaped piece by piece

    @property
    def headline_parts(self):
        """The tally in a few words: ["3 of 12 claims hold up", "6 contradicted", "3 mixed"]."""
        if not self.claim_count:
            return [_("Not yet reviewed")]
        supported = self.verdict_counts.get(Verdict.SUPPORTED, 0)
        parts = [
            ngettext("%(n)s of %(total)s claim holds up", "%(n)s of %(total)s claims hold up", self.claim_count)
            % {"n": supported, "total": self.claim_count}
        ]
        labels = dict(Verdict.choices)
        for verdict in TALLY_ORDER:
            if self.verdict_counts.get(verdict):
                parts.append(f"{self.verdict_counts[verdict]} {str(labels[verdict]).lower()}")
        return parts

    @property
    def headline(self):
        """The tally on one line, for share images and their text: "3 of 12 claims hold up · 6 contradicted"."""
        return " · ".join(self.headline_parts)

    def __str__(self):
        return self.text


def predicate(verdict, n):
    """What ``n`` claims with ``verdict`` do, without the number: "hold up", "is contradicted …"."""
    if verdict == Verdict.SUPPORTED:
        return ngettext("holds up", "hold up", n)
    if verdict == Verdict.CONTRADICTED:
        return ngettext("is contradicted by the evidence", "are contradicted by the evidence", n)
    if verdict == Verdict.MIXED:
        return ngettext("has mixed evidence", "have mixed evidence", n)
    if verdict == Verdict.INSUFFICIENT:
        return ngettext("has too little evidence to judge", "have too little evidence to judge", n)
    return ngettext("cannot be verified", "cannot be verified", n)


def fill(template, **values):
    """``template`` with its ``%(name)s`` placeholders replaced by ``values`` (pieces, lists of pieces
    or numbers), as a list of pieces, so links survive translation of the sentence around them."""
    pieces = []
    for position, part in enumerate(PLACEHOLDER.split(template)):
        if position % 2 == 0:
            if part:
                pieces.append(part)
            continue
        value = values[part]
        pieces.extend(value if isinstance(value, list) else [value if isinstance(value, Link) else str(value)])
    return pieces


def listing(items):
    """``items`` (pieces or lists of pieces) joined as "a, b and c"."""
    pieces = []
    for position, item in enumerate(items):
        if position:
            pieces.append(_(" and ") if position == len(items) - 1 else ", ")
        pieces.extend(item if isinstance(item, list) else [item])
    return pieces


def seriousness(passage):
    claim = passage.claim
    return (
        SERIOUSNESS.index(claim.verdict) if claim.verdict in SERIOUSNESS else len(SERIOUSNESS),
        CERTAINTY_ORDER.index(claim.certainty) if claim.certainty in CERTAINTY_ORDER else len(CERTAINTY_ORDER),
        claim.topic not in HARMFUL_TOPICS,
        FLAGGED.index(passage.wording),
        passage.start,
    )


def claims_sentence(counts, total):
    if total == 0:
        return [_("We have not yet linked any passage of this article to a reviewed claim, so it has no bottom line.")]
    present = [(verdict, counts[verdict]) for verdict in [Verdict.SUPPORTED, *TALLY_ORDER] if counts.get(verdict)]
    if total == 1:
        return fill(_("It makes one claim we reviewed, and it %(predicate)s."), predicate=predicate(present[0][0], 1))
    if len(present) == 1:
        return fill(
            _("All %(n)s claims we reviewed in it %(predicate)s."), n=total, predicate=predicate(present[0][0], total)
        )
    tally = [f"{n} {predicate(verdict, n)}" for verdict, n in present if verdict != Verdict.SUPPORTED]
    if counts.get(Verdict.SUPPORTED):
        n = counts[Verdict.SUPPORTED]
        return fill(
            _("Of the %(n)s claims we reviewed in it, %(tally)s."),
            n=total,
            tally=listing([f"{n} {predicate(Verdict.SUPPORTED, n)}", *tally]),
        )
    return fill(_("Of the %(n)s claims we reviewed in it, none holds up: %(tally)s."), n=total, tally=listing(tally))


def wording_sentence(flagged, serious, graded):
    if not graded:
        return []
    if not flagged:
        return [_("It does not overstate or misrepresent the evidence in any passage we graded.")]
    named = listing([[Link(c.statement.rstrip("."), c.get_absolute_url()), f" ({verdict_word(c)})"] for c in serious])
    if len(flagged) == graded:
        template = ngettext(
            "It overstates or misrepresents the evidence in its one graded passage: %(claims)s.",
            "It overstates or misrepresents the evidence in all %(n)s of its graded passages, "
            "most seriously %(claims)s.",
            graded,
        )
    else:
        template = ngettext(
            "It overstates or misrepresents the evidence in %(n)s of its %(total)s graded passages: %(claims)s.",
            "It overstates or misrepresents the evidence in %(n)s of its %(total)s graded passages, "
            "most seriously %(claims)s.",
            len(flagged),
        )
    return fill(template, n=len(flagged), total=graded, claims=named)


def verdict_word(claim):
    return str(dict(Verdict.choices).get(claim.verdict, claim.verdict)).lower()


def omissions_sentence(omitted, unfound_count):
    pieces = []
    if omitted:
        warnings = listing([Link(w.title, w.get_absolute_url()) for w in omitted[:NAMED]])
        if len(omitted) > NAMED:
            warnings = fill(_("among them %(warnings)s"), warnings=warnings)
        pieces = fill(
            ngettext(
                "It leaves out %(n)s safety warning that bears on what it says (%(warnings)s)",
                "It leaves out %(n)s safety warnings that bear on what it says (%(warnings)s)",
                len(omitted),
            ),
            n=len(omitted),
            warnings=warnings,
        )
    if unfound_count:
        unfound = ngettext(
            "%(n)s source it cites could not be found", "%(n)s sources it cites could not be found", unfound_count
        ) % {"n": unfound_count}
        pieces = fill(_("%(omitted)s, and %(unfound)s"), omitted=pieces, unfound=unfound) if pieces else [unfound]
    return [*pieces, "."] if pieces else []


def article_bottom_line(article, passages, omitted, unfound):
    """The bottom line of ``article`` from its published ``passages`` (with ``claim``), the warnings it
    ``omitted`` (most severe first) and its ``unfound`` references. ``article`` is the subject; its
    rows are all passed in, so nothing here queries."""
    claims = {}
    for passage in passages:
        claims.setdefault(passage.claim.pk, passage.claim)
    counts = {}
    for claim in claims.values():
        counts[claim.verdict] = counts.get(claim.verdict, 0) + 1
    flagged = sorted((p for p in passages if p.wording in FLAGGED), key=seriousness)
    serious = []
    for passage in flagged:
        if passage.claim not in serious and len(serious) < NAMED:
            serious.append(passage.claim)
    omitted = list(omitted)
    unfound_count = len({" ".join(ref.citation.split()).casefold() for ref in unfound})
    sentences = [
        claims_sentence(counts, len(claims)),
        wording_sentence(flagged, serious, len(passages)),
        omissions_sentence(omitted, unfound_count),
    ]
    return BottomLine(
        sentences=[s for s in sentences if s],
        claim_count=len(claims),
        verdict_counts=counts,
        graded_count=len(passages),
        flagged_count=len(flagged),
        serious=serious,
        omitted=omitted,
        unfound_count=unfound_count,
    )
