"""API library commands: ``synth-apis`` writes APIs from a domain tree, ``stats`` summarises a file."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from toolace.apis.stats import extra_rows, library_stats, stats_table
from toolace.apis.synth import synth_apis
from toolace.cli_app import app, console, engine_options, llm_session, options
from toolace.config import ApisConfig, EngineConfig
from toolace.errors import InputError
from toolace.runner import parse_shard, summary_table
from toolace.tree import load_tree


@app.command("synth-apis")
@engine_options()
@options(ApisConfig, "apis")
def synth_apis_command(
    tree: Annotated[Path, typer.Option("--tree", help="Domain tree file (toolace-tree JSON).")],
    out: Annotated[Path, typer.Option("--out", help="API library to write (JSONL, appended; resumable).")],
    rejected: Annotated[Optional[Path], typer.Option("--rejected", help="Rejected APIs with reasons "
                                                     "[default: OUT with .rejected.jsonl]")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the job stream (same seed = same jobs).")] = 0,
    shard: Annotated[Optional[str], typer.Option("--shard", help="I/N: this machine's share of the jobs.")] = None,
    *, apis: ApisConfig, engine: EngineConfig,  # from @options and @engine_options
) -> None:
    """Synthesise a valid, de-duplicated API library from a domain tree (adaptation + evolution)."""
    graph = load_tree(tree)  # bad input fails before an engine is started
    shard_spec = parse_shard(shard)
    with llm_session(engine) as llm:
        stats = asyncio.run(synth_apis(llm, graph, config=apis, out=out, seed=seed, rejected=rejected,
                                       console=console, shard=shard_spec))
    console.print(summary_table(f"synth-apis -> {out}", stats, extra_rows(library_stats(out), stats)))


@app.command("stats")
def stats_command(
    apis: Annotated[Path, typer.Argument(help="An API library (JSONL), synthesised or imported.")],
) -> None:
    """Print the summary table of an API library: domains, parameter types, nesting, provenance."""
    if not apis.exists():
        raise InputError(f"{apis}: no such file")
    Console().print(stats_table(apis))  # stdout: a summary people redirect or pipe
