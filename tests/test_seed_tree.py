"""The curated seed tree and the tree summary (`toolace show-tree`)."""

import re
import sys
from collections import Counter
from pathlib import Path

import networkx as nx
import orjson
import pytest

from toolace.grow_tree import normalise_name
from toolace.tree import domains, leaves, load_tree, tree_from_dict
from toolace.tree_stats import tree_stats

SEED = Path(__file__).resolve().parent.parent / "api_trees" / "seed.json"


@pytest.fixture(scope="module")
def seed():
    return load_tree(SEED)


def test_seed_is_broad_enough(seed):
    stats = tree_stats(seed)
    assert stats.domains >= 30 and stats.leaves >= 300
    assert stats.nodes == sum(stats.depth_histogram.values()) == len(seed)
    # Every domain has at least two levels below it, and some leaves in it.
    for domain in domains(seed):
        assert max(seed.nodes[n]["depth"] for n in [domain, *nx.descendants(seed, domain)]) >= 3, domain
    assert min(stats.leaves_per_domain.values()) >= 5


def test_seed_names_ids_and_descriptions_are_clean(seed):
    for node in seed:
        attrs = seed.nodes[node]
        assert attrs["description"].strip(), f"{node}: empty description"
        assert re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)*", node), node
        siblings = Counter(normalise_name(seed.nodes[c]["name"]) for c in seed.successors(node))
        assert not [k for k, n in siblings.items() if n > 1], f"{node}: duplicate child names {siblings}"
    # Leaves are concrete operations: one sentence each.
    for leaf in leaves(seed):
        assert seed.nodes[leaf]["description"].endswith("."), leaf


def test_known_functionalities_are_where_expected(seed):
    assert seed.nodes["finance.currency.convert_amount"]["name"] == "Convert currency amount"
    assert seed.nodes["developer_tools.source_control.pull_requests.list_pull_requests"]["depth"] == 4


def test_tree_stats_counts_a_small_tree():
    G = tree_from_dict({"format": "toolace-tree", "version": 1, "name": "t", "nodes": [
        {"id": "r", "name": "R", "parent": None},
        {"id": "a", "name": "A", "parent": "r"}, {"id": "a.x", "name": "X", "parent": "a"},
        {"id": "a.y", "name": "Y", "parent": "a", "meta": {"source": "llm"}},
        {"id": "a.y.z", "name": "Z", "parent": "a.y"}, {"id": "b", "name": "B", "parent": "r"}]})
    stats = tree_stats(G)
    assert (stats.nodes, stats.domains, stats.leaves, stats.max_depth) == (6, 2, 3, 3)
    assert stats.leaves_per_domain == {"A": 2, "B": 1}
    assert stats.depth_histogram == {0: 1, 1: 2, 2: 2, 3: 1}
    assert stats.grown == {"llm": 1}


def run_cli(monkeypatch, capsys, *args):
    """Run the CLI in this process (as ``toolace ARGS``): exit code and what it printed on stderr."""
    from toolace.cli import main

    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(sys, "argv", ["toolace", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    return exit_.value.code or 0, capsys.readouterr().err


def test_show_tree_prints_the_counts(monkeypatch, capsys):
    code, err = run_cli(monkeypatch, capsys, "show-tree", str(SEED), "--outline", "1")
    assert code == 0, err
    stats = tree_stats(load_tree(SEED))
    assert re.search(rf"domains\s+│\s+{stats.domains}\b", err)
    assert re.search(rf"leaves \(functionalities\)\s+│\s+{stats.leaves}\b", err)
    assert "Developer tools" in err and "├── Finance" in err


@pytest.mark.parametrize("nodes, message", [
    ([{"id": "r", "name": "R", "parent": None}, {"id": "x", "name": "X", "parent": "nowhere"}],
     "bad.json: node 'x': parent 'nowhere' does not exist"),
    ([{"id": "r", "name": "R", "parent": None}, {"id": "x", "parent": "r"}], "bad.json: node 'x': missing 'name'"),
])
def test_bad_tree_file_is_one_line_exit_2(monkeypatch, capsys, tmp_path, nodes, message):
    bad = tmp_path / "bad.json"
    bad.write_bytes(orjson.dumps({"format": "toolace-tree", "version": 1, "nodes": nodes}))
    code, err = run_cli(monkeypatch, capsys, "show-tree", str(bad))
    assert code == 2
    errors = [line for line in err.splitlines() if line.strip()]
    assert len(errors) == 1 and message in errors[0] and "Traceback" not in err

