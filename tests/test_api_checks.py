import copy

import pytest

from toolace.apis.checks import DEFAULT_NAME_PATTERN, api_problems
from toolace.records import Api

GOOD = {
    "name": "search_flights",
    "description": "Find flights between two airports on a date.",
    "domain": ["Travel", "Flights"],
    "parameters": {
        "type": "object",
        "properties": {
            "origin": {"type": "string", "description": "IATA code of the departure airport", "pattern": "^[A-Z]{3}$"},
            "cabin": {"type": "string", "description": "Cabin class", "enum": ["economy", "business"],
                      "default": "economy"},
            "passengers": {"type": "array", "description": "Travellers",
                           "items": {"type": "object", "properties": {
                               "age": {"type": "integer", "description": "Age in years", "minimum": 0}},
                               "required": ["age"]}},
        },
        "required": ["origin"],
    },
    "returns": {"type": "object", "properties": {"flights": {"type": "array", "items": {"type": "string"}}}},
}


def checks(api, **kw):
    return [(f.check, f.path) for f in api_problems(api, **kw)]


def broken(**changes):
    api = copy.deepcopy(GOOD)
    for path, value in changes.items():
        target = api
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return api


def test_a_good_api_passes_as_dict_and_as_record():
    assert api_problems(GOOD, require_returns=True) == []
    assert api_problems(Api.model_validate(GOOD), require_returns=True) == []


def test_invalid_schema_type_name_is_reported_with_its_path():
    api = broken(parameters__properties__origin__type="str")
    assert ("invalid_schema", "parameters.properties.origin.type") in checks(api)


def test_invalid_schema_parameters_not_object():
    assert checks(broken(parameters__type="dict"))[0][0] == "invalid_schema"
    assert ("invalid_schema", "parameters.type") in checks(broken(parameters__type="array"))
    assert checks({**GOOD, "parameters": ["x"]}) == [("invalid_schema", "parameters")]


def test_invalid_schema_required_names_unknown_property():
    failures = api_problems(broken(parameters__required=["origin", "destination"]))
    assert [(f.check, f.path) for f in failures] == [("invalid_schema", "parameters.required")]
    assert "destination" in failures[0].message


def test_invalid_schema_nested_required_unknown():
    api = broken(parameters__properties__passengers__items__required=["name"])
    assert checks(api) == [("invalid_schema", "parameters.properties.passengers.items.required")]


def test_invalid_schema_enum_value_against_own_schema():
    api = broken(parameters__properties__cabin__enum=["economy", 3])
    assert checks(api) == [("invalid_schema", "parameters.properties.cabin.enum[1]")]


def test_invalid_schema_default_outside_enum_or_type():
    assert checks(broken(parameters__properties__cabin__default="first")) == [
        ("invalid_schema", "parameters.properties.cabin.default")]
    api = broken(parameters__properties__passengers__items__properties__age__default=-1)
    assert checks(api) == [("invalid_schema", "parameters.properties.passengers.items.properties.age.default")]


def test_invalid_schema_default_breaking_format():
    api = broken(parameters__properties__origin={"type": "string", "description": "d", "format": "date",
                                                  "default": "2024-13-45"})
    assert checks(api) == [("invalid_schema", "parameters.properties.origin.default")]


def test_invalid_schema_bad_regex_pattern():
    api = broken(parameters__properties__origin__pattern="([A-Z")
    assert checks(api) == [("invalid_schema", "parameters.properties.origin.pattern")]


@pytest.mark.parametrize("pattern", ["^[A-Z]{2}[0-9{2}[A-T]{", "a{", "{2}a", "a{,3}", "a{3,1}", "(x|{2})"])
def test_invalid_schema_stray_brace_that_python_accepts_but_the_engine_refuses(pattern):
    api = broken(parameters__properties__origin__pattern=pattern)
    assert checks(api) == [("invalid_schema", "parameters.properties.origin.pattern")]


@pytest.mark.parametrize("pattern", ["^[A-Z]{3}$", r"\{id\}", "[{}]x", "^[a-z]{1,8}$", "x{2,}"])
def test_counts_and_escaped_or_classed_braces_are_fine(pattern):
    assert checks(broken(parameters__properties__origin__pattern=pattern)) == []


def test_invalid_schema_returns():
    assert checks(broken(returns={"type": "dict"})) == [("invalid_schema", "returns.type")]


def test_missing_description_on_api_and_nested_parameter():
    assert checks(broken(description="  ")) == [("missing_description", "description")]
    api = broken(parameters__properties__passengers__items__properties__age={"type": "integer"})
    assert checks(api) == [("missing_description", "parameters.properties.passengers.items.properties.age.description")]


def test_bad_name_function_and_parameter():
    assert checks(broken(name="Search Flights")) == [("bad_name", "name")]
    api = copy.deepcopy(GOOD)
    api["parameters"]["properties"]["start date"] = {"type": "string", "description": "d"}
    assert checks(api) == [("bad_name", 'parameters.properties["start date"]')]
    # The pattern is configurable: real imported names may hold spaces.
    assert checks(broken(name="Market Trends API"), name_pattern=r"[\w .\-]+") == []


def test_default_pattern_allows_dots_dashes_digits():
    import re
    for name in ("get_weather", "maps.geocode", "x-rate-v2", "v1_search", "_private"):
        assert re.fullmatch(DEFAULT_NAME_PATTERN, name), name


def test_missing_returns_only_when_required():
    api = {k: v for k, v in GOOD.items() if k != "returns"}
    assert checks(api) == []
    assert checks(api, require_returns=True) == [("missing_returns", "returns")]


def test_broken_schema_still_reports_names_and_descriptions():
    api = {"name": "Bad Tool", "description": "",
           "parameters": {"type": "dict", "properties": {"x y": {"type": "float"}}, "required": None}}
    found = checks(Api.model_validate(api, context={"lenient_schema": True}))
    assert ("bad_name", "name") in found and ("missing_description", "description") in found
    assert ("bad_name", 'parameters.properties["x y"]') in found
    assert ("missing_description", 'parameters.properties["x y"].description') in found
    assert ("invalid_schema", "parameters.type") in found
    assert ("invalid_schema", 'parameters.properties["x y"].type') in found


@pytest.mark.parametrize("name", ["type", "properties", "required"])
def test_parameter_names_that_are_schema_keywords(name):
    api = copy.deepcopy(GOOD)
    api["parameters"]["properties"][name] = {"type": "string", "description": "a keyword-named parameter"}
    assert checks(api) == []


def test_shape_cache_does_not_hide_differences():
    # Same shape as GOOD except one value only the meta-schema sees: must not be a cache hit.
    assert api_problems(GOOD) == []
    api = broken(parameters__properties__passengers__items__properties__age__minimum="0")
    assert ("invalid_schema", "parameters.properties.passengers.items.properties.age.minimum") in checks(api)
    api = broken(parameters__required=["origin", "origin"])
    assert ("invalid_schema", "parameters.required") in checks(api)
