"""``toolace import-apis`` and ``toolace import-dialogs``: outside data -> canonical records.

Both read JSONL or JSON-array files, convert record by record, and never drop anything silently:
what cannot be converted goes to the rejected file with its place (``FILE:LINE`` or ``FILE#INDEX``)
and reason, and is counted. Identical API definitions (same canonical bytes) are written once.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from toolace.errors import InputError
from toolace.formats import IMPORTERS
from toolace.formats.jsontext import loads_field, read_records
from toolace.formats.outputs import AtomicOutput
from toolace.formats.toolace_rows import tools_in_system
from toolace.formats.tools import API_FORMATS, API_READERS, ToolConversionError, api_key, marks_required
from toolace.formats.turns import RowProblem
from toolace.formats.xlam import hammer_row
from toolace.runner import RunStats, rejected_path, stats_path, write_json_atomic


def tools_in_record(record: Any, fmt: str) -> list[Any]:
    """The raw tool definitions one input record holds, for each format's usual containers."""
    if isinstance(record, list):
        return record
    if not isinstance(record, dict):
        raise ToolConversionError("unrecognised_record", f"a {type(record).__name__} holds no tool definitions")
    try:
        if fmt == "bfcl" and "function" in record:
            functions = record["function"]
            return functions if isinstance(functions, list) else [functions]
        if fmt == "toolace" and isinstance(record.get("system"), str):
            return tools_in_system(record["system"])
        if fmt == "xlam" and "instruction" in record and "tools" not in record:
            record = hammer_row(record)
        if "tools" in record:
            tools = loads_field(record["tools"], "tools")
            return tools if isinstance(tools, list) else [tools]
    except (RowProblem, ValueError) as e:
        raise ToolConversionError(getattr(e, "reason", "bad_json"), getattr(e, "detail", str(e))) from None
    if "name" in record or record.get("type") == "function":
        return [record]
    raise ToolConversionError("unrecognised_record", f"no tool definition found (keys: {', '.join(list(record)[:6])})")


def _check_format(fmt: str, choices: Iterable[str]) -> None:
    if fmt not in choices:
        raise InputError(f"--format must be one of {', '.join(choices)}, not {fmt!r}")


async def import_apis(paths: list[Path], fmt: str, out: Path) -> RunStats:
    """Convert every tool definition in ``paths`` into canonical APIs in ``out``; returns the counters."""
    _check_format(fmt, API_FORMATS)
    read = API_READERS[fmt]
    stats, seen = RunStats(), set()
    started = time.perf_counter()
    with AtomicOutput(out) as output, AtomicOutput(rejected_path(out)) as rejected:
        def reject(where: str, error: ToolConversionError, raw: Any = None) -> None:
            stats.rejected += 1
            stats.reasons[error.reason] += 1
            rejected.write({"where": where, "reason": error.reason, "detail": error.detail,
                            **({"tool": raw} if raw is not None else {})})

        for path in paths:
            for where, record in read_records(path):
                try:
                    raws = tools_in_record(record, fmt)
                except ToolConversionError as e:
                    reject(where, e)
                    continue
                marked = fmt == "xlam" and marks_required(raws)
                for index, raw in enumerate(raws):
                    stats.counters["definitions read"] += 1
                    place = f"{where} tool {index}" if len(raws) > 1 else where
                    try:
                        api = read(raw, marked) if marked else read(raw)
                    except ToolConversionError as e:
                        reject(place, e, raw)
                        continue
                    key = api_key(api)
                    if key in seen:
                        stats.counters["merged (identical definition)"] += 1
                        continue
                    seen.add(key)
                    api.meta["source"] = {"format": fmt, "where": place}
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
