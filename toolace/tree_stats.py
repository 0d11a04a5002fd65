"""Counts that describe a domain tree (size, breadth, depth, per-domain leaves) or a growth run, as tables."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from rich.table import Table
from rich.tree import Tree

from toolace.run_stats import RunStats
from toolace.runner import summary_table
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


EXPANDED, CHUNKS = "nodes expanded", "document chunks read"  # grow-tree's counters, beside "added at depth N"


def grow_table(stats: RunStats, title: str = "grow-tree") -> Table:
    """The shared end-of-run table (kept = nodes added, rejected = proposals dropped and failed requests,
    by reason) plus the growth rows."""
    added = sorted((int(k.rsplit(" ", 1)[1]), n) for k, n in stats.counters.items() if k.startswith("added at depth "))
    rows: list[tuple[str, Any]] = [(f"  added at depth {d}", n) for d, n in added]
    rows += [("nodes expanded", stats.counters[EXPANDED])]
    if stats.counters[CHUNKS] or stats.facts.get("docs"):
        rows.append(("document chunks read", f"{stats.counters[CHUNKS]} (+{stats.skipped} earlier)"))
    return summary_table(title, stats, rows)
