"""Worked examples of what the registry itself signs and answers: decisions, and the problem tables."""

from __future__ import annotations

import ast
import base64
import hashlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ecolabel_registry import errors
from ecolabel_registry.rejections import _BY_TYPE
from ecolabel_registry.signer import sign_decision
from tests.docs.examples_documents import certificate, header_of, pretty, sha256_hex
from tests.docs.examples_log import checkpoint, log_note
from tests.docs.keys import LOG_ORIGIN, REGISTRY_KEY
from verification import errors as verification_errors
from verification import policy  # noqa: F401  (its error classes count too)
from verification.canonical import dumps_canonical
from verification.client import mirror, monitor  # noqa: F401  (their error classes count too)
from verification.decision import results_digest

ROOT = Path(__file__).resolve().parents[2]


def results() -> list[dict[str, Any]]:
    return [
        {
            "index": 0,
            "ref": "line-1",
            "eligible": True,
            "reasons": [],
            "certificates": [
                {
                    "id": sha256_hex(certificate()),
                    "programme": "eu-ecolabel",
                    "licence_number": "IT/044/005",
                    "category": "044",
                    "criteria_version": "1",
                    "status": "active",
                    "accepted_via": "direct",
                    "path": None,
                    "conditions": None,
                    "reasons": [],
                    "eligible": True,
                    # leaf 1 of the example log (docs/FORMATS.md §1) is this certificate, leaf 0 its
                    # programme's registration; no status events, no key events yet
                    "evidence": {
                        "leaf_index": 1,
                        "status_head": {"sequence": 0, "sha256": None, "leaf_index": None},
                        "key_head": {"programme": "eu-ecolabel", "sequence": 0, "leaf_index": 0},
                    },
                }
            ],
        },
        {"index": 1, "ref": "line-2", "eligible": False, "reasons": ["NOT_FOUND"], "certificates": []},
    ]


def claims() -> dict[str, Any]:
    return {
        "type": "EligibilityDecision",
        "iss": LOG_ORIGIN,
        "iat": 1772357460,  # 2026-03-01T09:31:00Z
        "checkpoint": log_note(),
        "treeSize": checkpoint().tree_size,
        "rootHash": base64.b64encode(checkpoint().root_hash).decode(),
        "requirement": {"accepted": [{"programme": "eu-ecolabel"}], "equivalents": True, "markets": []},
        "date": "2026-03-01T09:31:00.000000Z",
        "itemCount": 2,
        "eligibleCount": 1,
        "resultsSha256": results_digest(results()),
    }


def decision() -> str:
    """Signed by the registry's own decision signer, as `POST /v1/verify/eligibility` signs it."""
    return sign_decision(SimpleNamespace(signing_key=REGISTRY_KEY), claims())  # type: ignore[arg-type]


def problem_types() -> str:
    rows = ["| type (`urn:ecolabel-registry:problem:…`) | status | title |", "| --- | --- | --- |"]
    for error in sorted(_registry_errors(), key=lambda e: (e.status, e.slug)):
        rows.append(f"| `{error.slug}` | {error.status} | {error.title} |")
    return "\n".join(rows) + "\n"


def problem_codes() -> str:
    """Every `code` in the source: registry errors raised with `code="…"` (problem documents), and
    verification errors, whose code is their first argument (offline checks; the registry's refusals)."""
    registry = {error.__name__: error.slug for error in _registry_errors()}
    verification = {cls.__name__ for cls in _subclasses(verification_errors.VerificationError)}
    problems: dict[str, set[str]] = {}
    offline: dict[str, set[str]] = {}
    for path in sorted((ROOT / "ecolabel_registry").rglob("*.py")) + sorted((ROOT / "verification").rglob("*.py")):
        in_registry = path.is_relative_to(ROOT / "ecolabel_registry")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if in_registry and name in registry:
                for keyword in node.keywords:
                    if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                        problems.setdefault(str(keyword.value.value), set()).add(registry[name])
            elif not in_registry and name in verification and node.args and isinstance(node.args[0], ast.Constant):
                offline.setdefault(str(node.args[0].value), set()).add(name)
    rows = ["| code | problem type (registry) | verification error |", "| --- | --- | --- |"]
    for code in sorted(problems.keys() | offline.keys()):
        registry_types = ", ".join(f"`{slug}`" for slug in sorted(problems.get(code, ()))) or "—"
        errors_offline = ", ".join(f"`{name}`" for name in sorted(offline.get(code, ()))) or "—"
        rows.append(f"| `{code}` | {registry_types} | {errors_offline} |")
    return "\n".join(rows) + "\n"


def verification_mapping() -> str:
    """How `ecolabel_registry.rejections` turns a verification error into a problem (keeping its code)."""
    rows = ["| verification error | problem type |", "| --- | --- |"]
    rows += [f"| `{v.__name__}` | `{r.slug}` |" for v, r in _BY_TYPE]
    rows.append(f"| any other | `{errors.DocumentInvalid.slug}` |")
    return "\n".join(rows) + "\n"


def _subclasses(base: type) -> set[type]:
    # Every module that defines one is imported by the time the examples run (monitor, mirror, policy).
    found = set(base.__subclasses__())
    for cls in list(found):
        found |= _subclasses(cls)
    return found | {base}


def _registry_errors() -> list[type[errors.RegistryError]]:
    return [
        cls
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.RegistryError) and cls is not errors.RegistryError
    ]


def examples() -> dict[str, str]:
    token = decision()
    return {
        "decision-header": header_of(token),
        "decision-claims": pretty(claims()),
        "decision-results": pretty(results()),
        "decision-results-jcs": dumps_canonical(results()).decode() + "\n",
        "decision-results-sha256": hashlib.sha256(dumps_canonical(results())).hexdigest() + "\n",
        "decision-jws": token + "\n",
        "problem-types": problem_types(),
        "problem-codes": problem_codes(),
        "problem-mapping": verification_mapping(),
        "problem-example": pretty(
            {
                "type": "urn:ecolabel-registry:problem:signing-key-not-valid",
                "title": errors.SigningKeyNotValid.title,
                "status": 403,
                "detail": "key eu-ecolabel-2026 of eu-ecolabel was retired at 2026-06-01T00:00:00.000000Z",
                "instance": "/v1/certificates",
                "code": "SIGNING_KEY_RETIRED",
            }
        ),
    }
