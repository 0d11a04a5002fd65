"""Tool definitions in (BFCL, ToolACE, OpenAI, xLAM) and out, on real samples, and ``import-apis``."""

import json
import random

import orjson
import pytest

from test_formats_data import DATA, make_api, toolace_sample_tools
from toolace.formats import xlam
from toolace.formats.imports import import_apis
from toolace.formats.schema_types import parse_annotation
from toolace.formats.toolace_rows import system_text
from toolace.formats.tools import (
    ToolConversionError, api_from_bfcl, api_from_openai, api_from_toolace, api_from_xlam, openai_tool, toolace_tool,
    xlam_tool,
)
from toolace.jsonl import read_jsonl
from toolace.records import Api

# Four lines of BFCL_v4_multiple.json (ShishirPatil/gorilla, Apache-2.0): "optional", boolean
# defaults, "float", "tuple" with items, a nested "dict" with properties, a "False" string default.
BFCL_LINES = r'''{"id": "multiple_0", "question": [[{"role": "user", "content": "Can I find the dimensions and properties of a triangle, if I know its three sides are 5 units, 4 units and 3 units long?"}]], "function": [{"name": "triangle_properties.get", "description": "Retrieve the dimensions, such as area and perimeter, of a triangle if lengths of three sides are given.", "parameters": {"type": "dict", "properties": {"side1": {"type": "integer", "description": "The length of first side of the triangle."}, "side2": {"type": "integer", "description": "The length of second side of the triangle."}, "side3": {"type": "integer", "description": "The length of third side of the triangle."}, "get_area": {"type": "boolean", "description": "A flag to determine whether to calculate the area of triangle. Default is true.", "default": true, "optional": true}, "get_perimeter": {"type": "boolean", "description": "A flag to determine whether to calculate the perimeter of triangle. Default is true.", "default": true, "optional": true}, "get_angles": {"type": "boolean", "description": "A flag to determine whether to calculate the internal angles of triangle. Default is true.", "default": true, "optional": true}}, "required": ["side1", "side2", "side3"]}}, {"name": "circle_properties.get", "description": "Retrieve the dimensions, such as area and circumference, of a circle if radius is given.", "parameters": {"type": "dict", "properties": {"radius": {"type": "float", "description": "The length of radius of the circle."}, "get_area": {"type": "boolean", "description": "A flag to determine whether to calculate the area of circle. Default is true.", "default": true, "optional": true}, "get_circumference": {"type": "boolean", "description": "A flag to determine whether to calculate the circumference of circle. Default is true.", "default": true, "optional": true}}, "required": ["radius"]}}]}
{"id": "multiple_5", "question": [[{"role": "user", "content": "What is the wind speed and temperature in location given by coordinates 46.603354,1.8883340 on December 13, 2019?"}]], "function": [{"name": "weather.get_by_city_date", "description": "Retrieves the historical weather data based on city and date.", "parameters": {"type": "dict", "properties": {"city": {"type": "string", "description": "The city for which to retrieve the weather."}, "date": {"type": "string", "format": "date", "description": "The date for which to retrieve the historical weather data in the format YYYY-MM-DD."}}, "required": ["city", "date"]}}, {"name": "weather.get_forecast_by_coordinates", "description": "Get the weather forecast for a specific geographical coordinates.", "parameters": {"type": "dict", "properties": {"coordinates": {"type": "tuple", "items": {"type": "float"}, "description": "The geographical coordinates for which to retrieve the weather. The first element of the tuple is the latitude and the second is the longitude."}, "days_ahead": {"type": "integer", "description": "Number of days to forecast from current date (optional, default is 7)."}}, "required": ["coordinates"]}}, {"name": "weather.get_by_coordinates_date", "description": "Retrieves the historical weather data based on coordinates and date.", "parameters": {"type": "dict", "properties": {"coordinates": {"type": "tuple", "items": {"type": "float"}, "description": "The geographical coordinates for which to retrieve the weather. The first element of the tuple is the latitude and the second is the longitude."}, "date": {"type": "string", "format": "date", "description": "The date for which to retrieve the historical weather data in the format YYYY-MM-DD."}}, "required": ["coordinates", "date"]}}]}
{"id": "multiple_8", "question": [[{"role": "user", "content": "Find a 3 bedroom villa for sale within $300,000 to $400,000 budget in San Diego."}]], "function": [{"name": "property_valuation.get", "description": "Get estimated value of a property based on location, specifications and age", "parameters": {"type": "dict", "properties": {"location": {"type": "string", "description": "City and state where the property is located, e.g. San Diego, CA."}, "propertyType": {"type": "string", "description": "Type of property such as villa, condo, apartment, etc."}, "bedrooms": {"type": "integer", "description": "Number of bedrooms required in the property."}, "age": {"type": "integer", "description": "Age of the property in years."}}, "required": ["location", "propertyType", "bedrooms", "age"]}}, {"name": "realestate.find_properties", "description": "Find properties based on location, budget, and specifications", "parameters": {"type": "dict", "properties": {"location": {"type": "string", "description": "City and state where the property is located, e.g. San Diego, CA."}, "propertyType": {"type": "string", "description": "Type of property such as villa, condo, apartment, etc."}, "bedrooms": {"type": "integer", "description": "Number of bedrooms required in the property."}, "budget": {"type": "dict", "properties": {"min": {"type": "float", "description": "Minimum budget limit."}, "max": {"type": "float", "description": "Maximum budget limit."}}, "description": "Budget range for the property."}}, "required": ["location", "propertyType", "bedrooms", "budget"]}}]}
{"id": "multiple_10", "question": [[{"role": "user", "content": "I need to delete some columns from my employees database on personal_data table. I want to remove their email addresses and social security numbers to respect privacy."}]], "function": [{"name": "database.modify_columns", "description": "This function allows deletion or addition of columns in a database", "parameters": {"type": "dict", "properties": {"db_name": {"type": "string", "description": "The name of the database to modify."}, "table": {"type": "string", "description": "The name of the table to modify."}, "operation": {"type": "string", "description": "The operation to carry out on the table. Can be 'delete' or 'add'."}, "columns": {"type": "array", "description": "List of the columns to add or delete from the table.", "items": {"type": "string"}}}, "required": ["db_name", "table", "operation", "columns"]}}, {"name": "database.create_backup", "description": "This function creates a backup of the database before modification", "parameters": {"type": "dict", "properties": {"db_name": {"type": "string", "description": "The name of the database to create a backup of."}, "backup_location": {"type": "string", "description": "The file path where the backup should be stored."}, "timestamp": {"type": "boolean", "description": "Option to append a timestamp to the backup file name.", "default": "False"}}, "required": ["db_name", "backup_location"]}}]}
'''

# OpenAI's function-calling guide example, verbatim.
OPENAI_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Get current temperature for a given location.",
    "strict": True,
    "parameters": {"type": "object", "properties": {"location": {"type": "string",
                                                                  "description": "City and country e.g. Bogotá, Colombia"}},
                   "required": ["location"], "additionalProperties": False}}}


def _distinct(tools):
    return {json.dumps(t, sort_keys=True) for t in tools}


async def test_import_apis_keeps_every_toolace_sample_tool(tmp_path):
    raw = [tool for tools in toolace_sample_tools() for tool in tools]
    out = tmp_path / "apis.jsonl"
    stats = await import_apis([DATA / "toolace_system_prompts.jsonl"], "toolace", out)
    apis = list(read_jsonl(out, Api))
    # Counted independently of the importer: every distinct definition in the 100 prompts.
    assert len(raw) == 446 and len(apis) == len(_distinct(raw)) == 435
    assert stats.rejected == 0 and stats.counters["merged (identical definition)"] == 446 - 435
    assert {a.name for a in apis} == {t["name"] for t in raw}
    market = next(a for a in apis if a.name == "Market Trends API")
    assert market.parameters["type"] == "object" and market.required == ["trend_type"]
    types = {s.get("type") if isinstance(s.get("type"), str) else tuple(s["type"])
             for a in apis for s in a.properties.values()}
    assert types == {"string", "number", "integer", "boolean", "array", ("string", "null")}
    assert (out.parent / "apis.stats.json").exists() and (out.parent / "apis.rejected.jsonl").read_text() == ""


def test_toolace_system_text_is_reproduced_byte_for_byte():
    lines = (DATA / "toolace_system_prompts.jsonl").read_text().splitlines()
    same = 0
    for line, tools in zip(lines, toolace_sample_tools()):
        apis = [api_from_toolace(t) for t in tools]
        written = [toolace_tool(a) for a in apis]
        for tool, api in zip(written, apis):  # undo the recorded default normalisations: nothing else differs
            for change in api.meta.get("normalised_defaults", []):
                _, _, name, _ = change["path"].split(".")
                assert tool["parameters"]["properties"][name]["default"] == change["to"]
                tool["parameters"]["properties"][name]["default"] = change["from"]
        assert written == tools
        if not any(api.meta.get("normalised_defaults") for api in apis):
            # The published rows lost the template's final " \n"; everything else is identical.
            assert system_text(apis).rstrip() == json.loads(line)["system"].rstrip()
            same += 1
    assert same == 99  # one row holds a default normalised on import ("30" for an integer)


async def test_import_apis_on_real_xlam_style_samples(tmp_path):
    out = tmp_path / "apis.jsonl"
    stats = await import_apis([DATA / "toolalpaca_xlam_style.json", DATA / "hammer_masking_example.json"], "xlam", out)
    items = json.loads((DATA / "toolalpaca_xlam_style.json").read_text())
    raw = [t for item in items for t in item["tools"]]
    hammer = [json.loads(row["instruction"].split("[BEGIN OF AVAILABLE TOOLS]\n")[1].split("\n[END OF AVAILABLE TOOLS]")[0])
              for row in json.loads((DATA / "hammer_masking_example.json").read_text())]
    raw += [t for tools in hammer for t in tools]
    assert stats.counters["definitions read"] == len(raw) and stats.rejected == 0
    assert stats.kept == len(_distinct(raw))
    apis = {a.name: a for a in read_jsonl(out, Api)}
    holiday = apis["PublicHolidayIsTodayPublicHoliday"]  # "required": true on one of three
    assert holiday.required == ["countryCode"] and holiday.properties["offset"]["type"] == "integer"
    # No marker on any of its five parameters, but its record marks the others' ToolAlpaca's way: all optional.
    assert apis["getRandomCat"].required == [] and len(apis["getRandomCat"].properties) == 5
    assert apis["findCatById"].required == ["id"]
    masked = apis["_wVY19fMni"]  # Hammer types: "List[int]"
    assert masked.properties["usSlrq"] == {"type": "array", "items": {"type": "integer"},
                                           "description": masked.properties["usSlrq"]["description"]}
    optional_ones = [a for a in apis.values() for p, s in a.properties.items() if p not in a.required]
    assert optional_ones  # "str, optional" became not-required


def test_xlam_required_convention_is_read_per_row():
    unmarked = {"name": "random_cat", "description": "A random cat.",
                "parameters": {"width": {"type": "int", "description": "Width."}}}
    marked = {"name": "cat_by_id", "description": "A cat by id.",
              "parameters": {"id": {"type": "string", "description": "Id.", "required": True},
                             "width": {"type": "int", "description": "Width."}}}
    alone = xlam.import_row({"query": "a cat", "tools": json.dumps([unmarked]), "answers": "[]"}, "#0")
    assert alone.tools[0].required == ["width"]  # xLAM-60k: not "optional" in the type, so required
    together = xlam.import_row({"query": "a cat", "tools": json.dumps([unmarked, marked]), "answers": "[]"}, "#1")
    assert [a.required for a in together.tools] == [[], ["id"]]  # ToolAlpaca: only what is marked
    optional = {"name": "f", "description": "F.", "parameters": {"q": {"type": "str, optional", "description": "Q."}}}
    assert api_from_xlam(optional).required == []


def test_bfcl_real_lines():
    apis = {}
    for line in BFCL_LINES.splitlines():
        for tool in json.loads(line)["function"]:
            api = api_from_bfcl(tool)
            apis[api.name] = api
    triangle = apis["triangle_properties.get"]
    assert triangle.properties["get_area"] == {"type": "boolean", "description": triangle.properties["get_area"]["description"],
                                               "default": True, "optional": True}
    assert apis["circle_properties.get"].properties["radius"]["type"] == "number"
    coords = apis["weather.get_forecast_by_coordinates"].properties["coordinates"]
    assert coords["type"] == "array" and coords["items"] == {"type": "number"}
    budget = apis["realestate.find_properties"].properties["budget"]
    assert budget["type"] == "object" and budget["properties"]["min"]["type"] == "number"
    backup = apis["database.create_backup"]  # a boolean published with the default "False"
    assert backup.properties["timestamp"]["default"] is False
    assert backup.meta["normalised_defaults"] == [
        {"path": "parameters.properties.timestamp.default", "from": "False", "to": False}]


async def test_import_apis_bfcl_and_openai_files(tmp_path):
    bfcl = tmp_path / "bfcl.jsonl"
    bfcl.write_text(BFCL_LINES)
    stats = await import_apis([bfcl], "bfcl", tmp_path / "b.jsonl")
    assert stats.kept == 9 and stats.rejected == 0
    openai = tmp_path / "tools.json"
    openai.write_text(json.dumps([OPENAI_TOOL, {"messages": [], "tools": [OPENAI_TOOL]}]))
    stats = await import_apis([openai], "openai", tmp_path / "o.jsonl")
    (api,) = read_jsonl(tmp_path / "o.jsonl", Api)
    assert stats.kept == 1 and stats.counters["merged (identical definition)"] == 1
    assert api.parameters["additionalProperties"] is False and api.meta["source_fields"] == {"strict": True}
    assert api.properties["location"]["description"].endswith("Bogotá, Colombia")


def test_any_type_and_annotations():
    api = api_from_bfcl({"name": "f", "parameters": {"type": "dict", "properties": {
        "x": {"type": "any"}, "y": {"type": ["string", "null"]}, "z": {"type": "Dict[str, List[int]]"}}}})
    assert api.properties == {"x": {}, "y": {"type": ["string", "null"]},
                              "z": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "integer"}}}}
    assert parse_annotation("str, optional") == ({"type": "string"}, True)
    assert parse_annotation("Optional[List[str]]") == ({"type": "array", "items": {"type": "string"}}, True)
    assert parse_annotation("Union[int, float]") == ({"type": ["integer", "number"]}, False)
    assert parse_annotation("List[Dict[str, Any]]") == ({"type": "array", "items": {"type": "object"}}, False)
    assert parse_annotation("Tuple[int, str]")[0] == {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}]}
    assert parse_annotation("Literal['a', 'b']")[0] == {"type": "string", "enum": ["a", "b"]}


@pytest.mark.parametrize("reader, tool", [
    (api_from_bfcl, {"name": "f", "parameters": {"type": "dict", "properties": {
        "type": {"type": "string", "description": "d"}, "properties": {"type": "dict", "properties": {
            "required": {"type": "boolean"}}}, "required": {"type": "int"}, "items": {"type": "array"}},
        "required": ["type", "properties", "required"]}}),
    (api_from_toolace, {"name": "f", "parameters": {"type": "dict", "properties": {
        "type": {"type": "str"}, "properties": {"type": "dict"}, "required": {"type": "int"}, "items": {"type": "list"}},
        "required": ["type", "properties", "required"]}, "required": None}),
    (api_from_openai, {"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {
        "type": {"type": "string"}, "properties": {"type": "object"}, "required": {"type": "integer"},
        "items": {"type": "array"}}, "required": ["type", "properties", "required"]}}}),
    (api_from_xlam, {"name": "f", "parameters": {"type": {"type": "str"}, "properties": {"type": "dict"},
                                                 "required": {"type": "int"}, "items": {"type": "List, optional"}}}),
])
def test_parameter_names_that_are_schema_keywords_survive(reader, tool):
    api = reader(tool)
    assert list(api.properties) == ["type", "properties", "required", "items"]
    assert api.required == ["type", "properties", "required"]
    assert api.properties["required"]["type"] == "integer" and api.properties["properties"]["type"] == "object"


@pytest.mark.parametrize("reader, tool, reason", [
    (api_from_toolace, {"name": "f", "parameters": {"type": "dict", "properties": {"x": {"type": "Widget"}}}}, "unknown_type"),
    (api_from_toolace, {"description": "no name"}, "no_name"),
    (api_from_bfcl, {"name": "f", "parameters": {"type": "dict", "properties": {}, "required": ["ghost"]}}, "invalid_schema"),
    (api_from_xlam, {"name": "f", "parameters": {"x": {"type": "List[Widget]"}}}, "unknown_type"),
    (api_from_xlam, {"name": "f", "parameters": {"x": "str"}}, "bad_parameters"),
    (api_from_bfcl, {"name": "f", "parameters": {"x": {"type": "str"}}}, "flat_parameters"),
])
def test_conversion_problems_carry_a_reason(reader, tool, reason):
    with pytest.raises(ToolConversionError) as caught:
        reader(tool)
    assert caught.value.reason == reason


async def test_skipped_definitions_are_reported_never_dropped(tmp_path):
    source = tmp_path / "tools.jsonl"
    good = {"name": "ok", "parameters": {"type": "dict", "properties": {"a": {"type": "int"}}, "required": []}}
    source.write_text("\n".join(json.dumps(x) for x in [
        good, good, {"name": "bad", "parameters": {"type": "dict", "properties": {"a": {"type": "Widget"}}}},
        {"unrelated": 1}]) + "\n")
    out = tmp_path / "apis.jsonl"
    stats = await import_apis([source], "toolace", out)
    rejected = [json.loads(line) for line in (tmp_path / "apis.rejected.jsonl").read_text().splitlines()]
    assert stats.kept == 1 and stats.counters["merged (identical definition)"] == 1 and stats.rejected == 2
    assert dict(stats.reasons) == {"unknown_type": 1, "unrecognised_record": 1}
    assert rejected[0]["id"] == f"{source}:3" and rejected[0]["record"]["name"] == "bad"
    assert rejected[0]["failures"][0]["check"] == "unknown_type" and "'Widget'" in rejected[0]["failures"][0]["message"]
    assert rejected[1]["id"] == f"{source}:4" and rejected[1]["stage"] == "import-apis"


def test_every_tool_shape_converts_back_to_the_same_api():
    rng = random.Random(7)
    for _ in range(200):
        api = make_api(rng)
        key = orjson.dumps(api.parameters, option=orjson.OPT_SORT_KEYS)
        for back in (api_from_toolace(toolace_tool(api)), api_from_openai(openai_tool(api)), api_from_xlam(xlam_tool(api))):
            assert (back.name, back.description) == (api.name, api.description)
            assert orjson.dumps(back.parameters, option=orjson.OPT_SORT_KEYS) == key
