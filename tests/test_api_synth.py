"""synth-apis end to end with a scripted model: counts, diversity, duplicates, rejections, resume."""

import asyncio
import re
import os
import subprocess
import sys
import time
from collections import Counter

import orjson
import pytest
from api_fakes import SpecWriter, small_tree

from toolace.apis.checks import api_problems
from toolace.apis.dedup import NearDuplicates, normalised_name
from toolace.apis.evolve import MUTATIONS, load_examples
from toolace.apis.spec import SPEC_SCHEMA
from toolace.apis.synth import synth_apis
from toolace.apis.writer import synthesis_messages
from toolace.jsonl import count_lines, read_jsonl
from toolace.llm.fake import ScriptedLLM
from toolace.prompts import load_prompt
from toolace.records import Api
from toolace.testing.fake_server import FakeOpenAIServer, reply
from toolace.tree import save_tree

# The one provenance shape: each prompt file the API was written with, by its content hash.
PROMPT_VERSIONS = {name: load_prompt(name).hash for name in ("api_synth", "api_synth_task", "api_mutations")}


async def test_2000_apis_cover_every_level_and_mutation_without_duplicates(tmp_path):
    out = tmp_path / "apis.jsonl"
    llm = ScriptedLLM(responder=SpecWriter(duplicate_every=10, invalid_every=13), record=False)
    stats = await synth_apis(llm, small_tree(), count=2000, workers=16, out=out, seed=3)
    apis = list(read_jsonl(out))
    assert len(apis) == stats.kept == 2000
    assert Counter(a["meta"]["level"] for a in apis).keys() == {"single", "siblings", "cross", "family"}
    assert Counter(a["meta"]["mutation"] for a in apis).keys() == {*MUTATIONS, "chain"}
    names = [normalised_name(a["name"]) for a in apis]
    assert len(set(names)) == 2000
    index = NearDuplicates(0.85)
    assert all(index.admit(a) is None for a in apis)
    assert all(api_problems(Api.model_validate(a), require_returns=True) == [] for a in apis[:200])
    rejected = list(read_jsonl(tmp_path / "apis.rejected.jsonl"))
    reasons = Counter(r["reason"] for r in rejected)
    assert reasons == stats.reasons and reasons["duplicate"] > 300 and reasons["invalid_schema"] > 100
    duplicate = next(r for r in rejected if r["reason"] == "duplicate")
    assert duplicate["context"]["duplicate_of"] in {a["name"] for a in apis} and duplicate["context"]["similarity"] >= 0.85
    assert duplicate["record"]["meta"]["job_id"] == duplicate["id"] and duplicate["stage"] == "synth-apis"
    invalid = next(r for r in rejected if r["reason"] == "invalid_schema")
    assert invalid["failures"][0]["path"] == "parameters.properties.unit.default"
    saved = orjson.loads((tmp_path / "apis.stats.json").read_bytes())
    assert saved["kept"] == 2000 and saved["library"]["apis"] == 2000 and saved["reasons"]["duplicate"] > 300


async def test_prompt_carries_subtree_example_and_operation_and_provenance_matches(tmp_path):
    llm = ScriptedLLM(responder=SpecWriter())
    await synth_apis(llm, small_tree(), count=12, workers=1, out=tmp_path / "apis.jsonl", seed=5)
    apis = list(read_jsonl(tmp_path / "apis.jsonl"))
    seeds = {e["name"] for e in load_examples()}
    for request, api in zip(llm.requests, apis):
        system, user = request.messages
        chained = meta_links = api["meta"].get("links")
        assert request.schema_name == "api_spec"
        assert (request.schema == SPEC_SCHEMA) != bool(chained)
        if meta_links:  # a family job: its first parameter is the producer's id field, pinned
            link, = meta_links
            assert list(api["parameters"]["properties"])[0] == link["field"] == link["parameter"]
            assert api["meta"]["parent"] == link["from"] and api["meta"]["level"] == "family"
        assert "You design APIs" in system["content"]
        meta = api["meta"]
        for name in (api["domain"][-1],):
            assert f"> {name}: Lets a user {name}." in user["content"]
        assert user["content"].count("\n- ") + user["content"].startswith("- ") >= len(meta["tree_nodes"]) - 1
        assert f'{{"name":"{meta["parent"]}"' in user["content"]
        assert f"Operation: {meta['mutation'].replace('_', ' ')}." in user["content"]
        assert meta["parent"] in seeds or meta["parent"] in {a["name"] for a in apis}
        assert meta["job_id"].startswith("api-5-") and meta["model"] == "scripted" and meta["seed"] == 5
        assert meta["prompts"] == PROMPT_VERSIONS and api["domain"][0] in {"Travel", "Finance", "Health", "Music"}
    # Accepted APIs join the buffer: later prompts show some of them as examples.
    assert any(a["meta"]["parent"] not in seeds for a in apis)



async def test_rewording_the_task_prompt_breaks_no_fake(tmp_path, monkeypatch):
    """The scripted spec writer reads what it was asked through the template, not by its wording."""
    import api_fakes
    from toolace.apis import writer
    from toolace.prompts import Prompt

    reworded = Prompt("api_synth_task", "Do: $operation ($instruction)\nWhat, $level_text:\n$subtree\nLike $example\n")
    monkeypatch.setattr(writer, "load_prompt", lambda name: reworded if name == reworded.name else load_prompt(name))
    monkeypatch.setattr(api_fakes, "load_prompt", writer.load_prompt)
    llm = ScriptedLLM(responder=SpecWriter())
    await synth_apis(llm, small_tree(), count=6, workers=1, out=tmp_path / "apis.jsonl", seed=5)
    assert all(r.messages[1]["content"].startswith("Do: ") for r in llm.requests)
    for api in read_jsonl(tmp_path / "apis.jsonl"):
        assert f"({api['meta']['mutation']})" in api["description"]
        assert api["name"].startswith(api["domain"][-1].replace(" ", "_")), api["name"]

async def test_eight_synthesised_apis_chain_into_dependent_dialogs(tmp_path):
    """Family jobs write APIs that take an earlier API's id: a library of 8 supports dependent dialogs,
    and ``toolace stats`` lists the links."""
    from toolace.apis.stats import library_stats
    from toolace.dialogs import gen_dialogs
    from toolace.testing.responders import agent_responder

    out = tmp_path / "apis.jsonl"
    await synth_apis(ScriptedLLM(responder=SpecWriter()), small_tree(), count=8, workers=2, out=out, seed=1)
    apis = list(read_jsonl(out, Api))
    chained = [a for a in apis if a.meta.get("links")]
    assert len(chained) >= 2
    links = library_stats(out).links()
    for api in chained:
        link = api.meta["links"][0]
        assert (link["from"], link["field"], api.name, link["parameter"]) in links
    dialogs = tmp_path / "dialogs.jsonl"
    await gen_dialogs(ScriptedLLM(responder=agent_responder, record=False), apis, count=4, out=dialogs,
                      mix={"dependent": 1.0}, consistency=1, tool_error_rate=0.0)
    made = list(read_jsonl(dialogs))
    assert len(made) == 4 and all(d["kind"] == "dependent" and d["meta"]["dependencies"] for d in made)
    result = subprocess.run([sys.executable, "-m", "toolace", "stats", str(out)], capture_output=True, text=True,
                            env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 0 and "output -> input links" in result.stdout
    assert f"{chained[0].meta['links'][0]['from']}.{chained[0].meta['links'][0]['field']}" in result.stdout


async def test_same_seed_same_jobs(tmp_path):
    runs = []
    for name in ("a", "b"):
        llm = ScriptedLLM(responder=SpecWriter())
        await synth_apis(llm, small_tree(), count=5, workers=1, out=tmp_path / f"{name}.jsonl", seed=9)
        runs.append([(a["meta"]["tree_nodes"], a["meta"]["mutation"]) for a in read_jsonl(tmp_path / f"{name}.jsonl")])
    assert runs[0] == runs[1]


async def test_invalid_replies_are_rejected_with_reasons(tmp_path):
    good = SpecWriter()
    bad_name = {**good.write(synthesis_messages("- x: y", "single", "{}", "add_parameters")), "name": "find_rooms_2"}
    llm = ScriptedLLM(["not json", "{}", {"name": "x"}], responder=good)  # 3 unusable replies: one job fails
    llm.enqueue(bad_name)
    out = tmp_path / "apis.jsonl"
    stats = await synth_apis(llm, small_tree(), count=3, workers=1, out=out,
                             name_pattern=r"(?!find_rooms)[a-z0-9_]+")
    rejected = {r["reason"]: r for r in read_jsonl(tmp_path / "apis.rejected.jsonl")}
    # A reply that never fits the schema is counted (and retried by a re-run), not written.
    assert stats.kept == 3 and stats.reasons == {"llm_schema_violation": 1, "bad_name": 1}
    assert set(rejected) == {"bad_name"} and rejected["bad_name"]["failures"][0]["path"] == "name"


async def test_a_copy_of_a_seed_example_is_a_duplicate(tmp_path):
    from toolace.apis.spec import api_to_spec
    llm = ScriptedLLM([api_to_spec(load_examples()[1])], responder=SpecWriter())
    await synth_apis(llm, small_tree(), count=2, workers=1, out=tmp_path / "apis.jsonl")
    [rejected] = read_jsonl(tmp_path / "apis.rejected.jsonl")
    assert rejected["reason"] == "duplicate" and rejected["context"]["duplicate_of"] == "search_flights"
    assert rejected["failures"][0]["message"].endswith("similar to search_flights")


async def test_resume_after_interruption_gives_exactly_n_unique(tmp_path):
    out = tmp_path / "apis.jsonl"
    writer = SpecWriter(duplicate_every=7)
    with pytest.raises(TimeoutError):
        slow = ScriptedLLM(responder=writer, delay=0.002)
        await asyncio.wait_for(synth_apis(slow, small_tree(), count=300, workers=8, out=out), timeout=0.3)
    first, first_rejected = list(read_jsonl(out)), count_lines(tmp_path / "apis.rejected.jsonl")
    assert 0 < len(first) < 300
    with open(out, "ab") as f:
        f.write(b'{"name": "torn')  # what a kill during a write leaves behind
    # The resumed run first repeats an API of the interrupted one: the rebuilt index catches it.
    from toolace.apis.spec import api_to_spec
    llm = ScriptedLLM([api_to_spec(first[0])], responder=writer)
    # (A family job's schema pins its first parameter: the copy must go to an ordinary job.)
    stats = await synth_apis(llm, small_tree(), count=300, workers=8, out=out, chain=0.0)
    apis = list(read_jsonl(out))
    assert len(apis) == 300 == stats.kept and stats.skipped == len(first) + first_rejected
    # The stopped run saved its counts; the resumed one adds its own: every rejection of both is counted.
    assert stats.runs == 2 and stats.rejected == count_lines(tmp_path / "apis.rejected.jsonl") > first_rejected
    assert len({a["meta"]["job_id"] for a in apis}) == 300 == len({normalised_name(a["name"]) for a in apis})
    assert out.read_bytes().endswith(b"}\n")
    assert any(r["context"].get("duplicate_of") == first[0]["name"] for r in read_jsonl(tmp_path / "apis.rejected.jsonl"))
    # Done is done: the same command again asks nothing.
    again = ScriptedLLM()
    await synth_apis(again, small_tree(), count=300, workers=8, out=out)
    assert again.requests == [] and len(list(read_jsonl(out))) == 300


def run_cli(*args, **kw):
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("TOOLACE_BASE_URL", None)
    return subprocess.Popen([sys.executable, "-m", "toolace", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, **kw)


def test_cli_kill_9_then_rerun_gives_exactly_n_unique(tmp_path):
    tree = tmp_path / "tree.json"
    save_tree(small_tree(), tree)
    out = tmp_path / "apis.jsonl"
    writer = SpecWriter(duplicate_every=9)

    def respond(body):
        time.sleep(0.01)
        return reply(writer.write(body["messages"]))

    with FakeOpenAIServer(responder=respond) as server:
        args = ["synth-apis", "--tree", str(tree), "--count", "150", "--workers", "8", "--out", str(out),
                "--base-url", server.base_url]
        process = run_cli(*args)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (not out.exists() or out.read_bytes().count(b"\n") < 20):
            time.sleep(0.02)
        process.kill()
        process.wait()
        interrupted = out.read_bytes().count(b"\n")
        assert 20 <= interrupted < 150
        process = run_cli(*args)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    apis = list(read_jsonl(out))
    assert len(apis) == 150 == len({a["name"] for a in apis}) == len({a["meta"]["job_id"] for a in apis})
    assert "already done (resumed)" in stderr and "APIs in library" in stderr and "duplicates removed" in stderr


def test_cli_stats_and_bad_options(tmp_path):
    out = tmp_path / "apis.jsonl"
    out.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in load_examples()))
    process = run_cli("stats", str(out))
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert "APIs in library" in stdout and "Finance" in stdout and "nested APIs" in stdout
    assert "rejected" not in stdout  # an imported library has no run figures
    (tmp_path / "apis.rejected.jsonl").write_text('{"id": "a", "reason": "duplicate"}\n' * 3)
    stdout, _ = run_cli("stats", str(out)).communicate(timeout=60)
    assert re.search(r"duplicates removed +│ +3", stdout) and re.search(r"kept +│ +8", stdout)
    tree = tmp_path / "tree.json"
    save_tree(small_tree(), tree)
    process = run_cli("synth-apis", "--tree", str(tree), "--out", str(out), "--levels", "solo=1",
                      "--base-url", "http://127.0.0.1:9/v1")
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2 and "--levels: unknown name 'solo'" in stderr and "Traceback" not in stderr
    process = run_cli("stats", str(tmp_path / "missing.jsonl"))
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2 and "missing.jsonl: no such file" in stderr


@pytest.mark.engine
async def test_real_engine_writes_valid_apis(engine, tmp_path):
    from toolace.llm.openai_client import OpenAIClient
    from toolace.tree import load_tree
    llm = OpenAIClient([engine.base_url], engine.model, timeout=300)
    out = tmp_path / "apis.jsonl"
    stats = await synth_apis(llm, load_tree("api_trees/seed.json"), count=4, workers=4, out=out)
    apis = list(read_jsonl(out, Api))
    assert len(apis) == stats.kept == 4
    assert all(api_problems(a, require_returns=True) == [] for a in apis)
    for r in read_jsonl(tmp_path / "apis.rejected.jsonl"):
        assert r["reason"]
