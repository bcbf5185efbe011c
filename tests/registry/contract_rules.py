"""What client generators need of an OpenAPI document, as checks that name every offence.

Each check takes the whole document and so applies to any route added later, whatever its path
(`/v1/…`, `/trqp/v2/…`, `/.well-known/…`, `/log/…`); routes left out of the document (the console)
are not part of the contract and need none of this.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
# A class name: FastAPI's module-qualified names (`pkg__module__Name`), its generated request bodies
# (`Body_…`), pydantic's generic parametrisations (`Page_Item_`) and split input/output schemas
# (`Name-Input`) all fail it.
_CLASS_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")
# lowerCamelCase: FastAPI's default ids (`get_certificate_v1_certificates__certificate_id__get`) fail it,
# so a route that names no id is caught as surely as one that names a bad one.
_OPERATION_ID = re.compile(r"^[a-z][a-zA-Z0-9]*$")


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each operation with its label, e.g. `POST /v1/certificates`."""
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield f"{method.upper()} {path}", operation


def component_name_problems(document: dict[str, Any]) -> list[str]:
    schemas: dict[str, dict[str, Any]] = document.get("components", {}).get("schemas", {})
    problems = [f"{name}: not a plain class name" for name in schemas if not _CLASS_NAME.match(name)]
    problems += [
        f"{name}: published for the class {schema['title']}"
        for name, schema in schemas.items()
        if "title" in schema and schema["title"] != name
    ]
    titles = Counter(schema.get("title", name) for name, schema in schemas.items())
    problems += [f"{title}: {count} models share this class name" for title, count in titles.items() if count > 1]
    return problems


def operation_id_problems(document: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    seen: dict[str, str] = {}
    for label, operation in operations(document):
        operation_id = operation.get("operationId")
        if not isinstance(operation_id, str) or not _OPERATION_ID.match(operation_id):
            problems.append(f"{label}: operationId {operation_id!r} is not an explicit lowerCamelCase id")
        elif operation_id in seen:
            problems.append(f"{label}: operationId {operation_id!r} is also {seen[operation_id]}'s")
        else:
            seen[operation_id] = label
    return problems


def tag_problems(document: dict[str, Any]) -> list[str]:
    declared = {tag["name"]: tag for tag in document.get("tags", [])}
    problems = [f"tag {name!r} has no description" for name, tag in declared.items() if not tag.get("description")]
    used: set[str] = set()
    for label, operation in operations(document):
        tags = operation.get("tags", [])
        used.update(tags)
        if len(tags) != 1:
            problems.append(f"{label}: has {len(tags)} tags, not one")
        problems += [f"{label}: tag {tag!r} is not declared" for tag in tags if tag not in declared]
    problems += [f"tag {name!r} is declared but no operation has it" for name in declared.keys() - used]
    return problems


def example_problems(document: dict[str, Any]) -> list[str]:
    """Every operation that takes a body shows a request and an answer; every example anywhere in the
    document is valid against the schema beside it (JSON Schema 2020-12, OpenAPI 3.1's dialect)."""
    registry: Registry[Any] = Registry().with_resource(_BASE, DRAFT202012.create_resource(document))
    problems: list[str] = []
    for label, operation, pointer in _operations_at(document):
        requests = list(_media(operation.get("requestBody", {}), f"{pointer}/requestBody"))
        answers = [
            media
            for status, response in operation.get("responses", {}).items()
            if status.startswith("2")
            for media in _media(response, f"{pointer}/responses/{_escape(status)}")
        ]
        if requests and not any(_examples(media) for media, _ in requests):
            problems.append(f"{label}: its request body has no example")
        if requests and not any(_examples(media) for media, _ in answers):
            problems.append(f"{label}: no successful answer has an example")
        for media, at in [*requests, *answers]:
            for name, value in _examples(media).items():
                problems += [f"{label} {name}: {error}" for error in _invalid(registry, f"{at}/schema", value)]
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        for number, value in enumerate(schema.get("examples", [])):
            at = f"#/components/schemas/{_escape(name)}"
            problems += [f"{name} example {number}: {error}" for error in _invalid(registry, at, value)]
    return problems


_BASE = "urn:openapi-document"


def _escape(token: str) -> str:
    """A JSON Pointer reference token (RFC 6901 §3)."""
    return token.replace("~", "~0").replace("/", "~1")


def _operations_at(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], str]]:
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield f"{method.upper()} {path}", operation, f"#/paths/{_escape(path)}/{method}"


def _media(holder: dict[str, Any], pointer: str) -> Iterator[tuple[dict[str, Any], str]]:
    """The JSON media types of a request body or response, with the pointer to each."""
    for media_type, media in holder.get("content", {}).items():
        if media_type == "application/json" or media_type.endswith("+json"):
            yield media, f"{pointer}/content/{_escape(media_type)}"


def _examples(media: dict[str, Any]) -> dict[str, Any]:
    """A Media Type Object's examples by name: `examples` (Example Objects) and the older `example`."""
    shown = {name: example["value"] for name, example in media.get("examples", {}).items() if "value" in example}
    if "example" in media:
        shown["example"] = media["example"]
    return shown


def _invalid(registry: Registry[Any], pointer: str, value: Any) -> list[str]:
    validator = Draft202012Validator(
        {"$ref": f"{_BASE}{pointer}"}, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    return [f"{error.message} at {error.json_path}" for error in validator.iter_errors(value)]
