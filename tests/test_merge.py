import orjson

from toolace.jsonl import read_jsonl
from toolace.merge import merge_jsonl, merge_runs


def write_lines(path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))


def test_merge_files_dedupes_by_id_keeping_order(tmp_path):
    write_lines(tmp_path / "a.jsonl", [{"id": "1"}, {"id": "2"}])
    write_lines(tmp_path / "b.jsonl", [{"id": "2", "late": True}, {"id": "3"}])
    written, dups = merge_jsonl([tmp_path / "a.jsonl", tmp_path / "b.jsonl"], tmp_path / "m.jsonl")
    assert (written, dups) == (3, 1)
    assert list(read_jsonl(tmp_path / "m.jsonl")) == [{"id": "1"}, {"id": "2"}, {"id": "3"}]


def test_merge_runs_merges_known_files_and_sums_stats(tmp_path):
    for i in range(2):
        shard = tmp_path / f"s{i}"
        write_lines(shard / "dialogs.jsonl", [{"id": f"d{i}{j}"} for j in range(3)])
        write_lines(shard / "apis.jsonl", [{"name": "shared_api"}, {"name": f"api_{i}"}])
        (shard / "dialogs.stats.json").write_bytes(orjson.dumps(
            {"kept": 3, "reasons": {"inconsistent": i}, "usage": {"prompt_tokens": 10}, "elapsed_s": 1.5}))
    written = merge_runs([tmp_path / "s0", tmp_path / "s1"], tmp_path / "merged")
    assert written == {"dialogs.jsonl": 6, "apis.jsonl": 3}
    stats = orjson.loads((tmp_path / "merged" / "dialogs.stats.json").read_bytes())
    assert stats == {"kept": 6, "reasons": {"inconsistent": 1}, "usage": {"prompt_tokens": 20}, "elapsed_s": 3.0}
