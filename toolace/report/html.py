"""The self-contained ``report.html`` of a run: inline CSS, plots as base64 PNG, no external resource."""

from __future__ import annotations

import json
import re
from html import escape

from toolace import __version__
from toolace.report import examples, tables
from toolace.report.collect import RunSummary
from toolace.report.plots import Plot
from toolace.report.tables import Table

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #222;
       background: #fafafa; }
main { max-width: 1300px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { margin: 0 0 4px; font-size: 26px; }
h2 { margin: 36px 0 12px; font-size: 20px; border-bottom: 2px solid #e3e3e3; padding-bottom: 4px; }
h3 { margin: 18px 0 6px; font-size: 15px; }
.sub { color: #666; margin: 0 0 16px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { background: #fff; border: 1px solid #e3e3e3; border-radius: 8px; padding: 10px 16px; min-width: 130px; }
.card b { display: block; font-size: 22px; }
.card span { color: #666; font-size: 13px; }
figure { margin: 8px 0 16px; background: #fff; border: 1px solid #e3e3e3; border-radius: 8px; padding: 8px; }
figure img { max-width: 100%; height: auto; display: block; }
.grid { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
table { border-collapse: collapse; background: #fff; font-size: 13px; margin-bottom: 8px; }
th, td { border: 1px solid #e3e3e3; padding: 4px 10px; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f0f0f0; }
.missing { color: #a15c00; background: #fff7e6; border: 1px solid #f3d19e; border-radius: 6px; padding: 8px 12px; }
pre { background: #fff; border: 1px solid #e3e3e3; border-radius: 8px; padding: 12px; overflow-x: auto;
      font-size: 12px; }
nav a { margin-right: 14px; color: #4C72B0; text-decoration: none; }
"""

# Which tables go under which plot; the page follows this order.
SECTIONS = [
    ("overview", "Overview", None, [tables.files, tables.exports, tables.settings, tables.stages]),
    ("kinds", "Dialog kinds", "kinds", [tables.kinds]),
    ("domains", "Domains", "domains", [tables.domains]),
    ("apis", "APIs: parameter types and nesting", "parameters", [tables.api_shape, tables.param_types]),
    ("shape", "Turns and calls", "turns", [tables.dialog_shape]),
    ("verification", "Verification and rejections", "rejections", [tables.verification, tables.stage_rejections]),
    ("tokens", "Tokens per kept sample", "tokens", [tables.tokens]),
]


NUMBER = re.compile(r"-?[\d,]+(\.\d+)?%?( \(.*\)| / .*| s| nodes| dialogs)?")


def _is_number(cell: str) -> bool:
    """Whether a cell reads as a figure (right-aligned): 12, 1,234, 4.5%, 25 (25.0%), 1.2 / 6, 12.5 s."""
    return NUMBER.fullmatch(cell) is not None


def html_table(table: Table) -> str:
    head = f"<h3>{escape(table.title)}</h3>"
    if not table.rows:
        return head + f'<p class="missing">Missing: {escape(table.missing or "nothing to show")}.</p>'
    rows = "".join("<tr>" + "".join(f'<td class="n">{escape(c)}</td>' if _is_number(c) else f"<td>{escape(c)}</td>"
                                    for c in row) + "</tr>" for row in table.rows)
    header = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    return f"{head}<table><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>"


def html_plot(plot: Plot) -> str:
    if plot.png is None:
        return f'<p class="missing">No plot of {escape(plot.title.lower())}: {escape(plot.missing)}.</p>'
    return (f'<figure id="plot-{plot.key}"><img alt="{escape(plot.title)}" '
            f'src="data:image/png;base64,{plot.png}"></figure>')


def _headline(s: RunSummary) -> str:
    figures = []
    if s.final is not None:
        figures.append((f"{s.final.count:,}", "verified dialogs" if s.verified else "dialogs (not verified)"))
    if s.apis is not None:
        figures.append((f"{s.apis.count:,}", "APIs"))
        figures.append((f"{len(s.apis.domains):,}", "top-level domains"))
    if s.verified is not None and s.rejections.verify_files:
        checked = s.verified.count + s.rejections.verify_rejected
        figures.append((tables.pct(s.verified.count, checked), "kept by the verifier"))
    if s.exports:
        figures.append((f"{len(s.exports)}", "exported files"))
    return '<div class="cards">' + "".join(f"<div class=card><b>{escape(v)}</b><span>{escape(label)}</span></div>"
                                           for v, label in figures) + "</div>"


def render_html(s: RunSummary, plots: list[Plot]) -> str:
    """The whole page as one string."""
    by_key = {p.key: p for p in plots}
    nav = "".join(f'<a href="#{key}">{escape(title)}</a>' for key, title, _, _ in SECTIONS) + \
        '<a href="#examples">Examples</a>'
    parts = [f"<h1>toolace run report: {escape(s.run_dir.resolve().name)}</h1>",
             f'<p class="sub">model {escape(tables.model_name(s))} · toolace {escape(__version__)} · '
             f"{escape(str(s.run_dir))}</p>", f"<nav>{nav}</nav>", _headline(s)]
    for key, title, plot_key, table_fns in SECTIONS:
        parts.append(f'<section id="{key}"><h2>{escape(title)}</h2>')
        if plot_key:
            parts.append(html_plot(by_key[plot_key]))
        parts.append('<div class="grid">' + "".join(f"<div>{html_table(fn(s))}</div>" for fn in table_fns) + "</div>")
        parts.append("</section>")
    parts.append('<section id="examples"><h2>Examples</h2>' + examples.examples_html(s.run_dir) + "</section>")
    parts.append('<section id="config"><h2>Run config</h2>')
    if s.config is None:
        parts.append('<p class="missing">Missing: no config.json or config.toml in the run directory.</p>')
    else:
        parts.append(f"<p>{escape(str(s.config_file))}</p><pre>"
                     f"{escape(json.dumps(s.config, indent=2, ensure_ascii=False, default=str))}</pre>")
    parts.append("</section>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>toolace report: {escape(s.run_dir.resolve().name)}</title><style>{CSS}{examples.CSS}</style></head>"
            f"<body><main>{''.join(parts)}</main></body></html>\n")
