"""Adaptation (ToolACE): the subtree of the domain tree that sets one new API's scope and diversity.

Three diversity levels: ``single`` (one functionality: a simple, direct API), ``siblings`` (several
functionalities under one parent: a richer API) and ``cross`` (functionalities from different
top-level domains, or at least different branches: a cross-domain API).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass

import networkx as nx

from toolace.errors import InputError
from toolace.tree import leaves, path_names, top_domain

LEVELS = ("single", "siblings", "cross")


@dataclass(frozen=True)
class Subtree:
    """The sampled scope of one API: its level and the functionality (leaf) ids, main one first."""

    level: str
    nodes: tuple[str, ...]

    @property
    def main(self) -> str:
        return self.nodes[0]


class SubtreeSampler:
    """Samples subtrees of one tree; all randomness comes from the rng a caller passes in."""

    def __init__(self, tree: nx.DiGraph):
        self.tree = tree
        self.leaves = leaves(tree)
        if not self.leaves:
            raise InputError("the tree has no functionality (leaf) nodes to write APIs for")
        by_parent: dict[str, list[str]] = defaultdict(list)
        by_domain: dict[str, list[str]] = defaultdict(list)
        for leaf in self.leaves:
            by_parent[next(iter(tree.predecessors(leaf)))].append(leaf)
            by_domain[top_domain(tree, leaf)].append(leaf)
        self.sibling_groups = [group for _, group in sorted(by_parent.items()) if len(group) >= 2]
        self.domains = [group for _, group in sorted(by_domain.items())]
        self.branches = [group for _, group in sorted(by_parent.items())]

    def sample(self, rng: random.Random, level: str) -> Subtree:
        """A subtree at ``level``; a tree too small for a level falls back to a simpler one."""
        if level == "siblings" and self.sibling_groups:
            group = rng.choice(self.sibling_groups)
            return Subtree("siblings", tuple(rng.sample(group, rng.randint(2, min(4, len(group))))))
        if level == "cross":
            # Different top-level domains when the tree has several, else different parents.
            groups = self.domains if len(self.domains) >= 2 else self.branches
            if len(groups) >= 2:
                chosen = rng.sample(groups, rng.randint(2, min(3, len(groups))))
                return Subtree("cross", tuple(rng.choice(group) for group in chosen))
        return Subtree("single", (rng.choice(self.leaves),))

    def describe(self, subtree: Subtree) -> str:
        """The subtree as prompt text: one line per functionality with its path and description."""
        lines = []
        for node in subtree.nodes:
            description = self.tree.nodes[node].get("description") or ""
            lines.append(f"- {' > '.join(path_names(self.tree, node))}" + (f": {description}" if description else ""))
        return "\n".join(lines)
