"""Cite a claim review: BibTeX, RIS, CSL-JSON and a plain-text citation, for the current review and
for each pinned version, with content negotiation as DOI resolvers do it.

A citation of the current address (``/claims/<slug>/``) cites the canonical URL and names the latest
review version; a citation of a pinned address (``/claims/<slug>/v<N>/``) cites that version's
permanent URL, number, date, statement and grade exactly as recorded, so later edits never change it.
"""

import json
from dataclasses import dataclass
from datetime import date

from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from evidence.links import absolute, claim_url
from evidence.models import grade_words
from evidence.views import public_claim

PUBLISHER = "KratomRef"
LANGUAGE = "en"

BIBTEX = "application/x-bibtex"
RIS = "application/x-research-info-systems"
CSL_JSON = "application/vnd.citationstyles.csl+json"


@dataclass(frozen=True)
class Reference:
    """One claim review as a citation names it."""

    key: str  # citation key: kratomref-<slug>[-v<N>]
    slug: str
    title: str  # the statement as reviewed, on one line
    number: int | None  # the review version, None for a claim never versioned
    date: date  # when this version was approved
    first_date: date  # when the claim review was first published
    url: str  # the pinned URL, or the canonical URL for the current review
    grade: str  # "Supported · low certainty"
    pinned: bool

    @property
    def note(self):
        if self.number is None:
            return _("Claim review: %(grade)s") % {"grade": self.grade}
        return _("Claim review, version %(number)s: %(grade)s") % {"number": self.number, "grade": self.grade}


def one_line(text):
    """``text`` with every run of whitespace, newlines included, as one space."""
    return " ".join(str(text).split())


def _is_pinned(request):
    match = getattr(request, "resolver_match", None)
    return bool(match and "number" in match.kwargs)


def reference(claim, version, pinned=False):
    """What a citation of ``claim`` names: ``version`` as recorded (None: the claim's current fields)."""
    if version is not None:
        snapshot = version.snapshot
        statement, verdict, certainty = snapshot["statement"], snapshot["verdict"], snapshot["certainty"]
        approved_at, number = version.approved_at, version.number
    else:
        statement, verdict, certainty = claim.statement, claim.verdict, claim.certainty
        approved_at, number = claim.published_at or claim.created_at, None
    this_date = timezone.localdate(approved_at)
    first = claim.first_published_at
    first_date = min(timezone.localdate(first), this_date) if first else this_date
    pinned = pinned and number is not None
    return Reference(
        key=f"kratomref-{claim.slug}" + (f"-v{number}" if number is not None else ""),
        slug=claim.slug,
        title=one_line(statement),
        number=number,
        date=this_date,
        first_date=first_date,
        url=claim_url(claim, number if pinned else None),
        grade=grade_words(verdict, certainty),
        pinned=pinned,
    )


# --- BibTeX --------------------------------------------------------------------------------------

# LaTeX's special characters, each replaced by a command that prints it. Braces become
# \textbraceleft{} rather than \{ because BibTeX counts every brace, escaped or not, when it looks
# for the end of a field: an unpaired \{ would swallow the rest of the entry.
LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "%": r"\%",
    "#": r"\#",
    "&": r"\&",
    "_": r"\_",
    "$": r"\$",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}


def latex_escape(text):
    """``text`` on one line, as LaTeX that prints it literally and BibTeX reads as one field."""
    return "".join(LATEX_SPECIALS.get(char, char) for char in one_line(text))


def to_bibtex(ref, accessed):
    fields = [
        ("author", "{" + PUBLISHER + "}"),  # double braces: an organisation, not "Ref, Kratom"
        ("title", "{" + latex_escape(ref.title) + "}"),  # double braces keep the statement's case
        ("howpublished", r"\url{" + ref.url + "}"),
        ("organization", PUBLISHER),
        ("year", str(ref.date.year)),
        ("date", ref.date.isoformat()),
        ("version", str(ref.number) if ref.number is not None else ""),
        ("url", ref.url),
        ("urldate", accessed.isoformat()),
        ("language", "english"),
        ("note", latex_escape(ref.note)),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{ref.key},\n{body}\n}}\n"


# --- RIS -----------------------------------------------------------------------------------------


def _ris_date(day):
    return day.strftime("%Y/%m/%d")


def to_ris(ref, accessed):
    lines = [
        ("TY", "ELEC"),
        ("ID", ref.key),
        ("TI", ref.title),
        ("AU", PUBLISHER),
        ("PY", str(ref.date.year)),
        ("DA", _ris_date(ref.date)),
        ("Y2", _ris_date(accessed)),
        ("UR", ref.url),
        ("PB", PUBLISHER),
        ("DB", PUBLISHER),
        ("LA", LANGUAGE),
        ("N1", ref.note),
    ]
    # One tag per line: values are collapsed to one line so none can start a tag of its own.
    return "".join(f"{tag}  - {one_line(value)}\r\n" for tag, value in lines) + "ER  - \r\n"


# --- CSL-JSON ------------------------------------------------------------------------------------


def _csl_date(day):
    return {"date-parts": [[day.year, day.month, day.day]]}


def to_csl(ref, accessed):
    item = {
        "id": ref.key,
        "type": "webpage",
        "genre": _("Claim review"),
        "title": ref.title,
        "author": [{"literal": PUBLISHER}],
        "container-title": PUBLISHER,  # styles print it once; a publisher as well would repeat it
        "issued": _csl_date(ref.date),
        "accessed": _csl_date(accessed),
        "URL": ref.url,
        "language": LANGUAGE,
        "note": ref.note,
    }
    if ref.number is not None:
        item["version"] = str(ref.number)
    return json.dumps([item], ensure_ascii=False, indent=2) + "\n"


FORMATS = {  # file extension -> (content type, renderer)
    "bib": (BIBTEX, to_bibtex),
    "ris": (RIS, to_ris),
    "json": (CSL_JSON, to_csl),
}
FORMAT_LABELS = {"bib": "BibTeX", "ris": "RIS", "json": "CSL-JSON"}
CONTENT_TYPES = {content_type: ext for ext, (content_type, _renderer) in FORMATS.items()}


def render(ref, fmt):
    """The citation of ``ref`` in ``fmt`` (a key of FORMATS) as an HTTP response."""
    content_type, renderer = FORMATS[fmt]
    body = renderer(ref, timezone.localdate())
    return HttpResponse(body, content_type=f"{content_type}; charset=utf-8")


# --- views and page context ----------------------------------------------------------------------


def negotiate(request, claim, version, pinned=None):
    """The citation the request's Accept header asks for, or None for HTML (browsers).

    Only an explicitly named citation type counts (``*/*`` or ``application/*`` keep HTML), and
    ``text/html`` listed first or with a higher quality wins, as with DOI resolvers. The response
    carries ``Vary: Accept``; the HTML response of the same address must send it too. ``pinned``
    defaults to whether the URL names a version number.
    """
    preferred = request.get_preferred_type(["text/html", *CONTENT_TYPES])
    if preferred not in CONTENT_TYPES:
        return None
    accepted = request.accepted_type(preferred)
    if "*" in (accepted.main_type, accepted.sub_type):
        return None
    if pinned is None:
        pinned = _is_pinned(request)
    response = render(reference(claim, version, pinned), CONTENT_TYPES[preferred])
    patch_vary_headers(response, ["Accept"])
    return response


@public_claim
def claim_cite(request, claim, version, fmt):
    """``/claims/<slug>/cite.<fmt>`` and ``/claims/<slug>/v<N>/cite.<fmt>`` as a file to save."""
    if fmt not in FORMATS:
        raise Http404("No such citation format.")
    ref = reference(claim, version, pinned=_is_pinned(request))
    response = render(ref, fmt)
    response["Content-Disposition"] = f'attachment; filename="{ref.key}.{fmt}"'
    return response


def text_citation(ref):
    """A ready-to-copy citation: KratomRef. “Statement.” Claim review, version N, 5 May 2025. URL"""
    title = ref.title if ref.title[-1:] in ".?!" else ref.title + "."
    day = date_format(ref.date, "j F Y")
    if ref.number is None:
        return _("%(publisher)s. “%(title)s” Claim review, %(date)s. %(url)s") % {
            "publisher": PUBLISHER,
            "title": title,
            "date": day,
            "url": ref.url,
        }
    return _("%(publisher)s. “%(title)s” Claim review, version %(number)s, %(date)s. %(url)s") % {
        "publisher": PUBLISHER,
        "title": title,
        "number": ref.number,
        "date": day,
        "url": ref.url,
    }


def _highwire_date(day):
    return day.strftime("%Y/%m/%d")


def citation_context(claim, version, pinned=False):
    """The ``citation`` context of the claim page (pinned=False) and a pinned version page (True).

    Builds everything without a query. Keys:

    - ``text``: the ready-to-copy text citation (names the version and its date)
    - ``title``: the statement as reviewed, on one line
    - ``author``, ``publisher``: the organisation, "KratomRef"
    - ``language``: "en"
    - ``url``: the cited absolute URL (the pinned URL when pinned, else the canonical URL)
    - ``canonical_url``: the claim's canonical absolute URL
    - ``pinned``: whether this citation names a pinned version
    - ``number``: the version number, or None for a claim never versioned
    - ``pinned_url``: the absolute permanent URL of that version ("" when there is none)
    - ``date``: this version's approval date (a ``date``); ``first_date``: the first publication
    - ``grade``: the verdict and certainty in words
    - ``publication_date``, ``online_date``: ``first_date`` and ``date`` as Highwire's YYYY/MM/DD
    - ``downloads``: a list of {``ext``, ``label``, ``content_type``, ``path`` (site-relative),
      ``url`` (absolute)} for BibTeX, RIS and CSL-JSON, under the pinned address when pinned
    """
    ref = reference(claim, version, pinned)
    if ref.pinned:
        name, kwargs = "evidence:claim-version-cite", {"slug": claim.slug, "number": ref.number}
    else:
        name, kwargs = "evidence:claim-cite", {"slug": claim.slug}
    downloads = [
        {
            "ext": ext,
            "label": FORMAT_LABELS[ext],
            "content_type": content_type,
            "path": path,
            "url": absolute(path),
        }
        for ext, (content_type, _renderer) in FORMATS.items()
        for path in [reverse(name, kwargs={**kwargs, "fmt": ext})]
    ]
    return {
        "text": text_citation(ref),
        "title": ref.title,
        "author": PUBLISHER,
        "publisher": PUBLISHER,
        "language": LANGUAGE,
        "url": ref.url,
        "canonical_url": claim_url(claim),
        "pinned": ref.pinned,
        "number": ref.number,
        "pinned_url": claim_url(claim, ref.number) if ref.number is not None else "",
        "date": ref.date,
        "first_date": ref.first_date,
        "grade": ref.grade,
        "publication_date": _highwire_date(ref.first_date),
        "online_date": _highwire_date(ref.date),
        "downloads": downloads,
    }
