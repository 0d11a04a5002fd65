"""``toolace verify``: the rule layer, an optional execution check and the LLM judge over dialogs."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Annotated, Optional

import typer

from toolace.cli_app import app, console, engine_options, llm_session
from toolace.config import EngineConfig
from toolace.errors import InputError
from toolace.runner import parse_shard, rejected_path, summary_table
from toolace.verify.config import RuleConfig
from toolace.verify.run import summary_rows, verify_dialogs


@app.command()
@engine_options()
def verify(
    inputs: Annotated[list[Path], typer.Argument(help="Dialog JSONL files (canonical form, any source).")],
    out: Annotated[Path, typer.Option("--out", help="Dialogs that passed, with their verdict.")] = Path("verified.jsonl"),
    rejected: Annotated[Optional[Path], typer.Option(
        "--rejected", help="Dialogs that failed, with every failure (default: OUT's name + .rejected.jsonl).")] = None,
    rules_only: Annotated[bool, typer.Option("--rules-only", help="Skip the LLM judge (no engine needed).")] = False,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Judge requests in flight.")] = 16,
    exec_tools: Annotated[Optional[Path], typer.Option(
        "--exec-tools", help="Python file whose functions the calls are executed against (in a separate process).")] = None,
    exec_timeout: Annotated[float, typer.Option("--exec-timeout", help="Seconds one executed call may take.")] = 5.0,
    rules: Annotated[Optional[Path], typer.Option(
        "--rules", help="JSON file overriding rule thresholds (max_reply_chars, name_pattern, ...).")] = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Reject on warnings too (flaws of tool declarations the dialog does not depend on).")] = False,
    shard: Annotated[Optional[str], typer.Option("--shard", help="Only shard I of N (I/N), by dialog id.")] = None,
    *, engine: EngineConfig,  # the engine options, from @engine_options
) -> None:
    """Check dialogs with every ToolACE rule, then an LLM judge; passed ones go to --out, the rest
    to --rejected with the failed check ids, messages and JSON paths. Resumable by dialog id."""
    config = RuleConfig.load(rules) if rules else RuleConfig()
    if strict:
        config = config.model_copy(update={"strict": True})
    for path in inputs:
        if not path.is_file():
            raise InputError(f"{path}: no such file")
    rejected = rejected or rejected_path(out)
    session = contextlib.nullcontext(None) if rules_only else llm_session(engine)
    with session as llm:
        stats = asyncio.run(verify_dialogs(inputs, out=out, rejected=rejected, llm=llm, workers=workers,
                                           exec_tools=exec_tools, exec_timeout=exec_timeout, config=config,
                                           shard=parse_shard(shard), console=console))
    console.print(summary_table(f"verify -> {out} (rejected: {rejected})", stats, summary_rows(stats)))
