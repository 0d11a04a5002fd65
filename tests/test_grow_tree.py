"""`toolace grow-tree`: LLM expansion within limits, de-duplication, resume, documents, failures."""

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import orjson
import pytest

from toolace.errors import EngineError, InputError
from toolace.grow_tree import PromptEchoes, grow_tree, is_junk, normalise_name, start_tree
from toolace.jsonl import read_jsonl
from toolace.text_chunks import CHUNK_CHARS, chunk_text
from toolace.llm.fake import ScriptedLLM
from toolace.prompts import load_prompt
from toolace.testing.fake_server import FakeOpenAIServer, reply
from toolace.tree import load_tree, path_names, save_tree, tree_from_dict


def write_tree(path, *nodes):
    """nodes: (id, name, parent) with the root first."""
    save_tree(tree_from_dict({"format": "toolace-tree", "version": 1, "name": "t", "nodes": [
        {"id": i, "name": name, "description": f"About {name}.", "parent": parent} for i, name, parent in nodes]}), path)
    return path


def asked(request):
    """The values the expansion prompt was rendered from (``path``, ``count``, ...), read back through its
    template: the fake answers what was asked, whatever the prompt's wording."""
    return load_prompt("tree_expand").values(request.messages[0]["content"])


def numbered(request):
    """Children named after the node's last path part: "Travel part 0", "Travel part 1", ..."""
    leaf = asked(request)["path"].split(" > ")[-1]
    n = int(asked(request)["count"])
    return {"children": [{"name": f"{leaf} part {i}", "description": f"Part {i} of {leaf}."} for i in range(n)]}


def assert_within_limits(G, depth, branching):
    for node in G:
        assert G.nodes[node]["depth"] <= depth, node
        assert G.out_degree(node) <= branching, node
        names = Counter(normalise_name(G.nodes[c]["name"]) for c in G.successors(node))
        assert all(n == 1 for n in names.values()), names


def test_normalised_names_fold_case_punctuation_and_plurals():
    assert normalise_name("Flight Search") == normalise_name("flight-searches") == normalise_name(" FLIGHT  search!")
    assert normalise_name("Categories") == normalise_name("category")
    assert normalise_name("Flight status") != normalise_name("Flight search")


async def test_expansion_respects_depth_and_branching(tmp_path):
    tree = write_tree(tmp_path / "in.json", ("root", "All", None), ("travel", "Travel", "root"),
                      ("travel.flights", "Flights", "travel"), ("banking", "Banking", "root"))
    llm = ScriptedLLM(responder=numbered)
    stats = await grow_tree(llm, tree=tree, out=tmp_path / "out.json", depth=3, branching=2, workers=3)
    G = load_tree(tmp_path / "out.json")
    assert_within_limits(G, depth=3, branching=2)
    # root is full (2 domains); level 1 asks travel for 1 and banking for 2; level 2 asks its 4 nodes for 2 each.
    assert len(llm.requests) == 6 and stats.counters["nodes expanded"] == 6
    assert sorted(r.schema["properties"]["children"]["maxItems"] for r in llm.requests) == [1, 2, 2, 2, 2, 2]
    assert stats.kept == 11 == len(G) - 4 and stats.rejected == 0
    assert (stats.counters["added at depth 2"], stats.counters["added at depth 3"]) == (3, 8)
    assert path_names(G, "travel.flights.flights_part_1") == ["Travel", "Flights", "Flights part 1"]
    # Provenance on the new nodes, the expansion marker on their parents, and the stats file.
    assert G.nodes["banking.banking_part_0.banking_part_0_part_1"]["meta"] == {
        "source": "llm", "model": "scripted", "prompts": {"tree_expand": load_prompt("tree_expand").hash}}
    assert G.nodes["banking"]["meta"]["expanded"] == 2
    saved = orjson.loads((tmp_path / "out.stats.json").read_bytes())
    assert saved["stage"] == "grow-tree" and saved["kept"] == 11 and saved["usage"]["requests"] == 6
    assert saved["counters"]["added at depth 3"] == 8 and saved["runs"] == 1


async def test_prompt_carries_path_and_existing_children_and_duplicates_are_dropped(tmp_path):
    tree = write_tree(tmp_path / "in.json", ("root", "All", None), ("travel", "Travel", "root"),
                      ("travel.flights", "Flights", "travel"), ("travel.flights.search", "Flight Search", "travel.flights"))

    def responder(request):
        if asked(request)["path"] == "Travel > Flights":
            return {"children": [{"name": "flight-searches", "description": "Same as the existing one."},
                                 {"name": "Seat selection", "description": "Pick seats."},
                                 {"name": "seat selections!", "description": "A reworded copy."}]}
        return numbered(request)

    llm = ScriptedLLM(responder=responder)
    stats = await grow_tree(llm, tree=tree, out=tmp_path / "out.json", depth=3, branching=4)
    sent = next(asked(r) for r in llm.requests if asked(r)["path"] == "Travel > Flights")
    assert (sent["existing"], sent["count"], sent["description"]) == ("Flight Search", "3", "About Flights.")
    G = load_tree(tmp_path / "out.json")
    assert sorted(G.nodes[c]["name"] for c in G.successors("travel.flights")) == ["Flight Search", "Seat selection"]
    assert stats.reasons["duplicate"] == 2
    # Every dropped proposal is in the rejected file with its reason, the proposal and the node it was for.
    dropped = [r for r in read_jsonl(tmp_path / "out.rejected.jsonl") if r["context"]["parent"] == "travel.flights"]
    assert [(r["reason"], r["record"]["name"], r["stage"]) for r in dropped] == [
        ("duplicate", "flight-searches", "grow-tree"), ("duplicate", "seat selections!", "grow-tree")]
    assert dropped[0]["id"] == "travel.flights>flightsearch" and dropped[0]["failures"][0]["check"] == "duplicate"
    assert "has this name once normalised" in dropped[0]["failures"][0]["message"]
    assert_within_limits(G, depth=3, branching=4)


async def test_template_debris_and_prompt_examples_are_dropped(tmp_path):
    """Names seen from the 135M engine: placeholders, and the prompt's own examples copied verbatim."""
    tree = write_tree(tmp_path / "in.json", ("root", "All", None), ("telecom", "Telecom", "root"))
    junk = [{"name": "{name}},{", "description": "brndl has 240000"},
            {"name": "[Your Name]", "description": "Forecasts."},
            {"name": "Video calls", "description": "[original_description],"},
            {"name": ".Search flights by route and date", "description": "Flights."},
            {"name": "searchflightsbyrouteanddate", "description": "Flights."},
            {"name": "2 to 6 words", "description": "The product."},
            {"name": "search_flight_by_date", "description": "Flights."},
            {"name": "Banks", "description": "Banks"},
            {"name": "Testace", "description": "https://www.example.com/testace1/Business/Sales/1152515"},
            {"name": "PetCare PetPets", "description": "PetCare PetPets PetPets PetPets PetPets PetPets"},
            {"name": "Mobile plans,", "description": "Compare and change mobile plans."}]
    llm = ScriptedLLM(responder=lambda r: {"children": junk} if asked(r)["path"] == "Telecom" else numbered(r))
    stats = await grow_tree(llm, tree=tree, out=tmp_path / "out.json", depth=2, branching=11)
    G = load_tree(tmp_path / "out.json")
    assert [G.nodes[c]["name"] for c in G.successors("telecom")] == ["Mobile plans"]
    assert stats.reasons == {"invalid": 7, "prompt_echo": 3} and stats.rejected == 10
    saved = orjson.loads((tmp_path / "out.stats.json").read_bytes())
    assert saved["reasons"] == {"invalid": 7, "prompt_echo": 3}
    dropped = {r["record"]["name"]: r["reason"] for r in read_jsonl(tmp_path / "out.rejected.jsonl")}
    echoes = {".Search flights by route and date", "searchflightsbyrouteanddate", "2 to 6 words"}
    assert dropped == {j["name"]: "prompt_echo" if j["name"] in echoes else "invalid" for j in junk[:-1]}


class Killed(Exception):
    """Stands for kill -9: the run stops wherever it is."""


async def test_killed_run_resumes_without_duplicates_and_a_finished_tree_costs_nothing(tmp_path):
    tree = write_tree(tmp_path / "in.json", ("root", "All", None), ("a", "Alpha", "root"), ("b", "Beta", "root"))
    out = tmp_path / "out.json"
    on_disk_at_kill = {}

    def dying(request):
        if len(first.requests) == 4:
            on_disk_at_kill["bytes"] = out.read_bytes()  # what a kill -9 leaves behind
            raise Killed()
        return numbered(request)

    first = ScriptedLLM(responder=dying)
    with pytest.raises(Killed):
        await grow_tree(first, tree=tree, out=out, depth=3, branching=2, workers=1, save_every=1)
    out.write_bytes(on_disk_at_kill["bytes"])
    done = [n for n in load_tree(out) if load_tree(out).nodes[n]["meta"].get("expanded")]
    assert 1 <= len(done) <= 3

    second = ScriptedLLM(responder=numbered)
    stats = await grow_tree(second, tree=tree, out=out, depth=3, branching=2, workers=2)
    G = load_tree(out)
    assert len(G) == 3 + 4 + 8  # the same tree an uninterrupted run builds
    assert_within_limits(G, depth=3, branching=2)
    asked_again = {asked(r)["path"] for r in second.requests}
    assert not asked_again & {" > ".join(path_names(G, n)) for n in done}
    assert len(second.requests) == 6 - len(done) and stats.skipped == len(done)
    assert stats.runs == 2 and stats.usage.requests == len(first.requests) - 1 + len(second.requests)

    before, counted = out.read_bytes(), stats
    third = ScriptedLLM(responder=numbered)
    stats = await grow_tree(third, tree=tree, out=out, depth=3, branching=2)
    assert third.requests == [] and out.read_bytes() == before
    assert stats.kept == counted.kept and stats.usage == counted.usage and stats.runs == 3  # nothing added


async def test_failed_node_does_not_stop_the_run_and_is_retried_next_time(tmp_path):
    tree = write_tree(tmp_path / "in.json", ("root", "All", None), ("a", "Alpha", "root"), ("b", "Beta", "root"),
                      ("c", "Gamma", "root"))

    def flaky(request):
        path = asked(request)["path"]
        if path == "Beta":
            raise EngineError("connection refused")
        if path == "Gamma":
            return "this is not JSON"
        return numbered(request)

    out = tmp_path / "out.json"
    stats = await grow_tree(ScriptedLLM(responder=flaky), tree=tree, out=out, depth=2, branching=2)
    assert stats.reasons == {"engine_error": 1, "llm_invalid_json": 1} and stats.counters["nodes expanded"] == 1
    assert not (tmp_path / "out.rejected.jsonl").read_text()  # failed requests are retried, not rejected
    G = load_tree(out)
    assert G.out_degree("a") == 2 and G.out_degree("b") == 0 and "expanded" not in G.nodes["b"]["meta"]

    again = ScriptedLLM(responder=numbered)
    await grow_tree(again, tree=tree, out=out, depth=2, branching=2)
    assert sorted(asked(r)["path"] for r in again.requests) == ["Beta", "Gamma"]


async def test_engine_down_stops_after_a_run_of_failures(tmp_path):
    nodes = [("root", "All", None)] + [(f"d{i}", f"Domain {i}", "root") for i in range(30)]
    tree = write_tree(tmp_path / "in.json", *nodes)

    def down(request):
        raise EngineError("connection refused")

    with pytest.raises(EngineError, match="20 jobs in a row failed"):
        await grow_tree(ScriptedLLM(responder=down), tree=tree, out=tmp_path / "o.json", depth=2, branching=1, workers=2)


async def test_docs_extraction_places_items_under_the_right_domain(tmp_path):
    tree = write_tree(tmp_path / "in.json", ("root", "All", None), ("travel", "Travel", "root"),
                      ("travel.flights", "Flights", "travel"), ("travel.hotels", "Hotels", "travel"),
                      ("banking", "Banking", "root"))
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "airline.txt").write_text("Our API lets agents search flights by fare class and cancel hotel bookings.")
    (docs / "vet.md").write_text("The clinic portal books veterinary appointments for pets.")
    (docs / "logo.png").write_bytes(b"\x89PNG\r\n")

    def extractor(request):
        text = request.messages[0]["content"]
        if "fare class" in text:
            return {"domains": [{"name": "travel", "description": "Trips.", "functionalities": [
                {"name": "Search flights by fare class", "description": "Find flights filtered by fare class."},
                {"name": "Cancel hotel booking", "description": "Cancel a hotel booking."},
                {"name": "search flight by fare classes", "description": "A copy."}]}]}
        return {"domains": [{"name": "Pet care", "description": "Services for pets.", "functionalities": [
            {"name": "Book vet appointment", "description": "Book a veterinary appointment."},
            {"name": "Cancel vet appointment", "description": "Cancel a veterinary appointment."}]}]}

    llm = ScriptedLLM(responder=extractor)
    out = tmp_path / "out.json"
    stats = await grow_tree(llm, tree=tree, out=out, depth=3, branching=4, docs=docs)
    G = load_tree(out)
    assert G.nodes["travel.flights.search_flights_by_fare_class"]["meta"]["doc"] == "airline.txt"
    assert "travel.hotels.cancel_hotel_booking" in G
    # A new domain; its functionalities sit side by side, never one under another.
    assert G.nodes["pet_care"]["depth"] == 1
    assert sorted(G.successors("pet_care")) == ["pet_care.book_vet_appointment", "pet_care.cancel_vet_appointment"]
    assert G.nodes["pet_care.book_vet_appointment"]["meta"]["source"] == "docs"
    assert stats.reasons == {"duplicate": 1} and stats.counters["document chunks read"] == 2 and len(llm.requests) == 2
    sent = load_prompt("tree_from_docs").values(llm.requests[0].messages[0]["content"])
    assert sent["domains"] == "Banking; Travel" and sent["source"] == "airline.txt"
    # A second run reads nothing again.
    again = ScriptedLLM(responder=extractor)
    stats = await grow_tree(again, tree=tree, out=out, depth=3, branching=4, docs=docs)
    assert again.requests == [] and stats.skipped == 2


def test_chunks_are_bounded_and_keep_every_word():
    text = "\n\n".join(f"Paragraph {i}. " + "word " * (50 + 37 * i) for i in range(40))
    chunks = chunk_text(text, CHUNK_CHARS)
    assert len(chunks) > 5 and max(map(len, chunks)) <= CHUNK_CHARS
    assert " ".join(" ".join(chunks).split()) == " ".join(text.split())


def run_cli(*args):
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("TOOLACE_BASE_URL", None)
    return subprocess.run([sys.executable, "-m", "toolace", *args], capture_output=True, text=True,
                          timeout=60, env=env)


def test_cli_grows_a_tree_through_an_openai_server(tmp_path):
    tree = write_tree(tmp_path / "in.json", ("root", "All", None), ("a", "Alpha", "root"), ("b", "Beta", "root"))

    def responder(body):
        values = load_prompt("tree_expand").values(body["messages"][0]["content"])
        leaf, n = values["path"], int(values["count"])
        return reply({"children": [{"name": f"{leaf} {i}", "description": "A part."} for i in range(n)]})

    with FakeOpenAIServer(responder=responder) as server:
        out = run_cli("grow-tree", "--tree", str(tree), "--out", str(tmp_path / "out.json"), "--depth", "2",
                      "--branching", "3", "--base-url", server.base_url)
    assert out.returncode == 0, out.stderr
    G = load_tree(tmp_path / "out.json")
    # The root gets a third domain, then each of the three domains gets three children.
    assert len(G) == 3 + 1 + 9 and re.search(r"kept\s+│\s+10\b", out.stderr)
    assert server.requests[0]["response_format"]["type"] == "json_schema"


def test_cli_bad_tree_is_one_line_exit_2_before_any_engine(tmp_path):
    (tmp_path / "in.json").write_bytes(orjson.dumps({"format": "toolace-tree", "version": 1, "nodes": [
        {"id": "r", "name": "R", "parent": None}, {"id": "x", "name": "X", "parent": "ghost"}]}))
    # A dead endpoint: reaching it would be exit 1, so exit 2 proves the input was checked first.
    out = run_cli("grow-tree", "--tree", str(tmp_path / "in.json"), "--out", str(tmp_path / "o.json"),
                  "--depth", "2", "--branching", "2", "--base-url", "http://127.0.0.1:9/v1")
    assert out.returncode == 2, out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "in.json: node 'x': parent 'ghost' does not exist" in lines[0]
    assert "Traceback" not in out.stderr and not (tmp_path / "o.json").exists()


@pytest.mark.parametrize("options, message", [
    ({"depth": 0}, "--depth must be between 1 and 8, not 0"),
    ({"branching": 65}, "--branching must be between 1 and 64, not 65"),
    ({"workers": 0}, "--workers must be at least 1"),
    ({"tree": None}, "give --tree .* or --docs"),
    ({"docs": "nowhere"}, "--docs nowhere: no such file or folder"),
])
def test_bad_options_are_refused(tmp_path, options, message):
    tree = write_tree(tmp_path / "in.json", ("root", "All", None))
    kwargs = {"tree": tree, "out": tmp_path / "o.json", "depth": 2, "branching": 2, "workers": 1, **options}
    with pytest.raises(InputError, match=message):
        start_tree(**kwargs)


@pytest.mark.engine
async def test_engine_grows_three_node_tree_by_one_level(engine, tmp_path):
    from toolace.llm.openai_client import OpenAIClient

    tree = write_tree(tmp_path / "in.json", ("root", "All domains", None), ("travel", "Travel", "root"),
                      ("music", "Music", "root"))
    llm = OpenAIClient([engine.base_url], engine.model, timeout=120)
    stats = await grow_tree(llm, tree=tree, out=tmp_path / "out.json", depth=2, branching=2, workers=2, seed=1)
    G = load_tree(tmp_path / "out.json")
    assert_within_limits(G, depth=2, branching=2)
    assert stats.counters["nodes expanded"] + stats.counters["engine failures (retried on re-run)"] == 2
    assert stats.usage.requests >= 2
    assert all(G.nodes[n]["meta"]["source"] == "llm" for n in G if G.nodes[n]["depth"] == 2)


def test_guards_keep_every_curated_name_except_the_prompt_examples():
    G = load_tree(Path(__file__).resolve().parent.parent / "api_trees" / "seed.json")
    echoes = PromptEchoes(load_prompt("tree_expand").text)
    refused = {G.nodes[n]["name"] for n in G if is_junk(G.nodes[n]["name"], G.nodes[n]["description"])
               or G.nodes[n]["name"] in echoes}
    assert refused == {"Convert currency amount", "List open pull requests"}  # quoted in the prompt itself
