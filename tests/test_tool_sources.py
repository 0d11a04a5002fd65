"""Tool sources: an MCP tools/list result and OpenAPI 3.0/3.1 documents import as canonical APIs."""

import json
import textwrap

from typer.testing import CliRunner

from toolace.cli import app
from toolace.formats import TOOL_SOURCES
from toolace.formats.imports import import_apis
from toolace.jsonl import read_jsonl
from verify_samples import call_dialog, verdict

SEARCH = {"name": "search_docs", "title": "Search docs", "description": "Full-text search over the docs.",
          "inputSchema": {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                          "properties": {"query": {"type": "string", "description": "Words to find."},
                                         "limit": {"type": "integer", "description": "Most hits.", "default": 10}},
                          "required": ["query"]},
          "outputSchema": {"type": "object", "properties": {"hits": {"type": "array", "items": {"type": "string"}}},
                           "required": ["hits"]},
          "annotations": {"readOnlyHint": True, "openWorldHint": False}}
DELETE = {"name": "delete_page", "description": "Delete a page.",
          "inputSchema": {"type": "object", "properties": {"page_id": {"type": "string", "description": "Page."}},
                          "required": ["page_id"]},
          "annotations": {"destructiveHint": True}}


async def _import(tmp_path, name, text, fmt):
    source = tmp_path / name
    source.write_text(text)
    stats = await import_apis([source], fmt, tmp_path / "apis.jsonl")
    apis = {a["name"]: a for a in read_jsonl(tmp_path / "apis.jsonl")}
    rejected = list(read_jsonl(tmp_path / "apis.rejected.jsonl"))
    return stats, apis, rejected


async def test_mcp_tools_list_response(tmp_path):
    response = {"jsonrpc": "2.0", "id": 1, "result": {"tools": [SEARCH, DELETE], "nextCursor": "abc"}}
    stats, apis, rejected = await _import(tmp_path, "tools.json", json.dumps(response), "mcp")
    assert stats.kept == 2 and rejected == []
    search = apis["search_docs"]
    assert search["parameters"] == {k: v for k, v in SEARCH["inputSchema"].items() if k != "$schema"}
    assert search["returns"] == SEARCH["outputSchema"]
    assert search["meta"]["mcp"] == {"title": "Search docs", "annotations": {"readOnlyHint": True, "openWorldHint": False},
                                     "$schema": {"inputSchema": "https://json-schema.org/draft/2020-12/schema"}}
    assert apis["delete_page"]["returns"] is None and apis["delete_page"]["meta"]["mcp"]["annotations"] == {
        "destructiveHint": True}
    assert verdict(call_dialog(search, {"query": "rate limits"})) == ([], [])


async def test_mcp_pages_bare_results_and_errors(tmp_path):
    pages = [{"jsonrpc": "2.0", "id": 1, "result": {"tools": [SEARCH], "nextCursor": "p2"}},
             {"tools": [DELETE]},
             {"jsonrpc": "2.0", "id": 3, "error": {"code": -32603, "message": "boom"}},
             {"jsonrpc": "2.0", "id": 4, "result": {"tools": [{"name": "no_schema", "description": "x"}]}}]
    stats, apis, rejected = await _import(tmp_path, "pages.jsonl", "\n".join(json.dumps(p) for p in pages) + "\n", "mcp")
    assert set(apis) == {"search_docs", "delete_page"}
    assert dict(stats.reasons) == {"mcp_error": 1, "bad_parameters": 1}
    assert [r["id"].rsplit(":", 1)[1] for r in rejected] == ["3", "4"]


# A small OpenAPI 3.0 document in YAML with shared components: parameters, schemas, responses and a
# request body referenced from several operations, path-level parameters, nullable and a header.
PETS_30 = textwrap.dedent("""\
    openapi: 3.0.3
    info: {title: Pets, version: "1.0"}
    paths:
      /pets:
        get:
          operationId: listPets
          summary: List pets
          description: Pets in the store, newest first.
          tags: [pets]
          parameters:
            - $ref: '#/components/parameters/Limit'
            - {name: species, in: query, schema: {type: string, enum: [cat, dog], nullable: true},
               description: Only this species.}
            - {name: X-Trace, in: header, schema: {type: string}}
          responses:
            '200':
              description: A page of pets.
              content:
                application/json:
                  schema: {type: array, items: {$ref: '#/components/schemas/Pet'}}
        post:
          summary: Add a pet
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/NewPet'}
          responses:
            '201': {$ref: '#/components/responses/OnePet'}
      /pets/{petId}:
        parameters:
          - {name: petId, in: path, required: true, description: The pet., schema: {type: integer, minimum: 1}}
        get:
          operationId: getPet
          description: One pet by id.
          responses:
            '200': {$ref: '#/components/responses/OnePet'}
            default: {description: An error.}
        delete:
          operationId: deletePet
          description: Remove a pet.
          responses:
            '204': {description: Gone.}
    components:
      parameters:
        Limit: {name: limit, in: query, description: Most pets per page., schema: {type: integer, maximum: 100,
                exclusiveMaximum: true, example: 20}}
      schemas:
        NewPet:
          type: object
          required: [name]
          properties:
            name: {type: string, description: The pet's name.}
            tag: {type: string, nullable: true, description: A tag.}
        Pet:
          allOf:
            - $ref: '#/components/schemas/NewPet'
            - type: object
              required: [id]
              properties: {id: {type: integer, description: Its id.}}
      responses:
        OnePet:
          description: One pet.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
    """)


async def test_openapi_30_yaml_with_shared_components(tmp_path):
    stats, apis, rejected = await _import(tmp_path, "pets.yaml", PETS_30, "openapi")
    assert rejected == [] and set(apis) == {"listPets", "post_pets", "getPet", "deletePet"}
    assert stats.counters["definitions read"] == 4

    listing = apis["listPets"]
    assert listing["description"] == "List pets. Pets in the store, newest first." and listing["domain"] == ["pets"]
    assert listing["parameters"] == {"type": "object", "properties": {
        "limit": {"type": "integer", "exclusiveMaximum": 100, "examples": [20], "description": "Most pets per page."},
        "species": {"type": ["string", "null"], "enum": ["cat", "dog", None], "description": "Only this species."}}}
    pet = listing["returns"]["items"]
    assert pet["type"] == "object" and set(pet["properties"]) == {"name", "tag", "id"}
    assert sorted(pet["required"]) == ["id", "name"] and pet["properties"]["tag"]["type"] == ["string", "null"]
    assert listing["meta"]["openapi"] == {"method": "get", "path": "/pets", "operationId": "listPets",
                                          "in": {"limit": "query", "species": "query"},
                                          "transport_parameters": [{"name": "X-Trace", "in": "header"}]}

    add = apis["post_pets"]  # no operationId: named by method and path; the body's properties merge in
    assert add["parameters"]["required"] == ["name"] and set(add["parameters"]["properties"]) == {"name", "tag"}
    assert add["meta"]["openapi"]["in"] == {"name": "body", "tag": "body"}
    assert add["returns"]["properties"]["id"]["type"] == "integer"  # 201 via a shared response

    one = apis["getPet"]  # a path-level parameter, required as every path parameter is
    assert one["parameters"]["properties"]["petId"] == {"type": "integer", "minimum": 1, "description": "The pet."}
    assert one["parameters"]["required"] == ["petId"] and one["returns"]["required"] == ["name", "id"]
    assert apis["deletePet"]["returns"] is None  # 204 has no content

    assert verdict(call_dialog(one, {"petId": 7})) == ([], [])
    assert [f.check for f in verdict(call_dialog(one, {"petId": 0}))[0]] == ["out_of_range"]
    assert [f.check for f in verdict(call_dialog(listing, {"limit": 100}))[0]] == ["out_of_range"]


PETS_31 = {
    "openapi": "3.1.0", "info": {"title": "Orders", "version": "2"},
    "paths": {"/orders/{id}": {"put": {
        "operationId": "replaceOrder", "description": "Replace an order.",
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
                        "description": "Order id."}],
        "requestBody": {"description": "The new order.", "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/Order"}}}},
        "responses": {"2XX": {"description": "Done.", "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/Order"}}}}}}}},
    "components": {"schemas": {"Order": {"type": "object", "properties": {
        "id": {"type": "string", "description": "Order id."},
        "items": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}],
                  "description": "SKU and count."}}}}}}


async def test_openapi_31_json_body_that_collides_becomes_one_parameter(tmp_path):
    stats, apis, rejected = await _import(tmp_path, "orders.json", json.dumps(PETS_31), "openapi")
    order = apis["replaceOrder"]
    assert set(order["parameters"]["properties"]) == {"id", "body"}  # the body's "id" would collide
    assert order["parameters"]["properties"]["body"]["description"] == "The new order."
    assert order["meta"]["openapi"]["in"] == {"id": "path", "body": "body"}
    assert order["returns"]["properties"]["items"]["prefixItems"][1] == {"type": "integer"}
    assert verdict(call_dialog(order, {"id": "o1", "body": {"items": ["sku", 2]}})) == ([], [])
    assert [f.check for f in verdict(call_dialog(order, {"id": "o1", "body": {"items": ["sku", "2"]}}))[0]] == [
        "wrong_type"]


async def test_a_document_that_is_not_valid_openapi_is_refused_whole(tmp_path):
    stats, apis, rejected = await _import(tmp_path, "bad.json", json.dumps({"openapi": "3.1.0", "paths": {}}), "openapi")
    assert apis == {} and dict(stats.reasons) == {"invalid_openapi": 1}
    assert "info" in rejected[0]["failures"][0]["message"]
    stats, _, rejected = await _import(tmp_path, "swagger.json", json.dumps({"swagger": "2.0"}), "openapi")
    assert dict(stats.reasons) == {"invalid_openapi": 1} and "Swagger 2.0" in rejected[0]["failures"][0]["message"]


def test_cli_import_apis_openapi_and_the_registry(tmp_path):
    assert {"mcp", "openapi", "bfcl", "toolace", "openai", "xlam"} == set(TOOL_SOURCES)
    (tmp_path / "pets.yaml").write_text(PETS_30)
    result = CliRunner().invoke(app, ["import-apis", str(tmp_path / "pets.yaml"), "--format", "openapi",
                                      "--out", str(tmp_path / "apis.jsonl")])
    assert result.exit_code == 0, result.output
    assert len(list(read_jsonl(tmp_path / "apis.jsonl"))) == 4
    bad = CliRunner().invoke(app, ["import-apis", str(tmp_path / "pets.yaml"), "--format", "swagger",
                                   "--out", str(tmp_path / "x.jsonl")])
    assert bad.exit_code != 0 and "one of bfcl, toolace, openai, xlam, mcp, openapi" in str(bad.exception)
