"""Tool sources: where ``import-apis`` finds tool definitions. One source yields many tools.

A source turns one input file into ``Found`` items: a converted ``Api``, or the reason a definition
(or the whole file) could not become one. ``import-apis`` knows nothing of formats: it asks the
source registered under ``--format`` (``toolace.formats.TOOL_SOURCES``) and writes, merges, counts
and rejects what comes back. Dataset formats are files of records, each holding a few tools
(``RecordSource``); an MCP ``tools/list`` result and an OpenAPI document are sources of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from toolace.formats.jsontext import loads_field, read_records
from toolace.formats.tools import ToolConversionError, api_from_bfcl, api_from_openai, api_from_toolace, api_from_xlam, marks_required
from toolace.formats.turns import RowProblem
from toolace.records import Api


@dataclass
class Found:
    """One tool definition read from a source: its place, the raw definition, the API or the error."""

    where: str
    raw: Any = None  # None when the failure concerns a whole record or file
    api: Api | None = None
    error: ToolConversionError | None = None


class ToolSource(Protocol):
    """Reads tool definitions out of one input file."""

    def tools(self, path: Path) -> Iterator[Found]: ...


def convert(where: str, raw: Any, read: Callable[[Any], Api]) -> Found:
    """``read(raw)`` as a ``Found``: the API, or the conversion error with the raw definition."""
    try:
        return Found(where, raw, api=read(raw))
    except ToolConversionError as e:
        return Found(where, raw, error=e)


@dataclass(frozen=True)
class RecordSource:
    """A file of records (JSONL, a JSON array, Parquet), each holding one or more tool definitions.

    ``unpack(record)`` gives the raw tools of one record; ``read(raw, siblings)`` converts one of them
    (``siblings``: all the tools of its record, for conventions decided per record).
    """

    unpack: Callable[[Any], list[Any]]
    read: Callable[[Any, list[Any]], Api]

    def tools(self, path: Path) -> Iterator[Found]:
        for where, record in read_records(path):
            try:
                raws = self.unpack(record)
            except ToolConversionError as e:
                yield Found(where, error=e)
                continue
            except (RowProblem, ValueError) as e:
                yield Found(where, error=ToolConversionError(getattr(e, "reason", "bad_json"),
                                                             getattr(e, "detail", str(e))))
                continue
            for index, raw in enumerate(raws):
                place = f"{where} tool {index}" if len(raws) > 1 else where
                yield convert(place, raw, lambda tool: self.read(tool, raws))


def tools_field(record: Any) -> list[Any] | None:
    """The usual containers: a list of tools, ``{"tools": [...]}`` (maybe JSON text), one tool."""
    if isinstance(record, list):
        return record
    if not isinstance(record, dict):
        raise ToolConversionError("unrecognised_record", f"a {type(record).__name__} holds no tool definitions")
    if "tools" in record:
        tools = loads_field(record["tools"], "tools")
        return tools if isinstance(tools, list) else [tools]
    if "name" in record or record.get("type") == "function":
        return [record]
    return None


def unpack_with(*specific: Callable[[dict], list[Any] | None]) -> Callable[[Any], list[Any]]:
    """An ``unpack`` trying the format's own containers first, then the usual ones."""
    def unpack(record: Any) -> list[Any]:
        for find in specific:
            found = find(record) if isinstance(record, dict) else None
            if found is not None:
                return found
        found = tools_field(record)
        if found is None:
            raise ToolConversionError("unrecognised_record",
                                      f"no tool definition found (keys: {', '.join(list(record)[:6])})")
        return found
    return unpack


def _bfcl_functions(record: dict) -> list[Any] | None:
    if "function" not in record:
        return None
    functions = record["function"]
    return functions if isinstance(functions, list) else [functions]


def _toolace_system(record: dict) -> list[Any] | None:
    from toolace.formats.toolace_rows import tools_in_system

    return tools_in_system(record["system"]) if isinstance(record.get("system"), str) else None


def _hammer_prompt(record: dict) -> list[Any] | None:
    if "instruction" not in record or "tools" in record:
        return None
    from toolace.formats.xlam import hammer_row

    return tools_field(hammer_row(record))


BFCL = RecordSource(unpack_with(_bfcl_functions), lambda raw, _: api_from_bfcl(raw))
TOOLACE = RecordSource(unpack_with(_toolace_system), lambda raw, _: api_from_toolace(raw))
OPENAI = RecordSource(unpack_with(), lambda raw, _: api_from_openai(raw))
XLAM = RecordSource(unpack_with(_hammer_prompt), lambda raw, siblings: api_from_xlam(raw, marks_required(siblings)))
