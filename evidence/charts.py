"""Evidence visuals as server-rendered inline SVG: no JavaScript, no chart library.

A strict Content-Security-Policy is active, so nothing here emits a ``style`` attribute or a
``<style>`` element: marks carry presentation attributes (a sensible default ``fill``) and CSS
classes that ``static/css/site.css`` colours with the verdict palette, dark mode included.
Every chart has ``<title>`` and ``<desc>`` (named by ``aria-labelledby``), and the templates
put a text equivalent next to it. All text is escaped with ``format_html``: claim statements,
quotes and study titles are imported or curator text.

Charts are built from rows the views already fetched; nothing here runs a query.
"""

import math

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from evidence.models import Certainty, Direction, Polarity, Verdict
from evidence.profile import DIRECTIONS

SVG_NS = "http://www.w3.org/2000/svg"
FONT_SIZE = 12
CHAR_WIDTH = 0.58  # average advance of a system-ui character, in em: enough for layout
HEADER_ANGLE = 55  # degrees: column headers too long to sit level are turned up this much

VERDICT_ICONS = {
    Verdict.SUPPORTED: "✓",
    Verdict.MIXED: "±",
    Verdict.INSUFFICIENT: "?",
    Verdict.CONTRADICTED: "✗",
    Verdict.UNVERIFIABLE: "⊘",
}
DIRECTION_ICONS = {
    Direction.SUPPORTS: "✓",
    Direction.CONTRADICTS: "✗",
    Direction.MIXED: "±",
    Direction.NEUTRAL: "○",
}
# Defaults for the presentation attributes; site.css overrides them (and adapts to dark mode).
VERDICT_FILLS = {
    Verdict.SUPPORTED: ("#d9f0e1", "#1e6b3a"),
    Verdict.MIXED: ("#fbeccb", "#7a5200"),
    Verdict.INSUFFICIENT: ("#e6e8eb", "#4a4f57"),
    Verdict.CONTRADICTED: ("#fbdcdc", "#9b1c1c"),
    Verdict.UNVERIFIABLE: ("#eadff5", "#5b2a86"),
}
DIRECTION_VERDICT = {
    Direction.SUPPORTS: Verdict.SUPPORTED,
    Direction.CONTRADICTS: Verdict.CONTRADICTED,
    Direction.MIXED: Verdict.MIXED,
    Direction.NEUTRAL: Verdict.INSUFFICIENT,
}


def num(value):
    """A number for an SVG attribute: at most two decimals, never localised."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def text_width(text, size=FONT_SIZE):
    return len(text) * size * CHAR_WIDTH


def wrap(text, width, size=FONT_SIZE, lines=2):
    """Split ``text`` into at most ``lines`` lines that fit ``width``; the last is truncated."""
    chars = max(4, int(width / (size * CHAR_WIDTH)))
    out, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if len(candidate) <= chars or not current:
            current = candidate
        else:
            out.append(current)
            current = word
    out.append(current)
    if len(out) > lines:
        out = [*out[: lines - 1], " ".join(out[lines - 1 :])]
    return [Truncator(line).chars(chars) for line in out]


def svg(*, kind, id_prefix, title, desc, body, view_box=None, height=None, role="img"):
    """The outer ``<svg>``: scaled by ``view_box`` (width, height), or fluid at a fixed ``height``."""
    if view_box:
        size = format_html('viewBox="0 0 {} {}" width="100%"', num(view_box[0]), num(view_box[1]))
    else:
        size = format_html('width="100%" height="{}"', num(height))
    return format_html(
        '<svg xmlns="{ns}" class="chart chart-{kind}" {size} role="{role}" aria-labelledby="{p}-title {p}-desc"'
        ' font-family="system-ui, -apple-system, sans-serif" font-size="{font}" fill="#1d1f21">'
        '<title id="{p}-title">{title}</title><desc id="{p}-desc">{desc}</desc>{body}</svg>',
        ns=SVG_NS,
        kind=kind,
        size=size,
        role=role,
        p=id_prefix,
        font=FONT_SIZE,
        title=title,
        desc=desc,
        body=body,
    )


def join(parts):
    return mark_safe("".join(parts))  # every part was built by format_html


def sentence_list(parts):
    return "; ".join(parts) if parts else _("none")


# --------------------------------------------------------------------------- matrix


def matrix_chart(*, kind, id_prefix, title, desc, rows, columns, counts, total_label=None):
    """A grid of bubbles: rows × columns, each bubble's area in proportion to its count.

    ``rows`` are (verdict value, label); ``columns`` are (value, label); ``counts`` maps
    (row value, column value) to a number. Every bubble is coloured by its row's verdict and
    also shows its count as text, so colour is never the only cue.
    """
    total_label = total_label or _("Total")
    label_w, row_h, header_size = 104, 34, 11
    widest = max(text_width(label, header_size) for _value, label in columns)
    rotate = widest + 4 > 64
    col_w = 46 if rotate else max(46, widest + 4)
    total_w = max(30, text_width(total_label, header_size) + 8)
    grid_x = label_w
    total_x = grid_x + col_w * len(columns)
    width = total_x + total_w
    if rotate:
        across, up = math.cos(math.radians(HEADER_ANGLE)), math.sin(math.radians(HEADER_ANGLE))
        header_h = widest * up + 16
        width = max(width, grid_x + col_w * (len(columns) - 0.5) + widest * across + 4)
    else:
        header_h = 24
    top = header_h
    height = top + row_h * len(rows) + 26
    max_count = max([counts.get((r, c), 0) for r, _label in rows for c, _clabel in columns] + [1])
    r_max = min(col_w, row_h) / 2 - 2

    parts = []
    # Column headers.
    for index, (_value, label) in enumerate(columns):
        cx = grid_x + col_w * (index + 0.5)
        if rotate:
            y = header_h - 8
            parts.append(
                format_html(
                    '<text class="col-label" x="{x}" y="{y}" font-size="{s}"'
                    ' transform="rotate(-{a} {x} {y})">{t}</text>',
                    x=num(cx - 3),
                    y=num(y),
                    a=HEADER_ANGLE,
                    s=header_size,
                    t=label,
                )
            )
        else:
            parts.append(
                format_html(
                    '<text class="col-label" x="{}" y="{}" font-size="{}" text-anchor="middle">{}</text>',
                    num(cx),
                    num(header_h - 8),
                    header_size,
                    label,
                )
            )
    parts.append(
        format_html(
            '<text class="col-label total" x="{}" y="{}" font-size="{}" text-anchor="end" font-weight="700">{}</text>',
            num(width - 2),
            num(header_h - 8),
            header_size,
            total_label,
        )
    )
    # Rows.
    column_totals = [0] * len(columns)
    for row_index, (verdict, label) in enumerate(rows):
        y = top + row_h * row_index
        cy = y + row_h / 2
        fill, stroke = VERDICT_FILLS[verdict]
        lines = wrap(label, label_w - 18)
        first_y = cy + 4 - (len(lines) - 1) * 7
        tspans = format_html_join(
            "", '<tspan x="16" y="{}">{}</tspan>', ((num(first_y + 14 * i), line) for i, line in enumerate(lines))
        )
        row_total = 0
        cells = []
        for col_index, (value, col_label) in enumerate(columns):
            n = counts.get((verdict, value), 0)
            row_total += n
            column_totals[col_index] += n
            cx = grid_x + col_w * (col_index + 0.5)
            if not n:
                cells.append(
                    format_html(
                        '<circle class="zero" cx="{}" cy="{}" r="1.5" fill="#d9d6cf"/>',
                        num(cx),
                        num(cy),
                    )
                )
                continue
            r = max(8, r_max * math.sqrt(n / max_count))
            cells.append(
                format_html(
                    '<g class="cell"><title>{title}</title>'
                    '<circle class="bubble verdict-{v}" cx="{cx}" cy="{cy}" r="{r}" fill="{fill}" stroke="{stroke}"/>'
                    '<text class="count" x="{cx}" y="{ty}" text-anchor="middle" font-size="11">{n}</text></g>',
                    title=f"{label}, {col_label.lower()}: {n}",
                    v=verdict,
                    cx=num(cx),
                    cy=num(cy),
                    r=num(r),
                    fill=fill,
                    stroke=stroke,
                    ty=num(cy + 4),
                    n=n,
                )
            )
        parts.append(
            format_html(
                '<g class="row"><line class="grid" x1="0" x2="{w}" y1="{y}" y2="{y}" stroke="#d9d6cf"/>'
                '<text class="row-icon verdict-{v}" x="2" y="{iy}" font-weight="700" fill="{stroke}">{icon}</text>'
                '<text class="row-label">{tspans}</text>{cells}'
                '<text class="row-total" x="{tx}" y="{iy}" text-anchor="end" font-weight="700">{total}</text></g>',
                w=num(width),
                y=num(y),
                v=verdict,
                iy=num(cy + 4),
                stroke=stroke,
                icon=VERDICT_ICONS[verdict],
                tspans=tspans,
                cells=join(cells),
                tx=num(width - 2),
                total=row_total,
            )
        )
    # Column totals.
    y = top + row_h * len(rows)
    foot = [
        format_html(
            '<line class="grid strong" x1="0" x2="{w}" y1="{y}" y2="{y}" stroke="#55595e"/>'
            '<text class="muted" x="16" y="{ty}">{label}</text>',
            w=num(width),
            y=num(y),
            ty=num(y + 18),
            label=total_label,
        )
    ]
    for col_index, n in enumerate(column_totals):
        foot.append(
            format_html(
                '<text class="muted" x="{}" y="{}" text-anchor="middle" font-size="11">{}</text>',
                num(grid_x + col_w * (col_index + 0.5)),
                num(y + 18),
                n,
            )
        )
    foot.append(
        format_html(
            '<text class="row-total" x="{}" y="{}" text-anchor="end" font-weight="700">{}</text>',
            num(width - 2),
            num(y + 18),
            sum(column_totals),
        )
    )
    parts.extend(foot)
    return svg(kind=kind, id_prefix=id_prefix, title=title, desc=desc, body=join(parts), view_box=(width, height))


# --------------------------------------------------------------------------- scorecard


def row_descriptions(rows, columns, counts, *, suffix=""):
    """One phrase per row of a matrix chart for its <desc>: "Supported: 15 (11 accurate, 4 overstated)"."""
    lines = []
    for value, label in rows:
        cells = [(counts.get((value, column), 0), column_label) for column, column_label in columns]
        parts = ", ".join(f"{n} {column_label.lower()}" for n, column_label in cells if n)
        total = sum(n for n, _label in cells)
        lines.append(f"{label}: {total}" + (f" ({parts}{suffix})" if parts else ""))
    return lines


def scorecard_chart(scorecard, *, id_prefix="scorecard-chart"):
    """An article's passages by verdict (rows) and wording (columns); ``views.scorecard()``."""
    rows = [(row["verdict"], str(row["label"])) for row in scorecard["rows"] if row["total"]]
    if not rows:
        return ""
    columns = [(value, str(label)) for value, label in scorecard["wordings"]]
    counts = {}
    for row in scorecard["rows"]:
        for (value, _label), n in zip(scorecard["wordings"], row["counts"], strict=True):
            counts[(row["verdict"], value)] = n
    total = scorecard["total"]
    lines = row_descriptions(rows, columns, counts)
    title = ngettext(
        "Scorecard: %(n)s graded passage by verdict and wording",
        "Scorecard: %(n)s graded passages by verdict and wording",
        total,
    ) % {"n": total}
    desc = _("Rows are verdicts, columns how the article words the claim. %(rows)s.") % {"rows": sentence_list(lines)}
    return matrix_chart(
        kind="scorecard",
        id_prefix=id_prefix,
        title=title,
        desc=desc,
        rows=rows,
        columns=columns,
        counts=counts,
    )


# --------------------------------------------------------------------------- library


def library_counts(pairs):
    """{(verdict, certainty): n} from ``(verdict, certainty, n)`` rows."""
    return {(verdict, certainty): n for verdict, certainty, n in pairs}


def library_chart(counts, *, id_prefix="library-chart"):
    """Published claims by verdict (rows) and certainty (columns)."""
    total = sum(counts.values())
    if not total:
        return ""
    rows = [(value, str(label)) for value, label in Verdict.choices]
    columns = [(value, str(label)) for value, label in Certainty.choices]
    lines = row_descriptions(rows, columns, counts, suffix=" certainty")
    title = ngettext(
        "%(n)s reviewed claim by verdict and certainty",
        "%(n)s reviewed claims by verdict and certainty",
        total,
    ) % {"n": total}
    desc = _("Rows are verdicts, columns how certain the verdict is. %(rows)s.") % {"rows": sentence_list(lines)}
    return matrix_chart(
        kind="library",
        id_prefix=id_prefix,
        title=title,
        desc=desc,
        rows=rows,
        columns=columns,
        counts=counts,
    )


# --------------------------------------------------------------------------- evidence profile


# Supporting evidence for a harm is not good news (docs/decisions/0004): its squares take the
# harm colour and ⚠, a neutral statement's take the plain "fact" blue. site.css does the same.
POLARITY_SUPPORT_FILLS = {Polarity.HARM: ("#fde3cf", "#8a3b00"), Polarity.NEUTRAL: ("#dde8f6", "#1f4f8f")}
POLARITY_SUPPORT_ICONS = {Polarity.HARM: "⚠"}


def profile_chart(claim, tiers, *, id_prefix="profile-chart"):
    """Studies behind a claim: one row per band of design strength (``profile.profile_tiers()``),
    heaviest first, one square per study in its direction's column.

    Each row names its band and why it weighs what it does ("uncontrolled · weighs less") beside a
    four-pip weight gauge; designs that weigh more get solid squares, the rest pale ones. Each
    square links to its study's row in the evidence table (``#evidence-<pk>``) and is named by its
    ``<title>``, so touch and keyboard users reach the detail that a pointer gets on hover.
    """
    if not tiers:
        return ""
    width, col_w, square, gap, per_line = 360, 90, 21, 5, 3
    header_h = 22
    polarity = getattr(claim, "polarity", "")

    def fills(direction):
        if direction == Direction.SUPPORTS and polarity in POLARITY_SUPPORT_FILLS:
            return POLARITY_SUPPORT_FILLS[polarity]
        return VERDICT_FILLS[DIRECTION_VERDICT[direction]]

    parts = []
    for index, direction in enumerate(DIRECTIONS):
        _fill, stroke = fills(direction)
        icon = POLARITY_SUPPORT_ICONS.get(polarity) if direction == Direction.SUPPORTS else None
        parts.append(
            format_html(
                '<text class="col-label" x="{x}" y="14" font-size="11">'
                '<tspan class="dir-icon dir-{d}" fill="{stroke}" font-weight="700">{icon}</tspan> {label}</text>',
                d=direction.value,
                x=num(col_w * index + 2),
                stroke=stroke,
                icon=icon or DIRECTION_ICONS[direction],
                label=direction.label,
            )
        )
    y = header_h
    lines = []
    for group in tiers:
        tier = group.tier
        count_lines = max([math.ceil(len(entries) / per_line) for _d, _l, entries in group.cells()] + [1])
        squares_y = y + 40
        row_h = 40 + count_lines * (square + gap) + 2
        studies_word = ngettext("%(n)s study", "%(n)s studies", group.total) % {"n": group.total}
        solid = "solid" if tier.weighs_more else "pale"
        cells = []
        for index, (direction, direction_label, entries) in enumerate(group.cells()):
            fill, stroke = fills(direction)
            x0 = col_w * index + 2
            for i, entry in enumerate(entries):
                study = entry.study
                cells.append(
                    format_html(
                        '<a href="#evidence-{pk}" class="study-link"><title>{title}</title>'
                        '<rect class="square dir-{d} {solid}" x="{x}" y="{y}" width="{s}" height="{s}" rx="2"'
                        ' fill="{fill}" stroke="{stroke}"/></a>',
                        pk=entry.pk,
                        title=f"{study.link_label} — {study.get_design_display()}: {direction_label.lower()}",
                        d=direction,
                        solid=solid,
                        x=num(x0 + (i % per_line) * (square + gap)),
                        y=num(squares_y + (i // per_line) * (square + gap)),
                        s=square,
                        fill=stroke if tier.weighs_more else fill,
                        stroke=stroke,
                    )
                )
        cells.extend(
            format_html(
                '<line class="grid" x1="{x}" x2="{x}" y1="{y1}" y2="{y2}" stroke="#d9d6cf" stroke-dasharray="2 3"/>',
                x=num(col_w * index - 3),
                y1=num(squares_y - 2),
                y2=num(y + row_h - 2),
            )
            for index in range(1, len(DIRECTIONS))
        )
        pips = format_html_join(
            "",
            '<circle class="pip {state}" cx="{cx}" cy="{cy}" r="3.5" fill="{fill}" stroke="#55595e"/>',
            (
                {
                    "state": "on" if n < tier.weight else "off",
                    "cx": num(width - 6 - (3 - n) * 10),
                    "cy": num(y + 11),
                    "fill": "#55595e" if n < tier.weight else "none",
                }
                for n in range(4)
            ),
        )
        parts.append(
            format_html(
                '<g class="row tier tier-{key}" data-tier="{key}" data-weight="{weight}">'
                '<line class="grid" x1="0" x2="{w}" y1="{y}" y2="{y}" stroke="#d9d6cf"/>'
                '<text class="row-label" x="2" y="{ty}" font-weight="700">{label}</text>'
                '<g class="weight-gauge">{pips}</g>'
                '<text class="muted tier-note" x="2" y="{ny}" font-size="11">{note} · {studies}</text>{cells}</g>',
                key=tier.key,
                weight=tier.weight,
                w=width,
                y=num(y),
                ty=num(y + 15),
                label=tier.label,
                pips=pips,
                ny=num(y + 30),
                note=tier.note,
                studies=studies_word,
                cells=join(cells),
            )
        )
        split = ", ".join(f"{len(entries)} {label.lower()}" for _d, label, entries in group.cells() if entries)
        designs = ", ".join(f"{row.label.lower()} {row.total}" for row in group.rows)
        lines.append(f"{tier.label} ({tier.note}; {designs}): {split}")
        y += row_h
    total = sum(group.total for group in tiers)
    title = ngettext(
        "Evidence profile: %(n)s study by design strength and direction",
        "Evidence profile: %(n)s studies by design strength and direction",
        total,
    ) % {"n": total}
    desc = _(
        "Studies behind “%(claim)s”, graded %(grade)s, from the designs that weigh most to those that weigh least. "
        "%(rows)s."
    ) % {
        "claim": claim.statement,
        "grade": claim.grade_label.lower(),
        "rows": sentence_list(lines),
    }
    body = format_html('<g class="polarity-{}">{}</g>', polarity or "none", join(parts))
    return svg(
        kind="profile", id_prefix=id_prefix, title=title, desc=desc, body=body, view_box=(width, y + 4), role="group"
    )


# --------------------------------------------------------------------------- claim map


def claim_map(article, passages, *, id_prefix="claim-map"):
    """Each passage as a mark at its place along the article, in the lane of its verdict.

    The strip is fluid: x positions are percentages of the width and text keeps its size, so the
    labels stay legible from 320 px up. Each mark links to the passage's highlight. The lanes and
    their labels (icon, name, count) tell verdicts apart without relying on colour.
    """
    length = len(article.text)
    if not length or not passages:
        return ""
    lanes = [(value, label) for value, label in Verdict.choices if any(p.claim.verdict == value for p in passages)]
    label_h, lane_h, gap, axis_h = 16, 16, 8, 20
    parts = []
    y = 0
    summary = []
    for verdict, label in lanes:
        in_lane = [p for p in passages if p.claim.verdict == verdict]
        _fill, stroke = VERDICT_FILLS[verdict]
        count = ngettext("%(n)s passage", "%(n)s passages", len(in_lane)) % {"n": len(in_lane)}
        summary.append(f"{label}: {len(in_lane)}")
        marks = []
        for passage in in_lane:
            start = 100 * passage.start / length
            extent = 100 * (passage.end - passage.start) / length
            middle = start + extent / 2
            marks.append(
                format_html(
                    '<a href="#passage-{pk}" class="map-link"><title>{title}</title>'
                    '<line class="map-target" x1="{mid}%" x2="{mid}%" y1="{y0}" y2="{y1}" stroke="transparent"'
                    ' stroke-width="12"/>'
                    '<rect class="map-mark verdict-{v}" x="{x}%" y="{y0}" width="{w}%" height="{h}" fill="{stroke}"'
                    ' stroke="{stroke}" stroke-width="1.5"/></a>',
                    pk=passage.pk,
                    title=_("“%(quote)s” — %(statement)s (%(grade)s; wording %(wording)s)")
                    % {
                        "quote": Truncator(passage.quote).chars(90),
                        "statement": passage.claim.statement,
                        "grade": passage.claim.grade_label,
                        "wording": passage.get_wording_display().lower(),
                    },
                    mid=num(middle),
                    x=num(start),
                    w=num(extent),
                    y0=num(y + label_h + 1),
                    y1=num(y + label_h + lane_h - 1),
                    h=lane_h - 2,
                    v=verdict,
                    stroke=stroke,
                )
            )
        parts.append(
            format_html(
                '<g class="lane-group" data-verdict="{v}">'
                '<text class="lane-label" x="0" y="{ty}"><tspan class="row-icon verdict-{v}" font-weight="700"'
                ' fill="{stroke}">{icon}</tspan> <tspan font-weight="700">{label}</tspan>'
                '<tspan class="muted"> · {count}</tspan></text>'
                '<rect class="lane" x="0" y="{ly}" width="100%" height="{h}" fill="#efede8"/>{marks}</g>',
                v=verdict,
                ty=num(y + label_h - 4),
                stroke=stroke,
                icon=VERDICT_ICONS[verdict],
                label=label,
                count=count,
                ly=num(y + label_h),
                h=lane_h,
                marks=join(marks),
            )
        )
        y += label_h + lane_h + gap
    parts.append(
        format_html(
            '<g class="axis"><line class="grid strong" x1="0" x2="100%" y1="{y}" y2="{y}" stroke="#55595e"/>'
            '<text class="muted" x="0" y="{ty}" font-size="11">{start}</text>'
            '<text class="muted" x="50%" y="{ty}" font-size="11" text-anchor="middle">{middle}</text>'
            '<text class="muted" x="100%" y="{ty}" font-size="11" text-anchor="end">{end}</text></g>',
            y=num(y - gap / 2),
            ty=num(y + 10),
            start=_("Start"),
            middle=_("position in the article →"),
            end=_("End"),
        )
    )
    height = y + axis_h - 4
    title = ngettext(
        "Claim map: %(n)s graded passage along “%(title)s”",
        "Claim map: %(n)s graded passages along “%(title)s”",
        len(passages),
    ) % {"n": len(passages), "title": article.title}
    desc = _(
        "Each mark is a graded passage, placed where it occurs from the start to the end of the article, "
        "in the row of its claim's verdict. %(lanes)s."
    ) % {"lanes": sentence_list(summary)}
    return svg(kind="map", id_prefix=id_prefix, title=title, desc=desc, body=join(parts), height=height, role="group")
