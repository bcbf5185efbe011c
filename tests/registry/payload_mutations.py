"""A valid payload broken the ways a signer might: a member dropped, a value of another type, a string off
its pattern, an unknown member, or its `type` (and a credential's `@context`) changed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from hypothesis import strategies as st

JsonPath = tuple[str | int, ...]
Draw = Callable[[st.SearchStrategy[Any]], Any]


def _paths(value: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _replace(payload: Any, path: JsonPath, change: Callable[[Any], Any]) -> Any:
    if not path:
        return change(payload)
    copy = json.loads(json.dumps(payload))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    changed = change(parent[path[-1]])
    if changed is _DROP:
        del parent[path[-1]]
    else:
        parent[path[-1]] = changed
    return copy


_DROP = object()
OTHER_TYPES: list[Any] = [None, True, 0, 2.5, "x", [], {}]
BREAKS: list[Callable[[str], str]] = [
    lambda s: s + " ",
    lambda s: " " + s,
    lambda s: s + "\t",
    lambda s: s[:-1],
    lambda s: s + "#",
    lambda s: s.lower(),
    lambda s: s + "\u200b",
    lambda s: s * 2,
]


def _drop(draw: Draw, payload: dict[str, Any]) -> Any:
    path = draw(st.sampled_from([p for p, _ in _paths(payload) if p and isinstance(p[-1], str)]))
    return _replace(payload, path, lambda _: _DROP)


def _retype(draw: Draw, payload: dict[str, Any]) -> Any:
    path, value = draw(st.sampled_from([pair for pair in _paths(payload) if pair[0]]))
    other = draw(st.sampled_from([o for o in OTHER_TYPES if type(o) is not type(value)]))
    return _replace(payload, path, lambda _: other)


def _break(draw: Draw, payload: dict[str, Any]) -> Any:
    path, _ = draw(st.sampled_from([pair for pair in _paths(payload) if isinstance(pair[1], str)]))
    return _replace(payload, path, draw(st.sampled_from(BREAKS)))


def _unknown(draw: Draw, payload: dict[str, Any]) -> Any:
    path, _ = draw(st.sampled_from([pair for pair in _paths(payload) if isinstance(pair[1], dict)]))
    extra = draw(st.sampled_from(OTHER_TYPES))
    return _replace(payload, path, lambda obj: {**obj, "unexpectedMember": extra})


def _context(draw: Draw, payload: dict[str, Any]) -> Any:
    contexts: list[Any] = [
        ["https://www.w3.org/2018/credentials/v1"],
        [*payload["@context"][1:], payload["@context"][0]],
        "https://www.w3.org/ns/credentials/v2",
        [],
    ]
    return {**payload, "@context": draw(st.sampled_from(contexts))}


def _type(draw: Draw, payload: dict[str, Any]) -> Any:
    if isinstance(payload.get("type"), str):
        return {**payload, "type": draw(st.sampled_from([payload["type"] + "s", payload["type"].lower(), "KeyEvent"]))}
    types: list[Any] = [
        ["VerifiableCredential"],
        ["EcoLabelCertificate", "Licence"],
        "EcoLabelCertificate",
        ["VerifiableCredential", "EcoLabelCertificate", 7],
    ]
    return {**payload, "type": draw(st.sampled_from(types))}


MUTATIONS: dict[str, Callable[[Draw, dict[str, Any]], Any]] = {
    "drop": _drop,
    "retype": _retype,
    "break": _break,
    "unknown": _unknown,
    "type": _type,
    "context": _context,  # credentials only
}


@st.composite
def mutations(draw: Draw, payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` broken one way."""
    kinds = [kind for kind in MUTATIONS if kind != "context" or "@context" in payload]
    mutated: dict[str, Any] = MUTATIONS[draw(st.sampled_from(kinds))](draw, payload)
    return mutated
