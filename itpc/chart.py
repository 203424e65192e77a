"""The month's figures (``itpc.monthly``) drawn as one PNG of bar charts.

matplotlib is an optional extra (``pip install 'itpc-ledger[chart]'``), imported only when a chart is asked
for, so the rest of `itpc` neither needs it nor pays for its import. The figure is drawn on the Agg canvas
directly (no pyplot: no global state, no display), with fixed size, fonts and colours and no timestamp in
the file, so the same figures give the same bytes. Titles, labels and names are ``itpc.monthly``'s words, in
Lithuanian unless English is asked for.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from config.errors import ConfigError
from itpc.monthly import LANGS, kind_name, outcome_name, words

INSTALL_HINT = "the chart needs matplotlib, an optional extra: pip install 'itpc-ledger[chart]'"

# One colour per outcome, the same in every chart (consent green, refusal red, waiting amber...).
OUTCOME_COLOURS = {"consent": "#2e7d32", "refusal": "#c62828", "review": "#f9a825", "open": "#90a4ae",
                   "returned": "#6a1b9a", "forwarded": "#00838f", "granted": "#558b2f", "ended_early": "#1565c0",
                   "none": "#bdbdbd"}
OTHER_COLOUR = "#795548"
BAR_COLOUR = "#1565c0"
BAR_HEIGHT = 0.6
MIN_ROWS = 4


class ChartUnavailable(ConfigError):
    """matplotlib is not installed; the message says how to install it."""


def _matplotlib() -> Any:
    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ChartUnavailable(INSTALL_HINT) from None
    return matplotlib, Figure, FigureCanvasAgg


def bar_chart(figures: dict, path: Path, lang: str = LANGS[0]) -> None:
    """Write the month's figures to ``path`` as a PNG: requests by kind stacked by outcome, consents per
    system and per customs office, and refusals by rule, labelled in ``lang`` (Lithuanian by default).
    Raises ChartUnavailable without matplotlib."""
    matplotlib, Figure, FigureCanvasAgg = _matplotlib()
    w = words(lang)
    with matplotlib.rc_context({"font.family": "DejaVu Sans", "font.size": 9,
                                "axes.spines.top": False, "axes.spines.right": False}):
        figure = Figure(figsize=(12, 8), dpi=100, layout="constrained")
        FigureCanvasAgg(figure)
        figure.suptitle(w["chart_title"].format(month=figures["month"], requests=figures["requests"]["total"],
                                                consents=figures["consents"]["total"]),
                        fontsize=14, fontweight="bold")
        (requests, systems), (offices, refusals) = figure.subplots(2, 2)
        _requests(requests, figures["requests"], lang)
        _systems(systems, figures["consents"], w)
        _offices(offices, figures["consents"], w)
        _refusals(refusals, figures["refusals_by_rule"], w)
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png", metadata={"Software": None})


def _label(name: str) -> str:
    return name.replace("_", " ")


def _requests(axes: Any, requests: dict, lang: str) -> None:
    w = words(lang)
    axes.set_title(w["chart_requests"])
    kinds = [k for k, row in requests["by_kind"].items() if row["total"]]
    if not kinds:
        return _empty(axes, w["no_requests"])
    positions = range(len(kinds))
    start = [0] * len(kinds)
    for outcome in requests["outcomes"]:
        counts = [requests["by_kind"][k][outcome] for k in kinds]
        if not any(counts):
            continue
        axes.barh(positions, counts, left=start, height=BAR_HEIGHT, label=_label(outcome_name(outcome, lang)),
                  color=OUTCOME_COLOURS.get(outcome, OTHER_COLOUR))
        start = [s + c for s, c in zip(start, counts)]
    for position, total in zip(positions, start):
        axes.annotate(str(total), (total, position), xytext=(3, 0), textcoords="offset points", va="center")
    _rows(axes, [_label(kind_name(k, lang)) for k in kinds], max(start), w["axis_requests"])
    # Below the bars, so it never hides one.
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=4, frameon=False)


def _systems(axes: Any, consents: dict, w: dict) -> None:
    axes.set_title(w["chart_systems"])
    systems = list(consents["by_system"])
    counts = [consents["by_system"][s] for s in systems]
    bars = axes.bar(systems, counts, color=BAR_COLOUR, width=0.5)
    axes.bar_label(bars, padding=2)
    axes.set_ylabel(w["axis_consents"])
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_ylim(0, max(counts + [1]) * 1.15)


def _offices(axes: Any, consents: dict, w: dict) -> None:
    axes.set_title(w["chart_offices"])
    offices = consents["by_office"][:15]
    if not offices:
        return _empty(axes, w["no_consents"])
    labels = [f"{o['code']} {o['name']}".strip() for o in offices]
    counts = [o["consents"] for o in offices]
    bars = axes.barh(range(len(offices)), counts, height=BAR_HEIGHT, color=OUTCOME_COLOURS["consent"])
    axes.bar_label(bars, padding=2)
    _rows(axes, labels, max(counts), w["axis_consents"])


def _refusals(axes: Any, refusals: dict, w: dict) -> None:
    axes.set_title(w["chart_refusals"])
    if not refusals:
        return _empty(axes, w["no_refusals"])
    rules = list(refusals)[:12]
    counts = [refusals[r] for r in rules]
    bars = axes.barh(range(len(rules)), counts, height=BAR_HEIGHT, color=OUTCOME_COLOURS["refusal"])
    axes.bar_label(bars, padding=2)
    _rows(axes, rules, max(counts), w["axis_refusals"])


def _rows(axes: Any, labels: list[str], largest: int, unit: str) -> None:
    """Horizontal bars read top down, with room for at least four (one bar is not a wall of colour) and
    for the count printed after the longest bar."""
    axes.set_yticks(range(len(labels)), labels)
    axes.set_ylim(max(len(labels), MIN_ROWS) - 0.5, -0.5)   # inverted: the first on top, as in the table
    axes.set_xlim(0, max(largest, 1) * 1.12)
    axes.set_xlabel(unit)
    axes.xaxis.get_major_locator().set_params(integer=True)


def _empty(axes: Any, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", transform=axes.transAxes, color="#757575")
    axes.set_xticks([])
    axes.set_yticks([])
