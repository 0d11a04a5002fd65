"""``toolace import-apis`` and ``toolace import-dialogs``: outside data -> canonical records.

``import-apis`` reads tools from the tool source of its format (``toolace.formats.tool_sources``:
dataset files, an MCP ``tools/list`` result, an OpenAPI document); ``import-dialogs`` reads JSONL,
JSON-array or Parquet rows. Both convert one by one and never drop anything silently:
what cannot be converted goes to the rejected file with its place (``FILE:LINE`` or ``FILE#INDEX``)
and reason, and is counted. Identical API definitions (same canonical bytes) are written once.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from toolace.errors import InputError
from toolace.formats import IMPORTERS, TOOL_SOURCES
from toolace.formats.jsontext import read_records
from toolace.formats.outputs import AtomicOutput
from toolace.formats.tools import api_key
from toolace.formats.turns import RowProblem
from toolace.runner import RunStats, rejected_path, stats_path, write_json_atomic


def _check_format(fmt: str, choices: Iterable[str]) -> None:
    if fmt not in choices:
        raise InputError(f"--format must be one of {', '.join(choices)}, not {fmt!r}")


async def import_apis(paths: list[Path], fmt: str, out: Path) -> RunStats:
    """Convert every tool definition in ``paths`` into canonical APIs in ``out``; returns the counters."""
    _check_format(fmt, TOOL_SOURCES)
    source = TOOL_SOURCES[fmt]
    stats, seen = RunStats(), set()
    started = time.perf_counter()
    with AtomicOutput(out) as output, AtomicOutput(rejected_path(out)) as rejected:
        for path in paths:
            for found in source.tools(path):
                if found.raw is not None:
                    stats.counters["definitions read"] += 1
                if found.error is not None:
                    stats.rejected += 1
                    stats.reasons[found.error.reason] += 1
                    rejected.write({"where": found.where, "reason": found.error.reason, "detail": found.error.detail,
                                    **({"tool": found.raw} if found.raw is not None else {})})
                    continue
                api = found.api
                key = api_key(api)
                if key in seen:
                    stats.counters["merged (identical definition)"] += 1
                    continue
                seen.add(key)
                api.meta["source"] = {"format": fmt, "where": found.where}
                output.write(api)
                stats.kept += 1
    stats.elapsed = time.perf_counter() - started
    write_json_atomic(stats_path(out), {**stats.to_dict(), "format": fmt, "inputs": [str(p) for p in paths]})
    return stats


async def import_dialogs(path: Path, fmt: str, out: Path) -> RunStats:
    """Convert the rows of ``path`` in format ``fmt`` into canonical dialogs in ``out``."""
    _check_format(fmt, IMPORTERS)
    module = IMPORTERS[fmt]
    stats, ids = RunStats(), set()
    started = time.perf_counter()
    with AtomicOutput(out) as output, AtomicOutput(rejected_path(out)) as rejected:
        for where, row in read_records(path):
            try:
                dialog = module.import_row(row, where)
            except RowProblem as e:
                stats.rejected += 1
                stats.reasons[e.reason] += 1
                rejected.write({"where": where, "reason": e.reason, "detail": e.detail})
                continue
            if dialog.id in ids:
                stats.counters["merged (identical row)"] += 1
                continue
            ids.add(dialog.id)
            calls = dialog.calls()
            stats.counters["calls read"] += len(calls)
            stats.counters["tools read"] += len(dialog.tools)
            output.write(dialog)
            stats.kept += 1
    stats.elapsed = time.perf_counter() - started
    write_json_atomic(stats_path(out), {**stats.to_dict(), "format": fmt, "input": str(path)})
    return stats
