"""`ecolabel-verify audit-decision`: replay the log behind a signed decision and confirm or refute it.

Exit status (also for `monitor --decisions`):
  0  every answer of every decision is confirmed by the log;
  1  FAILED: an answer is refuted, or the decision or the log is not genuine (bad signature, a log that
     does not extend the decision's checkpoint, entries that do not give its root);
  2  FAILED: the input cannot be read or the registry cannot be asked (nothing was judged).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from verification.cli.common import DEFAULT_REGISTRY, RegistryOption, console, fail, ok, plural
from verification.client import RegistryClient, RegistryProblem, audit
from verification.client.catalogue_manifest import Manifest
from verification.client.monitor import LogSource
from verification.errors import MalformedInput, VerificationError
from verification.jwk import PublicKey, parse_public_jwk
from verification.strictjson import loads_strict

_MAX_BYTES = 256 * 1_048_576


def audit_decision(
    file: Annotated[
        Path,
        typer.Argument(
            help="a saved verification or eligibility answer, a bundle, a decision JWS, or a directory of them"
        ),
    ],
    registry: RegistryOption = DEFAULT_REGISTRY,
    jwk: Annotated[
        str | None, typer.Option(help="pin the registry's public JWK (JSON text or file) instead of fetching it")
    ] = None,
) -> None:
    """Fetch the log up to the decision's checkpoint, prove it consistent with the registry's current
    one, replay the certificates, status chains, keys, categories and agreements in it, and confirm or
    refute every answer: each standing, the heads it relied on, and each label's acceptance.

    Example: ecolabel-verify audit-decision decision.json --registry http://127.0.0.1:8000
    """
    files = decision_files(file) if file.is_dir() else [(file, read_decisions(file))]
    with RegistryClient(registry) as client:
        audit_files(client, files, _key(client, jwk))


def read_decisions(file: Path) -> list[Mapping[str, Any] | str]:
    """The decisions a file holds: an answer, a bundle written by `eligibility`, or a bare JWS."""
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc.strerror}", code=2) from exc
    text = raw.strip()
    if text.count(b".") == 2 and not text.startswith(b"{"):
        return [text.decode("ascii", errors="replace")]
    try:
        saved = loads_strict(raw, max_bytes=_MAX_BYTES)
    except MalformedInput as exc:
        raise fail(f"{file}: {exc.diagnostics()}", code=2) from exc
    if isinstance(saved, dict) and isinstance(saved.get("decisions"), list):
        return list(saved["decisions"])
    if isinstance(saved, dict):
        return [saved]
    raise fail(f"{file}: not a saved decision", code=2)


def audit_files(client: LogSource, files: Sequence[tuple[Path, list[Mapping[str, Any] | str]]], key: PublicKey) -> None:
    """Audit every decision of every file in one pass over the log; print a line per answer; exit 1 on any
    refutation."""
    flat = [(path, decision) for path, decisions in files for decision in decisions]
    try:
        reports = audit.audit_all(client, [decision for _, decision in flat], key)
    except VerificationError as exc:
        raise fail(exc.diagnostics()) from exc
    except RegistryProblem as exc:
        raise fail(f"the registry answered {exc}", code=2) from exc
    except httpx.HTTPError as exc:
        raise fail(f"the registry cannot be reached: {exc}", code=2) from exc
    refuted = 0
    for (path, _), report in zip(flat, reports, strict=True):
        for verdict in report.verdicts:
            if verdict.confirmed:
                console.print(f"confirmed  {path.name}: {verdict.detail}", soft_wrap=True, highlight=False)
            else:
                refuted += 1
                console.print(f"[red]REFUTED[/]    {path.name}: {verdict.detail}", soft_wrap=True, highlight=False)
    answers = sum(len(report.verdicts) for report in reports)
    if refuted:
        raise fail(f"{refuted} of {answers} answers in {len(reports)} decision(s) are refuted by the registry's log")
    sizes = sorted({report.tree_size for report in reports})
    ok(
        f"{plural(answers, 'answer')} in {plural(len(reports), 'decision')} confirmed by the log "
        f"(checkpoints of size {sizes})"
    )


def _key(client: RegistryClient, jwk: str | None) -> PublicKey:
    try:
        if jwk:
            text = Path(jwk).read_text(encoding="utf-8") if Path(jwk).is_file() else jwk
            return parse_public_jwk(loads_strict(text))
        return parse_public_jwk(client.identity().jwks["keys"][0])
    except VerificationError as exc:
        raise fail(f"the registry key: {exc.diagnostics()}", code=2) from exc
    except RegistryProblem as exc:
        raise fail(f"the registry answered {exc}", code=2) from exc
    except httpx.HTTPError as exc:
        raise fail(f"the registry cannot be reached: {exc}", code=2) from exc


def decision_files(directory: Path) -> list[tuple[Path, list[Mapping[str, Any] | str]]]:
    """Every archived decision in a directory (*.json answers and bundles, *.jwt / *.jws tokens; the
    manifest of a catalogue's chunk decisions lists them and is not one)."""
    if not directory.is_dir():
        raise fail(f"{directory} is not a directory", code=2)
    paths = sorted(
        p
        for p in directory.iterdir()
        if p.suffix in {".json", ".jwt", ".jws"} and p.name != Manifest.FILE_NAME and p.is_file()
    )
    return [(path, read_decisions(path)) for path in paths]
