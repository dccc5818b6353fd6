"""openapi.yaml, read for tests/api/openapi.rs.

Checks the document is valid OpenAPI 3.1 (openapi-spec-validator) and that every example
validates against the schema it sits under (JSON Schema 2020-12), then prints one JSON object
for the Rust test to check against the code:

  spec      the document as JSON
  routes    [[METHOD, path], ...] of the spec
  router    [[METHOD, path], ...] of functions/Cargo.toml's `cargo lambda watch` router
  examples  [{where, model, value}] each JSON example with the component schema it shows
            (the schema's own $ref, or the first $ref of its allOf)
  errors    [{where, status, codes}] each error response's HTTP status and the codes its
            schema allows

Exits 1 with the problems on stderr when the document or an example is invalid.
Usage: openapi_check.py <openapi.yaml> <functions/Cargo.toml>
       openapi_check.py --validate <openapi.yaml> <cases.json>   (see validate_cases)
"""

import json
import sys
import tomllib

import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class Loader(yaml.SafeLoader):
    """YAML without implicit timestamps: `2025-01-15` stays the string JSON carries."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def main(spec_path, cargo_toml):
    with open(spec_path, encoding="utf-8") as f:
        spec = yaml.load(f, Loader=Loader)
    problems = []
    try:
        validate_openapi(spec)
    except Exception as e:  # the validator's own error types
        problems.append(f"not valid OpenAPI 3.1: {e}")

    def resolve(node):
        while isinstance(node, dict) and "$ref" in node and len(node) == 1:
            ref = node["$ref"]
            assert ref.startswith("#/"), ref
            node = spec
            for part in ref[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def model_of(schema):
        if "$ref" in schema:
            return schema["$ref"].rsplit("/", 1)[1]
        for part in schema.get("allOf", []):
            if "$ref" in part:
                return part["$ref"].rsplit("/", 1)[1]
        return None

    def codes_of(schema):
        for part in schema.get("allOf", []):
            code = part.get("properties", {}).get("code", {})
            if "const" in code:
                return [code["const"]]
            if "enum" in code:
                return code["enum"]
        return None

    examples, errors, routes = [], [], []

    def check_media(where, media):
        schema = media.get("schema")
        if schema is None:
            return
        validator = Draft202012Validator(
            {**schema, "components": spec["components"]},
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        found = []
        if "example" in media:
            found.append((where + " example", media["example"]))
        for name, example in media.get("examples", {}).items():
            found.append((f"{where} example {name}", resolve(example)["value"]))
        for at, value in found:
            for error in validator.iter_errors(value):
                path = "/".join(str(p) for p in error.absolute_path)
                problems.append(f"{at}: at /{path}: {error.message}")
            examples.append({"where": at, "model": model_of(schema), "value": value})

    for path, item in spec["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            routes.append([method.upper(), path])
            here = f"{method.upper()} {path}"
            body = resolve(op.get("requestBody", {}))
            for ctype, media in body.get("content", {}).items():
                if ctype == "application/json":
                    check_media(f"{here} request", media)
            for status, response in op.get("responses", {}).items():
                response = resolve(response)
                for ctype, media in response.get("content", {}).items():
                    if ctype != "application/json":
                        continue
                    check_media(f"{here} {status}", media)
                    if status[0] in "45":
                        errors.append(
                            {
                                "where": f"{here} {status}",
                                "status": int(status),
                                "codes": codes_of(media["schema"]),
                            }
                        )

    with open(cargo_toml, "rb") as f:
        table = tomllib.load(f)["package"]["metadata"]["lambda"]["watch"]["router"]
    router = [[r["method"].upper(), path] for path, rs in table.items() for r in rs]

    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)
    json.dump(
        {"spec": spec, "routes": routes, "router": router, "examples": examples, "errors": errors},
        sys.stdout,
    )


def validate_cases(spec_path, cases_path):
    """`--validate <openapi.yaml> <cases.json>`: each {schema, value} against that component
    schema; prints every problem and exits 1 when there is one."""
    with open(spec_path, encoding="utf-8") as f:
        spec = yaml.load(f, Loader=Loader)
    with open(cases_path, encoding="utf-8") as f:
        cases = json.load(f)
    problems = []
    for i, case in enumerate(cases):
        validator = Draft202012Validator(
            {"$ref": f"#/components/schemas/{case['schema']}", "components": spec["components"]},
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        for error in validator.iter_errors(case["value"]):
            path = "/".join(str(p) for p in error.absolute_path)
            problems.append(f"case {i} ({case['schema']}): at /{path}: {error.message}")
    if problems:
        print("\n".join(problems[:50]), file=sys.stderr)
        sys.exit(1)
    print(f"{len(cases)} answers valid")


if __name__ == "__main__":
    if sys.argv[1] == "--validate":
        validate_cases(*sys.argv[2:])
    else:
        main(*sys.argv[1:])
