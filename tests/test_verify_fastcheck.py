"""The fast pre-check must agree with jsonschema on every schema it accepts to handle."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from toolace.verify.fastcheck import compile_check, json_equal
from toolace.verify.rules_calls import _CHECKERS

CHECKER = _CHECKERS[False]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from([0.0, 1.0, 2.5, -1.5]),
                    st.sampled_from(["", "a", "ab", "abc", "A1", "2025-01-31", "2025-02-30", "x@y.org",
                                     "2025-01-31T10:00:00Z", "2025-01-31T10:00"]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["a", "b", "type", "c"]), inner, max_size=3)),
    max_leaves=8)

TYPES = ["string", "integer", "number", "boolean", "null", "array", "object"]


def leaf_schemas():
    return st.fixed_dictionaries({}, optional={
        "type": st.one_of(st.sampled_from(TYPES), st.lists(st.sampled_from(TYPES), min_size=1, max_size=2, unique=True)),
        "enum": st.lists(scalars, min_size=1, max_size=3),
        "const": scalars,
        "pattern": st.sampled_from(["^a", "b$", "[0-9]", "^[a-z]+$"]),
        "minimum": st.integers(-2, 2), "maximum": st.sampled_from([0, 1.5, 3]),
        "exclusiveMinimum": st.integers(-2, 2), "exclusiveMaximum": st.sampled_from([0, 2.5]),
        "minLength": st.integers(0, 3), "maxLength": st.integers(0, 3),
        "format": st.sampled_from(["date", "email", "date-time", "unknown-format"]),
        "description": st.just("annotation only"),
    })


schemas = st.recursive(leaf_schemas(), lambda inner: st.one_of(
    st.fixed_dictionaries({"type": st.just("array"), "items": inner},
                          optional={"minItems": st.integers(0, 2), "maxItems": st.integers(0, 3)}),
    st.fixed_dictionaries({"type": st.just("object"),
                           "properties": st.dictionaries(st.sampled_from(["a", "b", "type"]), inner, max_size=3)},
                          optional={"required": st.lists(st.sampled_from(["a", "b", "type"]), max_size=2, unique=True),
                                    "additionalProperties": st.one_of(st.booleans(), inner)}),
), max_leaves=6)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemas, values)
def test_fast_check_agrees_with_jsonschema(schema, value):
    fast = compile_check(schema, CHECKER)
    assert fast is not None
    assert fast(value) == Draft202012Validator(schema, format_checker=CHECKER).is_valid(value)


def test_keywords_it_does_not_implement_fall_back_to_jsonschema():
    assert compile_check({"anyOf": [{"type": "string"}]}, CHECKER) is None
    assert compile_check({"type": "object", "properties": {"a": {"$ref": "#/$defs/x"}}}, CHECKER) is None
    assert compile_check({"type": "array", "items": {"uniqueItems": True}}, CHECKER) is None


def test_json_equality():
    assert json_equal(1, 1.0) and not json_equal(True, 1) and not json_equal([0], [False])
    assert json_equal({"a": [1, "x"]}, {"a": [1.0, "x"]}) and not json_equal({"a": 1}, {"b": 1})
