"""Format commands: ``export`` to training formats, ``import-dialogs`` and ``import-apis`` from them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from toolace.cli_app import app, console, options
from toolace.config import ExportConfig
from toolace.formats import EXPORT_FORMATS, IMPORTERS, TOOL_SOURCES
from toolace.formats.export import beside, export_dialogs
from toolace.formats.imports import import_apis as import_apis_files
from toolace.formats.imports import import_dialogs as import_dialogs_file
from toolace.runner import RunStats, rejected_path, stats_path, summary_table


def _report(title: str, stats: RunStats, *files: tuple[str, Path]) -> None:
    """The end table: kept, rejected by reason, the command's own counters; then where files went."""
    console.print(summary_table(title, stats, sorted(stats.counters.items())), highlight=False)
    console.print("[dim]" + "; ".join(f"{what}: {path}" for what, path in files) + "[/dim]", highlight=False)


@app.command()
@options(ExportConfig, "settings")
def export(
    source: Annotated[Path, typer.Argument(help="Canonical dialogs (JSONL), e.g. verified.jsonl.")],
    format: Annotated[str, typer.Option("--format", help=f"One of: {', '.join(EXPORT_FORMATS)}.")],
    out: Annotated[Path, typer.Option("--out", help="Output file (.jsonl, or .parquet with --parquet).")],
    seed: Annotated[int, typer.Option(help="Seed of the augmentation choices.")] = 0,
    *, settings: ExportConfig,  # from @options
) -> None:
    """Write canonical dialogs in a training format, with optional masking and irrelevance augmentation."""
    stats = asyncio.run(export_dialogs(source, format, out, config=settings, seed=seed))
    _report(f"export {format} -> {out}", stats, ("skipped dialogs", beside(out, ".skipped.jsonl")),
            ("stats", beside(out, ".stats.json")))


@app.command("import-dialogs")
def import_dialogs(
    source: Annotated[Path, typer.Argument(help="Rows in a dataset format (JSONL or a JSON array).")],
    format: Annotated[str, typer.Option("--format", help=f"One of: {', '.join(IMPORTERS)}.")],
    out: Annotated[Path, typer.Option("--out", help="Canonical dialogs JSONL to write.")],
) -> None:
    """Read dialogs from a dataset format into canonical dialogs."""
    stats = asyncio.run(import_dialogs_file(source, format, out))
    _report(f"import-dialogs {format} -> {out}", stats, ("rejected rows", rejected_path(out)),
            ("stats", stats_path(out)))


@app.command("import-apis")
def import_apis(
    sources: Annotated[list[Path], typer.Argument(help="Files holding tool definitions (JSONL or JSON; an "
                                                       "OpenAPI document may be YAML).")],
    format: Annotated[str, typer.Option("--format", help=f"{', '.join(TOOL_SOURCES)}.")],
    out: Annotated[Path, typer.Option("--out", help="Canonical APIs JSONL to write.")],
) -> None:
    """Convert real tool definitions (BFCL, ToolACE, OpenAI, xLAM, an MCP tools/list result, an OpenAPI
    3.0/3.1 document) into canonical APIs."""
    stats = asyncio.run(import_apis_files(sources, format, out))
    _report(f"import-apis {format} -> {out}", stats, ("skipped definitions", rejected_path(out)),
            ("stats", stats_path(out)))
