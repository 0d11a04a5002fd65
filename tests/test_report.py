"""`toolace report`: statistics of a run directory, the dataset card and the self-contained page."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import orjson
import pytest
import yaml

from toolace.config import RunConfig
from toolace.errors import InputError
from toolace.jobs import Rejection
from toolace.jsonl import JsonlWriter, write_json_atomic
from toolace.llm.base import Usage
from toolace.records import Api, AssistantMessage, Dialog, Failure, ToolCall, ToolMessage, UserMessage, Verdict
from toolace.report import collect, write_report
from toolace.run_stats import RunStats, save_stats
from toolace.runner import stats_path

DOMAINS = ["Travel", "Finance", "Entertainment and Media Streaming Services", "Healthcare", "Weather",
           "E-commerce Order Management", "Education", "Sports", "Real Estate and Property Listings", "Logistics",
           "Social Media", "Cybersecurity and Identity Verification", "Food and Recipes", "Automotive", "Gaming",
           "Government Open Data Portals", "Energy", "Music", "Legal", "Agriculture", "Science", "Jobs", "News"]
# A skewed mix, as a real run gives: more single calls than dependent chains.
KINDS = ["single"] * 4 + ["parallel"] * 2 + ["non_tool"] * 2 + ["dependent", "irrelevance", "clarify", "multi_turn"]
CHECKS = ["call.unknown_argument", "call.missing_required", "call.type_mismatch", "dialog.mixed_language",
          "judge.hallucination", "judge.consistency"]


def make_api(rng: random.Random, i: int) -> Api:
    """An API with a few parameters; some carry arrays of objects or nested objects."""
    properties = {"query": {"type": "string", "description": "what to look for"}}
    for j in range(rng.randint(0, 4)):
        properties[f"p{j}"] = {"type": rng.choice(["string", "integer", "number", "boolean"]), "description": "x"}
    shape = i % 4
    if shape == 1:
        properties["items"] = {"type": "array", "description": "line items",
                               "items": {"type": "object", "properties": {"sku": {"type": "string"},
                                                                          "qty": {"type": "integer"}}}}
    elif shape == 2:
        properties["filters"] = {"type": "object", "description": "filters",
                                 "properties": {"tags": {"type": "array", "items": {"type": "string"}}}}
    domain = DOMAINS[min(int(rng.paretovariate(1.2)) - 1, len(DOMAINS) - 1)] if i >= len(DOMAINS) else DOMAINS[i]
    return Api(name=f"api_{i}", description=f"Does thing {i}.", domain=[domain, "Sub"],
               parameters={"type": "object", "properties": properties, "required": ["query"]},
               returns={"type": "object", "properties": {"ok": {"type": "boolean"}}} if i % 3 else None,
               meta={"provenance": {"model": "test-model-7b", "mutation": "add_parameters"}})


def make_dialog(rng: random.Random, i: int, apis: list[Api]) -> Dialog:
    kind = KINDS[i % len(KINDS)]
    tools = rng.sample(apis, k=min(len(apis), rng.randint(1, 3)))
    turns = rng.randint(2, 4) if kind == "multi_turn" else 1
    calls = {"parallel": 2, "dependent": 2, "non_tool": 0, "irrelevance": 0, "clarify": 0}.get(kind, 1)
    messages = []
    for turn in range(turns):
        messages.append(UserMessage(role="user", content=f"request {turn}"))
        if calls:
            made = [ToolCall(id=f"c{turn}_{k}", name=tools[0].name, arguments={"query": "x"}) for k in range(calls)]
            messages.append(AssistantMessage(role="assistant", tool_calls=made))
            messages += [ToolMessage(role="tool", tool_call_id=c.id, name=c.name, content={"ok": True}) for c in made]
        messages.append(AssistantMessage(role="assistant", content="done"))
    return Dialog(id=f"d{i}", kind=kind, tools=tools, messages=messages,
                  meta={"tokens": usage_meta(rng), "model": "test-model-7b"})


def usage_meta(rng: random.Random) -> dict:
    """``meta.tokens`` as gen-dialogs records it."""
    prompt = int(rng.lognormvariate(6.0, 0.35))
    return {"prompt": prompt, "completion": prompt // 3, "cached": prompt // 2, "requests": 3}


def build_run(run_dir: Path, n_apis: int = 12, n_dialogs: int = 30, seed: int = 0) -> dict:
    """A realistic run directory; returns the figures a report must show, counted while writing."""
    rng = random.Random(seed)
    run_dir.mkdir(parents=True, exist_ok=True)
    apis = [make_api(rng, i) for i in range(n_apis)]
    dialogs = [make_dialog(rng, i, apis) for i in range(n_dialogs)]
    expect: dict = {"apis": n_apis, "dialogs": n_dialogs, "api_domains": Counter(a.domain[0] for a in apis),
                    "array_of_objects": sum(i % 4 == 1 for i in range(n_apis)),
                    "nested": sum(i % 4 in (1, 2) for i in range(n_apis)), "checks": Counter(), "verified_kinds": Counter(),
                    "turns": Counter(sum(isinstance(m, UserMessage) for m in d.messages) for d in dialogs),
                    "calls": Counter(len(d.calls()) for d in dialogs)}
    with JsonlWriter(run_dir / "apis.jsonl") as w:
        for api in apis:
            w.write(api)
    with JsonlWriter(run_dir / "apis.rejected.jsonl") as w:
        for i in range(3):
            w.write(Rejection.of("duplicate" if i else "invalid_schema", "bad").to_record(f"a{i}", "synth-apis"))
    with JsonlWriter(run_dir / "dialogs.jsonl") as w:
        for d in dialogs:
            w.write(d)
    with JsonlWriter(run_dir / "dialogs.rejected.jsonl") as w:
        w.write(Rejection.of("llm_length", "cut off", detail="the reply so far").to_record("x1", "gen-dialogs"))
    verified = rejected = 0
    with JsonlWriter(run_dir / "verified.jsonl") as kept, JsonlWriter(run_dir / "rejected.jsonl") as bad:
        for i, d in enumerate(dialogs):
            if i % 5 == 4:
                failed = [CHECKS[i % len(CHECKS)], CHECKS[(i + 1) % len(CHECKS)]]
                # the same check twice counts the dialog once
                failures = [Failure(check=c, message="bad") for c in failed + failed[:1]]
                d = d.model_copy(update={"verdict": Verdict(passed=False, layer="rules", failures=failures)})
                bad.write(Rejection("rules", [f.to_dict() for f in failures], record=d.to_dict()).to_record(d.id, "verify"))
                expect["checks"].update(failed)
                rejected += 1
            else:
                kept.write(d.model_copy(update={"verdict": Verdict(passed=True, layer="model")}))
                expect["verified_kinds"][d.kind] += 1
                verified += 1
    expect.update(verified=verified, rejected=rejected)
    for name, kept_n, rejected_n, prompt in [("apis", n_apis, 3, 40_000), ("dialogs", n_dialogs, 1, 200_000),
                                              ("verified", verified, rejected, 90_000)]:
        stats = RunStats(kept=kept_n, rejected=rejected_n, elapsed=12.5, runs=1,
                         usage=Usage(prompt_tokens=prompt, completion_tokens=prompt // 4, cached_tokens=prompt // 2,
                                     requests=kept_n * 3))
        save_stats(stats_path(run_dir / f"{name}.jsonl"), stats, name)
    config = RunConfig(name="demo-run", seed=7).model_dump()
    config["engine"]["model"] = "test-model-7b"
    config["dialogs"]["mix"] = {"single": 0.3, "parallel": 0.2, "non_tool": 0.5}
    write_json_atomic(run_dir / "config.json", config)
    (run_dir / "export").mkdir(exist_ok=True)
    with JsonlWriter(run_dir / "export" / "openai.jsonl") as w:
        for d in range(verified):
            w.write({"messages": [{"role": "user", "content": "hi"}], "tools": []})
    with JsonlWriter(run_dir / "export" / "sharegpt.jsonl") as w:
        for d in range(verified - 2):
            w.write({"conversations": [{"from": "human", "value": "hi"}], "system": "", "tools": "[]"})
    with JsonlWriter(run_dir / "export" / "sharegpt.skipped.jsonl") as w:
        for i in range(2):
            w.write(Rejection.of("multi_turn", "...").to_record(f"d{i}", "export"))
    save_stats(run_dir / "export" / "sharegpt.stats.json",
               RunStats(kept=verified - 2, rejected=2, reasons=Counter(multi_turn=2), runs=1, facts={
                   "format": "sharegpt", "out": str(run_dir / "export" / "sharegpt.jsonl"),
                   "source": str(run_dir / "verified.jsonl"),
                   "augment": {"mask_functions": 0.5, "irrelevance": 0.0, "seed": 0}}), "export")
    write_json_atomic(run_dir / "export" / "dataset_info.json", {"toolace_sharegpt": {
        "file_name": "sharegpt.jsonl", "formatting": "sharegpt",
        "columns": {"messages": "conversations", "system": "system", "tools": "tools"}}})
    expect["exports"] = {"openai": verified, "sharegpt": verified - 2}
    return expect


@pytest.fixture
def run(tmp_path):
    run_dir = tmp_path / "demo"
    return run_dir, build_run(run_dir)


def front_matter(text: str) -> dict:
    match = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    assert match, "the card must start with YAML front matter"
    return yaml.safe_load(match.group(1))


def test_collect_counts_what_the_run_holds(run):
    run_dir, expect = run
    s = collect(run_dir)
    assert s.apis.count == expect["apis"] and s.dialogs.count == expect["dialogs"]
    assert s.verified.count == expect["verified"] and s.rejections.verify_rejected == expect["rejected"]
    assert s.apis.domains == expect["api_domains"]
    assert s.apis.array_of_objects == expect["array_of_objects"] and s.apis.nested == expect["nested"]
    # nested parameters are counted at their depth: sku/qty inside arrays of objects, tags inside objects
    assert s.apis.param_types["integer", "nested"] >= expect["array_of_objects"]
    assert s.apis.param_types["array", "nested"] == sum(i % 4 == 2 for i in range(expect["apis"]))
    assert s.verified.kinds == expect["verified_kinds"]
    assert s.rejections.checks == expect["checks"]
    assert s.rejections.layers == Counter(rules=expect["rejected"]) and s.rejections.verify_reasons == Counter()
    assert s.rejections.stage_reasons == {"apis": Counter({"duplicate": 2, "invalid_schema": 1}),
                                          "dialogs": Counter({"llm_length": 1})}
    assert s.dialogs.turns == expect["turns"] and len(expect["turns"]) > 1
    assert s.dialogs.calls == expect["calls"] and len(expect["calls"]) > 2
    assert s.dialogs.tokens.count == expect["dialogs"]
    assert set(s.stages) == {"apis", "dialogs", "verified"} and s.stages["dialogs"]["usage"]["prompt_tokens"] == 200_000
    assert {e.format: e.rows for e in s.exports} == expect["exports"]
    assert s.setting("dialogs", "mix") == {"single": 0.3, "parallel": 0.2, "non_tool": 0.5}


def test_card_front_matter_parses_and_holds_the_counts(run):
    run_dir, expect = run
    write_report(run_dir, license="cc-by-4.0")
    text = (run_dir / "README.md").read_text()
    meta = front_matter(text)
    assert meta["license"] == "cc-by-4.0"
    assert meta["task_categories"] == ["text-generation"]
    assert {"function-calling", "tool-use", "synthetic"} <= set(meta["tags"])
    assert meta["size_categories"] == ["n<1K"]
    configs = {c["config_name"]: c["data_files"] for c in meta["configs"]}
    assert configs == {"openai": [{"split": "train", "path": "export/openai.jsonl"}],
                       "sharegpt": [{"split": "train", "path": "export/sharegpt.jsonl"}]}
    for path in configs.values():
        assert (run_dir / path[0]["path"]).is_file()
    body = text.split("---\n", 2)[2]
    assert f"**{expect['verified']} verified tool-use dialogs**" in body
    assert f"**{expect['apis']} synthetic APIs**" in body
    assert 'load_dataset("json", data_files="export/openai.jsonl", split="train")' in body
    # the LLaMA-Factory entry is the exporter's own, under its own name
    assert '"toolace_sharegpt": {' in body and '"file_name": "sharegpt.jsonl"' in body
    assert "then train with `dataset: toolace_sharegpt`" in body
    assert f"| `openai` | `export/openai.jsonl` | {expect['exports']['openai']} | ? |" in body
    assert f"| `sharegpt` | `export/sharegpt.jsonl` | {expect['exports']['sharegpt']} | `verified.jsonl` |" in body
    assert "| model | test-model-7b |" in body and "| seed | 7 |" in body
    assert "| dialog kind mix | single: 0.3, parallel: 0.2, non_tool: 0.5 |" in body
    for check, n in expect["checks"].items():
        assert f"|   {check} | {n} |" in body
    assert f"| rejected (rejected.jsonl) | {expect['rejected']} |" in body
    assert "## Limitations" in body and "synthetic" in body


def test_license_defaults_to_the_run_config_then_apache(run):
    run_dir, _ = run
    write_report(run_dir)
    assert front_matter((run_dir / "README.md").read_text())["license"] == "apache-2.0"
    config = orjson.loads((run_dir / "config.json").read_bytes())
    config["report"]["license"] = "mit"
    write_json_atomic(run_dir / "config.json", config)
    write_report(run_dir)
    assert front_matter((run_dir / "README.md").read_text())["license"] == "mit"


def table_rows(html: str, title: str) -> dict[str, list[str]]:
    """First cell -> other cells of the table under the <h3> with this title."""
    section = html.split(f"<h3>{title}</h3>", 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", section, re.S):
        cells = [re.sub(r"<.*?>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        rows[cells[0]] = cells[1:]
    return rows


def test_html_is_self_contained_with_one_image_per_plot_and_the_fixture_numbers(run):
    run_dir, expect = run
    done = write_report(run_dir)
    html = done.page.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html
    images = re.findall(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(done.plots) == 6 and all(p.png for p in done.plots)
    assert len(images) == len(done.plots)
    import base64
    assert all(base64.b64decode(img)[:8] == b"\x89PNG\r\n\x1a\n" for img in images)
    files = table_rows(html, "Files")
    assert files["apis.jsonl"] == [str(expect["apis"])]
    assert files["verified.jsonl"] == [str(expect["verified"])]
    assert files["rejected.jsonl"] == [str(expect["rejected"])]
    assert files["apis.rejected.jsonl"] == ["3"]
    kinds = table_rows(html, "Dialog kinds")
    for kind, n in expect["verified_kinds"].items():
        assert kinds[kind][1] == str(n)
    checks = table_rows(html, "Verification: rejected dialogs per failed check")
    for check, n in expect["checks"].items():
        assert checks[check][0] == str(n)
    exports = table_rows(html, "Exported files")
    assert exports["openai"] == ["export/openai.jsonl", str(expect["exports"]["openai"]), "?", "0", "none"]
    assert exports["sharegpt"] == ["export/sharegpt.jsonl", str(expect["exports"]["sharegpt"]), "verified.jsonl",
                                   "2 (multi_turn 2)", "mask_functions 0.5"]
    stages = table_rows(html, "Stages")
    assert stages["dialogs"][:3] == [str(expect["dialogs"]), "1", "90"]
    tokens = table_rows(html, "Tokens per kept sample")
    assert tokens["engine tokens, all stages"] == ["412,500"]  # prompt + completion of the three stats files
    assert tokens["engine tokens of all stages per final dialog"] == [f"{round(412_500 / expect['verified']):,}"]
    assert "engine tokens per verified dialog (meta.tokens, mean)" in tokens
    assert "&quot;demo-run&quot;" in html  # the resolved config is shown


def test_a_run_with_only_apis_reports_the_rest_as_missing(tmp_path):
    run_dir = tmp_path / "apis-only"
    run_dir.mkdir()
    with JsonlWriter(run_dir / "apis.jsonl") as w:
        for i in range(5):
            w.write(make_api(random.Random(i), i))
    done = write_report(run_dir)
    drawn = {p.key for p in done.plots if p.png}
    assert drawn == {"domains", "parameters"}
    html = done.page.read_text()
    assert html.count("<img ") == 2
    assert "No plot of dialog kind mix: no dialogs.jsonl or verified.jsonl." in html
    assert "Missing: no config.json or config.toml in the run directory." in html
    card = (run_dir / "README.md").read_text()
    meta = front_matter(card)
    assert "configs" not in meta and meta["size_categories"] == ["n<1K"]
    assert "No exported training files yet" in card
    assert "| dialogs.jsonl | missing |" in card and "| apis.jsonl | 5 |" in card


def test_a_run_that_kept_nothing_still_shows_its_costs(run):
    run_dir, expect = run
    (run_dir / "verified.jsonl").write_text("")
    done = write_report(run_dir)
    assert {p.key for p in done.plots if p.png} == {"kinds", "domains", "parameters", "turns", "rejections", "tokens"}
    tokens = table_rows(done.page.read_text(), "Tokens per kept sample")
    assert tokens["engine tokens of all stages per final dialog"] == ["- (no dialog kept)"]
    assert "engine tokens per generated dialog (meta.tokens, mean)" in tokens
    assert "**0 verified tool-use dialogs**" in (run_dir / "README.md").read_text()


def test_parquet_exports_are_counted_and_preferred(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa
    run_dir = tmp_path / "run"
    (run_dir / "export").mkdir(parents=True)
    pq.write_table(pa.table({"query": ["a", "b", "c"]}), run_dir / "export" / "xlam.parquet")
    with JsonlWriter(run_dir / "export" / "xlam.jsonl") as w:
        for q in "abc":
            w.write({"query": q})
    write_report(run_dir)
    meta = front_matter((run_dir / "README.md").read_text())
    assert meta["configs"] == [{"config_name": "xlam", "data_files": [{"split": "train", "path": "export/xlam.parquet"}],
                                "default": True}]


def test_token_counts_are_read_from_every_usage_shape(tmp_path):
    shapes = [7, {"prompt": 5, "completion": 2, "cached": 4}, {"prompt_tokens": 3, "completion_tokens": 4},
              {"total_tokens": 7}, {"requests": 2}, None, "7"]
    with JsonlWriter(tmp_path / "dialogs.jsonl") as w:
        for i, tokens in enumerate(shapes):
            w.write({"id": str(i), "kind": "single", "messages": [{"role": "user", "content": "x"}],
                     "meta": {"tokens": tokens}})
    tokens = collect(tmp_path).dialogs.tokens
    assert tokens.count == 4 and tokens.total == 28


def test_verify_default_rejected_file_counts_as_verifier_rejections(tmp_path):
    failures = [{"check": "judge.hallucination", "message": "made up"}]
    dialog = {"id": "d1", "kind": "single", "messages": [{"role": "user", "content": "x"}],
              "verdict": {"passed": False, "layer": "model", "failures": failures}}
    with JsonlWriter(tmp_path / "verified.rejected.jsonl") as w:
        w.write(Rejection("model", failures, record=dialog).to_record("d1", "verify"))
    s = collect(tmp_path)
    assert s.rejections.checks == Counter({"judge.hallucination": 1}) and s.rejections.layers == Counter(model=1)
    assert s.rejections.stage_reasons == {} and s.rejections.rows == {"verified.rejected.jsonl": 1}


def test_config_toml_is_read(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.toml").write_text('seed = 3\n[engine]\nmodel = "Qwen/Qwen2.5-7B-Instruct"\n')
    s = collect(run_dir)
    assert s.config_file == "config.toml" and s.setting("engine", "model") == "Qwen/Qwen2.5-7B-Instruct"


def test_bad_run_directories_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="no such run directory"):
        collect(tmp_path / "nope")
    with pytest.raises(InputError, match="no run files found"):
        collect(tmp_path)
    (tmp_path / "apis.jsonl").write_text('{"name": "a"}\n{not json\n')
    with pytest.raises(InputError, match=r"apis.jsonl:2: not valid JSON"):
        collect(tmp_path)


def cli(*args):
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "toolace", *args], capture_output=True, text=True, env=env, timeout=120)


def test_cli_writes_both_files(run):
    run_dir, _ = run
    out = cli("report", str(run_dir), "--license", "cc-by-sa-4.0")
    assert out.returncode == 0, out.stderr
    assert (run_dir / "README.md").is_file() and (run_dir / "report.html").is_file()
    assert "plot kinds" in out.stderr and "drawn" in out.stderr
    assert front_matter((run_dir / "README.md").read_text())["license"] == "cc-by-sa-4.0"


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_cli_bad_run_dir_is_one_line_exit_2(tmp_path, make):
    target = tmp_path / "nope"
    if make == "empty":
        target.mkdir()
    out = cli("report", str(target))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and str(target) in lines[0]


def test_sharegpt_without_dataset_info_gets_a_default_llama_factory_entry(tmp_path):
    run_dir = tmp_path / "my-run"
    (run_dir / "export").mkdir(parents=True)
    with JsonlWriter(run_dir / "export" / "sharegpt.jsonl") as w:
        w.write({"conversations": [{"from": "human", "value": "hi"}], "system": "", "tools": "[]"})
    write_report(run_dir)
    card = (run_dir / "README.md").read_text()
    entry = re.search(r"```json\n(.*?)```", card, re.S).group(1)
    assert orjson.loads(entry) == {"my-run": {"file_name": "sharegpt.jsonl", "formatting": "sharegpt", "columns": {
        "messages": "conversations", "system": "system", "tools": "tools"}}}
    assert "| `sharegpt` | `export/sharegpt.jsonl` | 1 | ? |" in card
