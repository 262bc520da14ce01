"""The evidence profile behind a claim's grade, and the grades that profile cannot carry.

The reviewer's grade is authoritative; the profile (studies by design and direction) is shown
beside it so a reader can judge it, and ``grade_flags()`` names a grade that the studies cannot
bear, e.g. "high certainty" resting only on animal or cell studies. Everything here works on
evidence rows already fetched with their study (``Claim.objects.for_detail()``): no queries.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from evidence.models import Certainty, Direction, Population, StudyDesign, Verdict

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
    """One study design and its studies, split by the direction of their evidence."""

    design: str
    label: str
    studies: dict = field(default_factory=lambda: {direction: [] for direction in DIRECTIONS})

    @property
    def counts(self):
        return [len(self.studies[direction]) for direction in DIRECTIONS]

    @property
    def total(self):
        return sum(self.counts)

    def cells(self):
        """(direction value, direction label, studies) for each direction, in order."""
        return [(direction.value, direction.label, self.studies[direction]) for direction in DIRECTIONS]


def evidence_profile(evidence):
    """Rows of studies by design (designs present only, strongest first) and direction."""
    rows = {}
    for row in evidence:
        design = row.study.design
        if design not in rows:
            rows[design] = ProfileRow(design=design, label=row.study.get_design_display())
        rows[design].studies[Direction(row.direction)].append(row.study)
    return sorted(rows.values(), key=lambda r: DESIGN_ORDER.index(r.design) if r.design in DESIGN_ORDER else 99)


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
