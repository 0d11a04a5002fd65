"""JSON held as text inside records, and reading input files that are JSONL or one JSON array."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from toolace.errors import InputError
from toolace.jsonl import iter_jsonl


def dumps(value: Any) -> str:
    """JSON text as chat templates and the released datasets write it: ``", "`` and ``": "``, UTF-8 kept."""
    return json.dumps(value, ensure_ascii=False)


def encode_content(content: Any) -> str:
    """A tool result as the text a trainer sees; ``decode_content`` gives the same value back.

    Plain text stays plain text; anything else (and text that would read as JSON, like ``"42"``)
    is written as JSON, so the round trip never turns the string "42" into the number 42.
    """
    if isinstance(content, str):
        try:
            json.loads(content)
        except ValueError:
            return content
    return dumps(content)


def decode_content(text: Any) -> Any:
    """Inverse of ``encode_content``: JSON text becomes its value, anything else stays text."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def loads_field(value: Any, what: str) -> Any:
    """A field that datasets store either as JSON text (xLAM, ShareGPT ``tools``) or as JSON itself."""
    return loads_text(value, what) if isinstance(value, str) else value


def loads_text(text: str, what: str) -> Any:
    """JSON text, or a Python literal (single quotes, ``True``, ``None``) as several models and
    datasets write it instead. Never evaluated; ValueError names ``what`` when it is neither."""
    try:
        return json.loads(text)
    except ValueError as e:
        from toolace.formats.callsyntax import CallSyntaxError, parse_literal

        try:
            return parse_literal(text.strip())
        except CallSyntaxError:
            raise ValueError(f"{what} is neither JSON nor a Python literal: {e}") from None


def content_id(prefix: str, value: Any) -> str:
    """A stable id from a record's content: the same row always gets the same id."""
    digest = hashlib.blake2b(orjson.dumps(value, option=orjson.OPT_SORT_KEYS), digest_size=8).hexdigest()
    return f"{prefix}-{digest}"


def read_records(path: Path) -> Iterator[tuple[str, Any]]:
    """Yield ``(where, record)`` from a JSONL file, a file holding one JSON array (or object), or Parquet.

    ``where`` is ``FILE:LINE`` for JSONL and ``FILE#INDEX`` for array items, for error messages.
    """
    path = Path(path)
    if path.suffix == ".parquet":
        yield from _parquet_records(path)
        return
    try:
        with open(path, "rb") as f:
            head = f.read(4096).lstrip()
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from None
    if head.startswith(b"["):
        try:
            data = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as e:
            raise InputError(f"{path}: not valid JSON: {e}") from None
        for index, item in enumerate(data):
            yield f"{path}#{index}", item
        return
    if head.startswith(b"{") and not _first_line_is_json(path):
        try:  # one object spread over several lines (an indented file), not JSONL
            yield f"{path}#0", orjson.loads(path.read_bytes())
            return
        except orjson.JSONDecodeError:
            pass  # let the JSONL reader name the bad line
    for lineno, obj in iter_jsonl(path):
        yield f"{path}:{lineno}", obj


def _first_line_is_json(path: Path) -> bool:
    with open(path, "rb") as f:
        first = f.readline()
    try:
        orjson.loads(first)
    except orjson.JSONDecodeError:
        return False
    return True


def _parquet_records(path: Path) -> Iterator[tuple[str, Any]]:
    """Rows of a Parquet file (as ``toolace export --parquet`` writes them), batch by batch."""
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(path)
    except Exception as e:  # pyarrow raises several types for unreadable files
        raise InputError(f"{path}: not a readable Parquet file: {e}") from None
    index = 0
    for batch in table.iter_batches(batch_size=1000):
        for row in batch.to_pylist():
            yield f"{path}#{index}", row
            index += 1
