"""Whole-file outputs of the format commands: written beside the target, renamed into place at the end.

Export and import are single passes over a file, so instead of resuming they are simply run again:
a killed run leaves only a ``.partial`` file behind and never a half-written output.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from toolace.jsonl import JsonlWriter

PARQUET_BATCH = 1000


class AtomicOutput:
    """Rows to a JSONL file, or to Parquet with an explicit schema; complete or absent, never torn."""

    def __init__(self, path: Path, *, parquet_schema: Any = None, json_columns: frozenset[str] = frozenset()):
        self.path = Path(path)
        self.partial = self.path.with_name(self.path.name + ".partial")
        self.schema = parquet_schema
        self.json_columns = json_columns
        self.count = 0
        self._rows: list[dict] = []
        self._jsonl: JsonlWriter | None = None
        self._parquet = None

    def __enter__(self) -> "AtomicOutput":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.partial.unlink(missing_ok=True)
        if self.schema is None:
            self._jsonl = JsonlWriter(self.partial)
        return self

    def write(self, row: dict[str, Any]) -> None:
        self.count += 1
        if self._jsonl is not None:
            self._jsonl.write(row)
            return
        self._rows.append({k: (_json_text(v, self.schema.field(k).type) if k in self.json_columns and v is not None
                               else v) for k, v in row.items()})
        if len(self._rows) >= PARQUET_BATCH:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.partial, self.schema)
        if self._rows:
            # Arrow builds extension columns (JSON values) only by casting from their storage type.
            table = pa.Table.from_pylist(self._rows, schema=_storage(self.schema))
            self._parquet.write_table(table.cast(self.schema))
            self._rows = []

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._jsonl is not None:
            self._jsonl.close()
        if self.schema is not None and exc_type is None:
            self._flush()
        if self._parquet is not None:
            self._parquet.close()
        if exc_type is None:
            os.replace(self.partial, self.path)
        else:
            self.partial.unlink(missing_ok=True)


def _json_text(value: Any, column_type: Any) -> Any:
    """A JSON column's value as text: the whole value, or each item for a list of JSON values."""
    import pyarrow as pa
    if pa.types.is_list(column_type) and isinstance(value, list):
        return [orjson.dumps(item).decode() for item in value]
    return orjson.dumps(value).decode()


def _storage(schema):
    """``schema`` with every extension type (e.g. Arrow's ``json``) replaced by its storage type."""
    import pyarrow as pa

    def plain(t):
        if isinstance(t, pa.BaseExtensionType):
            return t.storage_type
        if pa.types.is_list(t):
            return pa.list_(plain(t.value_type))
        if pa.types.is_struct(t):
            return pa.struct([pa.field(f.name, plain(f.type)) for f in t])
        return t
    return pa.schema([pa.field(f.name, plain(f.type)) for f in schema], metadata=schema.metadata)


def text_turns(role: str, content: str):
    """Parquet type of a list of ``{role: str, content: str}`` turns, under the given key names."""
    import pyarrow as pa
    return pa.list_(pa.struct([(role, pa.string()), (content, pa.string())]))


def parquet_columns(*columns: tuple[str, Any]):
    """A Parquet schema of the given columns, plus the ``meta`` provenance column (JSON text)."""
    import pyarrow as pa
    return pa.schema([*columns, ("meta", pa.string())])
