"""Type dialects as tables (BFCL incl. Java/JavaScript, Python type strings of xLAM/APIGen) and
defaults normalised on import when they have one reading."""

import json

import pytest

from toolace.formats.imports import import_apis
from toolace.formats.schema_types import NO_DEFAULT, TYPE_TABLES, parse_annotation_with_default, type_fragment
from toolace.formats.tools import api_from_bfcl, api_from_xlam
from toolace.jsonl import read_jsonl
from toolace.records import schema_problem
from verify_samples import call_dialog, verdict

# BFCL's own map (bfcl_eval/constants/type_mappings.py, GORILLA_TO_OPENAPI), as published.
GORILLA_TO_OPENAPI = {
    "integer": "integer", "number": "number", "float": "number", "string": "string", "boolean": "boolean",
    "bool": "boolean", "array": "array", "list": "array", "dict": "object", "object": "object", "tuple": "array",
    "any": "string", "byte": "integer", "short": "integer", "long": "integer", "double": "number",
    "char": "string", "ArrayList": "array", "Array": "array", "HashMap": "object", "Hashtable": "object",
    "Queue": "array", "Stack": "array", "Any": "string", "String": "string", "Bigint": "integer",
}


def test_every_table_entry_is_json_schema_and_the_tables_agree():
    seen: dict[str, dict] = {}
    for source, table in TYPE_TABLES.items():
        for name, fragment in table.items():
            assert schema_problem(fragment) is None, (source, name)
            assert seen.setdefault(name.lower(), fragment) == fragment, (source, name)


def test_bfcl_table_follows_bfcls_own_map():
    for name, openapi in GORILLA_TO_OPENAPI.items():
        # "any" is any value here; BFCL writes "string" only to ask for string representations
        assert type_fragment(name, "-").get("type") == (None if name.lower() == "any" else openapi), name


async def test_the_issue_java_row_imports(tmp_path):
    row = json.loads('{"id":"j1","function":[{"name":"Text.pad","description":"Pads text with a fill character.",'
                     '"parameters":{"type":"dict","properties":{"fill":{"type":"char","description":"Fill '
                     'character."},"width":{"type":"short","description":"Target width."}},"required":["fill",'
                     '"width"]}}]}')
    source = tmp_path / "java.jsonl"
    source.write_text(json.dumps(row) + "\n")
    stats = await import_apis([source], "bfcl", tmp_path / "apis.jsonl")
    [api] = read_jsonl(tmp_path / "apis.jsonl")
    assert stats.kept == 1 and stats.rejected == 0
    assert api["parameters"]["properties"]["fill"]["type"] == "string"
    assert api["parameters"]["properties"]["width"]["type"] == "integer"


@pytest.mark.parametrize("name, expected", [
    ("ArrayList", {"type": "array"}), ("Hashtable", {"type": "object"}), ("Queue", {"type": "array"}),
    ("Stack", {"type": "array"}), ("byte", {"type": "integer"}), ("long", {"type": "integer"}),
    ("Bigint", {"type": "integer"}), ("Boolean", {"type": "boolean"}), ("Set", {"type": "array", "uniqueItems": True}),
])
def test_java_and_javascript_names(name, expected):
    assert type_fragment(name, "-") == expected


@pytest.mark.parametrize("text, schema, optional, default", [
    ("str, default='London'", {"type": "string"}, True, "London"),
    ("float, optional (default 0.5)", {"type": "number"}, True, 0.5),
    ("int, optional, default=10", {"type": "integer"}, True, 10),
    ("bool, default: True", {"type": "boolean"}, True, True),
    ("int, defaults to 3", {"type": "integer"}, True, 3),
    ("Optional[str] = None", {"type": "string"}, True, None),
    ("str (optional)", {"type": "string"}, True, None),
    ("Callable[[float], float]", {"type": "string"}, False, None),
    ("datetime", {"type": "string", "format": "date-time"}, False, None),
    ("datetime.date", {"type": "string", "format": "date"}, False, None),
    ("Dict[str, List[int]]", {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "integer"}}},
     False, None),
    ("Union[int, None]", {"type": ["integer", "null"]}, False, None),
    ("Literal['a', 'b'], optional", {"type": "string", "enum": ["a", "b"]}, True, None),
    ("Set[str]", {"type": "array", "uniqueItems": True, "items": {"type": "string"}}, False, None),
])
def test_python_type_strings(text, schema, optional, default):
    parsed, is_optional, found = parse_annotation_with_default(text)
    assert (parsed, is_optional) == (schema, optional)
    assert (None if found is NO_DEFAULT else found) == default  # "= None" means "may be left out"


def test_xlam_defaults_in_the_type_string_become_defaults():
    api = api_from_xlam({"name": "weather", "description": "Weather.", "parameters": {
        "city": {"type": "str, default='London'", "description": "City."},
        "ratio": {"type": "float, optional (default 0.5)", "description": "Ratio."},
        "day": {"type": "str", "description": "Day."}}})
    assert api.properties["city"] == {"type": "string", "default": "London", "description": "City."}
    assert api.properties["ratio"]["default"] == 0.5 and api.required == ["day"]


def test_defaults_with_one_reading_are_normalised_and_recorded():
    api = api_from_bfcl({"name": "f", "description": "F.", "parameters": {"type": "dict", "properties": {
        "on": {"type": "boolean", "description": "On.", "default": "false"},
        "n": {"type": "integer", "description": "N.", "default": "10"},
        "x": {"type": "float", "description": "X.", "default": "0.5"},
        "s": {"type": "string", "description": "S.", "default": 7},
        "lang": {"type": "string", "description": "Language.", "default": None},  # Pydantic's Field(None)
        "k": {"type": "integer", "description": "K.", "default": ""}}}})  # xLAM's "" stays: no one reading
    assert {k: v.get("default") for k, v in api.properties.items()} == {
        "on": False, "n": 10, "x": 0.5, "s": "7", "lang": None, "k": ""}
    assert api.meta["normalised_defaults"] == [
        {"path": "parameters.properties.on.default", "from": "false", "to": False},
        {"path": "parameters.properties.n.default", "from": "10", "to": 10},
        {"path": "parameters.properties.x.default", "from": "0.5", "to": 0.5},
        {"path": "parameters.properties.s.default", "from": 7, "to": "7"}]
    failures, warnings = verdict(call_dialog(api.to_dict(), {"on": True}))
    assert failures == [] and sorted(w.path for w in warnings) == [
        "tools[0].parameters.properties.k.default", "tools[0].parameters.properties.lang.default"]
