import random

from jsonschema import Draft202012Validator

from toolace.testing.instances import example_for

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
        values = [example_for(schema, random.Random(i)) for i in range(50)]
        for value in values:
            assert not list(validator.iter_errors(value)), value
        assert len({repr(v) for v in values}) >= variety
