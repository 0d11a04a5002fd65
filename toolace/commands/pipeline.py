"""Pipeline commands: ``run`` chains every stage into one run directory; ``merge`` joins shards."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Optional

import typer

from toolace.cli_app import app, console, engine_options, llm_session
from toolace.config import EngineConfig, load_config
from toolace.errors import InputError
from toolace.merge import merge_runs
from toolace.options import settle
from toolace.runner import parse_shard


@app.command()
@engine_options()
def run(
    config_file: Annotated[Optional[Path], typer.Argument(metavar="CONFIG", help="Run config (TOML).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Run directory (default outputs/NAME).")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Override the config's seed.")] = None,
    set_: Annotated[list[str], typer.Option("--set", help="Override a config value: KEY=VALUE (repeatable).")] = [],
    shard: Annotated[Optional[str], typer.Option(help="Run only shard I of N (I/N), split by dialog id.")] = None,
    *, engine: EngineConfig,  # the engine options given, laid over the config file's [engine]
) -> None:
    """Run the whole pipeline (tree, APIs, dialogs, verify, export, report) into one directory."""
    from toolace.pipeline import lazy_llm, run_pipeline

    overrides = list(set_)
    if seed is not None:
        overrides.append(f"seed={seed}")
    config = load_config(config_file, overrides)
    given = {name: getattr(engine, name) for name in engine.model_fields_set}
    config.engine = settle(EngineConfig, given, base=config.engine)
    shard_spec = parse_shard(shard)
    run_dir = out or Path("outputs") / config.name
    if shard_spec and out is None:
        run_dir = Path("outputs") / f"{config.name}-shard{shard_spec[0]}of{shard_spec[1]}"

    def open_session():
        return llm_session(config.engine)

    async def go():
        with lazy_llm(open_session) as factory:
            return await run_pipeline(config, run_dir, llm_factory=factory, embedded=not config.engine.base_url,
                                      shard=shard_spec, console=console)

    summary = asyncio.run(go())
    console.print(summary)
    console.print(f"report: [bold]{run_dir / 'report.html'}[/bold]  data card: [bold]{run_dir / 'README.md'}[/bold]")


@app.command()
def merge(
    run_dirs: Annotated[list[Path], typer.Argument(metavar="SHARD_DIR...", help="Shard run directories.")],
    out: Annotated[Path, typer.Option("--out", help="Merged run directory.")],
) -> None:
    """Merge the run directories of shards (``--shard I/N``) into one, de-duplicated by id."""
    if out.resolve() in [d.resolve() for d in run_dirs]:
        raise InputError("--out must differ from every shard directory")
    written = merge_runs(run_dirs, out)
    for name, count in written.items():
        console.print(f"{name}: {count} records")
    console.print(f"merged {len(run_dirs)} shards into {out}; run `toolace export`/`toolace report` on it as needed")
