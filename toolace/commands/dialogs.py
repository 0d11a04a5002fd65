"""``gen-dialogs``: simulated user/assistant/tool dialogs over an API library."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Optional

import typer

from toolace.cli_app import app, console, engine_options, llm_session, options
from toolace.config import DialogsConfig, EngineConfig
from toolace.dialogs import gen_dialogs
from toolace.dialogs.generate import summary_rows
from toolace.errors import InputError
from toolace.jsonl import read_jsonl
from toolace.records import Api
from toolace.runner import parse_shard, rejected_path, summary_table


@app.command("gen-dialogs")
@engine_options()
@options(DialogsConfig, "dialogs")
def gen_dialogs_command(
    apis: Annotated[Path, typer.Option("--apis", help="API library (canonical JSONL: synthesised or imported).")],
    out: Annotated[Path, typer.Option("--out", help="Dialogs to write (JSONL, appended; resumable).")]
    = Path("dialogs.jsonl"),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the job stream (same seed = same plans).")] = 0,
    rejected: Annotated[Optional[Path], typer.Option(
        "--rejected", help="Dropped dialogs with reasons (default: OUT with .rejected.jsonl).")] = None,
    shard: Annotated[Optional[str], typer.Option("--shard", help="I/N: this machine's share of the jobs.")] = None,
    *, dialogs: DialogsConfig, engine: EngineConfig,  # from @options and @engine_options
) -> None:
    """Simulate dialogs (single, parallel, dependent, non-tool, clarify, multi-turn) over an API library."""
    if not apis.exists():
        raise InputError(f"--apis {apis}: no such file")
    library = list(read_jsonl(apis, Api))  # bad input fails before an engine is started
    if not library:
        raise InputError(f"{apis}: no APIs in the file")
    shard_spec = parse_shard(shard)
    rejected = rejected or rejected_path(out)
    with llm_session(engine) as llm:
        stats = asyncio.run(gen_dialogs(
            llm, library, config=dialogs, consistency=dialogs.consistency_on(embedded=not engine.base_url),
            out=out, seed=seed, shard=shard_spec, rejected=rejected, console=console))
    console.print(summary_table(f"gen-dialogs -> {out}", stats, summary_rows(out)))
