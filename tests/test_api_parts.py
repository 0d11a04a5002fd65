"""The parts of API synthesis: seed examples, spec conversion, subtree sampling, de-duplication, stats."""

import random
from collections import Counter

import pytest
from api_fakes import small_tree

from toolace.apis.adapt import SubtreeSampler
from toolace.apis.checks import api_problems
from toolace.apis.dedup import NearDuplicates, normalised_name
from toolace.apis.evolve import MUTATIONS, ExampleBuffer, load_examples
from toolace.apis.spec import SPEC_SCHEMA, api_to_spec, spec_to_api
from toolace.apis.stats import LibraryStats
from toolace.config import ApisConfig
from toolace.options import settle
from toolace.apis.writer import mutation_instructions
from toolace.errors import InputError
from toolace.llm.base import parse_structured
from toolace.tree import top_domain, tree_from_dict

import orjson


def test_seed_examples_are_valid_varied_and_shown_in_the_reply_form():
    examples = load_examples()
    assert len(examples) >= 8 and len({e["domain"][0] for e in examples}) == len(examples)
    types = Counter()
    for api in examples:
        assert api_problems(api, require_returns=True) == [], api["name"]
        spec = api_to_spec(api)
        assert parse_structured(orjson.dumps(spec).decode(), SPEC_SCHEMA)[1] is None, api["name"]
        back, failures, dropped = spec_to_api(spec)
        assert (back["parameters"], back["returns"], failures, dropped) == (api["parameters"], api["returns"], [], {})
        types.update(p["type"] for p in api["parameters"]["properties"].values())
    assert set(types) == {"string", "integer", "number", "boolean", "array", "object"}


def test_every_mutation_has_an_instruction():
    assert set(mutation_instructions()) == {*MUTATIONS, "chain"}


def spec(**extra_params):
    return {"name": "find_rooms", "description": "Find free meeting rooms.",
            "parameters": [{"name": "size", "type": "integer", "description": "Seats", "required": True,
                            **extra_params}],
            "returns": [{"name": "rooms", "type": "array", "description": "Room ids", "items": {"type": "string"}}]}


def test_spec_constraints_become_typed_schema_keywords():
    api, failures, dropped = spec_to_api(spec(enum=["4", "8"], minimum=1, maximum=20, default="4"))
    assert failures == [] and dropped == {}
    assert api["parameters"] == {"type": "object", "required": ["size"], "properties": {"size": {
        "type": "integer", "description": "Seats", "enum": [4, 8], "minimum": 1, "maximum": 20, "default": 4}}}
    assert api["returns"] == {"type": "object", "required": ["rooms"], "properties": {  # a result promises its fields
        "rooms": {"type": "array", "description": "Room ids", "items": {"type": "string"}}}}


def test_spec_enum_repeats_are_removed():
    api, _, _ = spec_to_api(spec(enum=["4", "8", "4", "4.0"]))
    assert api["parameters"]["properties"]["size"]["enum"] == [4, 8]


def test_spec_constraints_that_do_not_fit_the_type_are_dropped_and_counted():
    api, failures, dropped = spec_to_api(spec(pattern="^[0-9]+$", format="date"))
    assert "pattern" not in api["parameters"]["properties"]["size"]
    assert dropped == {"dropped_pattern": 1, "dropped_format": 1}


def test_spec_value_that_does_not_convert_is_kept_for_the_checks_to_reject():
    api, _, _ = spec_to_api(spec(default="many"))
    assert [f.path for f in api_problems(api)] == ["parameters.properties.size.default"]


def test_spec_nesting_array_of_objects_and_object_of_arrays():
    s = spec()
    s["parameters"] += [
        {"name": "attendees", "type": "array", "description": "People", "required": False,
         "items": {"type": "object", "properties": [
             {"name": "email", "type": "string", "description": "Address", "required": True},
             {"name": "tags", "type": "array", "description": "Labels", "items": {"type": "string"}}]}},
        {"name": "layout", "type": "object", "description": "Seating", "required": False,
         "properties": [{"name": "rows", "type": "array", "description": "Seats per row", "items": {"type": "integer"}}]}]
    api, failures, _ = spec_to_api(s)
    props = api["parameters"]["properties"]
    assert props["attendees"]["items"] == {"type": "object", "required": ["email"], "properties": {
        "email": {"type": "string", "description": "Address"},
        "tags": {"type": "array", "description": "Labels", "items": {"type": "string"}}}}
    assert props["layout"]["properties"]["rows"]["items"] == {"type": "integer"}
    assert failures == [] and api_problems(api, require_returns=True) == []


def test_spec_duplicate_names_fail_but_word_for_word_repeats_collapse():
    s = spec()
    s["parameters"].append({**s["parameters"][0], "type": "string"})
    s["returns"].append(dict(s["returns"][0]))
    api, failures, _ = spec_to_api(s)
    assert [(f.check, f.path) for f in failures] == [("invalid_schema", "parameters.properties.size")]
    assert list(api["returns"]["properties"]) == ["rooms"]


def test_sampler_levels_follow_the_tree():
    tree = small_tree()
    sampler = SubtreeSampler(tree)
    rng = random.Random(1)
    for _ in range(200):
        single = sampler.sample(rng, "single")
        assert single.level == "single" and len(single.nodes) == 1
        siblings = sampler.sample(rng, "siblings")
        assert 2 <= len(siblings.nodes) == len(set(siblings.nodes))
        assert len({next(iter(tree.predecessors(n))) for n in siblings.nodes}) == 1
        cross = sampler.sample(rng, "cross")
        assert len({top_domain(tree, n) for n in cross.nodes}) == len(cross.nodes) >= 2
    assert sampler.sample(random.Random(7), "cross") == sampler.sample(random.Random(7), "cross")
    text = sampler.describe(siblings)
    assert text.count("\n") == len(siblings.nodes) - 1 and " > " in text and "Lets a user" in text


def test_sampler_falls_back_on_a_tiny_tree():
    tree = tree_from_dict({"format": "toolace-tree", "version": 1, "nodes": [
        {"id": "r", "name": "r", "parent": None}, {"id": "a", "name": "A", "parent": "r"},
        {"id": "a1", "name": "one thing", "parent": "a"}]})
    sampler = SubtreeSampler(tree)
    assert [sampler.sample(random.Random(0), level).level for level in ("single", "siblings", "cross")] == ["single"] * 3


def api(name, description, *params):
    return {"name": name, "description": description,
            "parameters": {"type": "object", "properties": {p: {"type": "string", "description": p} for p in params}}}


def test_near_duplicates_by_name_and_by_words():
    index = NearDuplicates(0.8)
    assert index.admit(api("get_weather", "Get the current weather for a city", "city", "units")) is None
    assert index.admit(api("getWeather", "something else entirely", "x")) == ("get_weather", 1.0)
    assert normalised_name("Get-Weather") == "getweather"
    near = api("fetch_weather", "Get the current weather for a city", "city", "units")
    found = index.admit(near)
    assert found is not None and found[0] == "get_weather" and 0.8 <= found[1] < 1
    assert index.admit(api("book_table", "Reserve a restaurant table", "restaurant", "time")) is None
    assert len(index) == 2
    # A higher threshold lets the near copy through.
    strict = NearDuplicates(0.99)
    strict.admit(api("get_weather", "Get the current weather for a city", "city", "units"))
    assert strict.admit(near) is None


def test_example_buffer_is_bounded_and_keeps_seeds():
    buffer = ExampleBuffer(load_examples()[:2], capacity=3)
    for i in range(10):
        buffer.add(api(f"tool_{i}", "d", "p"))
    assert len(buffer) == 5
    names = {buffer.sample(random.Random(i))[0] for i in range(200)}
    assert names == {"get_current_weather", "search_flights", "tool_7", "tool_8", "tool_9"}


def test_proportions_are_read_from_text_or_a_mapping():
    assert settle(ApisConfig, {"levels": "single=0.5, cross=0.5"}).levels == {"single": 0.5, "cross": 0.5}
    assert settle(ApisConfig, {"levels": {"single": 1}}).levels == {"single": 1.0}
    for bad, message in (("solo=1", "unknown name 'solo'"), ("single=x", "needs a number"),
                         ("single=-1", "needs a number"), ("single=0", "at least one")):
        with pytest.raises(InputError, match=f"--levels: .*{message}"):
            settle(ApisConfig, {"levels": bad})


def test_library_stats_counts_types_nesting_and_broken_apis():
    stats = LibraryStats()
    for example in load_examples():
        stats.add(example)
    stats.add({"name": "imported", "parameters": {"type": "dict", "properties": {"x": {"type": "float"}}}})
    assert stats.apis == 9 and stats.nested == 2 and stats.types["float"] == 1
    assert stats.domains["(none)"] == 1 and stats.with_returns == 8
    rows = dict(stats.rows())
    assert rows["nested APIs"] == "2 (22%)" and rows["APIs in library"] == "9"
