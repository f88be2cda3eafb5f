"""What the dental pages and tabs read. Each function runs a fixed number of queries,
however long the client's history is."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from verticals.dental import chart, teeth
from verticals.dental.models import WHOLE_TOOTH, PerioExam, PerioSite, PerioTooth

HISTORY_SHOWN = 30


def chart_context(request, client, *, child: bool) -> dict:
    """The chart drawn from the whole history (one query), the newest entries as its
    history list, and the legend."""
    entries = chart.client_entries(client)
    state = chart.derive(entries)
    # A child's chart when asked, or when the client only has child teeth charted.
    if not child and request.GET.get("set") != "adult" and state:
        child = all(teeth.is_child(n) for n in state)
    selected = request.GET.get("tooth")
    return {
        "svg": chart.chart_svg(
            state, child=child, selected=int(selected) if teeth.is_tooth(selected) else None
        ),
        "child": child,
        "legend": chart.legend(),
        "history": list(reversed(entries))[:HISTORY_SHOWN],
        "history_count": len(entries),
        "state": [state[n] for n in sorted(state)],
        "whole_conditions": " ".join(sorted(WHOLE_TOOTH)),
    }


HISTORY_PAGE_SIZE = 50


def chart_history_page(client, *, tooth: int | None, page):
    """One page of the client's whole chart history, newest first, of one tooth when
    given; and the teeth that have entries (for the filter). Four queries: the teeth, the
    count, the page with who recorded each line."""
    from django.core.paginator import Paginator

    from verticals.dental.models import ToothEntry

    entries = ToothEntry.objects.filter(client=client)
    charted = list(entries.order_by("tooth").values_list("tooth", flat=True).distinct())
    if tooth is not None:
        entries = entries.filter(tooth=tooth)
    entries = entries.select_related("recorded_by").order_by("-recorded_at", "-id")
    return Paginator(entries, HISTORY_PAGE_SIZE).get_page(page), charted


# ---------- perio ----------


def _cell(values, errors, kind, tooth, site=""):
    from verticals.dental.services import site_field

    name = site_field(kind, tooth, site)
    value = values.get(name, "")
    if kind == "bleeding":
        value = value in ("on", True)
    return {"name": name, "value": value, "errors": errors.get(name, [])}


def _sides(tooth: int, cells: list) -> dict:
    """The six sites of a tooth as the chart shows them: buccal row and lingual row, each
    from the viewer's left to right (mesial is on the right in quadrants 1, 4, 5 and 8)."""
    buccal, lingual = cells[:3], cells[3:]
    if tooth // 10 in (1, 4, 5, 8):
        buccal, lingual = buccal[::-1], lingual[::-1]
    return {"buccal": buccal, "lingual": lingual}


def _side_errors(side: list) -> dict:
    """A cell's messages per row (depth, bleeding, recession), each naming its site."""
    out = {}
    for kind in ("depth", "bleeding", "recession"):
        out[kind] = [
            f"{teeth.SITE_LABELS[cell['site']]}: {message}"
            for cell in side
            for message in cell[kind]["errors"]
        ]
    return out


def perio_grid(values, errors) -> list[dict]:
    """The entry grid, upper jaw then lower jaw, with posted values and the errors of
    each cell."""
    rows = []
    for jaw in teeth.chart_rows(child=False):
        row = []
        for tooth in jaw:
            sites = [
                {
                    "site": site,
                    "label": teeth.SITE_LABELS[site],
                    "depth": _cell(values, errors, "depth", tooth, site),
                    "bleeding": _cell(values, errors, "bleeding", tooth, site),
                    "recession": _cell(values, errors, "recession", tooth, site),
                }
                for site in teeth.PERIO_SITES
            ]
            sides = _sides(tooth, sites)
            row.append(
                {
                    "tooth": tooth,
                    "sites": sites,
                    **sides,
                    "buccal_errors": _side_errors(sides["buccal"]),
                    "lingual_errors": _side_errors(sides["lingual"]),
                    "mobility": _cell(values, errors, "mobility", tooth),
                    "furcation": _cell(values, errors, "furcation", tooth),
                }
            )
        rows.append(row)
    return rows


def exam_data(exam: PerioExam) -> tuple[dict, dict]:
    sites = {(s.tooth, s.site): s for s in PerioSite.objects.filter(exam=exam)}
    findings = {t.tooth: t for t in PerioTooth.objects.filter(exam=exam)}
    return sites, findings


def _depth_class(depth) -> str:
    if depth is None:
        return ""
    if depth >= 6:
        return "deep"
    if depth >= 4:
        return "pocket"
    return "ok"


def exam_grid(exam: PerioExam) -> dict:
    """An exam read back: per jaw, per tooth, the six sites; and its summary figures."""
    sites, findings = exam_data(exam)
    rows = []
    for jaw in teeth.chart_rows(child=False):
        row = []
        for tooth in jaw:
            cells = []
            for site in teeth.PERIO_SITES:
                s = sites.get((tooth, site))
                cells.append(
                    {
                        "site": site,
                        "label": teeth.SITE_LABELS[site],
                        "depth": s.depth if s else None,
                        "bleeding": bool(s and s.bleeding),
                        "recession": s.recession if s else None,
                        "class": _depth_class(s.depth if s else None),
                    }
                )
            t = findings.get(tooth)
            row.append(
                {
                    "tooth": tooth,
                    "sites": cells,
                    **_sides(tooth, cells),
                    "probed": any(c["depth"] is not None for c in cells),
                    "mobility": t.mobility if t else None,
                    "furcation": t.furcation if t else None,
                }
            )
        rows.append(row)
    return {"rows": rows, "summary": perio_summary(sites.values())}


def mean_depth(total: int | None, count: int) -> Decimal | None:
    """The mean probing depth to 0.1 mm, half up (2.25 is 2.3), the same on every page."""
    if not count:
        return None
    return (Decimal(total or 0) / Decimal(count)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def perio_summary(sites) -> dict:
    sites = list(sites)
    depths = [s.depth for s in sites if s.depth is not None]
    bleeding = sum(1 for s in sites if s.bleeding)
    return {
        "sites": len(sites),
        "bleeding": bleeding,
        "bleeding_pct": round(100 * bleeding / len(sites)) if sites else 0,
        "pockets": sum(1 for d in depths if d >= 4),
        "deep": sum(1 for d in depths if d >= 6),
        "mean": mean_depth(sum(depths), len(depths)),
    }


def perio_compare(first: PerioExam, second: PerioExam) -> dict:
    """Per site, the depth of ``first`` and ``second`` and the change (positive: deeper,
    worse); changes of 2 mm or more are flagged. Four queries."""
    a_sites, _a = exam_data(first)
    b_sites, _b = exam_data(second)
    rows = []
    for jaw in teeth.chart_rows(child=False):
        row = []
        for tooth in jaw:
            cells = []
            for site in teeth.PERIO_SITES:
                a, b = a_sites.get((tooth, site)), b_sites.get((tooth, site))
                da = a.depth if a else None
                db = b.depth if b else None
                delta = db - da if da is not None and db is not None else None
                trend = ""
                if delta is not None and delta >= 2:
                    trend = "worse"
                elif delta is not None and delta <= -2:
                    trend = "better"
                elif delta:
                    trend = "slight"
                cells.append(
                    {
                        "site": site,
                        "label": teeth.SITE_LABELS[site],
                        "a": da,
                        "b": db,
                        "delta": delta,
                        "trend": trend,
                        "bleeding_a": bool(a and a.bleeding),
                        "bleeding_b": bool(b and b.bleeding),
                    }
                )
            row.append({"tooth": tooth, "sites": cells, **_sides(tooth, cells)})
        rows.append(row)
    return {
        "rows": rows,
        "summary_a": perio_summary(a_sites.values()),
        "summary_b": perio_summary(b_sites.values()),
    }
