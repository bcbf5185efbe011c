"""The recognition answers' bytes, to compare two versions of the code: `python -m benchmarks.answer_bytes`.

A change that makes an answer cheaper must not change it. `load DIR` puts `http.recognition`'s reduced
demo world in a migrated SQLite file in DIR (with its keys and the certificate ids); `answer DIR OUT`,
run by each version of the code in turn (from its own work tree: `PYTHONPATH=. python -m ...`), asks a
copy of that database the benchmark's 84 questions, malformed TRQP bodies and equivalence queries,
neighbouring paths and methods, and the OpenAPI document, by raw ASGI calls to the app `serve` builds,
with "now" fixed, and writes every status, header (all but `x-request-id`) and body to OUT as JSON. Two
versions answer alike when their files are equal (`cmp`).

Example: .venv/bin/python -m benchmarks.answer_bytes load var/answers && \\
    .venv/bin/python -m benchmarks.answer_bytes answer var/answers var/answers/new.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import orjson

from benchmarks import profile_answers
from benchmarks.floor_app import with_floor_route
from benchmarks.http_recognition import load_reduced_world, questions
from benchmarks.profile_submission import _lifespan
from ecolabel_registry.api import equivalence
from ecolabel_registry.app import create_app
from ecolabel_registry.db.migrate import upgrade
from ecolabel_registry.recognition import trqp
from verification.leaf import to_microseconds

NOW = datetime(2025, 9, 1, 12, 30, 15, 123456, tzinfo=UTC)  # "now" for every answer, in both versions
NOW_US = to_microseconds(NOW)  # the same instant, as a TRQP answer reads the clock (`clock.now_us`)
_QUERIES = (
    "",
    "programme=jea",
    "certificate_id=zz&accepted=a:b",
    "programme=jea&accepted=a%3Ab&date=bad",
    "certificate_id=" + "f" * 64 + "&accepted=jea%3ANo.118",
    "programme=jea&accepted=a+b&accepted=%zz&category=%C3%A9",
    "programme=jea&accepted=a:b&x=%00",
    "programme=JEA&accepted=a:b",
    "programme=jea&category=&accepted=a:b",
    "programme=jea&cpv=1&accepted=a:b",
    "programme=jea&accepted=jea%3ANo.118&date=2025-06-01T00%3A00%3A00Z&known_at=2025-06-01T00:00:00Z",
)


_OPENAPI = ("GET", "/openapi.json", b"", b"")


def _load(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{directory / 'registry.sqlite3'}"
    upgrade(url)
    world, ids = load_reduced_world(url, directory, profile_answers.NAME)
    saved = {"questions": questions(world), "ids": [[*pair, found] for pair, found in ids.items()]}
    (directory / "world.json").write_text(json.dumps(saved))


def _requests(directory: Path) -> list[profile_answers.Request]:
    saved = json.loads((directory / "world.json").read_text())
    ids = {(programme, category): found for programme, category, found in saved["ids"]}
    kinds = profile_answers.requests_by_kind([tuple(question) for question in saved["questions"]], ids)
    asked = [request for kind in ("recognition", "authorization", "equivalence") for request in kinds[kind]]
    certificate = next(iter(ids.values()))
    question = {"entity_id": certificate, "authority_id": "jea", "action": "recognize", "resource": "No.118"}
    bodies = [
        *(b"", b"{", b"[]", b"null", b"{}", b'{"a":1,"a":2}', b'{"entity_id":1}'),
        orjson.dumps(question | {"action": "fly"}),
        orjson.dumps(question | {"context": {"time": "bad"}}),
        orjson.dumps(question | {"entity_id": "f" * 64}),
        orjson.dumps(question | {"entity_id": "nope", "resource": "jea:x"}),
    ]
    for kind in ("recognition", "authorization"):
        asked += [("POST", f"/trqp/v2/{kind}", b"", body) for body in bodies]
        asked += [("GET", f"/trqp/v2/{kind}", b"", b""), ("POST", f"/trqp/v2/{kind}/", b"", bodies[-1])]
    queries = [*_QUERIES, f"certificate_id={certificate}&programme=jea", f"certificate_id={certificate}"]
    asked += [("GET", "/v1/equivalence", query.encode(), b"") for query in queries]
    return [*asked, ("POST", "/v1/equivalence", b"", b""), ("GET", "/v1/equivalence/", b"", b""), _OPENAPI]


async def _answer(directory: Path, out: Path) -> list[str]:
    trqp.now_us = lambda: NOW_US  # type: ignore[attr-defined]  # the one clock both answers read
    equivalence.now = lambda: NOW  # type: ignore[attr-defined]
    copy = out.with_name(out.name + ".db")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(directory, copy)
    url = f"sqlite:///{copy / 'registry.sqlite3'}"
    app = with_floor_route(create_app(profile_answers.settings(copy, url), serving=True))
    inbox, lifespan = await _lifespan(app)
    found = []
    for request in _requests(directory):
        status, headers, body = await profile_answers.call(app, request)
        shown = [[name.decode(), value.decode("latin-1")] for name, value in headers if name != b"x-request-id"]
        found.append(repr([*request[:3], request[3][:80], status, shown, body]))
    await inbox.put({"type": "lifespan.shutdown"})
    await lifespan
    shutil.rmtree(copy)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("mode", choices=["load", "answer"])
    parser.add_argument("directory", type=Path)
    parser.add_argument("out", type=Path, nargs="?", help="answer: the file to write")
    args = parser.parse_args()
    if args.mode == "load":
        _load(args.directory)
    elif args.out is None:
        parser.error("answer needs OUT")
    else:
        found = asyncio.run(_answer(args.directory, args.out))
        args.out.write_text("\n".join(found) + "\n")
        print(f"{len(found)} answers written to {args.out}")


if __name__ == "__main__":
    main()
