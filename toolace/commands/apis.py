"""API library commands: ``synth-apis`` writes APIs from a domain tree, ``stats`` summarises a file."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from toolace.apis.adapt import LEVELS
from toolace.apis.checks import DEFAULT_NAME_PATTERN
from toolace.apis.evolve import MUTATIONS
from toolace.apis.stats import extra_rows, library_stats, stats_table
from toolace.apis.synth import (DEFAULT_CHAIN_SHARE, DEFAULT_LEVELS, DEFAULT_MUTATIONS, SynthConfig, parse_proportions,
                                synth_apis)
from toolace.cli_app import app, console, engine_options, llm_session
from toolace.config import EngineConfig
from toolace.errors import InputError
from toolace.runner import parse_shard, summary_table
from toolace.tree import load_tree

_LEVELS_HELP = ",".join(f"{k}={v:g}" for k, v in DEFAULT_LEVELS.items())
_MUTATIONS_HELP = ",".join(f"{k}={v:.2f}" for k, v in DEFAULT_MUTATIONS.items())


@app.command("synth-apis")
@engine_options()
def synth_apis_command(
    tree: Annotated[Path, typer.Option("--tree", help="Domain tree file (toolace-tree JSON).")],
    out: Annotated[Path, typer.Option("--out", help="API library to write (JSONL, appended; resumable).")],
    count: Annotated[int, typer.Option("--count", min=1, help="Number of APIs the library must hold.")] = 100,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Requests in flight.")] = 16,
    rejected: Annotated[Optional[Path], typer.Option("--rejected", help="Rejected APIs with reasons "
                                                     "[default: OUT with .rejected.jsonl]")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the job stream (same seed = same jobs).")] = 0,
    levels: Annotated[Optional[str], typer.Option("--levels", help=f"Diversity levels [default: {_LEVELS_HELP}]")] = None,
    mutations: Annotated[Optional[str], typer.Option(
        "--mutations", help=f"Mutation operations [default: {_MUTATIONS_HELP}]")] = None,
    dedup_threshold: Annotated[float, typer.Option("--dedup-threshold", min=0.01, max=1.0,
                                                   help="Jaccard similarity at which two APIs are duplicates.")] = 0.85,
    chain: Annotated[float, typer.Option("--chain", min=0.0, max=1.0, help="Share of jobs that write the next API "
                                         "of a family (takes an earlier API's id field: search -> details/book).")]
    = DEFAULT_CHAIN_SHARE,
    name_pattern: Annotated[str, typer.Option("--name-pattern", help="Regular expression names must match.")]
    = DEFAULT_NAME_PATTERN,
    temperature: Annotated[float, typer.Option("--temperature", min=0.0, max=2.0)] = 0.8,
    shard: Annotated[Optional[str], typer.Option("--shard", help="I/N: this machine's share of the jobs.")] = None,
    *, engine: EngineConfig,  # the engine options, from @engine_options
) -> None:
    """Synthesise a valid, de-duplicated API library from a domain tree (adaptation + evolution)."""
    import re

    try:
        re.compile(name_pattern)
    except re.error as e:
        raise InputError(f"--name-pattern: not a regular expression: {e}") from None
    config = SynthConfig(levels=parse_proportions(levels, LEVELS, "--levels") or dict(DEFAULT_LEVELS),
                         mutations=parse_proportions(mutations, MUTATIONS, "--mutations") or dict(DEFAULT_MUTATIONS),
                         dedup_threshold=dedup_threshold, name_pattern=name_pattern, rejected=rejected,
                         temperature=temperature, chain=chain)
    graph = load_tree(tree)  # bad input fails before an engine is started
    shard_spec = parse_shard(shard)
    with llm_session(engine) as llm:
        stats = asyncio.run(synth_apis(llm, graph, count=count, workers=workers, out=out, seed=seed,
                                       config=config, console=console, shard=shard_spec))
    console.print(summary_table(f"synth-apis -> {out}", stats, extra_rows(library_stats(out), stats)))


@app.command("stats")
def stats_command(
    apis: Annotated[Path, typer.Argument(help="An API library (JSONL), synthesised or imported.")],
) -> None:
    """Print the summary table of an API library: domains, parameter types, nesting, provenance."""
    if not apis.exists():
        raise InputError(f"{apis}: no such file")
    Console().print(stats_table(apis))  # stdout: a summary people redirect or pipe
