"""Pipeline commands: ``run`` chains every stage into one run directory; ``merge`` joins shards."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Optional

import typer

from toolace.cli_app import BaseUrl, Model, app, console, llm_session
from toolace.config import load_config
from toolace.errors import InputError
from toolace.merge import merge_runs
from toolace.runner import parse_shard


@app.command()
def run(
    config_file: Annotated[Optional[Path], typer.Argument(metavar="CONFIG", help="Run config (TOML).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Run directory (default outputs/NAME).")] = None,
    base_url: BaseUrl = None,
    model: Model = None,
    seed: Annotated[Optional[int], typer.Option(help="Override the config's seed.")] = None,
    set_: Annotated[list[str], typer.Option("--set", help="Override a config value: KEY=VALUE (repeatable).")] = [],
    shard: Annotated[Optional[str], typer.Option(help="Run only shard I of N (I/N), split by dialog id.")] = None,
) -> None:
    """Run the whole pipeline (tree, APIs, dialogs, verify, export, report) into one directory."""
    from toolace.pipeline import lazy_llm, run_pipeline

    overrides = list(set_)
    if base_url is not None:
        overrides.append(f'engine.base_url="{base_url}"')
    if model is not None:
        overrides.append(f'engine.model="{model}"')
    if seed is not None:
        overrides.append(f"seed={seed}")
    config = load_config(config_file, overrides)
    shard_spec = parse_shard(shard)
    run_dir = out or Path("outputs") / config.name
    if shard_spec and out is None:
        run_dir = Path("outputs") / f"{config.name}-shard{shard_spec[0]}of{shard_spec[1]}"
    engine = config.engine

    def open_session():
        return llm_session(engine.base_url or None, engine.model or None, engine.timeout)

    async def go():
        with lazy_llm(open_session) as factory:
            return await run_pipeline(config, run_dir, llm_factory=factory, embedded=not engine.base_url,
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
