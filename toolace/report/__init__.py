"""``toolace report``: a run directory's dataset card (``README.md``) and ``report.html``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from toolace.config import DEFAULT_LICENSE
from toolace.report.card import render_card
from toolace.report.collect import RunSummary, collect
from toolace.report.html import render_html
from toolace.report.plots import Plot, render_plots



@dataclass
class Report:
    """What ``write_report`` produced: the summary, the plots, and the two files."""

    summary: RunSummary
    plots: list[Plot]
    card: Path
    page: Path


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")  # never leave a half-written card or page
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_report(run_dir: str | Path, *, license: str | None = None, card: Path | None = None,
                 page: Path | None = None) -> Report:
    """Summarise ``run_dir`` and write its card and page (default: inside the run directory)."""
    summary = collect(run_dir)
    license = license or summary.setting("report", "license") or DEFAULT_LICENSE
    plots = render_plots(summary)
    card = Path(card) if card else summary.run_dir / "README.md"
    page = Path(page) if page else summary.run_dir / "report.html"
    _write_text(card, render_card(summary, str(license)))
    _write_text(page, render_html(summary, plots))
    return Report(summary, plots, card, page)


__all__ = ["Report", "RunSummary", "collect", "write_report", "DEFAULT_LICENSE"]
