"""``toolace report``: the dataset card and the HTML report of a run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from toolace.cli_app import app, console, options
from toolace.config import ReportConfig


@app.command()
@options(ReportConfig, "settings")
def report(
    run_dir: Annotated[Path, typer.Argument(help="Run directory (apis.jsonl, dialogs.jsonl, verified.jsonl, ...).")],
    *, settings: ReportConfig,  # from @options; what is not given comes from the run's config
) -> None:
    """Write the Hugging Face dataset card README.md and a self-contained report.html into RUN_DIR."""
    from toolace.report import write_report  # matplotlib loads only when a report is written

    done = write_report(run_dir, license=settings.license if "license" in settings.model_fields_set else None)
    s = done.summary
    table = Table(show_header=False, box=None)
    table.add_row("found", ", ".join(s.present))
    for plot in done.plots:
        table.add_row(f"plot {plot.key}", "drawn" if plot.png else f"[yellow]missing[/yellow]: {plot.missing}")
    table.add_row("card", str(done.card))
    table.add_row("report", str(done.page))
    console.print(table)
