"""The domain context tree (DESIGN §1.1): load, validate, save and walk it, kept in networkx.

File format (``"format": "toolace-tree"``, ``"version": 1``) is a flat node list with parent ids,
which makes every structural problem easy to name::

    {"format": "toolace-tree", "version": 1, "name": "seed", "description": "...",
     "nodes": [{"id": "root", "name": "All domains", "description": "...", "parent": null},
               {"id": "finance", "name": "Finance", "description": "...", "parent": "root"}, ...]}

Ids are unique strings; exactly one node has ``parent: null``; every other parent exists; no
cycles; depth (root = 0) stays within ``max_depth``. In the graph, edges go parent -> child and each
node carries ``name``, ``description`` and ``depth``; ``G.graph`` holds ``root``, ``name`` and
``description``. Errors read ``FILE: node X: problem``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import networkx as nx
import orjson

from toolace.errors import InputError
from toolace.jsonl import load_json_file

FORMAT = "toolace-tree"
VERSION = 1
MAX_DEPTH = 8


def tree_from_dict(data: Any, source: str = "<tree>", max_depth: int = MAX_DEPTH) -> nx.DiGraph:
    """Validate a tree document and build its graph."""
    def fail(problem: str, node: str | None = None) -> InputError:
        return InputError(f"{source}: {'node ' + repr(node) + ': ' if node is not None else ''}{problem}")

    if not isinstance(data, dict):
        raise fail("a tree file must hold a JSON object")
    if data.get("format") != FORMAT:
        raise fail(f"'format' must be {FORMAT!r}, not {data.get('format')!r}")
    if data.get("version") != VERSION:
        raise fail(f"unsupported tree version {data.get('version')!r} (this toolace reads version {VERSION})")
    nodes = data.get("nodes")
    if not isinstance(nodes, list) or not nodes:
        raise fail("'nodes' must be a non-empty list")

    G = nx.DiGraph(name=str(data.get("name", "")), description=str(data.get("description", "")))
    parents: dict[str, str | None] = {}
    for index, node in enumerate(nodes):
        if not isinstance(node, dict):
            raise fail(f"nodes[{index}] is not an object")
        node_id = node.get("id")
        if not isinstance(node_id, str) or not node_id.strip():
            raise fail(f"nodes[{index}] has no string 'id'")
        if node_id in parents:
            raise fail("duplicate id", node_id)
        unknown = set(node) - {"id", "name", "description", "parent", "meta"}
        if unknown:
            raise fail(f"unknown field(s) {', '.join(sorted(unknown))}", node_id)
        name = node.get("name")
        if not isinstance(name, str) or not name.strip():
            raise fail("missing 'name'", node_id)
        description = node.get("description", "")
        if not isinstance(description, str):
            raise fail("'description' must be a string", node_id)
        parent = node.get("parent")
        if parent is not None and not isinstance(parent, str):
            raise fail("'parent' must be an id or null", node_id)
        parents[node_id] = parent
        G.add_node(node_id, name=name.strip(), description=description.strip(), meta=node.get("meta") or {})

    roots = [n for n, p in parents.items() if p is None]
    if len(roots) != 1:
        raise fail(f"a tree needs exactly one root (parent null), found {len(roots)}"
                   + (f": {', '.join(roots[:5])}" if roots else ""))
    for node_id, parent in parents.items():
        if parent is None:
            continue
        if parent not in parents:
            raise fail(f"parent {parent!r} does not exist", node_id)
        if parent == node_id:
            raise fail("is its own parent", node_id)
        G.add_edge(parent, node_id)
    try:
        cycle = nx.find_cycle(G)
        raise fail(f"cycle through {' -> '.join(u for u, _ in cycle)}", cycle[0][0])
    except nx.NetworkXNoCycle:
        pass
    root = roots[0]
    depths = nx.single_source_shortest_path_length(G, root)
    unreachable = set(G) - set(depths)
    if unreachable:  # only possible through a cycle detached from the root, caught above; kept as a guard
        raise fail("not reachable from the root", sorted(unreachable)[0])
    for node_id, depth in depths.items():
        if depth > max_depth:
            raise fail(f"depth {depth} exceeds the limit {max_depth}", node_id)
        G.nodes[node_id]["depth"] = depth
    G.graph["root"] = root
    return G


BUNDLED_TREES = Path(__file__).resolve().parent / "_bundled" / "api_trees"


def tree_file(path: str | Path) -> Path:
    """``path``, or the tree shipped with toolace when ``path`` is ``api_trees/NAME`` and not found here.

    So ``api_trees/seed.json`` works from any directory, and in a non-editable install.
    """
    path = Path(path)
    if not path.exists() and not path.is_absolute() and path.parts[:1] == ("api_trees",):
        bundled = BUNDLED_TREES.joinpath(*path.parts[1:])
        if bundled.exists():
            return bundled
    return path


def load_tree(path: str | Path, max_depth: int = MAX_DEPTH) -> nx.DiGraph:
    """Load and validate a tree file (``api_trees/...`` falls back to the trees shipped with toolace)."""
    path = tree_file(path)
    return tree_from_dict(load_json_file(path), str(path), max_depth)


def tree_to_dict(G: nx.DiGraph) -> dict[str, Any]:
    """The file form of a tree, nodes in depth-first order from the root."""
    root = G.graph["root"]
    nodes = []
    for node_id in nx.dfs_preorder_nodes(G, root):
        attrs = G.nodes[node_id]
        parent = next(iter(G.predecessors(node_id)), None)
        entry = {"id": node_id, "name": attrs["name"], "description": attrs.get("description", ""), "parent": parent}
        if attrs.get("meta"):
            entry["meta"] = attrs["meta"]
        nodes.append(entry)
    return {"format": FORMAT, "version": VERSION, "name": G.graph.get("name", ""),
            "description": G.graph.get("description", ""), "nodes": nodes}


def save_tree(G: nx.DiGraph, path: str | Path) -> None:
    """Write a tree atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(orjson.dumps(tree_to_dict(G), option=orjson.OPT_INDENT_2) + b"\n")
    os.replace(tmp, path)


def leaves(G: nx.DiGraph) -> list[str]:
    """Ids of the functionality nodes (no children), in a stable order."""
    return sorted(n for n in G if G.out_degree(n) == 0 and n != G.graph["root"])


def domains(G: nx.DiGraph) -> list[str]:
    """Ids of the top-level domains (children of the root)."""
    return sorted(G.successors(G.graph["root"]))


def path_names(G: nx.DiGraph, node: str) -> list[str]:
    """Names from the top-level domain down to ``node`` (the root excluded)."""
    names = []
    while node != G.graph["root"]:
        names.append(G.nodes[node]["name"])
        node = next(iter(G.predecessors(node)))
    return names[::-1]


def top_domain(G: nx.DiGraph, node: str) -> str:
    """The id of the top-level domain above ``node``."""
    root = G.graph["root"]
    while True:
        parent = next(iter(G.predecessors(node)), None)
        if parent is None or parent == root:
            return node
        node = parent
