"""Counts that describe a domain tree (size, breadth, depth, per-domain leaves) or a growth run, as tables."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
from rich.table import Table
from rich.tree import Tree

from toolace.llm.base import Usage
from toolace.runner import RunStats, summary_table
from toolace.tree import domains, leaves, top_domain


@dataclass
class TreeStats:
    """Summary figures of one tree; ``leaves_per_domain`` maps domain name -> leaf count."""

    name: str
    nodes: int
    domains: int
    leaves: int
    max_depth: int
    leaves_per_domain: dict[str, int] = field(default_factory=dict)
    depth_histogram: dict[int, int] = field(default_factory=dict)
    grown: Counter = field(default_factory=Counter)  # nodes added by grow-tree, by meta.source

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "nodes": self.nodes, "domains": self.domains, "leaves": self.leaves,
                "max_depth": self.max_depth, "leaves_per_domain": self.leaves_per_domain,
                "depth_histogram": self.depth_histogram, "grown": dict(self.grown)}


def tree_stats(G: nx.DiGraph) -> TreeStats:
    """Count nodes, domains, leaves and depths of a loaded tree."""
    per_domain = Counter(top_domain(G, leaf) for leaf in leaves(G))
    depths = Counter(G.nodes[n]["depth"] for n in G)
    return TreeStats(
        name=G.graph.get("name", ""),
        nodes=G.number_of_nodes(),
        domains=len(domains(G)),
        leaves=sum(per_domain.values()),
        max_depth=max(depths),
        leaves_per_domain={G.nodes[d]["name"]: per_domain.get(d, 0) for d in domains(G)},
        depth_histogram=dict(sorted(depths.items())),
        grown=Counter(G.nodes[n]["meta"]["source"] for n in G if G.nodes[n]["meta"].get("source")),
    )


def tree_stats_table(stats: TreeStats, title: str = "tree") -> Table:
    """One table: totals, the depth histogram, then leaves per domain (largest first)."""
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("nodes", str(stats.nodes))
    table.add_row("domains", str(stats.domains))
    table.add_row("leaves (functionalities)", str(stats.leaves))
    table.add_row("max depth", str(stats.max_depth))
    for source, n in sorted(stats.grown.items()):
        table.add_row(f"grown nodes ({source})", str(n))
    table.add_section()
    for depth, n in stats.depth_histogram.items():
        table.add_row(f"depth {depth}", str(n))
    table.add_section()
    table.add_row("leaves per domain", "")
    for name, n in sorted(stats.leaves_per_domain.items(), key=lambda kv: (-kv[1], kv[0])):
        table.add_row(f"  {name}", str(n))
    return table


def outline(G: nx.DiGraph, depth: int) -> Tree:
    """The first ``depth`` levels of the tree as a rich tree (names, child counts beyond the cut)."""
    root = G.graph["root"]
    shown = Tree(f"[bold]{G.nodes[root]['name']}[/bold]")

    def add(branch: Tree, node: str) -> None:
        for child in sorted(G.successors(node), key=lambda c: G.nodes[c]["name"].casefold()):
            more = G.out_degree(child)
            cut = G.nodes[child]["depth"] >= depth
            label = G.nodes[child]["name"] + (f" [dim]({more})[/dim]" if more and cut else "")
            sub = branch.add(label)
            if not cut:
                add(sub, child)

    add(shown, root)
    return shown


@dataclass
class GrowStats:
    """What one grow-tree run did: nodes added per depth, names dropped and why, failed requests."""

    expanded: int = 0
    already_expanded: int = 0  # marked by an earlier run (resume)
    doc_chunks: int = 0
    docs_already: int = 0
    added: Counter = field(default_factory=Counter)  # depth -> nodes added
    dropped: Counter = field(default_factory=Counter)  # duplicate, invalid, prompt_echo, too_deep, no_room
    dropped_examples: dict[str, list[str]] = field(default_factory=dict)  # a few "name | description" per reason
    failures: Counter = field(default_factory=Counter)  # reason -> failed requests
    usage: Usage = field(default_factory=Usage)
    elapsed: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"expanded": self.expanded, "already_expanded": self.already_expanded,
                "doc_chunks": self.doc_chunks, "docs_already": self.docs_already,
                "added_per_depth": {str(d): n for d, n in sorted(self.added.items())},
                "added": sum(self.added.values()), "dropped": dict(self.dropped),
                "dropped_examples": self.dropped_examples,
                "failures": dict(self.failures), "usage": self.usage.to_dict(),
                "elapsed_s": round(self.elapsed, 3)}


def grow_table(stats: GrowStats, title: str = "grow-tree") -> Table:
    """The shared end-of-run table (kept = nodes added, rejected = failed requests) plus growth rows."""
    run = RunStats(kept=sum(stats.added.values()), rejected=sum(stats.failures.values()),
                   skipped=stats.already_expanded, reasons=Counter(stats.failures), usage=stats.usage,
                   elapsed=stats.elapsed)
    rows: list[tuple[str, Any]] = [(f"  added at depth {d}", n) for d, n in sorted(stats.added.items())]
    rows += [("nodes expanded", stats.expanded)]
    if stats.doc_chunks or stats.docs_already:
        rows.append(("document chunks read", f"{stats.doc_chunks} (+{stats.docs_already} earlier)"))
    rows += [(f"dropped: {reason}", n) for reason, n in stats.dropped.most_common()]
    return summary_table(title, run, rows)


def stats_file(out: Path) -> Path:
    """``tree.json`` -> ``tree.stats.json``."""
    return Path(out).with_suffix(".stats.json")
