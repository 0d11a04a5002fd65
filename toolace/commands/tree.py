"""Tree commands: ``show-tree`` summarises (and validates) a tree, ``grow-tree`` grows one with the LLM."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Optional

import typer

from toolace.cli_app import app, console, engine_options, llm_session, options
from toolace.config import EngineConfig, TreeConfig
from toolace.grow_tree import grow_tree, start_tree
from toolace.runner import rejected_path, stats_path
from toolace.tree_stats import grow_table
from toolace.tree import load_tree
from toolace.tree_stats import outline, tree_stats, tree_stats_table


@app.command("show-tree")
def show_tree(
    tree: Annotated[Path, typer.Argument(help="Tree file (toolace-tree v1 JSON).")],
    outline_depth: Annotated[int, typer.Option("--outline", help="Also print the first N levels.")] = 0,
) -> None:
    """Validate a domain tree and print its counts: nodes, domains, leaves, depths, leaves per domain."""
    G = load_tree(tree)
    if outline_depth > 0:
        console.print(outline(G, outline_depth))
    console.print(tree_stats_table(tree_stats(G), title=str(tree)))


@app.command("grow-tree")
@engine_options()
@options(TreeConfig, "settings")
def grow_tree_command(
    out: Annotated[Path, typer.Option("--out", help="Grown tree file; an existing one is continued.")],
    tree: Annotated[Optional[Path], typer.Option("--tree", help="Tree to grow (default with --docs: empty).")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Base sampling seed (per-node seeds derive from it).")] = None,
    *, settings: TreeConfig, engine: EngineConfig,  # from @options and @engine_options
) -> None:
    """Grow a domain tree with the LLM within depth and branching limits (resumable)."""
    grow = settings.grow_options()
    # Bad options or a bad tree file stop here, before an engine is started for nothing.
    start_tree(tree=tree, out=out, **grow)
    with llm_session(engine) as llm:
        stats = asyncio.run(grow_tree(llm, tree=tree, out=out, seed=seed, console=console, **grow))
    console.print(grow_table(stats, title=f"grow-tree -> {out}"))
    console.print(tree_stats_table(tree_stats(load_tree(out)), title=str(out)))
    console.print(f"[dim]stats: {stats_path(out)}, dropped proposals: {rejected_path(out)}[/dim]")
