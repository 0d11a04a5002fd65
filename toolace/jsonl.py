"""JSON Lines in and out: append-only, whole-line writes, strict reads with ``FILE:LINE`` errors.

A process killed mid-write leaves at most one torn last line. Readers skip it with a warning;
writers cut it off before appending, so a resumed run never glues a new record onto half an old one.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from toolace.errors import InputError

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


def _dumps(record: Any) -> bytes:
    if isinstance(record, BaseModel):
        record = record.to_dict() if hasattr(record, "to_dict") else record.model_dump(mode="json")
    try:
        return orjson.dumps(record) + b"\n"
    except orjson.JSONEncodeError:
        # an integer beyond 64 bits (imported data, a model's digits): the standard library writes
        # it exactly; orjson reads it back as a float
        return json.dumps(record, separators=(",", ":")).encode() + b"\n"


def cut_torn_tail(path: Path) -> int:
    """Truncate a file after its last newline; returns the number of bytes removed."""
    if not path.exists():
        return 0
    with open(path, "rb+") as f:
        size = f.seek(0, os.SEEK_END)
        if size == 0:
            return 0
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return 0
        # Walk back in blocks to the last newline.
        pos = size
        while pos > 0:
            step = min(65536, pos)
            f.seek(pos - step)
            block = f.read(step)
            nl = block.rfind(b"\n")
            if nl >= 0:
                keep = pos - step + nl + 1
                break
            pos -= step
        else:
            keep = 0
        f.truncate(keep)
        removed = size - keep
    log.warning("%s: removed a torn last line (%d bytes) left by an interrupted run", path, removed)
    return removed


class JsonlWriter:
    """Appends one record per line, each in a single write, flushed before returning."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        cut_torn_tail(self.path)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.count = 0

    def write(self, record: Any) -> None:
        data = _dumps(record)
        written = os.write(self._fd, data)
        while written < len(data):  # short writes are rare on regular files, but possible
            written += os.write(self._fd, data[written:])
        self.count += 1

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> "JsonlWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_json_atomic(path: Path, data: Any) -> None:
    """Write a whole JSON file via a temporary file and rename, so it is never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    os.replace(tmp, path)


def load_json_file(path: str | Path) -> Any:
    """A whole JSON file; unreadable or invalid files fail with one line naming the file."""
    path = Path(path)
    try:
        return orjson.loads(path.read_bytes())
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from None
    except orjson.JSONDecodeError as e:
        raise InputError(f"{path}: not valid JSON: {e}") from None


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"] if not isinstance(p, str) or p not in _UNION_TAGS)
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{where + ': ' if where else ''}{first['msg']}{more}"


_UNION_TAGS = {"system", "user", "assistant", "tool"}


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, object)`` for every line; blank lines are skipped.

    A line that is not JSON fails with ``FILE:LINE: ...``, unless it is the last line and lacks its
    newline (a torn write), which is skipped with a warning.
    """
    path = Path(path)
    try:
        f = open(path, "rb")
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from None
    with f:
        lineno = 0
        for lineno, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                yield lineno, orjson.loads(raw)
            except orjson.JSONDecodeError as e:
                if not raw.endswith(b"\n") and not f.read(1):
                    log.warning("%s:%d: skipped a torn last line (%d bytes)", path, lineno, len(raw))
                    return
                raise InputError(f"{path}:{lineno}: not valid JSON: {e}") from None


def read_jsonl(path: str | Path, model: type[M] | None = None, *, context: dict | None = None) -> Iterator[Any]:
    """Yield the records of a JSONL file, validated into ``model`` when given."""
    for lineno, obj in iter_jsonl(path):
        if model is None:
            yield obj
            continue
        try:
            yield model.model_validate(obj, context=context)
        except ValidationError as e:
            raise InputError(f"{path}:{lineno}: {_describe(e)}") from None


def written_ids(path: str | Path, key: str = "id") -> set[str]:
    """The ids already written to an output file (for resuming); empty if it does not exist."""
    path = Path(path)
    if not path.exists():
        return set()
    ids = set()
    for lineno, obj in iter_jsonl(path):
        if not isinstance(obj, dict) or key not in obj:
            raise InputError(f"{path}:{lineno}: record has no {key!r} field")
        ids.add(str(obj[key]))
    return ids


def count_lines(path: str | Path) -> int:
    """Number of complete records in a JSONL file (0 if missing)."""
    path = Path(path)
    if not path.exists():
        return 0
    return sum(1 for _ in iter_jsonl(path))


def field_at(obj: Any, key: str) -> Any:
    """``obj[key]``, where a dotted key (``meta.job_id``) reaches into nested objects; None if absent."""
    for part in key.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj
