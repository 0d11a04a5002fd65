"""``toolace report``: the dataset card and the HTML report of a run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from toolace.cli_app import app, console


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="Run directory (apis.jsonl, dialogs.jsonl, verified.jsonl, ...).")],
    license: Annotated[Optional[str], typer.Option(
        "--license", help="Licence id for the card (Hugging Face ids, e.g. apache-2.0, cc-by-4.0); "
                          "default: report.license of the run config, else apache-2.0.")] = None,
) -> None:
    """Write the Hugging Face dataset card README.md and a self-contained report.html into RUN_DIR."""
    from toolace.report import write_report  # matplotlib loads only when a report is written

    done = write_report(run_dir, license=license)
    s = done.summary
    table = Table(show_header=False, box=None)
    table.add_row("found", ", ".join(s.present))
    for plot in done.plots:
        table.add_row(f"plot {plot.key}", "drawn" if plot.png else f"[yellow]missing[/yellow]: {plot.missing}")
    table.add_row("card", str(done.card))
    table.add_row("report", str(done.page))
    console.print(table)
