"""``gen-dialogs``: simulated user/assistant/tool dialogs over an API library."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Optional

import typer

from toolace.cli_app import app, console, engine_options, llm_session
from toolace.config import EngineConfig
from toolace.dialogs import gen_dialogs
from toolace.dialogs.complexity import parse_band
from toolace.dialogs.generate import summary_rows
from toolace.dialogs.plan import DEFAULT_MIX, DEFAULT_TURNS, parse_mix, parse_turns
from toolace.errors import InputError
from toolace.jsonl import read_jsonl
from toolace.records import Api
from toolace.runner import parse_shard, rejected_path, summary_table

_MIX_HELP = ",".join(f"{k}={v:g}" for k, v in DEFAULT_MIX.items())


@app.command("gen-dialogs")
@engine_options()
def gen_dialogs_command(
    apis: Annotated[Path, typer.Option("--apis", help="API library (canonical JSONL: synthesised or imported).")],
    out: Annotated[Path, typer.Option("--out", help="Dialogs to write (JSONL, appended; resumable).")]
    = Path("dialogs.jsonl"),
    count: Annotated[int, typer.Option("--count", min=1, help="Dialogs to keep (per shard).")] = 100,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Dialogs in flight.")] = 32,
    mix: Annotated[Optional[str], typer.Option(
        "--mix", help=f"Kinds and their shares (default: {_MIX_HELP}; 10% of non_tool is irrelevance); "
        "kinds: single, parallel, dependent, non_tool, irrelevance, clarify, multi_turn")] = None,
    turns: Annotated[str, typer.Option("--turns", help="MIN-MAX user turns of a multi_turn dialog (MIN >= 2).")] = DEFAULT_TURNS,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the job stream (same seed = same plans).")] = 0,
    consistency: Annotated[Optional[int], typer.Option(
        "--consistency", min=1, help="Samples per assistant call step that must agree "
        "(default: 3; 1 on the embedded CPU engine).")] = None,
    tool_error_rate: Annotated[float, typer.Option(
        "--tool-error-rate", min=0.0, max=1.0, help="Share of tool calls that return an error.")] = 0.1,
    complexity_model: Annotated[Optional[str], typer.Option(
        "--complexity-model", help="Model on the endpoint whose loss on the assistant turns is recorded "
        "(vLLM prompt_logprobs).")] = None,
    complexity_band: Annotated[Optional[str], typer.Option(
        "--complexity-band", help="LO-HI: keep only dialogs whose learner loss is inside.")] = None,
    rejected: Annotated[Optional[Path], typer.Option(
        "--rejected", help="Dropped dialogs with reasons (default: OUT with .rejected.jsonl).")] = None,
    shard: Annotated[Optional[str], typer.Option("--shard", help="I/N: this machine's share of the jobs.")] = None,
    *, engine: EngineConfig,  # the engine options, from @engine_options
) -> None:
    """Simulate dialogs (single, parallel, dependent, non-tool, clarify, multi-turn) over an API library."""
    if not apis.exists():
        raise InputError(f"--apis {apis}: no such file")
    library = list(read_jsonl(apis, Api))  # bad input fails before an engine is started
    if not library:
        raise InputError(f"{apis}: no APIs in the file")
    weights, turn_range, band = parse_mix(mix), parse_turns(turns), parse_band(complexity_band)
    if band and not complexity_model:  # checked before an engine is started
        raise InputError("--complexity-band needs --complexity-model (the model whose loss is the measure)")
    shard_spec = parse_shard(shard)
    rejected = rejected or rejected_path(out)
    with llm_session(engine) as llm:
        stats = asyncio.run(gen_dialogs(
            llm, library, count=count, out=out, workers=workers, mix=weights, turns=turn_range, seed=seed,
            consistency=consistency or (3 if engine.base_url else 1), tool_error_rate=tool_error_rate,
            complexity_model=complexity_model, complexity_band=band, shard=shard_spec, rejected=rejected,
            console=console))
    console.print(summary_table(f"gen-dialogs -> {out}", stats, summary_rows(out)))
