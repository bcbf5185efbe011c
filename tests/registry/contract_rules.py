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
