from collections import Counter

import orjson

from toolace.dialogs.generate import TURNS, dialog_figures
from toolace.jobs import Outcome, Rejection
from toolace.jsonl import read_jsonl
from toolace.merge import merge_jsonl, merge_runs
from toolace.run_stats import RunStats, save_stats


def write_lines(path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))


def test_merge_files_dedupes_by_id_keeping_order(tmp_path):
    write_lines(tmp_path / "a.jsonl", [{"id": "1"}, {"id": "2"}])
    write_lines(tmp_path / "b.jsonl", [{"id": "2", "late": True}, {"id": "3"}])
    written, dups = merge_jsonl([tmp_path / "a.jsonl", tmp_path / "b.jsonl"], tmp_path / "m.jsonl")
    assert (written, dups) == (3, 1)
    assert list(read_jsonl(tmp_path / "m.jsonl")) == [{"id": "1"}, {"id": "2"}, {"id": "3"}]


def test_merge_runs_merges_known_files_and_adds_stats(tmp_path):
    for i in range(2):
        shard = tmp_path / f"s{i}"
        write_lines(shard / "dialogs.jsonl", [{"id": f"d{i}{j}"} for j in range(3)])
        write_lines(shard / "apis.jsonl", [{"name": "shared_api"}, {"name": f"api_{i}"}])
        (shard / "dialogs.stats.json").write_bytes(orjson.dumps(
            {"kept": 3, "reasons": {"inconsistent": i}, "usage": {"prompt_tokens": 10}, "elapsed_s": 1.5}))
    written = merge_runs([tmp_path / "s0", tmp_path / "s1"], tmp_path / "merged")
    assert written == {"dialogs.jsonl": 6, "apis.jsonl": 3}
    stats = orjson.loads((tmp_path / "merged" / "dialogs.stats.json").read_bytes())
    assert (stats["runs"], stats["kept"], stats["reasons"], stats["elapsed_s"]) == (2, 6, {"inconsistent": 1}, 3.0)
    assert stats["usage"]["prompt_tokens"] == 20


def test_merge_recomputes_shares_and_keeps_facts_the_shards_agree_on(tmp_path):
    """Shares are recomputed from the added counts, never added (two shards of 0.5 each stay 0.5)."""
    for i, (single, parallel) in enumerate([(1, 1), (3, 1)]):
        stats = RunStats(runs=1, facts={"quotas": {"single": single, "parallel": parallel}, "apis": 12})
        for kind, n in (("single", single), ("parallel", parallel)):
            for _ in range(n):
                stats.add_outcome(Outcome(kept={"id": "x"}, counters=Counter({TURNS: 2})), kind)
        stats.add_outcome(Outcome(rejected=Rejection("inconsistent")), "single")
        save_stats(tmp_path / f"s{i}" / "dialogs.stats.json", stats, "gen-dialogs", dialog_figures)
    first = orjson.loads((tmp_path / "s0" / "dialogs.stats.json").read_bytes())
    assert first["mix"] == {"parallel": 0.5, "single": 0.5}
    merge_runs([tmp_path / "s0", tmp_path / "s1"], tmp_path / "merged")
    merged = orjson.loads((tmp_path / "merged" / "dialogs.stats.json").read_bytes())
    assert merged["mix"] == {"parallel": 0.3333, "single": 0.6667}  # 2 of 6 and 4 of 6, not 0.5 + 0.5
    assert merged["kinds"]["single"] == {"made": 4, "dropped": {"inconsistent": 2}, "mean_turns": 2.0, "tokens": 0}
    assert merged["strata"]["single"]["kept"] == 4 and merged["reasons"] == {"inconsistent": 2}
    assert merged["apis"] == 12  # a fact every shard agrees on stays as it is
    assert merged["quotas"] == [{"single": 1, "parallel": 1}, {"single": 3, "parallel": 1}]  # else shard by shard
