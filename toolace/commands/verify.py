"""``toolace verify``: the rule layer, an optional execution check and the LLM judge over dialogs."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Annotated, Optional

import typer

from toolace.cli_app import app, console, engine_options, llm_session, options
from toolace.config import EngineConfig, VerifyConfig
from toolace.errors import InputError
from toolace.runner import parse_shard, rejected_path, summary_table
from toolace.verify.run import summary_rows, verify_dialogs


@app.command()
@engine_options()
@options(VerifyConfig, "settings")
def verify(
    inputs: Annotated[list[Path], typer.Argument(help="Dialog JSONL files (canonical form, any source).")],
    out: Annotated[Path, typer.Option("--out", help="Dialogs that passed, with their verdict.")] = Path("verified.jsonl"),
    rejected: Annotated[Optional[Path], typer.Option(
        "--rejected", help="Dialogs that failed, with every failure (default: OUT's name + .rejected.jsonl).")] = None,
    shard: Annotated[Optional[str], typer.Option("--shard", help="Only shard I of N (I/N), by dialog id.")] = None,
    *, settings: VerifyConfig, engine: EngineConfig,  # from @options and @engine_options
) -> None:
    """Check dialogs with every ToolACE rule, then an LLM judge; passed ones go to --out, the rest
    to --rejected with the failed check ids, messages and JSON paths. Resumable by dialog id."""
    settings.rule_config()  # a bad --rules file fails before an engine is started
    for path in inputs:
        if not path.is_file():
            raise InputError(f"{path}: no such file")
    rejected = rejected or rejected_path(out)
    session = contextlib.nullcontext(None) if settings.rules_only else llm_session(engine)
    with session as llm:
        stats = asyncio.run(verify_dialogs(inputs, out=out, rejected=rejected, llm=llm, config=settings,
                                           shard=parse_shard(shard), console=console))
    console.print(summary_table(f"verify -> {out} (rejected: {rejected})", stats, summary_rows(stats)))
