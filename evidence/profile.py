"""The evidence profile behind a claim's grade, and the grades that profile cannot carry.

The reviewer's grade is authoritative; the profile (studies by design and direction) is shown
beside it so a reader can judge it, and ``grade_flags()`` names a grade that the studies cannot
bear, e.g. "high certainty" resting only on animal or cell studies. Everything here works on
evidence rows already fetched with their study (``Claim.objects.for_detail()``): no queries.

Designs are grouped by how much they weigh as evidence of an effect in people (``DESIGN_TIERS``):
nine supporting self-report surveys can sit beside a "mixed" verdict, and ``profile_tiers()`` and
``profile_reading()`` let the chart show why instead of leaving it to the prose.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from evidence.models import Certainty, Direction, Population, StudyDesign, Topic, Verdict

# Designs from the strongest kind of evidence about people to the weakest, then the rest.
DESIGN_ORDER = [
    StudyDesign.SYSTEMATIC_REVIEW,
    StudyDesign.RCT,
    StudyDesign.CONTROLLED_TRIAL,
    StudyDesign.COHORT,
    StudyDesign.CASE_CONTROL,
    StudyDesign.CROSS_SECTIONAL_SURVEY,
    StudyDesign.CASE_SERIES,
    StudyDesign.CASE_REPORT,
    StudyDesign.PHARMACOKINETIC,
    StudyDesign.SURVEILLANCE_REPORT,
    StudyDesign.ANIMAL,
    StudyDesign.IN_VITRO,
    StudyDesign.GUIDELINE,
    StudyDesign.NARRATIVE_REVIEW,
    StudyDesign.REGULATORY,
]
DIRECTIONS = list(Direction)

# Designs that can carry "high certainty" about an effect in people.
CONTROLLED_DESIGNS = {StudyDesign.RCT, StudyDesign.CONTROLLED_TRIAL, StudyDesign.SYSTEMATIC_REVIEW}


@dataclass
class ProfileRow:
    """One study design and its evidence rows, split by direction."""

    design: str
    label: str
    entries: dict = field(default_factory=lambda: {direction: [] for direction in DIRECTIONS})

    @property
    def studies(self):
        """{direction: [study, …]}."""
        return {direction: [row.study for row in rows] for direction, rows in self.entries.items()}

    @property
    def counts(self):
        return [len(self.entries[direction]) for direction in DIRECTIONS]

    @property
    def total(self):
        return sum(self.counts)

    def cells(self):
        """(direction value, direction label, studies) for each direction, in order."""
        studies = self.studies
        return [(direction.value, direction.label, studies[direction]) for direction in DIRECTIONS]


def evidence_profile(evidence):
    """Rows of studies by design (designs present only, strongest first) and direction."""
    rows = {}
    for row in evidence:
        design = row.study.design
        if design not in rows:
            rows[design] = ProfileRow(design=design, label=row.study.get_design_display())
        rows[design].entries[Direction(row.direction)].append(row)
    return sorted(rows.values(), key=lambda r: DESIGN_ORDER.index(r.design) if r.design in DESIGN_ORDER else 99)


# --------------------------------------------------------------------------- design strength


@dataclass(frozen=True)
class DesignTier:
    """Designs that weigh about the same as evidence of an effect in people.

    ``weight`` runs from 4 (weighs most) to 0 (context, no data of its own). Tiers weighing 3 or
    more have a control or comparison group, or pool studies that may: they "weigh more".
    """

    key: str
    label: str
    weight: int
    note: str  # why it weighs what it does, shown under the tier's name
    designs: tuple

    @property
    def weighs_more(self):
        return self.weight >= 3

    def count_phrase(self, n):
        """ "5 self-report surveys", for the profile's reading."""
        return TIER_NOUNS[self.key](n) % {"n": n}


DESIGN_TIERS = (
    DesignTier(
        "systematic-review",
        gettext_lazy("Systematic reviews"),
        4,
        gettext_lazy("pools studies · weighs most"),
        (StudyDesign.SYSTEMATIC_REVIEW,),
    ),
    DesignTier(
        "controlled-trial",
        gettext_lazy("Controlled trials"),
        4,
        gettext_lazy("controlled · weighs most"),
        (StudyDesign.RCT, StudyDesign.CONTROLLED_TRIAL),
    ),
    DesignTier(
        "observational",
        gettext_lazy("Observational studies"),
        3,
        gettext_lazy("compares groups · weighs more"),
        (StudyDesign.COHORT, StudyDesign.CASE_CONTROL),
    ),
    DesignTier(
        "self-report-survey",
        gettext_lazy("Uncontrolled self-report surveys"),
        2,
        gettext_lazy("uncontrolled · weighs less"),
        (StudyDesign.CROSS_SECTIONAL_SURVEY,),
    ),
    DesignTier(
        "case-report",
        gettext_lazy("Case reports, series and surveillance"),
        1,
        gettext_lazy("uncontrolled · weighs least"),
        (StudyDesign.CASE_SERIES, StudyDesign.CASE_REPORT, StudyDesign.SURVEILLANCE_REPORT),
    ),
    DesignTier(
        "animal-cell",
        gettext_lazy("Animal, cell and lab studies"),
        1,
        gettext_lazy("indirect · not an effect in people"),
        (StudyDesign.ANIMAL, StudyDesign.IN_VITRO, StudyDesign.PHARMACOKINETIC),
    ),
    DesignTier(
        "other",
        gettext_lazy("Official statements and narrative reviews"),
        0,
        gettext_lazy("no data of their own · context"),
        (StudyDesign.GUIDELINE, StudyDesign.NARRATIVE_REVIEW, StudyDesign.REGULATORY),
    ),
)
TIER_OF_DESIGN = {design: tier for tier in DESIGN_TIERS for design in tier.designs}
TIER_NOUNS = {
    "systematic-review": lambda n: ngettext("%(n)s systematic review", "%(n)s systematic reviews", n),
    "controlled-trial": lambda n: ngettext("%(n)s controlled trial", "%(n)s controlled trials", n),
    "observational": lambda n: ngettext("%(n)s observational study", "%(n)s observational studies", n),
    "self-report-survey": lambda n: ngettext("%(n)s self-report survey", "%(n)s self-report surveys", n),
    "case-report": lambda n: ngettext("%(n)s case or surveillance report", "%(n)s case or surveillance reports", n),
    "animal-cell": lambda n: ngettext("%(n)s animal, cell or lab study", "%(n)s animal, cell or lab studies", n),
    "other": lambda n: ngettext(
        "%(n)s official statement or narrative review", "%(n)s official statements or narrative reviews", n
    ),
}


@dataclass
class ProfileTier:
    """One band of design strength and the design rows in it (``evidence_profile()`` rows)."""

    tier: DesignTier
    rows: list

    @property
    def key(self):
        return self.tier.key

    @property
    def label(self):
        return self.tier.label

    @property
    def counts(self):
        return [sum(column) for column in zip(*(row.counts for row in self.rows), strict=True)]

    @property
    def total(self):
        return sum(row.total for row in self.rows)

    def cells(self):
        """(direction value, direction label, evidence rows) for each direction, strongest design first."""
        return [
            (direction.value, direction.label, [entry for row in self.rows for entry in row.entries[direction]])
            for direction in DIRECTIONS
        ]


OTHER_TIER = DESIGN_TIERS[-1]


def profile_tiers(evidence):
    """The profile's design rows grouped by design strength: tiers present only, heaviest first."""
    tiers = {}
    for row in evidence_profile(evidence):
        tier = TIER_OF_DESIGN.get(row.design, OTHER_TIER)
        tiers.setdefault(tier.key, ProfileTier(tier=tier, rows=[])).rows.append(row)
    return [tiers[tier.key] for tier in DESIGN_TIERS if tier.key in tiers]


def direction_phrase(direction, n):
    """ "1 supports", "2 contradict": how many studies point which way."""
    phrases = {
        Direction.SUPPORTS: ngettext("%(n)s supports", "%(n)s support", n),
        Direction.CONTRADICTS: ngettext("%(n)s contradicts", "%(n)s contradict", n),
        Direction.MIXED: ngettext("%(n)s mixed", "%(n)s mixed", n),
        Direction.NEUTRAL: ngettext("%(n)s neutral", "%(n)s neutral", n),
    }
    return phrases[Direction(direction)] % {"n": n}


def and_list(parts):
    if len(parts) < 2:
        return "".join(parts)
    return _("%(most)s and %(last)s") % {"most": ", ".join(parts[:-1]), "last": parts[-1]}


# Claims about what kratom does to people, where design strength decides how much a study weighs.
# A mechanism rests rightly on lab studies, a law on official documents: their reading only counts.
EFFECT_TOPICS = {Topic.EFFICACY, Topic.DOSAGE, Topic.SAFETY, Topic.INTERACTIONS}


def profile_reading(tiers, claim=None):
    """Two sentences that say what the studies add up to once design strength is counted.

    "8 of 10 studies support this claim, but 7 of them are uncontrolled or indirect: 5 self-report
    surveys, … Designs that weigh more (systematic reviews, controlled trials, observational
    studies): 1 supports." For a claim that is not about an effect in people (``EFFECT_TOPICS``),
    only the count.
    """
    total = sum(tier.total for tier in tiers)
    if not total:
        return []
    by_direction = {direction: [] for direction in DIRECTIONS}
    for tier in tiers:
        for direction, _label, entries in tier.cells():
            by_direction[Direction(direction)].extend((tier.tier, entry) for entry in entries)
    leading = max(DIRECTIONS, key=lambda direction: len(by_direction[direction]))  # first on a tie
    leading_n = len(by_direction[leading])
    if total == 1:
        who, one = _("The only study"), True
    elif leading_n == total == 2:
        who, one = _("Both studies"), False
    elif leading_n == total:
        who, one = _("All %(n)s studies") % {"n": total}, False
    else:
        who, one = _("%(n)s of %(total)s studies") % {"n": leading_n, "total": total}, leading_n == 1
    verbs = {  # (one study, several)
        Direction.SUPPORTS: (_("supports this claim"), _("support this claim")),
        Direction.CONTRADICTS: (_("contradicts this claim"), _("contradict this claim")),
        Direction.MIXED: (_("has mixed results"), _("have mixed results")),
        Direction.NEUTRAL: (_("is neutral"), _("are neutral")),
    }
    opening = f"{who} {verbs[leading][0 if one else 1]}"
    if claim is not None and claim.topic not in EFFECT_TOPICS:
        return [f"{opening}."]
    weak = [tier for tier, _entry in by_direction[leading] if not tier.weighs_more]
    if weak and 2 * len(weak) >= leading_n:
        counts = [(tier, weak.count(tier)) for tier in DESIGN_TIERS if tier in weak]
        breakdown = and_list([tier.count_phrase(n) for tier, n in counts])
        if len(weak) == leading_n:
            first = ngettext(
                "%(opening)s, but it is uncontrolled or indirect: %(breakdown)s.",
                "%(opening)s, but every one of them is uncontrolled or indirect: %(breakdown)s.",
                leading_n,
            ) % {"opening": opening, "breakdown": breakdown}
        else:
            first = _("%(opening)s, but %(n)s of them are uncontrolled or indirect: %(breakdown)s.") % {
                "opening": opening,
                "n": len(weak),
                "breakdown": breakdown,
            }
    else:
        first = f"{opening}."
    heavy = [
        (tier, entry)
        for tier in tiers
        if tier.tier.weighs_more
        for _d, _l, entries in tier.cells()
        for entry in entries
    ]
    if not heavy:
        second = _(
            "No systematic review, controlled trial or observational study addresses it: "
            "the designs that weigh more are missing."
        )
    else:
        split = [
            direction_phrase(direction, n)
            for direction in DIRECTIONS
            if (n := sum(1 for _tier, entry in heavy if entry.direction == direction))
        ]
        second = _(
            "Designs that weigh more (systematic reviews, controlled trials, observational studies): %(split)s."
        ) % {"split": ", ".join(split)}
    return [first, second]


@dataclass(frozen=True)
class GradeFlag:
    code: str  # "no-human-study" or "no-controlled-study"
    message: str


def grade_flags(claim, evidence):
    """Reasons the profile cannot carry the claim's certainty; an empty list when it can.

    - high or moderate certainty with no study in humans among the evidence;
    - high certainty with no randomised or controlled trial and no systematic review.

    Not flagged: *unverifiable* claims (their certainty is about whether a cited source exists,
    not about what studies show) and claims resting only on official documents such as
    regulatory statements (population "not applicable": a fact about the law, not the body).
    """
    evidence = list(evidence)
    if claim.verdict == Verdict.UNVERIFIABLE:
        return []
    studies = [row.study for row in evidence]
    if studies and all(study.population == Population.NONE for study in studies):
        return []
    certainty = claim.get_certainty_display().lower()
    flags = []
    if claim.certainty in (Certainty.HIGH, Certainty.MODERATE) and not any(
        study.population == Population.HUMANS for study in studies
    ):
        if not studies:
            message = _("This claim is graded %(certainty)s certainty, but no study in the library addresses it.")
        else:
            message = _(
                "This claim is graded %(certainty)s certainty, but none of its studies was done in humans: "
                "it rests on animal, cell or other non-human evidence, which often does not carry over to people."
            )
        flags.append(GradeFlag("no-human-study", message % {"certainty": certainty}))
    if claim.certainty == Certainty.HIGH and not any(study.design in CONTROLLED_DESIGNS for study in studies):
        flags.append(
            GradeFlag(
                "no-controlled-study",
                _(
                    "High certainty normally needs randomised or controlled trials, or a systematic review "
                    "of them; none is among this claim's evidence."
                ),
            )
        )
    return flags
