"""One reading of JSON Schema: $ref/$defs, allOf, X-or-null and prefixItems, ECMA-262 patterns, for
API checks, verify, and the decoding schemas sent to the engine alike."""

import copy
import random

import pytest

from toolace.apis.checks import api_findings, api_problems
from toolace.dialogs.schemas import arguments_schema
from toolace.formats import openai_import
from toolace.formats.tools import api_from_openai
from toolace.schema_reading import read_schema, resolved
from toolace.testing.instances import instance
from toolace.verify.config import RuleConfig
from toolace.verify.fastcheck import compile_check
from toolace.verify.rules_calls import _CHECKERS, compiled_api
from verify_samples import call_dialog, checks, verdict

# The issue's Pydantic-style tool: a nested model in $defs behind $ref.
SHIP_PARCEL = [{"type": "function", "function": {
    "name": "ship_parcel", "description": "Book a parcel shipment.",
    "parameters": {"type": "object", "$defs": {"Address": {
        "type": "object", "description": "Postal address.",
        "properties": {"city": {"type": "string", "description": "City."},
                       "zip": {"type": "string", "description": "Postal code."}},
        "required": ["city", "zip"]}},
        "properties": {"to": {"$ref": "#/$defs/Address", "description": "Destination."},
                       "weight_kg": {"type": "number", "description": "Weight."}},
        "required": ["to", "weight_kg"]}}}]


def ship_parcel():
    return api_from_openai(copy.deepcopy(SHIP_PARCEL[0]))


def test_ref_into_defs_reaches_the_engine_as_the_object_it_names():
    api = ship_parcel()
    schema = arguments_schema(api)
    to = schema["properties"]["to"]
    assert to["type"] == "object" and set(to["properties"]) == {"city", "zip"} and to["required"] == ["city", "zip"]
    assert to["properties"]["city"]["type"] == "string"


def test_descriptions_inside_defs_are_found():
    assert api_problems(ship_parcel()) == []
    bare = copy.deepcopy(SHIP_PARCEL[0])
    del bare["function"]["parameters"]["properties"]["to"]["description"]  # the one in $defs serves
    assert api_problems(api_from_openai(bare)) == []
    bare["function"]["parameters"]["$defs"]["Address"]["properties"]["zip"]["description"] = ""
    assert [(f.failure.check, f.failure.path, f.blemish) for f in api_findings(api_from_openai(bare))] == [
        ("missing_description", "parameters.properties.to.properties.zip.description", True)]


def test_calls_to_a_ref_parameter_are_checked_against_the_referenced_object():
    tool = ship_parcel().to_dict()
    good = call_dialog(tool, {"to": {"city": "Oslo", "zip": "0150"}, "weight_kg": 2.5})
    assert checks(good) == []
    assert checks(call_dialog(tool, {"to": "Oslo", "weight_kg": 2.5})) == ["wrong_type"]
    assert checks(call_dialog(tool, {"to": {"city": "Oslo"}, "weight_kg": 2.5})) == ["missing_required"]


def test_the_issue_row_imports_and_a_generated_call_passes():
    row = {"messages": [{"role": "user", "content": "Ship 2 kg to Oslo 0150."},
                        {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function",
                         "function": {"name": "ship_parcel",
                                      "arguments": '{"to": {"city": "Oslo", "zip": "0150"}, "weight_kg": 2}'}}]}],
           "tools": SHIP_PARCEL}
    dialog = openai_import.import_row(row, "-").to_dict()
    assert verdict(dialog) == ([], [])
    rng = random.Random(3)
    api = ship_parcel()
    for _ in range(20):  # values made from the decoding schema fit the API
        assert checks(call_dialog(dialog["tools"][0], instance(arguments_schema(api), rng=rng))) == []


PYDANTIC = {"type": "object", "properties": {
    "item": {"allOf": [{"$ref": "#/definitions/Item"}], "description": "The item."},
    "note": {"anyOf": [{"type": "string", "maxLength": 5}, {"type": "null"}], "default": None,
             "description": "A note."},
    "size": {"anyOf": [{"enum": ["S", "M"]}, {"type": "null"}], "description": "Size."},
    "pair": {"type": "array", "prefixItems": [{"type": "integer"}, {"$ref": "#/definitions/Item"}],
             "items": False, "description": "A pair."}},
    "required": ["item"],
    "definitions": {"Item": {"type": "object", "properties": {"sku": {"type": "string", "description": "SKU."}},
                             "required": ["sku"]}}}


def test_allof_ref_merges_and_optional_collapses():
    view = resolved(PYDANTIC)
    props = view["properties"]
    assert props["item"] == {"description": "The item.", "type": "object",
                             "properties": {"sku": {"type": "string", "description": "SKU."}}, "required": ["sku"]}
    assert props["note"] == {"type": ["string", "null"], "maxLength": 5, "default": None, "description": "A note."}
    assert props["size"] == {"enum": ["S", "M", None], "description": "Size."}
    assert props["pair"]["prefixItems"][1]["required"] == ["sku"]
    assert "definitions" not in view


@pytest.mark.parametrize("arguments, expected", [
    ({"item": {"sku": "A1"}, "note": None, "size": None, "pair": [1, {"sku": "B"}]}, []),
    ({"item": {"sku": "A1"}, "note": "too long"}, ["out_of_range"]),
    ({"item": {}}, ["missing_required"]),
    ({"item": {"sku": "A1"}, "pair": ["1", {"sku": "B"}]}, ["wrong_type"]),
    ({"item": {"sku": "A1"}, "size": "XL"}, ["enum_violation"]),
])
def test_verify_reads_the_pydantic_schema_as_json_schema(arguments, expected):
    tool = {"name": "order", "description": "Order an item.", "parameters": PYDANTIC}
    assert checks(call_dialog(tool, arguments)) == expected


def test_the_quick_check_agrees_with_jsonschema_on_the_resolved_view():
    parameters = copy.deepcopy(PYDANTIC)
    del parameters["properties"]["pair"]  # prefixItems: beyond the quick check, jsonschema decides alone
    compiled = compiled_api(api_from_openai({"name": "order", "description": "x", "parameters": parameters}),
                            RuleConfig())
    assert compiled.fast is not None  # resolved: no $ref left, so the quick path serves
    for value, ok in [({"item": {"sku": "A"}}, True), ({"item": {"sku": 1}}, False), ({"item": {"sku": "A"},
                      "note": None}, True), ({"item": {"sku": "A"}, "note": 3}, False)]:
        assert compiled.fast(value) == ok == compiled.validator.is_valid(value)


def test_a_recursive_ref_is_cut_in_the_view_and_validated_in_full():
    tree = {"type": "object", "$defs": {"Node": {"type": "object", "description": "A node.", "properties": {
        "name": {"type": "string", "description": "Name."},
        "kids": {"type": "array", "description": "Children.", "items": {"$ref": "#/$defs/Node"}}}}},
        "properties": {"root": {"$ref": "#/$defs/Node"}}}
    view = read_schema(tree)
    assert not view.exact and view.schema["properties"]["root"]["properties"]["kids"]["items"] == {
        "type": "object", "description": "A node."}
    tool = {"name": "plant", "description": "Plant a tree.", "parameters": tree}
    assert compiled_api(api_from_openai(tool), RuleConfig()).fast is None  # the cut view would be looser
    deep_bad = {"root": {"name": "a", "kids": [{"name": "b", "kids": [{"name": 3}]}]}}
    assert checks(call_dialog(tool, deep_bad)) == ["wrong_type"]


def test_an_unresolvable_ref_is_invalid_schema():
    tool = {"name": "f", "description": "F.", "parameters": {"type": "object", "properties": {
        "x": {"$ref": "#/$defs/Missing", "description": "X."}}}}
    assert [(f.check, f.path) for f in api_problems(tool)] == [("invalid_schema", "parameters.properties.x")]


# -- ECMA-262 patterns ------------------------------------------------------------------------

def patterned(pattern):
    return {"name": "code", "description": "Look up a code.", "parameters": {"type": "object", "properties": {
        "c": {"type": "string", "description": "Code.", "pattern": pattern}}, "required": ["c"]}}


def test_an_ecma_pattern_that_python_refuses_is_valid_and_means_what_it_says():
    tool = patterned(r"^\p{Lu}{2}$")  # Unicode property escape: ECMA-262 with u, not Python's re
    assert api_problems(tool) == []
    assert checks(call_dialog(tool, {"c": "ÉA"})) == []
    assert checks(call_dialog(tool, {"c": "ab"})) == ["pattern_mismatch"]


def test_digit_class_is_ascii_as_in_ecma():
    tool = patterned(r"^\d+$")
    assert checks(call_dialog(tool, {"c": "042"})) == []
    assert checks(call_dialog(tool, {"c": "\u0663"})) == ["pattern_mismatch"]  # Arabic-Indic 3: Python's \d takes it
    fast = compile_check(tool["parameters"], _CHECKERS[False])
    assert fast({"c": "042"}) and not fast({"c": "\u0663"})


@pytest.mark.parametrize("pattern", [r"(?P<y>\d{4})", r"(?i)abc", r"^\w+\Z"])
def test_python_only_patterns_are_invalid_schema(pattern):
    assert [(f.check, f.path) for f in api_problems(patterned(pattern))] == [
        ("invalid_schema", "parameters.properties.c.pattern")]


@pytest.mark.parametrize("pattern, value", [(r"^\d{3}\-\d{4}$", "555-1234"), ("a}", "a}")])
def test_a_pattern_valid_only_without_the_u_flag_is_a_blemish_and_still_checked(pattern, value):
    tool = patterned(pattern)
    assert [(f.failure.check, f.blemish) for f in api_findings(tool)] == [("invalid_schema", True)]
    failures, warnings = verdict(call_dialog(tool, {"c": value}))
    assert failures == [] and [w.check for w in warnings] == ["invalid_schema"]
    assert checks(call_dialog(tool, {"c": "nope"})) == ["pattern_mismatch"]


def test_reading_keeps_the_order_of_properties():
    """Resolved schemas keep the declared order: it is the order the assistant sees and writes arguments in."""
    schema = {"type": "object", "$defs": {"A": {"type": "object", "properties": {"zip": {"type": "string"},
                                                                                 "city": {"type": "string"}}}},
              "properties": {"weight_kg": {"type": "number"}, "to": {"$ref": "#/$defs/A"}}}
    for _ in range(2):  # the second read comes from the cache
        view = resolved(schema)
        assert list(view["properties"]) == ["weight_kg", "to"]
        assert list(view["properties"]["to"]["properties"]) == ["zip", "city"]


def test_the_assistant_sees_the_fields_of_a_record_parameter():
    """Review round 5: 'filters (object)' without its fields left the assistant guessing field names."""
    from toolace.dialogs.render import api_text
    api = ship_parcel()
    api.parameters["properties"]["items"] = {"type": "array", "description": "What is in the parcel.",
                                             "items": {"type": "object", "properties": {
                                                 "sku": {"type": "string", "description": "Stock code."},
                                                 "qty": {"type": "integer"}}, "required": ["sku"]}}
    assert api_text(api).splitlines() == [
        "- ship_parcel: Book a parcel shipment.",
        "    to (record with the fields below, required): Destination.",
        "        city (string, required): City.",
        "        zip (string, required): Postal code.",
        "    weight_kg (number, required): Weight.",
        "    items (array of records, each with the fields below): What is in the parcel.",
        "        sku (string, required): Stock code.",
        "        qty (integer)",
    ]

