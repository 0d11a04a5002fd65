"""``toolace import-apis`` and ``toolace import-dialogs``: outside data -> canonical records.

``import-apis`` reads tools from the tool source of its format (``toolace.formats.tool_sources``:
dataset files, an MCP ``tools/list`` result, an OpenAPI document); ``import-dialogs`` reads JSONL,
JSON-array or Parquet rows. Both convert one by one and never drop anything silently:
what cannot be converted goes to the rejected file (in the runner's one shape, its id the place:
``FILE:LINE`` or ``FILE#INDEX``) with its reason, and is counted. Identical API definitions (same
canonical bytes) are written once.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from toolace.errors import InputError
from toolace.formats import IMPORTERS, TOOL_SOURCES
from toolace.formats.jsontext import read_records
from toolace.formats.outputs import AtomicOutput
from toolace.formats.tools import api_key
from toolace.formats.turns import RowProblem
from toolace.jobs import Outcome, Rejection
from toolace.run_stats import RunStats, save_stats
from toolace.runner import Recorder, rejected_path, stats_path


def _check_format(fmt: str, choices: Iterable[str]) -> None:
    if fmt not in choices:
        raise InputError(f"--format must be one of {', '.join(choices)}, not {fmt!r}")


async def import_apis(paths: list[Path], fmt: str, out: Path) -> RunStats:
    """Convert every tool definition in ``paths`` into canonical APIs in ``out``; returns the counters."""
    _check_format(fmt, TOOL_SOURCES)
    source = TOOL_SOURCES[fmt]
    stats, seen = RunStats(runs=1), set()
    started = time.perf_counter()
    with AtomicOutput(out) as output, AtomicOutput(rejected_path(out)) as rejected:
        recorder = Recorder("import-apis", stats, output, rejected)
        for path in paths:
            for found in source.tools(path):
                read = Counter({"definitions read": int(found.raw is not None)})
                if found.error is not None:
                    recorder.record(found.where, Outcome(rejected=Rejection.of(
                        found.error.reason, found.error.detail, record=found.raw), counters=+read))
                    continue
                api = found.api
                key = api_key(api)
                if key in seen:
                    recorder.record(found.where, Outcome(counters=read + Counter({"merged (identical definition)": 1})))
                    continue
                seen.add(key)
                api.meta["source"] = {"format": fmt, "where": found.where}
                recorder.record(found.where, Outcome(kept=api, counters=+read))
    stats.elapsed = time.perf_counter() - started
    stats.facts = {"format": fmt, "inputs": [str(p) for p in paths]}
    save_stats(stats_path(out), stats, "import-apis")
    return stats


async def import_dialogs(path: Path, fmt: str, out: Path) -> RunStats:
    """Convert the rows of ``path`` in format ``fmt`` into canonical dialogs in ``out``."""
    _check_format(fmt, IMPORTERS)
    module = IMPORTERS[fmt]
    stats, ids = RunStats(runs=1), set()
    started = time.perf_counter()
    with AtomicOutput(out) as output, AtomicOutput(rejected_path(out)) as rejected:
        recorder = Recorder("import-dialogs", stats, output, rejected)
        for where, row in read_records(path):
            try:
                dialog = module.import_row(row, where)
            except RowProblem as e:
                recorder.record(where, Outcome(rejected=Rejection.of(e.reason, e.detail)))
                continue
            if dialog.id in ids:
                recorder.record(where, Outcome(counters=Counter({"merged (identical row)": 1})))
                continue
            ids.add(dialog.id)
            recorder.record(where, Outcome(kept=dialog, counters=Counter({"calls read": len(dialog.calls()),
                                                                         "tools read": len(dialog.tools)})))
    stats.elapsed = time.perf_counter() - started
    stats.facts = {"format": fmt, "input": str(path)}
    save_stats(stats_path(out), stats, "import-dialogs")
    return stats
