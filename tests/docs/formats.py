"""The worked examples of docs/FORMATS.md: generated from the code, compared by tests/docs/test_formats.py.

In the document each example sits between `<!-- example: NAME -->` and `<!-- /example -->`, as a fenced
block (or, for tables, as Markdown). After a deliberate change of a format, regenerate them with

    .venv/bin/python -m tests.docs.formats

and read the diff: every changed byte is a change every independent client must follow.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.docs import examples_documents, examples_log, examples_registry, examples_status_map

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "FORMATS.md"
BLOCK = re.compile(r"<!-- example: (?P<name>[a-z0-9-]+) -->\n(?P<content>.*?)<!-- /example -->", re.DOTALL)
MARKDOWN = frozenset({"problem-types", "problem-codes", "problem-mapping"})


def _language(name: str, body: str) -> str:
    return "json" if body.lstrip().startswith(("{", "[")) else "text"


def generated() -> dict[str, str]:
    """Every example's content as it belongs in the document."""
    bodies = {
        **examples_log.examples(),
        **examples_status_map.examples(),
        **examples_documents.examples(),
        **examples_registry.examples(),
    }
    return {
        name: body if name in MARKDOWN else f"```{_language(name, body)}\n{body}```\n" for name, body in bodies.items()
    }


def in_document(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in BLOCK.finditer(text):
        if match["name"] in found:
            raise ValueError(f"example {match['name']} appears twice")
        found[match["name"]] = match["content"]
    return found


def rewrite(text: str, examples: dict[str, str]) -> str:
    return BLOCK.sub(lambda m: f"<!-- example: {m['name']} -->\n{examples[m['name']]}<!-- /example -->", text)


def main() -> int:
    text = DOCUMENT.read_text(encoding="utf-8")
    examples = generated()
    missing = sorted(set(examples) - set(in_document(text)))
    DOCUMENT.write_text(rewrite(text, examples), encoding="utf-8")
    if missing:
        print(f"not placed in {DOCUMENT.name} yet: {', '.join(missing)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
