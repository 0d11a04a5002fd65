"""Statistics of a run directory, computed by streaming its files once (memory stays flat).

Every part is optional: a run directory holding only some of the files gives a summary of what is
there, and the missing parts stay ``None`` (or empty) so that the card and the page can say so.
Records are read as plain JSON, not validated: a report must describe a run even when some of its
records would not load.
"""

from __future__ import annotations

import math
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from toolace.errors import InputError
from toolace.jsonl import count_lines, iter_jsonl

CANONICAL = ("tree.json", "apis.jsonl", "dialogs.jsonl", "verified.jsonl", "rejected.jsonl")
# The verifier's rejected dialogs: the run layout's name, and `toolace verify`'s default beside its output.
VERIFY_REJECTED = ("rejected.jsonl", "verified.rejected.jsonl")


@dataclass
class Histogram:
    """A streaming histogram of non-negative numbers, bucketed to two significant digits."""

    count: int = 0
    total: float = 0.0
    low: float = math.inf
    high: float = -math.inf
    buckets: Counter = field(default_factory=Counter)

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.low, self.high = min(self.low, value), max(self.high, value)
        self.buckets[_two_digits(value)] += 1

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0

    def quantile(self, q: float) -> float:
        """The bucket value below which a share ``q`` of the values lie (exact to two digits)."""
        seen, goal = 0, q * self.count
        for value in sorted(self.buckets):
            seen += self.buckets[value]
            if seen >= goal:
                return value
        return self.high if self.count else 0.0


def _two_digits(value: float) -> float:
    if value <= 0:
        return 0
    digits = 1 - int(math.floor(math.log10(value)))
    rounded = round(value, digits)
    return int(rounded) if rounded == int(rounded) else rounded


@dataclass
class ApiStats:
    """What the API library (``apis.jsonl``) looks like."""

    count: int = 0
    domains: Counter = field(default_factory=Counter)  # domain[0] -> APIs
    param_types: Counter = field(default_factory=Counter)  # (type, "top-level"|"nested") -> parameters
    params_per_api: Counter = field(default_factory=Counter)  # number of top-level parameters -> APIs
    required_per_api: Counter = field(default_factory=Counter)
    array_of_objects: int = 0  # APIs with an array whose items are objects, at any depth
    object_in_object: int = 0  # APIs with an object-typed parameter, at any depth
    nested: int = 0  # APIs with either
    with_returns: int = 0
    models: Counter = field(default_factory=Counter)


@dataclass
class DialogStats:
    """What one dialog file (``dialogs.jsonl`` or ``verified.jsonl``) looks like."""

    count: int = 0
    kinds: Counter = field(default_factory=Counter)
    turns: Counter = field(default_factory=Counter)  # user messages -> dialogs
    calls: Counter = field(default_factory=Counter)  # tool calls -> dialogs
    tools: Counter = field(default_factory=Counter)  # tools offered -> dialogs
    tool_domains: Counter = field(default_factory=Counter)  # domain[0] of offered tools -> tools
    tokens: Histogram = field(default_factory=Histogram)  # from meta.tokens, when recorded
    models: Counter = field(default_factory=Counter)
    warnings: Counter = field(default_factory=Counter)  # verdict warning check -> dialogs carrying it


@dataclass
class RejectionStats:
    """Why records were rejected: failed checks of the verifier, reasons of the other stages."""

    verify_files: list[str] = field(default_factory=list)  # files holding the verifier's rejections
    verify_rejected: int = 0
    checks: Counter = field(default_factory=Counter)  # check -> rejected dialogs failing it
    layers: Counter = field(default_factory=Counter)  # verdict layer -> rejected dialogs
    verify_reasons: Counter = field(default_factory=Counter)  # rows naming no failed check, by reason
    stage_reasons: dict[str, Counter] = field(default_factory=dict)  # "apis" -> reason -> rows
    rows: dict[str, int] = field(default_factory=dict)  # rejected file -> rows


@dataclass
class ExportFile:
    """One exported training file, with what its ``<format>.stats.json`` says when present."""

    format: str
    path: str  # relative to the run directory
    rows: int | None  # None: could not be counted (Parquet without pyarrow)
    skipped: Counter = field(default_factory=Counter)  # dialogs the format cannot hold, by reason
    augment: dict[str, Any] = field(default_factory=dict)  # masking / irrelevance shares applied
    source: str | None = None  # the canonical file it was exported from (file name only)


@dataclass
class RunSummary:
    """Everything the card and the page show about one run directory."""

    run_dir: Path
    present: list[str] = field(default_factory=list)  # files found, relative paths
    tree_nodes: int | None = None
    apis: ApiStats | None = None
    dialogs: DialogStats | None = None
    verified: DialogStats | None = None
    rejections: RejectionStats = field(default_factory=RejectionStats)
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)  # "dialogs" -> RunStats.to_dict()
    exports: list[ExportFile] = field(default_factory=list)
    config: dict[str, Any] | None = None
    config_file: str | None = None

    @property
    def final(self) -> DialogStats | None:
        """The dialogs a user trains on: the verified ones when verification ran."""
        return self.verified or self.dialogs

    def measured_tokens(self) -> tuple[str, Histogram] | None:
        """Per-dialog token counts (``meta.tokens``): of the verified dialogs, else of the generated ones."""
        for name, part in (("verified", self.verified), ("generated", self.dialogs)):
            if part is not None and part.tokens.count:
                return name, part.tokens
        return None

    @property
    def models(self) -> Counter:
        total: Counter = Counter()
        for part in (self.apis, self.dialogs, self.verified):
            if part is not None:
                total.update(part.models)
        return total

    def setting(self, *keys: str) -> Any:
        """A value of the resolved run config (``setting("dialogs", "mix")``), or None."""
        node: Any = self.config
        for key in keys:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return node


def collect(run_dir: str | Path) -> RunSummary:
    """Read every known file of ``run_dir`` once and summarise it."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise InputError(f"{run_dir}: no such run directory")
    summary = RunSummary(run_dir=run_dir)

    def found(name: str) -> Path | None:
        path = run_dir / name
        if path.is_file():
            summary.present.append(name)
            return path
        return None

    if path := found("tree.json"):
        summary.tree_nodes = _tree_nodes(path)
    if path := found("apis.jsonl"):
        summary.apis = _api_stats(path)
    if path := found("dialogs.jsonl"):
        summary.dialogs = _dialog_stats(path)
    if path := found("verified.jsonl"):
        summary.verified = _dialog_stats(path)
    for path in [run_dir / "rejected.jsonl", *sorted(run_dir.glob("*.rejected.jsonl"))]:
        if path.is_file():
            summary.present.append(path.name)
            _rejections(path, summary.rejections)
    for path in sorted(run_dir.glob("*.stats.json")):
        summary.present.append(path.name)
        summary.stages[path.name.removesuffix(".stats.json")] = _read_json(path)
    for name in ("config.json", "config.toml"):
        if path := found(name):
            summary.config, summary.config_file = _read_config(path), name
            break
    summary.exports = _exports(run_dir)
    summary.present += [e.path for e in summary.exports]
    if not summary.present:
        raise InputError(f"{run_dir}: no run files found (expected some of {', '.join(CANONICAL)}, "
                         "*.stats.json, export/)")
    return summary


def _objects(path: Path):
    for lineno, obj in iter_jsonl(path):
        if not isinstance(obj, dict):
            raise InputError(f"{path}:{lineno}: expected a JSON object, got {type(obj).__name__}")
        yield obj


def _read_json(path: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as e:
        raise InputError(f"{path}: not valid JSON: {e}") from None


def _read_config(path: Path) -> dict[str, Any]:
    if path.suffix == ".toml":
        try:
            return tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise InputError(f"{path}: not valid TOML: {e}") from None
    data = _read_json(path)
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object")
    return data


def _tree_nodes(path: Path) -> int | None:
    nodes = _read_json(path)
    nodes = nodes.get("nodes") if isinstance(nodes, dict) else None
    return len(nodes) if isinstance(nodes, list) else None


def _model_of(record: dict) -> str | None:
    meta = record.get("meta")
    if not isinstance(meta, dict):
        return None
    provenance = meta.get("provenance")
    model = meta.get("model") or (provenance.get("model") if isinstance(provenance, dict) else None)
    return model if isinstance(model, str) else None


def _domain(api: Any) -> str:
    domain = api.get("domain") if isinstance(api, dict) else None
    return str(domain[0]) if isinstance(domain, list) and domain else "(none)"


def _types(schema: dict) -> list[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list) and kind:
        return [str(k) for k in kind]
    return ["unspecified"]


def _walk_params(properties: Any, nested: bool, api: ApiStats, found: set[str]) -> None:
    """Count parameter types at every depth and note the nesting shapes an API uses."""
    if not isinstance(properties, dict):
        return
    for schema in properties.values():
        if not isinstance(schema, dict):
            api.param_types["invalid", "nested" if nested else "top-level"] += 1
            continue
        _walk_schema(schema, nested, api, found)


def _walk_schema(schema: dict, nested: bool, api: ApiStats, found: set[str]) -> None:
    types = _types(schema)
    for kind in types:
        api.param_types[kind, "nested" if nested else "top-level"] += 1
    if "object" in types:
        found.add("object_in_object")
        _walk_params(schema.get("properties"), True, api, found)
    if "array" in types and isinstance(schema.get("items"), dict):
        items = schema["items"]
        if "object" in _types(items):
            found.add("array_of_objects")
            _walk_params(items.get("properties"), True, api, found)
        elif "array" in _types(items):
            _walk_schema(items, True, api, found)


def _api_stats(path: Path) -> ApiStats:
    stats = ApiStats()
    for api in _objects(path):
        stats.count += 1
        stats.domains[_domain(api)] += 1
        parameters = api.get("parameters") if isinstance(api.get("parameters"), dict) else {}
        properties = parameters.get("properties")
        required = parameters.get("required")
        stats.params_per_api[len(properties) if isinstance(properties, dict) else 0] += 1
        stats.required_per_api[len(required) if isinstance(required, list) else 0] += 1
        found: set[str] = set()
        _walk_params(properties, False, stats, found)
        stats.array_of_objects += "array_of_objects" in found
        stats.object_in_object += "object_in_object" in found
        stats.nested += bool(found)
        stats.with_returns += isinstance(api.get("returns"), dict)
        if model := _model_of(api):
            stats.models[model] += 1
    return stats


def _tokens(meta: Any) -> float | None:
    """A dialog's engine tokens from ``meta.tokens``: a number, or a usage map (prompt + completion)."""
    tokens = meta.get("tokens") if isinstance(meta, dict) else None
    if isinstance(tokens, dict):
        if _is_number(tokens.get("total_tokens")):
            return tokens["total_tokens"]
        # gen-dialogs writes {"prompt", "completion", "cached", "requests"}; usage maps say *_tokens
        parts = [tokens.get(k, tokens.get(f"{k}_tokens")) for k in ("prompt", "completion")]
        parts = [p for p in parts if _is_number(p)]
        return sum(parts) if parts else None
    return tokens if _is_number(tokens) else None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _dialog_stats(path: Path) -> DialogStats:
    stats = DialogStats()
    for dialog in _objects(path):
        stats.count += 1
        stats.kinds[str(dialog.get("kind", "imported"))] += 1
        messages = dialog.get("messages") if isinstance(dialog.get("messages"), list) else []
        messages = [m for m in messages if isinstance(m, dict)]
        stats.turns[sum(m.get("role") == "user" for m in messages)] += 1
        stats.calls[sum(len(m.get("tool_calls") or []) for m in messages if m.get("role") == "assistant")] += 1
        tools = dialog.get("tools") if isinstance(dialog.get("tools"), list) else []
        stats.tools[len(tools)] += 1
        stats.tool_domains.update(_domain(tool) for tool in tools)
        tokens = _tokens(dialog.get("meta"))
        if tokens is not None:
            stats.tokens.add(tokens)
        if model := _model_of(dialog):
            stats.models[model] += 1
        verdict = dialog.get("verdict") if isinstance(dialog.get("verdict"), dict) else {}
        warnings = verdict.get("warnings") if isinstance(verdict.get("warnings"), list) else []
        stats.warnings.update({str(w.get("check")) for w in warnings if isinstance(w, dict)})
    return stats


def _rejections(path: Path, stats: RejectionStats) -> None:
    """Count a rejected file (records in the runner's one shape, ``toolace.jobs.Rejection``): failed
    checks and layers (the verifier's reason) for the verifier's, reasons for the other stages'."""
    verifier = path.name in VERIFY_REJECTED
    if verifier:
        stats.verify_files.append(path.name)
    reasons, rows = Counter(), 0
    for row in _objects(path):
        rows += 1
        reason = str(row.get("reason") or "unknown")
        failures = row.get("failures") if isinstance(row.get("failures"), list) else []
        checks = {str(f.get("check")) for f in failures if isinstance(f, dict) and f.get("check")}
        if not verifier:
            reasons[reason] += 1
        elif checks:
            stats.layers[reason] += 1
            stats.checks.update(checks)
        else:
            stats.verify_reasons[reason] += 1
    stats.verify_rejected += rows if verifier else 0
    stats.rows[path.name] = rows
    if not verifier:
        stats.stage_reasons[path.name.removesuffix(".rejected.jsonl")] = reasons


def _exports(run_dir: Path) -> list[ExportFile]:
    folder = run_dir / "export"
    if not folder.is_dir():
        return []
    files = []
    for path in sorted(folder.iterdir()):
        # `openai.jsonl` is data; `openai.skipped.jsonl` and `openai.stats.json` describe it
        if "." in path.stem or path.suffix not in (".jsonl", ".parquet"):
            continue
        rows = count_lines(path) if path.suffix == ".jsonl" else _parquet_rows(path)
        export = ExportFile(path.stem, f"export/{path.name}", rows)
        stats_file = folder / f"{path.stem}.stats.json"
        stats = _read_json(stats_file) if stats_file.is_file() else {}
        if isinstance(stats, dict) and stats.get("out", path.name).endswith(path.name):
            export.skipped = Counter(stats.get("reasons") or {})
            export.augment = stats.get("augment") or {}
            export.source = Path(str(stats["source"])).name if stats.get("source") else None
        files.append(export)
    return files


def _parquet_rows(path: Path) -> int | None:
    try:
        import pyarrow.parquet as pq
    except ImportError:  # Parquet output needs pyarrow; a report without it still shows the file
        return None
    try:
        return pq.ParquetFile(path).metadata.num_rows
    except Exception as e:  # noqa: BLE001 - any unreadable Parquet is bad input, named
        raise InputError(f"{path}: not a readable Parquet file: {e}") from None
