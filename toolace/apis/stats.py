"""Figures of an API library (domains, parameter types, nesting), for the end-of-run table and
``toolace stats``. Works on raw dicts, so imported APIs with broken schemas are counted too."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.table import Table

from toolace.apis.links import find_links
from toolace.jsonl import iter_jsonl
from toolace.run_stats import RunStats
from toolace.runner import rejected_path, stats_path, summary_table


def _is_nested(schema: Any) -> bool:
    """An object or array parameter that holds another object or array."""
    if not isinstance(schema, dict):
        return False
    items = schema.get("items")
    if isinstance(items, dict) and items.get("type") in ("object", "array"):
        return True
    properties = schema.get("properties")
    return schema.get("type") == "object" and isinstance(properties, dict) and bool(properties)


def _types(schema: Any, counts: Counter) -> None:
    """Count the type of every parameter, nested ones included."""
    if not isinstance(schema, dict):
        return
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for sub in properties.values():
            type_ = sub.get("type", "(none)") if isinstance(sub, dict) else "(invalid)"
            counts["|".join(map(str, type_)) if isinstance(type_, list) else str(type_)] += 1
            _types(sub, counts)
    _types(schema.get("items"), counts)


@dataclass
class LibraryStats:
    """Counts over an API library; ``add`` one API at a time, memory stays small."""

    apis: int = 0
    parameters: int = 0
    nested: int = 0
    with_returns: int = 0
    domains: Counter = field(default_factory=Counter)
    types: Counter = field(default_factory=Counter)
    levels: Counter = field(default_factory=Counter)
    mutations: Counter = field(default_factory=Counter)
    # What link finding needs of each API (names, domains, plain types): small even for 100k APIs.
    _linkable: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def add(self, api: dict[str, Any]) -> None:
        self.apis += 1
        self._linkable.append(_linkable(api))
        domain = api.get("domain") or []
        self.domains[str(domain[0]) if isinstance(domain, list) and domain else "(none)"] += 1
        parameters = api.get("parameters")
        properties = parameters.get("properties") if isinstance(parameters, dict) else None
        if isinstance(properties, dict):
            self.parameters += len(properties)
            if any(_is_nested(p) for p in properties.values()):
                self.nested += 1
        self.with_returns += api.get("returns") is not None
        _types(parameters, self.types)
        meta = api.get("meta") if isinstance(api.get("meta"), dict) else {}
        if "level" in meta:
            self.levels[str(meta["level"])] += 1
        if "mutation" in meta:
            self.mutations[str(meta["mutation"])] += 1

    def rows(self) -> list[tuple[str, str]]:
        """The table rows: APIs, domains (top 10), types, nesting, parameters per API, provenance."""
        share = (lambda n: f"{n} ({100 * n / self.apis:.0f}%)") if self.apis else str
        rows = [("APIs in library", str(self.apis)), ("domains", str(len(self.domains)))]
        rows += [(f"  {name}", str(n)) for name, n in self.domains.most_common(10)]
        if len(self.domains) > 10:
            rows.append(("  (other domains)", str(sum(n for _, n in self.domains.most_common()[10:]))))
        rows.append(("parameter types", str(sum(self.types.values()))))
        rows += [(f"  {name}", str(n)) for name, n in self.types.most_common()]
        rows.append(("nested APIs", share(self.nested)))
        rows.append(("mean parameters per API", f"{self.parameters / self.apis:.2f}" if self.apis else "-"))
        rows.append(("with returns schema", share(self.with_returns)))
        for title, counts in (("diversity levels", self.levels), ("mutations", self.mutations)):
            if counts:
                rows.append((title, ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))))
        links = self.links()
        rows.append(("output -> input links", str(len(links))))
        rows += [(f"  {a}.{f} -> {b}.{p}", "") for a, f, b, p in links[:10]]
        if len(links) > 10:
            rows.append(("  (more links)", str(len(links) - 10)))
        return rows

    def links(self) -> list[tuple[str, str, str, str]]:
        """(producer, result field, consumer, parameter) of every output -> input link (dependent dialogs)."""
        apis = self._linkable
        return [(apis[p]["name"], f, apis[c]["name"], param) for p, f, c, param in find_links(apis)]

    def to_dict(self) -> dict[str, Any]:
        return {"apis": self.apis, "parameters": self.parameters, "nested": self.nested,
                "with_returns": self.with_returns, "domains": dict(self.domains), "types": dict(self.types),
                "levels": dict(self.levels), "mutations": dict(self.mutations),
                "links": [list(link) for link in self.links()]}


def _linkable(api: dict[str, Any]) -> dict[str, Any]:
    def plain(schema: Any) -> dict[str, Any]:
        props = schema.get("properties") if isinstance(schema, dict) else None
        return {"type": schema.get("type"), "properties": {k: {"type": v.get("type")} for k, v in props.items()
                                                             if isinstance(v, dict)}} if isinstance(props, dict) else {}
    return {"name": str(api.get("name")), "domain": api.get("domain") if isinstance(api.get("domain"), list) else [],
            "parameters": plain(api.get("parameters")), "returns": plain(api.get("returns"))}


def library_stats(path: Path) -> LibraryStats:
    """Stream an API file into its figures."""
    stats = LibraryStats()
    for _, api in iter_jsonl(path):
        if isinstance(api, dict):
            stats.add(api)
    return stats


def api_figures(stats: RunStats, out: Path | None) -> dict[str, Any]:
    """synth-apis' own figure for its stats file: what the library it wrote looks like."""
    return {"library": library_stats(out).to_dict()} if out is not None and out.exists() else {}


def extra_rows(library: LibraryStats, run: RunStats | None = None) -> list[tuple[str, str]]:
    """Rows after the runner's own: duplicates and dropped constraints of the run, then the library."""
    rows = []
    if run is not None:
        rows.append(("duplicates removed", str(run.reasons.get("duplicate", 0))))
        dropped = {k: v for k, v in run.counters.items() if k.startswith("dropped_")}
        if dropped:
            rows.append(("constraints dropped (wrong type)", ", ".join(f"{k[8:]} {v}" for k, v in sorted(dropped.items()))))
    return rows + library.rows()


def stats_table(path: Path) -> Table:
    """``toolace stats``: the end-of-run table of synth-apis, from an API file.

    Rejections are counted from the rejected file beside it (it holds every run's, killed ones
    included); tokens and time come from the stats file of the finished runs, when there is one.
    """
    path = Path(path)
    library = library_stats(path)
    side, rejected = stats_path(path), rejected_path(path)
    if not side.exists() and not rejected.exists():
        table = Table(title=str(path), show_header=False, title_justify="left")
        table.add_column(style="bold")
        table.add_column(justify="right")
        for name, value in library.rows():
            table.add_row(name, value)
        return table
    run = RunStats.load(side) or RunStats()
    run.kept, run.skipped = library.apis, 0
    if rejected.exists():
        run.reasons = Counter(str(r.get("reason", "rejected")) for _, r in iter_jsonl(rejected) if isinstance(r, dict))
        run.rejected = sum(run.reasons.values())
    return summary_table(f"{path}", run, extra_rows(library, run))
