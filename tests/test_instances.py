import random

from jsonschema import Draft202012Validator

from toolace.testing.instances import instance

SCHEMAS = [
    {"type": "object", "properties": {"a": {"type": "integer", "minimum": 5, "maximum": 9},
                                      "b": {"type": "array", "items": {"type": "string", "enum": ["x", "y"]},
                                            "minItems": 1, "maxItems": 3},
                                      "c": {"type": "object", "properties": {"d": {"type": "number", "exclusiveMinimum": 0}},
                                            "required": ["d"]},
                                      "e": {"type": "string", "format": "date", "maxLength": 10},
                                      "f": {"type": ["string", "null"], "minLength": 4}},
     "required": ["a", "b", "c"], "additionalProperties": False},
    {"$defs": {"call": {"type": "object", "properties": {"name": {"const": "f"}}, "required": ["name"]}},
     "type": "object", "properties": {"action": {"anyOf": [{"$ref": "#/$defs/call"}, {"type": "boolean"}]}},
     "required": ["action"]},
]


def test_examples_are_valid_and_varied():
    for schema, variety in zip(SCHEMAS, (20, 3)):
        validator = Draft202012Validator(schema)
        values = [instance(schema, rng=random.Random(i)) for i in range(50)]
        for value in values:
            assert not list(validator.iter_errors(value)), value
        assert len({repr(v) for v in values}) >= variety


def test_the_deterministic_instance_is_minimal_and_the_full_one_fills_everything():
    for schema in SCHEMAS:
        validator = Draft202012Validator(schema)
        small, full = instance(schema), instance(schema, full=True)
        assert small == instance(schema) and not list(validator.iter_errors(small))
        assert not list(validator.iter_errors(full))
    small, full = instance(SCHEMAS[0]), instance(SCHEMAS[0], full=True)
    assert set(small) == {"a", "b", "c"} and set(full) == {"a", "b", "c", "e", "f"}
    assert len(small["b"]) == 1 and len(full["b"]) == 2


def test_a_tag_ends_free_strings_and_numbers_the_items_of_a_tuple():
    calls = {"type": "array", "prefixItems": [{"type": "string"}, {"type": "string"}]}
    assert instance(calls, " #7") == ["please check this for #7", "please check this f #7 1"]
    assert instance({"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}, " #7") == "2024-05-17"
    loose = {"type": "object", "additionalProperties": {"type": "integer"}, "minProperties": 1}
    assert instance(loose) == {"extra_1": 3} and len(instance(loose, full=True)) == 2
