"""`ecolabel-verify`: offline checks of receipts, decisions and evidence bundles, and a log monitor.

Exit codes: 0 verified; 1 the evidence does not verify (or the log misbehaved); 2 a file or an option
cannot be used as given; 3 the registry could not be reached; 4 the registry's answer did not verify.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from verification.bundle import verify_evidence_bundle
from verification.checkpoint import parse_checkpoint_text
from verification.cli import audit as cli_audit
from verification.cli import catalogue as cli_catalogue
from verification.cli import log as cli_log
from verification.cli.common import (
    CONTEXT,
    EXIT_INPUT,
    OptionalRegistry,
    add_version_option,
    console,
    fail,
    guarded,
    load_policy,
    ok,
    plural,
    refuse_zip,
    run,
    verification_failed,
)
from verification.client import RegistryClient, RegistryProblem
from verification.client.catalogue_manifest import Manifest
from verification.client.dumps import check_dump
from verification.decision import verify_saved_eligibility
from verification.errors import VerificationError
from verification.jwk import PublicKey, parse_public_jwk
from verification.leaf import DocumentKind
from verification.note import NoteVerifier, split_note
from verification.policy import Policy
from verification.receipt import Receipt, verify_receipt
from verification.status_proof import StatusProof, verify_status_proof
from verification.strictjson import loads_strict
from verification.tlog_proof import HEADER as TLOG_PROOF_HEADER
from verification.tlog_proof import TlogProof, verify_tlog_proof
from verification.witnessed import covering_checkpoint, verify_witnessed

EXIT_CODES = (
    "Exit codes: 0 verified; 1 does not verify; 2 unusable file or option; 3 registry unreachable; "
    "4 the registry's answer did not verify."
)
app = typer.Typer(
    help="Verify eco-label registry evidence offline.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings=CONTEXT,
)
add_version_option(app, "ecolabel-verify")
_fail = fail


@app.command()
@guarded
def receipt(
    receipt_file: Annotated[
        Path, typer.Argument(help="a receipt (JSON, or a write response holding one) or a C2SP .tlog-proof")
    ],
    document_file: Annotated[Path, typer.Argument(help="the exact document bytes that were submitted")],
    key: Annotated[str | None, typer.Option(help="the registry's checkpoint verifier key (<name>+<id>+<key>)")] = None,
    policy: Annotated[
        Path | None, typer.Option(help="a C2SP tlog-policy file: the log and the witnesses' quorum to require")
    ] = None,
    registry: OptionalRegistry = None,
) -> None:
    """Check, offline, that a document is in the registry's log as its receipt or tlog-proof claims.

    With --policy the checkpoint must also be cosigned by the witnesses the policy requires. A receipt is
    signed before any witness saw it: --registry fetches the newest witnessed checkpoint and a proof that
    it extends the receipt's (a .tlog-proof from `ecolabel-verify proof` carries the cosignatures itself).

    Example: ecolabel-verify receipt receipt.json new.jws --key "$KEY"
    """
    refuse_zip(receipt_file, "a receipt is JSON or a .tlog-proof; for an evidence bundle use `ecolabel-verify bundle`")
    try:
        trust = _trust(key, policy)
        text = receipt_file.read_text(encoding="utf-8")
        if text.startswith(TLOG_PROOF_HEADER):
            proof = TlogProof.parse(text)
            checkpoint, leaf = verify_tlog_proof(proof, _document_bytes(document_file, proof.leaf().kind), trust.policy)
            ok(
                f"leaf {proof.leaf_index} ({leaf.kind.value}) is in {checkpoint.origin} "
                f"at tree size {checkpoint.tree_size}{_witnesses(trust.policy, proof.checkpoint, trust.key)}"
            )
            return
        data = _json(text, receipt_file)
        if not isinstance(data, dict):
            raise _fail(f"{receipt_file} is not a receipt: save the write response or its receipt", code=EXIT_INPUT)
        parsed = Receipt.from_dict(data.get("receipt", data))
        checkpoint = verify_receipt(parsed, _document_bytes(document_file, parsed.kind), trust.key)
        covered = _covered(parsed.checkpoint, trust, registry)
    except VerificationError as exc:
        raise verification_failed(exc) from exc
    except RegistryProblem as exc:
        raise _fail(f"the registry answered {exc}", code=EXIT_INPUT) from exc
    ok(
        f"leaf {parsed.leaf_index} ({parsed.kind.value}) is in {checkpoint.origin} "
        f"at tree size {checkpoint.tree_size}{covered}"
    )


def _json(text: str, path: Path) -> object:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise _fail(f"{path} is not JSON ({exc}); give the file the registry answered", code=EXIT_INPUT) from exc


def _document_bytes(path: Path, kind: DocumentKind) -> bytes:
    """The file's bytes; for JWS kinds without surrounding whitespace, which a compact JWS never contains
    (files saved by tools usually end in a newline). Programme registrations are JSON: taken exactly."""
    data = path.read_bytes()
    return data if kind is DocumentKind.PROGRAMME else data.strip()


@dataclass(frozen=True)
class _Trust:
    key: NoteVerifier
    policy: Policy


def _trust(key: str | None, policy: Path | None) -> _Trust:
    """The log key (from --key, else the policy's log line) and the policy (`quorum none` without one)."""
    loaded = load_policy(policy) if policy is not None else None
    if key is not None:
        verifier = NoteVerifier.from_string(key)
    elif loaded is not None and loaded.logs:
        verifier = loaded.logs[0]
    else:
        raise _fail(
            "give the registry's checkpoint key with --key, or a --policy whose log line names it", code=EXIT_INPUT
        )
    return _Trust(verifier, loaded if loaded is not None else Policy.no_witnesses(verifier))


def _witnesses(policy: Policy, note: str, key: NoteVerifier) -> str:
    cosigned = sorted(policy.verify(note, log_keys=[key]).cosigned_by)
    return f", witnessed by {', '.join(cosigned)}" if cosigned else ""


def _covered(note: str, trust: _Trust, registry: str | None) -> str:
    """ "" when no witness is required; else how the witnesses cover this checkpoint (raises if they do not)."""
    if trust.policy.quorum == "none":
        return ""
    own = covering_checkpoint(note, trust.policy, trust.key)
    if own is not None:
        return f", witnessed by {', '.join(sorted(own.cosigned_by))}"
    witnessed_note, proof = None, []
    if registry is not None:
        size = parse_checkpoint_text(split_note(note)[0]).tree_size
        with RegistryClient(registry) as client:
            client.saw_tree_size(size)  # the receipt's own checkpoint: no answer may come from a smaller log
            witnessed_note = client.witnessed_checkpoint()
            witnessed_size = parse_checkpoint_text(split_note(witnessed_note)[0]).tree_size
            if 0 < size < witnessed_size:
                proof = client.consistency_proof(size, witnessed_size)
    _, witnessed = verify_witnessed(note, trust.policy, trust.key, witnessed_note=witnessed_note, proof=proof)
    names = ", ".join(sorted(witnessed.cosigned_by))
    return f", inside the tree of size {witnessed.checkpoint.tree_size} witnessed by {names}"


def _registry_key(jwk: str | None, registry: str | None) -> PublicKey:
    if jwk:
        text = Path(jwk).read_text(encoding="utf-8") if Path(jwk).is_file() else jwk
        return parse_public_jwk(loads_strict(text))
    if registry:
        with RegistryClient(registry) as client:
            return parse_public_jwk(client.identity().jwks["keys"][0])
    raise _fail("give the registry's key with --jwk (offline) or --registry URL", code=EXIT_INPUT)


@app.command()
@guarded
def decision(
    file: Annotated[
        Path, typer.Argument(help="a saved eligibility answer, or the decisions directory (or its manifest.json)")
    ],
    jwk: Annotated[
        str | None, typer.Option(help="the registry's public JWK (JSON text or file): fully offline")
    ] = None,
    registry: OptionalRegistry = None,
    policy: Annotated[
        Path | None, typer.Option(help="a C2SP tlog-policy: the checkpoint must be covered by witnessed history")
    ] = None,
    catalogue: Annotated[
        Path | None, typer.Option(help="with a decisions directory: the catalogue its chunks must cover line by line")
    ] = None,
) -> None:
    """Check an archived decision offline: the registry's signature, its checkpoint, and every result.

    Given the directory `eligibility --decisions` filled (or its manifest.json), check every chunk's
    decision and that together they cover the whole catalogue, without gap or overlap; with
    --catalogue, that they answer that file's lines one by one (one FAILED line per problem, exit 1).

    The key comes from --jwk (offline) or from the registry (--registry). With --policy, the checkpoint
    the decision names must be in the history the policy's witnesses cosigned: --registry fetches the
    newest witnessed checkpoint and a consistency proof to it.

    Example: ecolabel-verify decision decision.json --registry http://127.0.0.1:8000
    """
    refuse_zip(file, "for a supply-chain evidence bundle use `ecolabel-verify bundle FILE`")
    if file.is_dir() or file.name == Manifest.FILE_NAME:
        if policy is not None:
            raise _fail("--policy checks one decision's checkpoint; give one chunk's file with it", code=EXIT_INPUT)
        try:
            directory_key = _registry_key(jwk, registry)
        except VerificationError as exc:
            raise verification_failed(exc) from exc
        cli_catalogue.check_directory(file, directory_key, catalogue)
        return
    try:
        data = file.read_bytes()
        key = _registry_key(jwk, registry)
        saved = loads_strict(data, max_bytes=256 * 1_048_576)
        bundle = saved.get("decisions", [saved]) if isinstance(saved, dict) else []
        checked = [verify_saved_eligibility(item, key) for item in bundle]
        if not checked:
            raise _fail(f"{file} holds no decision: give the file `eligibility --decisions` wrote", code=EXIT_INPUT)
        covered = ""
        if policy is not None:
            log_key = NoteVerifier.from_public_key(checked[0].origin, key.raw)
            trust = _Trust(log_key, load_policy(policy))
            for item in checked:
                covered = _covered(item.checkpoint, trust, registry)
    except VerificationError as exc:
        raise verification_failed(exc) from exc
    except RegistryProblem as exc:
        raise _fail(f"the registry answered {exc}", code=EXIT_INPUT) from exc
    items = sum(d.item_count for d in checked)
    eligible = sum(d.eligible_count for d in checked)
    # The checkpoint was verified with the decision; its second line is the tree size (tlog-checkpoint).
    size = checked[0].checkpoint.split("\n")[1]
    ok(
        f"{plural(len(checked), 'decision')} signed by {checked[0].origin} cover {plural(items, 'item')} "
        f"({eligible:,} eligible), computed against the log at size {size}{covered}"
    )


@app.command()
@guarded
def dump(
    directory: Annotated[Path, typer.Argument(help="a downloaded dump: its data files and manifest.jws")],
    jwk: Annotated[
        str | None, typer.Option(help="the registry's public JWK (JSON text or file): fully offline")
    ] = None,
    registry: OptionalRegistry = None,
) -> None:
    """Check a bulk download offline: the registry's signature on its manifest, the checkpoint it names,
    and every file's SHA-256 and size. Exit status 0 when all is well, 1 when anything fails (one FAILED
    line per file), 2 when the check cannot start (no key, no such directory).

    Example: ecolabel-verify dump downloads/dump-000123 --jwk registry.jwk
    """
    if not directory.is_dir():
        raise _fail(f"{directory} is not a directory", code=2)
    try:
        key = _registry_key(jwk, registry)
    except (VerificationError, OSError) as exc:
        raise _fail(f"cannot use the registry's key: {exc}", code=2) from exc
    except RegistryProblem as exc:
        raise _fail(f"the registry answered {exc}", code=2) from exc
    try:
        report = check_dump(directory, key)
    except VerificationError as exc:
        raise _fail(exc.diagnostics()) from exc
    except OSError as exc:
        raise _fail(f"cannot read the download: {exc}", code=2) from exc
    if report.problems:
        for problem in report.problems:
            console.print(f"[bold red]FAILED[/] {problem}", soft_wrap=True)
        raise typer.Exit(1)
    manifest = report.manifest
    scope = f"changes since leaf {manifest.since}" if manifest.since is not None else "everything"
    rows = sum(item.rows for item in manifest.files)
    ok(
        f"{plural(len(manifest.files), 'file')} ({plural(rows, 'row')}, {scope}) signed by {manifest.issuer}, "
        f"read at the log of size {report.checkpoint.tree_size}"
    )


@app.command()
@guarded
def bundle(
    file: Annotated[Path, typer.Argument(help="a supply-chain evidence bundle (.zip) the registry exported")],
    jwk: Annotated[
        str | None, typer.Option(help="the registry's public JWK (JSON text or file): fully offline")
    ] = None,
    registry: OptionalRegistry = None,
) -> None:
    """Check a supply-chain evidence bundle offline: the manifest's signature and hashes, the registry's
    checkpoint, and every document's receipt.

    The key comes from --jwk (offline; save it once from /.well-known/ecolabel-registry) or from the
    registry (--registry).

    Example: ecolabel-verify bundle evidence.zip --jwk registry.jwk
    """
    try:
        data = file.read_bytes()
        key = _registry_key(jwk, registry)
        report = verify_evidence_bundle(data, key)
    except VerificationError as exc:
        raise verification_failed(exc) from exc
    except RegistryProblem as exc:
        raise _fail(f"the registry answered {exc}", code=EXIT_INPUT) from exc
    ok(
        f"evidence bundle for {report.organisation_id} as of {report.as_of[:10]}: {plural(report.files, 'file')} "
        f"match the signed manifest; {plural(report.documents, 'document')} in {report.origin} "
        f"at tree size {report.tree_size}"
    )


@app.command("status-proof")
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
    certificate (docs/VERIFIABLE-MAP.md §5.2).

    Example: ecolabel-verify status-proof proof.json --certificate 3f6c…e1 --policy registry.policy
    """
    loaded = load_policy(policy) if policy is not None else None
    if key is None and (loaded is None or not loaded.logs):
        raise _fail("give the registry's checkpoint key with --key, or a --policy whose log line names it", code=2)
    log_keys = [NoteVerifier.from_string(key)] if key is not None else []
    trust = loaded if loaded is not None else Policy.no_witnesses(log_keys[0])
    try:
        parsed = StatusProof.from_json(loads_strict(proof_file.read_bytes()))
        if parsed.certificate_id.hex() != certificate.lower():
            raise _fail(f"the proof is about certificate {parsed.certificate_id.hex()}, not {certificate}")
        result = verify_status_proof(parsed, trust, log_keys=log_keys)
    except VerificationError as exc:
        raise _fail(exc.diagnostics()) from exc
    except OSError as exc:
        raise _fail(f"cannot read the proof: {exc}", code=2) from exc
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


# Following the log: the monitor, mirrors, and tlog-proofs (verification.cli.log).
app.command()(guarded(cli_log.monitor))
app.command()(guarded(cli_log.mirror))
app.command()(guarded(cli_log.serve))
app.command()(guarded(cli_log.proof))
app.command("audit-status-map")(guarded(cli_log.audit_status_map))
app.command(name="audit-decision")(guarded(cli_audit.audit_decision))
app.command()(guarded(cli_catalogue.eligibility))


def main() -> None:
    run(app)
