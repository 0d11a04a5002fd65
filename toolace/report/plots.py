"""The report's plots, drawn with matplotlib (no pyplot state) and returned as base64 PNG.

Each plot function takes the run summary and returns a Figure, or None when the run lacks its data;
``render_plots`` turns them into :class:`Plot` items that the page embeds (or marks as missing).
Long labels (domains, check names) go on horizontal bars so they never overlap.
"""

from __future__ import annotations

import base64
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # headless: a report is written on servers without a display

from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator, StrMethodFormatter  # noqa: E402

from toolace.report.collect import RunSummary  # noqa: E402

BLUE, ORANGE, GREEN, GREY, RED = "#4C72B0", "#DD8452", "#55A868", "#8C8C8C", "#C44E52"
STYLE = {"font.size": 10, "axes.titlesize": 12, "axes.titleweight": "bold", "axes.spines.top": False,
         "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3, "axes.axisbelow": True}
MAX_LABEL = 42


def _thousands() -> StrMethodFormatter:
    return StrMethodFormatter("{x:,.0f}")  # a formatter belongs to one axis: a new one each time


@dataclass
class Plot:
    """One figure of the page: its title, the PNG (base64) or, when the data is missing, why."""

    key: str
    title: str
    png: str | None = None
    missing: str = ""


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _hbar(ax: Axes, counts: list[tuple[str, float]], title: str, xlabel: str, color: str = BLUE,
          percent_of: float | None = None) -> None:
    """Horizontal bars, largest on top, each labelled with its value (and share)."""
    labels = [_short(str(label)) for label, _ in counts]
    values = [value for _, value in counts]
    ax.barh(range(len(values)), values, color=color)
    ax.set_yticks(range(len(values)), labels)
    ax.invert_yaxis()
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    top = max(values, default=0) or 1
    for y, value in enumerate(values):
        text = f"{value:,.0f}" + (f" ({100 * value / percent_of:.0f}%)" if percent_of else "")
        ax.text(value + top * 0.01, y, text, va="center", fontsize=9)
    ax.set_xlim(0, top * 1.18)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _bars_by_int(ax: Axes, series: list[tuple[str, Counter]], title: str, xlabel: str) -> None:
    """Grouped vertical bars for small integer values (turns, calls), as shares of each series."""
    keys = sorted(set().union(*[set(c) for _, c in series]))
    width = 0.8 / len(series)
    for i, (name, counter) in enumerate(series):
        total = sum(counter.values()) or 1
        xs = [k - 0.4 + width * (i + 0.5) for k in keys]
        ax.bar(xs, [100 * counter[k] / total for k in keys], width, label=f"{name} (n={total:,})",
               color=[BLUE, ORANGE][i % 2])
    ax.set_xticks(keys)
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("% of dialogs")
    ax.grid(axis="x", visible=False)


def _legend_above(fig: Figure, ax: Axes) -> None:
    """One legend above the plots, where it can never hide a bar."""
    fig.legend(*ax.get_legend_handles_labels(), loc="outside upper right", frameon=False, ncol=3)


def _figure(width: float, height: float, panels: int = 1) -> tuple[Figure, list[Axes]]:
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, panels)
    return fig, list(axes) if panels > 1 else [axes]


def kind_mix(s: RunSummary) -> Figure | None:
    series = [(n, d) for n, d in (("generated", s.dialogs), ("verified", s.verified)) if d is not None and d.count]
    if not series:
        return None
    kinds = [k for k, _ in sum((d.kinds for _, d in series), Counter()).most_common()]
    fig, (ax,) = _figure(10, 1.2 + 0.22 * len(kinds) * len(series) + 0.15 * len(kinds))
    height = 0.8 / len(series)
    for i, (name, d) in enumerate(series):
        ys = [y - 0.4 + height * (i + 0.5) for y in range(len(kinds))]
        values = [d.kinds[k] for k in kinds]
        ax.barh(ys, values, height, label=f"{name} (n={d.count:,})", color=[BLUE, GREEN][i])
        for y, value in zip(ys, values):
            ax.text(value, y, f" {value:,} ({100 * value / d.count:.0f}%)", va="center", fontsize=8)
    ax.set_yticks(range(len(kinds)), kinds)
    ax.invert_yaxis()
    ax.set_xlim(0, max(max(d.kinds.values()) for _, d in series) * 1.2)
    ax.set_title("Dialog kind mix", loc="left")
    ax.set_xlabel("dialogs")
    ax.grid(axis="y", visible=False)
    _legend_above(fig, ax)
    return fig


def top_domains(s: RunSummary, top: int = 20) -> Figure | None:
    """Share of APIs and of tools offered in the final dialogs per top-level domain, side by side."""
    series = []
    if s.apis and s.apis.domains:
        series.append((f"APIs (n={s.apis.count:,})", s.apis.domains, BLUE, "% of APIs"))
    if s.final and s.final.tool_domains:
        series.append((f"tools offered in final dialogs (n={sum(s.final.tool_domains.values()):,})",
                       s.final.tool_domains, GREEN, "% of tools offered"))
    if not series:
        return None
    ranking = series[0][1]
    domains = [d for d, _ in ranking.most_common(top)]
    fig, (ax,) = _figure(10, 1.2 + (0.16 + 0.09 * len(series)) * len(domains))
    height = 0.8 / len(series)
    for i, (label, counter, color, _) in enumerate(series):
        total = sum(counter.values())
        ys = [y - 0.4 + height * (i + 0.5) for y in range(len(domains))]
        values = [100 * counter[d] / total for d in domains]
        ax.barh(ys, values, height, color=color, label=label)
        for y, value, d in zip(ys, values, domains):
            ax.text(value, y, f" {counter[d]:,}", va="center", fontsize=8)
    ax.set_yticks(range(len(domains)), [_short(d) for d in domains])
    ax.invert_yaxis()
    ax.set_xlim(0, max(100 * max(c.values()) / sum(c.values()) for _, c, *_ in series) * 1.15)
    more = f" (top {top} of {len(ranking)})" if len(ranking) > top else ""
    ax.set_title(f"Top-level domains{more}", loc="left")
    ax.set_xlabel(" / ".join(unit for *_, unit in series) + " (bar labels: counts)")
    ax.grid(axis="y", visible=False)
    _legend_above(fig, ax)
    return fig


def parameters(s: RunSummary) -> Figure | None:
    a = s.apis
    if a is None or not a.count:
        return None
    fig, (types_ax, nest_ax, count_ax) = _figure(13, 4, 3)
    by_type = Counter()
    for (kind, _), n in a.param_types.items():
        by_type[kind] += n
    kinds = [k for k, _ in by_type.most_common()]
    top_level = [a.param_types[k, "top-level"] for k in kinds]
    nested = [a.param_types[k, "nested"] for k in kinds]
    types_ax.barh(kinds, top_level, color=BLUE, label="top-level")
    types_ax.barh(kinds, nested, left=top_level, color=ORANGE, label="nested")
    types_ax.invert_yaxis()
    types_ax.set_title("Parameter types (every depth)", loc="left")
    types_ax.set_xlabel("parameters")
    types_ax.grid(axis="y", visible=False)
    types_ax.legend(frameon=False, loc="best")

    shapes = [("array of objects", a.array_of_objects), ("object parameter", a.object_in_object),
              ("any nesting", a.nested), ("returns schema", a.with_returns)]
    _hbar(nest_ax, shapes, "API shapes", "APIs (share of all APIs)", ORANGE, a.count)

    counts = sorted(a.params_per_api)
    count_ax.bar(counts, [a.params_per_api[c] for c in counts], color=BLUE)
    count_ax.set_title("Parameters per API", loc="left")
    count_ax.set_xlabel("top-level parameters")
    count_ax.set_ylabel("APIs")
    count_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    count_ax.grid(axis="x", visible=False)
    return fig


def turns(s: RunSummary) -> Figure | None:
    series = [(n, d) for n, d in (("generated", s.dialogs), ("verified", s.verified)) if d and d.count]
    if not series:
        return None
    fig, (turns_ax, calls_ax) = _figure(12, 3.8, 2)
    _bars_by_int(turns_ax, [(n, d.turns) for n, d in series], "User turns per dialog", "user turns")
    _bars_by_int(calls_ax, [(n, d.calls) for n, d in series], "Tool calls per dialog", "tool calls")
    _legend_above(fig, turns_ax)
    return fig


def rejections(s: RunSummary) -> Figure | None:
    r = s.rejections
    panels = []
    checks = r.checks + Counter({f"{k} (no verdict)": v for k, v in r.verify_reasons.items()})
    if checks:
        checked = r.verify_rejected + (s.verified.count if s.verified else 0)
        panels.append((f"Verifier: failed checks\n({r.verify_rejected:,} of {checked:,} dialogs rejected)",
                       checks.most_common(20), "rejected dialogs (share of checked)", RED, checked))
    stage = Counter({f"{st}: {reason}": n for st, reasons in r.stage_reasons.items() for reason, n in reasons.items()})
    if stage:
        panels.append(("Generation stages: rejections\n(stage: reason)", stage.most_common(20), "rejected rows", GREY,
                       None))
    if not panels:
        return None
    rows = max(len(counts) for _, counts, *_ in panels)
    fig, axes = _figure(12 if len(panels) > 1 else 10, 1.2 + 0.34 * rows, len(panels))
    for ax, (title, counts, xlabel, color, total) in zip(axes, panels):
        _hbar(ax, counts, title, xlabel, color, total)
    return fig


def tokens(s: RunSummary) -> Figure | None:
    measured = s.measured_tokens()
    kept = s.final.count if s.final else 0
    stage_rows = []
    for name, d in s.stages.items():
        usage = d.get("usage") if isinstance(d.get("usage"), dict) else {}
        if usage.get("prompt_tokens") or usage.get("completion_tokens"):
            cached = usage.get("cached_tokens", 0)
            stage_rows.append((name, usage.get("prompt_tokens", 0) - cached, cached, usage.get("completion_tokens", 0)))
    if measured is None and not stage_rows:
        return None
    fig, axes = _figure(12 if measured and stage_rows else 10, 3.8, 2 if measured and stage_rows else 1)
    axes = iter(axes)
    if measured:
        name, h = measured
        ax = next(axes)
        values = sorted(h.buckets)
        ax.hist(values, weights=[h.buckets[v] for v in values], bins=min(30, max(5, len(values))), color=BLUE)
        ax.axvline(h.mean, color=RED, linestyle="--", label=f"mean {h.mean:,.0f}")
        ax.set_title(f"Engine tokens per {name} dialog (meta.tokens)", loc="left")
        ax.set_xlabel("prompt + completion tokens spent on the dialog")
        ax.set_ylabel("dialogs")
        ax.xaxis.set_major_formatter(_thousands())
        ax.legend(frameon=False, loc="best")
    if stage_rows:
        ax = next(axes)
        divisor = kept or 1  # with nothing kept, show the totals rather than nothing
        names = [row[0] for row in stage_rows]
        left = [0.0] * len(names)
        for i, (label, color) in enumerate([("prompt (not cached)", BLUE), ("prompt (cached)", GREY),
                                            ("completion", ORANGE)], start=1):
            values = [row[i] / divisor for row in stage_rows]
            ax.barh(names, values, left=left, color=color, label=label)
            left = [a + b for a, b in zip(left, values)]
        for y, total in enumerate(left):
            ax.text(total, y, f" {total:,.0f}", va="center", fontsize=9)
        ax.set_xlim(0, max(left) * 1.2)
        ax.xaxis.set_major_formatter(_thousands())
        ax.invert_yaxis()
        if kept:
            ax.set_title(f"Engine tokens per final dialog, by stage ({kept:,} dialogs)", loc="left")
            ax.set_xlabel("tokens per final dialog")
        else:
            ax.set_title("Engine tokens by stage (no dialog kept: totals)", loc="left")
            ax.set_xlabel("tokens")
        ax.grid(axis="y", visible=False)
        ax.legend(frameon=False, loc="best")
    return fig


PLOTS: list[tuple[str, str, Callable[[RunSummary], Figure | None], str]] = [
    ("kinds", "Dialog kind mix", kind_mix, "no dialogs.jsonl or verified.jsonl"),
    ("domains", "Top domains", top_domains, "no apis.jsonl and no dialogs"),
    ("parameters", "Parameter types and nesting", parameters, "no apis.jsonl"),
    ("turns", "Turns and calls per dialog", turns, "no dialogs.jsonl or verified.jsonl"),
    ("rejections", "Rejection reasons", rejections, "no rejected.jsonl and no *.rejected.jsonl"),
    ("tokens", "Tokens per kept sample", tokens, "no *.stats.json usage and no meta.tokens in dialogs"),
]


def png_base64(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def render_plots(s: RunSummary) -> list[Plot]:
    """Every plot of the page, drawn or marked missing."""
    plots = []
    with matplotlib.rc_context(STYLE):
        for key, title, draw, missing in PLOTS:
            fig = draw(s)
            plots.append(Plot(key, title, png_base64(fig)) if fig is not None else Plot(key, title, missing=missing))
    return plots
