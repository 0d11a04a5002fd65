"""The runner owns stats and rejected records (issue 15): stats add across resumes and shards with
shares recomputed, every stage writes its rejected records in one shape, and the report reads it."""

import json
import zlib
from collections import Counter

import orjson
from api_fakes import SpecWriter, small_tree
from dialog_apis import library
from test_formats_data import make_dialogs, write_dialogs
from verify_samples import good

from toolace.apis.synth import synth_apis
from toolace.dialogs import gen_dialogs
from toolace.testing.responders import agent_responder
from toolace.formats.export import export_dialogs
from toolace.formats.imports import import_apis, import_dialogs
from toolace.grow_tree import grow_tree
from toolace.jsonl import read_jsonl
from toolace.llm.fake import ScriptedLLM
from toolace.merge import merge_runs
from toolace.report import collect
from toolace.run_stats import RunStats
from toolace.tree import save_tree, tree_from_dict
from toolace.verify.run import verify_dialogs

ONE_SHAPE = {"id", "stage", "reason", "failures", "detail", "record", "context"}


def some_tool_results_unreadable(request):
    """The agents' replies, except the tool result of about one call in three, which is never JSON (its
    re-asks too, so the dialog is dropped): the same requests get the same replies in every run, so a
    dialog is dropped or kept whatever the split."""
    if request.schema_name == "tool_result" and zlib.crc32(orjson.dumps(request.messages[0])) % 3 == 0:
        return "not json"
    return agent_responder(request)


async def dialogs(out, count, mix, shard=None):
    llm = ScriptedLLM(responder=some_tool_results_unreadable)
    await gen_dialogs(llm, library(), count=count, out=out, workers=1, mix=mix, consistency=1, tool_error_rate=0.0,
                      shard=shard)
    return orjson.loads(out.with_name("dialogs.stats.json").read_bytes()), llm


def counts(stats: dict) -> dict:
    """A stats file without what depends on how the work was split: time, runs, this run's skips."""
    drop = {"elapsed_s", "runs", "skipped"}
    return {k: ({s: {k2: v2 for k2, v2 in sub.items() if k2 not in drop} for s, sub in v.items()}
                if k == "strata" else v) for k, v in stats.items() if k not in drop}


async def test_a_run_resumed_from_10_to_20_has_the_stats_of_one_run_of_20(tmp_path):
    mix = {"single": 0.5, "parallel": 0.5}
    first, llm_first = await dialogs(tmp_path / "resumed" / "dialogs.jsonl", 10, mix)
    resumed, llm_second = await dialogs(tmp_path / "resumed" / "dialogs.jsonl", 20, mix)
    one, _ = await dialogs(tmp_path / "one" / "dialogs.jsonl", 20, mix)
    assert one["rejected"] > 0 and one["reasons"] == {"llm_invalid_json": one["rejected"]}  # drops are counted too
    assert counts(resumed) == counts(one)
    # Both runs' requests, not only the second's; every kept and rejected record once.
    both = len(llm_first.requests) + len(llm_second.requests)
    assert resumed["usage"]["requests"] == both > first["usage"]["requests"] == len(llm_first.requests)
    assert (resumed["runs"], resumed["skipped"], resumed["kept"]) == (2, first["kept"] + first["rejected"], 20)
    assert resumed["mix"] == {"parallel": 0.5, "single": 0.5} and resumed["quotas"] == {"parallel": 10, "single": 10}
    assert resumed["kinds"]["single"]["made"] == 10 and resumed["kinds"]["single"]["mean_turns"] == 1.0
    assert resumed["elapsed_s"] >= first["elapsed_s"]


async def test_four_merged_shards_have_the_counts_and_mix_of_one_run(tmp_path):
    mix = {"single": 0.6, "parallel": 0.4}
    shards = [(await dialogs(tmp_path / f"s{i}" / "dialogs.jsonl", 5, mix, shard=(i, 4)))[0] for i in range(4)]
    one, _ = await dialogs(tmp_path / "one" / "dialogs.jsonl", 20, mix)
    assert all(s["mix"] == {"parallel": 0.4, "single": 0.6} for s in shards)
    merge_runs([tmp_path / f"s{i}" for i in range(4)], tmp_path / "merged")
    merged = orjson.loads((tmp_path / "merged" / "dialogs.stats.json").read_bytes())
    assert merged["mix"] == one["mix"] == {"parallel": 0.4, "single": 0.6}  # recomputed: summed it would be 2.4
    assert {k: v["made"] for k, v in merged["kinds"].items()} == {k: v["made"] for k, v in one["kinds"].items()}
    assert merged["kinds"]["single"]["mean_turns"] == 1.0  # recomputed from the added counts, not 4.0
    assert (merged["runs"], merged["kept"]) == (4, 20) == (4, len(list(read_jsonl(tmp_path / "merged" / "dialogs.jsonl"))))
    # Every count is the shards' counts added.
    total = sum((RunStats.from_dict(s) for s in shards), RunStats())
    assert merged["rejected"] == total.rejected > 0 and merged["reasons"] == dict(total.reasons)
    assert merged["usage"] == total.usage.to_dict() and merged["counters"] == dict(total.counters)
    assert merged["quotas"] == {"single": 3, "parallel": 2}  # every shard's own quotas, which all agree


async def test_every_stage_writes_rejected_records_in_one_shape_and_the_report_reads_them(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    await synth_apis(ScriptedLLM(responder=SpecWriter(duplicate_every=4, invalid_every=5)), small_tree(), count=8,
                     workers=1, out=run / "apis.jsonl")
    await dialogs(run / "dialogs.jsonl", 6, {"single": 1.0})
    broken = good()
    broken["id"], broken["messages"][1]["tool_calls"][0]["arguments"]["city"] = "broken", True
    (tmp_path / "to_verify.jsonl").write_bytes((run / "dialogs.jsonl").read_bytes() + orjson.dumps(broken) + b"\n")
    await verify_dialogs([tmp_path / "to_verify.jsonl"], out=run / "verified.jsonl", rejected=run / "rejected.jsonl")
    (tmp_path / "tools.jsonl").write_text(json.dumps({"name": "ok", "parameters": {"type": "object"}}) + "\n"
                                          + json.dumps({"unrelated": 1}) + "\n")
    await import_apis([tmp_path / "tools.jsonl"], "toolace", run / "imported.jsonl")
    bad_row = {"messages": [{"role": "user", "content": "Go."}, {"role": "assistant", "content":
                            "<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call> then more"}]}
    (tmp_path / "rows.jsonl").write_text(json.dumps(bad_row) + "\n")
    await import_dialogs(tmp_path / "rows.jsonl", "hermes", run / "imported_dialogs.jsonl")
    mixed = write_dialogs(tmp_path / "mixed.jsonl", make_dialogs(20))  # multi-turn ones do not fit xlam
    await export_dialogs(mixed, "xlam", run / "export" / "xlam.jsonl")
    save_tree(tree_from_dict({"format": "toolace-tree", "version": 1, "name": "t", "nodes": [
        {"id": "root", "name": "All", "description": "All.", "parent": None}]}), tmp_path / "seed.json")
    twice = {"children": [{"name": "Travel", "description": "Trips."}, {"name": "travels", "description": "Again."}]}
    await grow_tree(ScriptedLLM(responder=lambda request: twice), tree=tmp_path / "seed.json", out=run / "tree.json",
                    depth=1, branching=2)

    files = {"apis.rejected.jsonl": "synth-apis", "dialogs.rejected.jsonl": "gen-dialogs", "rejected.jsonl": "verify",
             "imported.rejected.jsonl": "import-apis", "imported_dialogs.rejected.jsonl": "import-dialogs",
             "export/xlam.skipped.jsonl": "export", "tree.rejected.jsonl": "grow-tree"}
    reasons = {}
    for name, stage in files.items():
        rows = list(read_jsonl(run / name))
        assert rows, f"{name}: the fixture must reject something"
        for row in rows:
            assert set(row) == ONE_SHAPE and row["stage"] == stage, (name, row)
            assert row["failures"] and all(f["check"] and f["message"] for f in row["failures"]), (name, row)
        reasons[name] = Counter(row["reason"] for row in rows)
        stats_name = name.replace("rejected.jsonl", "stats.json").replace("skipped.jsonl", "stats.json")
        stats = orjson.loads((run / ("verified.stats.json" if stage == "verify" else stats_name)).read_bytes())
        assert stats["stage"] == stage and stats["reasons"] == dict(reasons[name]), name  # counted as written
    assert reasons["tree.rejected.jsonl"] == {"duplicate": 1} and reasons["rejected.jsonl"] == {"rules": 1}

    summary = collect(run)
    r = summary.rejections
    assert r.stage_reasons == {name.removesuffix(".rejected.jsonl"): reasons[name] for name in files
                               if name.endswith(".rejected.jsonl") and name != "rejected.jsonl"}
    assert (r.verify_rejected, r.layers, r.checks) == (1, Counter(rules=1), Counter(wrong_type=1))
    assert {e.format: dict(e.skipped) for e in summary.exports} == {"xlam": dict(reasons["export/xlam.skipped.jsonl"])}
    assert summary.stages["tree"]["kept"] == 1 and summary.stages["tree"]["rejected"] == 1
