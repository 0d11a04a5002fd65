"""``toolace run``: grow-tree (optional) -> synth-apis -> gen-dialogs -> verify -> export -> report.

Every stage writes into one run directory. A finished stage leaves a marker in ``.done/`` holding
the settings it ran with: a re-run skips it while those settings are unchanged, and calls it again
otherwise — the stages themselves resume from what their output files already hold, so a killed run
continues where it stopped. The engine is only started when a model stage still has work to do.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from toolace import __version__
from toolace.config import RunConfig
from toolace.jsonl import read_jsonl, write_json_atomic
from toolace.records import Api
from toolace.runner import summary_table

STAGES = ["tree", "apis", "dialogs", "verify", "export", "report"]


class RunDir:
    """Paths of a run directory and its completion markers."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def __truediv__(self, name: str) -> Path:
        return self.root / name

    def _marker(self, stage: str) -> Path:
        return self.root / ".done" / f"{stage}.json"

    def is_done(self, stage: str, settings: dict[str, Any]) -> bool:
        marker = self._marker(stage)
        return marker.exists() and orjson.loads(marker.read_bytes()).get("settings") == _plain(settings)

    def mark_done(self, stage: str, settings: dict[str, Any], figures: dict[str, Any]) -> None:
        write_json_atomic(self._marker(stage), {"settings": _plain(settings), "figures": figures,
                                                "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})


def _plain(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value, default=str))


def stage_settings(config: RunConfig, tree_path: str) -> dict[str, dict[str, Any]]:
    """What each stage's output depends on; a change re-opens that stage (it then resumes)."""
    c = config
    return {
        "tree": {"seed": c.seed, **c.tree.model_dump()},
        "apis": {"seed": c.seed, "tree": tree_path, **c.apis.model_dump(exclude={"workers"})},
        "dialogs": {"seed": c.seed, **c.dialogs.model_dump(exclude={"workers"})},
        "verify": c.verify.model_dump(exclude={"workers"}),
        "export": {"seed": c.seed, **c.export.model_dump()},
        "report": c.report.model_dump(),
    }


async def run_pipeline(config: RunConfig, run_dir: Path, *, llm_factory: Callable[[], Any],
                       embedded: bool, shard: tuple[int, int] | None = None,
                       console: Console | None = None) -> Table:
    """Run every stage into ``run_dir``; ``llm_factory()`` gives the client (called only if needed)."""
    from toolace.apis.stats import extra_rows, library_stats
    from toolace.apis.synth import synth_apis
    from toolace.dialogs.generate import gen_dialogs
    from toolace.dialogs.generate import summary_rows as dialog_rows
    from toolace.formats.export import export_dialogs
    from toolace.formats.imports import import_apis
    from toolace.grow_tree import grow_tree
    from toolace.tree_stats import EXPANDED
    from toolace.report import write_report
    from toolace.verify.run import summary_rows as verify_rows
    from toolace.verify.run import verify_dialogs

    console = console or Console(stderr=True)
    run = RunDir(run_dir)
    write_json_atomic(run / "config.json", {**config.model_dump(), "toolace_version": __version__,
                                            "shard": list(shard) if shard else None})
    tree_path = str(run / "tree.json") if config.tree.grow else config.tree.path
    settings = stage_settings(config, tree_path)
    summary = Table(title=f"toolace run: {run.root}", title_justify="left")
    for column in ("stage", "status", "figures", "seconds"):
        summary.add_column(column)

    async def stage(name: str, body) -> None:
        if run.is_done(name, settings[name]):
            summary.add_row(name, "[dim]done before[/dim]", "", "")
            return
        console.rule(f"[bold]{name}")
        started = time.perf_counter()
        figures = await body()
        run.mark_done(name, settings[name], figures)
        summary.add_row(name, "[green]ran[/green]", _figures_text(figures), f"{time.perf_counter() - started:.1f}")

    def kept(stats, name: str, rows=()) -> dict[str, Any]:
        console.print(summary_table(name, stats, rows))
        figures = {"kept": stats.kept, "rejected": stats.rejected, "tokens": stats.usage.total_tokens}
        if stats.usage.failures:
            figures["engine/format failures"] = dict(sorted(stats.usage.failures.items()))
        return figures

    if config.tree.grow:
        async def tree_stage():
            grown = await grow_tree(llm_factory(), tree=Path(config.tree.path), out=Path(tree_path),
                                    seed=config.seed, console=console, **config.tree.grow_options())
            return {"added": grown.kept, "expanded": grown.counters[EXPANDED], "tokens": grown.usage.total_tokens}
        await stage("tree", tree_stage)

    async def apis_stage():
        if config.apis.import_files:
            stats = await import_apis([Path(p) for p in config.apis.import_files], config.apis.import_format,
                                      run / "apis.jsonl")
        else:
            stats = await synth_apis(llm_factory(), tree_path, config=config.apis, out=run / "apis.jsonl",
                                     seed=config.seed, console=console)
        return kept(stats, "apis", extra_rows(library_stats(run / "apis.jsonl"), stats))
    await stage("apis", apis_stage)

    async def dialogs_stage():
        apis = list(read_jsonl(run / "apis.jsonl", Api))
        stats = await gen_dialogs(llm_factory(), apis, config=config.dialogs, out=run / "dialogs.jsonl",
                                  consistency=config.dialogs.consistency_on(embedded), seed=config.seed,
                                  shard=shard, console=console)
        return kept(stats, "dialogs", dialog_rows(run / "dialogs.jsonl"))
    await stage("dialogs", dialogs_stage)

    async def verify_stage():
        stats = await verify_dialogs([run / "dialogs.jsonl"], out=run / "verified.jsonl",
                                     rejected=run / "rejected.jsonl",
                                     llm=None if config.verify.rules_only else llm_factory(),
                                     config=config.verify, console=console)
        return kept(stats, "verify", verify_rows(stats))
    await stage("verify", verify_stage)

    async def export_stage():
        rows = {}
        for fmt in config.export.formats:
            out = run / "export" / f"{fmt}.{'parquet' if config.export.parquet else 'jsonl'}"
            out.parent.mkdir(parents=True, exist_ok=True)
            stats = await export_dialogs(run / "verified.jsonl", fmt, out, config=config.export, seed=config.seed)
            rows[fmt] = stats.kept
        return rows
    await stage("export", export_stage)

    async def report_stage():
        report = write_report(run.root, license=config.report.license)
        return {"card": str(report.card), "page": str(report.page)}
    await stage("report", report_stage)
    return summary


def _figures_text(figures: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in figures.items() if v is not None)


@contextlib.contextmanager
def lazy_llm(open_session: Callable[[], contextlib.AbstractContextManager]):
    """A factory that opens the LLM session on first use (so finished runs never start an engine)."""
    stack = contextlib.ExitStack()
    client: list[Any] = []

    def factory():
        if not client:
            client.append(stack.enter_context(open_session()))
        return client[0]

    with stack:
        yield factory
