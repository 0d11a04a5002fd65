import orjson
import pytest

from toolace.errors import InputError
from toolace.tree import leaves, load_tree, path_names, save_tree, top_domain, tree_from_dict


def doc(*nodes):
    return {"format": "toolace-tree", "version": 1, "name": "t", "nodes": list(nodes)}


def n(id, parent, name=None):
    return {"id": id, "name": name or id.title(), "description": f"about {id}", "parent": parent}


GOOD = doc(n("root", None), n("fin", "root"), n("bank", "fin"), n("balance", "bank"), n("travel", "root"))


def test_load_builds_graph_with_depths_and_walks(tmp_path):
    G = tree_from_dict(GOOD)
    assert G.graph["root"] == "root" and G.nodes["balance"]["depth"] == 3
    assert leaves(G) == ["balance", "travel"]
    assert path_names(G, "balance") == ["Fin", "Bank", "Balance"]
    assert top_domain(G, "balance") == "fin"
    save_tree(G, tmp_path / "t.json")
    assert tree_from_dict(orjson.loads((tmp_path / "t.json").read_bytes())).nodes == G.nodes


@pytest.mark.parametrize("tree, message", [
    (doc(n("root", None), n("a", "root"), n("a", "root")), "node 'a': duplicate id"),
    (doc(n("root", None), n("other", None)), "exactly one root .parent null., found 2"),
    (doc(n("root", None), n("a", "ghost")), "node 'a': parent 'ghost' does not exist"),
    (doc(n("root", None), n("a", "b"), n("b", "a")), "cycle through"),
    (doc(n("root", None), {"id": "a", "parent": "root"}), "node 'a': missing 'name'"),
    ({"format": "toolace-tree", "version": 2, "nodes": []}, "unsupported tree version 2"),
])
def test_structural_problems_name_the_file_and_node(tmp_path, tree, message):
    path = tmp_path / "bad.json"
    path.write_bytes(orjson.dumps(tree))
    with pytest.raises(InputError, match=f"bad.json: .*{message}"):
        load_tree(path)


def test_depth_limit(tmp_path):
    with pytest.raises(InputError, match="node 'balance': depth 3 exceeds the limit 2"):
        tree_from_dict(GOOD, "x.json", max_depth=2)
