"""`ecolabel-verify status-proof`: "as of checkpoint N, this is the latest status event", offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from verification.cli_common import fail, load_policy, ok
from verification.errors import VerificationError
from verification.note import NoteVerifier
from verification.policy import Policy
from verification.status_proof import StatusProof, verify_status_proof
from verification.strictjson import loads_strict


def status_proof(
    proof_file: Annotated[Path, typer.Argument(help="a status proof (GET /v1/certificates/{id}/status-proof)")],
    certificate: Annotated[str, typer.Option(help="the certificate id the proof must be about (hex SHA-256)")],
    key: Annotated[str | None, typer.Option(help="the registry's checkpoint verifier key (<name>+<id>+<key>)")] = None,
    policy: Annotated[
        Path | None, typer.Option(help="a C2SP tlog-policy file: the log and the witnesses' quorum to require")
    ] = None,
) -> None:
    """Check, offline, which status event is the latest for a certificate as of a signed checkpoint.

    The proof's map root must be the checkpoint's last leaf, so nothing the checkpoint holds came after
    it; the map proof then shows the certificate's chain head, or that the log holds no such
    certificate (docs/VERIFIABLE-MAP.md §5.2)."""
    loaded = load_policy(policy) if policy is not None else None
    if key is None and (loaded is None or not loaded.logs):
        raise fail("give the registry's checkpoint key with --key, or a --policy whose log line names it", code=2)
    log_keys = [NoteVerifier.from_string(key)] if key is not None else []
    trust = loaded if loaded is not None else Policy.no_witnesses(log_keys[0])
    try:
        parsed = StatusProof.from_json(loads_strict(proof_file.read_bytes()))
        if parsed.certificate_id.hex() != certificate.lower():
            raise fail(f"the proof is about certificate {parsed.certificate_id.hex()}, not {certificate}")
        result = verify_status_proof(parsed, trust, log_keys=log_keys)
    except VerificationError as exc:
        raise fail(exc.diagnostics()) from exc
    except OSError as exc:
        raise fail(f"cannot read the proof: {exc}", code=2) from exc
    at = f"as of {result.checkpoint.origin} tree size {result.checkpoint.tree_size}"
    head = result.head
    if head is None:
        ok(f"{at}, the log holds no certificate {certificate}")
    elif head.sequence == 0:
        ok(f"{at}, certificate {certificate} (leaf {head.certificate_leaf}) has no status event")
    else:
        ok(
            f"{at}, the latest status event of certificate {certificate} is number {head.sequence}, "
            f"document SHA-256 {head.head_sha256}, leaf {head.head_leaf}"
        )
