"""Real ground truth through the real importers: the checker keeps every correct call.

ToolAlpaca (114 items, xLAM style) carries its own calls; an independent oracle on the raw items
decides which calls are correct. ToolACE's 100 system prompts carry 446 real tool definitions but
no calls, so a dialog is built per tool with a schema-valid call written in ToolACE's own call
syntax and read back by the ToolACE importer.
"""

import json
import random
from pathlib import Path

import pytest

from toolace.formats import toolace_rows, xlam
from toolace.formats.callsyntax import print_calls
from toolace.formats.toolace_rows import tools_in_system
from toolace.testing.instances import instance
from toolace.verify.config import RuleConfig
from toolace.verify.rules_calls import compiled_api
from verify_samples import failures, verdict

DATA = Path(__file__).resolve().parents[2] / "shared" / "reference" / "data"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="reference data not present")
API_CHECKS = {"invalid_schema", "missing_description", "bad_name", "missing_returns"}


def oracle(tools: list[dict], answer: dict) -> set[str]:
    """What is wrong with one raw ToolAlpaca call, judged on the raw definitions."""
    tool = next((t for t in tools if t["name"] == answer["name"]), None)
    if tool is None:
        return {"unknown_function"}
    params, found = tool["parameters"], set()
    matches = {"string": lambda v: isinstance(v, str), "number": lambda v: type(v) in (int, float),
               "integer": lambda v: type(v) is int}
    for key, value in answer["arguments"].items():
        if key not in params:
            found.add("unknown_argument")
        elif not matches[params[key]["type"]](value):
            found.add("wrong_type")
    found |= {"missing_required" for key, spec in params.items()
              if spec.get("required") is True and key not in answer["arguments"]}
    return found


def test_toolalpaca_correct_calls_are_all_kept_and_broken_ones_named():
    """Correct calls get no call/dialog/consistency failure; the 11 items whose ground truth calls a
    function missing from its tool list, or breaks a declared type, get exactly the oracle's ids;
    every missing_description is really missing in the raw definition. An undescribed parameter is a
    warning; an undescribed tool rejects a dialog only when the dialog calls it."""
    items = json.loads((DATA / "toolalpaca_xlam_style.json").read_text())
    correct = undescribed = warned = 0
    for index, item in enumerate(items):
        dialog = xlam.import_row(item, f"#{index}").to_dict()
        expected = set().union(*(oracle(item["tools"], answer) for answer in item["answers"]))
        found, warnings = verdict(dialog)
        assert {f.check for f in found} - {"missing_description"} == expected, (index, item["answers"], found)
        assert {f.check for f in warnings} <= {"missing_description"}
        called = {answer["name"] for answer in item["answers"]}
        for failure in (f for f in found + warnings if f.check == "missing_description"):
            raw = item["tools"][int(failure.path.split("]")[0].removeprefix("tools["))]
            if failure.path.endswith("].description"):
                assert (raw["name"] in called) == (failure in found), failure
                assert not raw.get("description", "").strip()
            else:
                assert failure in warnings
                name = failure.path.split("properties.")[1].removesuffix(".description")
                assert not raw["parameters"][name]["description"].strip()
        correct += not expected
        undescribed += any(f.check == "missing_description" for f in found)
        warned += bool(warnings)
    # before warnings existed, 92 dialogs were rejected for missing descriptions; 8 still are: they
    # call a tool that has no description at all
    assert len(items) == 114 and correct == 103 and undescribed == 8 and warned == 84


def test_toolace_tools_with_valid_calls_are_kept():
    rng = random.Random(7)
    built = kept = 0
    flawed: set[str] = set()
    for line in (DATA / "toolace_system_prompts.jsonl").read_text().splitlines():
        system = json.loads(line)["system"]
        for raw in tools_in_system(system):
            params = raw["parameters"].get("properties", {})
            if any("pattern" in spec and "default" not in spec for spec in params.values()):
                continue  # no valid value can be made up for an arbitrary pattern
            row = {"system": system, "conversations": []}
            dialog = toolace_rows.import_row(row | {"conversations": [{"from": "user", "value": "x"}]}, "-")
            api = next(a for a in dialog.tools if a.name == raw["name"])
            arguments = {k: spec.get("default", instance(spec, rng=rng)) if "pattern" in spec else instance(spec, rng=rng)
                         for k, spec in api.properties.items() if k in api.required or rng.random() < 0.5}
            try:
                call = print_calls([{"name": api.name, "arguments": arguments}])
            except ValueError:  # a name ToolACE's syntax cannot carry (a comma in it): no row possible
                continue
            row["conversations"] = [
                {"from": "user", "value": f"Please run {api.name}."}, {"from": "assistant", "value": call},
                {"from": "tool", "value": json.dumps([{"name": api.name, "results": {"status": "ok"}}])},
                {"from": "assistant", "value": "Done: the request went through."}]
            dialog = toolace_rows.import_row(row, "-").to_dict()
            assert dialog["messages"][1]["tool_calls"][0]["arguments"] == arguments  # the call survived the syntax
            found, warnings = verdict(dialog)
            built += 1
            findings = {a["name"]: compiled_api(_api(a), RuleConfig()).findings for a in dialog["tools"]}
            flawed |= {name for name, found_in_api in findings.items() if found_in_api}
            assert {f.check for f in warnings} <= API_CHECKS
            if any(not f.blemish for f in findings[api.name]):  # the called tool itself is broken
                assert {f.check for f in found} <= API_CHECKS, [f.to_dict() for f in found]
            else:
                assert found == [], (api.name, arguments, [f.to_dict() for f in found])
                kept += 1
    print(f"ToolACE: {built} dialogs built, {kept} kept, {built - kept} rejected (flawed called APIs only)")
    # 429 were kept when a flaw of any tool in the list rejected the dialog
    assert built == 446 and kept == 446
    # the only flawed definitions: defaults that break their own type, parameters without description
    # ("Get Weather Tile" was one too, until its default "0" for a number was normalised on import)
    assert flawed == {"Get Agent's Active Listings", "Route Calculation", "MININDEX"}


def _api(raw):
    from toolace.records import Api
    return Api.model_validate(raw, context={"lenient_schema": True})
