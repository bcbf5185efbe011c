"""`ecolabel-certifier`: a programme's tools to sign and publish certificates at an eco-label registry.

Thin by design: every command parses options, calls `certifiers.operations` / `certifiers.bulk`, and
prints the outcome. Exit codes: 0 done; 1 refused or invalid (input, registry problem, rejected rows);
2 a usage mistake (an unknown or missing option); 3 the registry could not be reached; 4 a receipt did
not verify or an answer was malformed (do not trust the registry).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.text import Text

from certifiers import operations
from certifiers.bulk_view import run_bulk
from certifiers.client import DEFAULT_URL, CertifierClient, RegistryUnavailable, SubmissionRefused
from certifiers.events import ChainBroken, category_definition, criteria_document, sign_category
from certifiers.issues import RecordsInvalid
from certifiers.keys import KeyFileError, keygen, load_signing_key
from certifiers.records import read_json_record, sign_record, with_status
from certifiers.responses import RegistryAnswerInvalid
from certifiers.state import StateMismatch
from verification.cli.common import CONTEXT, REGISTRY_ENV, add_version_option, run
from verification.errors import VerificationError
from verification.payloads import Crosswalk, StatusChange, Timestamp

EXIT_CODES = (
    "Exit codes: 0 done; 1 refused or invalid; 2 usage mistake; 3 registry unreachable; "
    "4 the registry's answer did not verify."
)
app = typer.Typer(
    help="Sign and publish eco-label certificates at a registry.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings=CONTEXT,
)
add_version_option(app, "ecolabel-certifier")


def _console() -> Console:
    # Made per use, not at import: the width (COLUMNS, terminal size) is read when output is written.
    return Console(stderr=True)


_TIMESTAMP: TypeAdapter[datetime] = TypeAdapter(Timestamp)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

Url = Annotated[str, typer.Option("--registry", envvar=REGISTRY_ENV, metavar="URL", help="the registry's base URL")]
KeyFile = Annotated[Path, typer.Option("--key", help="the programme's private key file (PKCS #8 PEM, mode 0600)")]
Kid = Annotated[str, typer.Option("--kid", help="the key's id, as registered at the registry")]
Programme = Annotated[str, typer.Option(help="the programme's slug, e.g. cn-cel")]
Names = Annotated[list[str] | None, typer.Option("--name", help="another language's name: LANG=TEXT (repeatable)")]


@contextmanager
def _reported() -> Iterator[None]:
    """Turn the library's errors into one red line and an exit code (see the module docstring)."""
    try:
        yield
    except RecordsInvalid as exc:
        raise _fail(str(exc)) from exc
    except (KeyFileError, StateMismatch, ChainBroken, SubmissionRefused) as exc:
        raise _fail(str(exc)) from exc
    except ValidationError as exc:
        raise _fail(f"invalid input: {exc}") from exc
    except RegistryUnavailable as exc:
        raise _fail(f"the registry is unavailable: {exc}", code=3) from exc
    except RegistryAnswerInvalid as exc:
        raise _fail(f"{exc}; do not trust this registry's answers", code=4) from exc
    except VerificationError as exc:
        raise _fail(exc.diagnostics()) from exc
    except (OSError, ValueError) as exc:  # unreadable files, non-ASCII tokens, JWK files that are not JSON
        raise _fail(f"cannot use the input: {exc}") from exc


def _fail(message: str, code: int = 1) -> typer.Exit:
    # Text, not markup: messages quote user input and registry details, which may contain [brackets].
    _console().print(Text.assemble(("FAILED ", "bold red"), message), soft_wrap=True, highlight=False)
    return typer.Exit(code)


def _done(verb: str, message: str) -> None:
    _console().print(Text.assemble((verb, "green"), " ", message), soft_wrap=True, highlight=False)


def _instant(text: str, option: str) -> datetime:
    """RFC 3339 with a zone, or a bare date meaning 00:00Z that day."""
    value = f"{text}T00:00:00Z" if _DATE.fullmatch(text) else text
    try:
        return _TIMESTAMP.validate_python(value)
    except ValidationError as exc:
        raise typer.BadParameter(f"{text!r} is not an RFC 3339 timestamp with a zone", param_hint=option) from exc


def _now() -> datetime:
    """This second, in UTC: the time a status change takes effect unless --effective-at says otherwise."""
    return datetime.now(UTC).replace(microsecond=0)


def _names(english: str, others: list[str] | None) -> dict[str, str]:
    names = {"en": english}
    for item in others or []:
        language, separator, text = item.partition("=")
        if not separator:
            raise typer.BadParameter(f"{item!r} is not LANG=TEXT", param_hint="--name")
        names[language] = text
    return names


@app.command(name="keygen")
def keygen_command(
    *,
    out: Annotated[Path, typer.Option(help="where to write the private key (must not exist)")],
    kid: Kid,
    root: Annotated[bool, typer.Option(help="a root key: it authorises key events only; keep it offline")] = False,
) -> None:
    """Create a programme key (file mode 0600) and print its public JWK for registration.

    A programme has root keys, which alone add, retire and revoke keys (keep them offline), and signing
    keys for its daily documents. The key file is the same either way; the role is given at registration.

    Example: ecolabel-certifier keygen --out cec.pem --kid cec-2026 > cec.jwk
    """
    with _reported():
        jwk = keygen(out, kid)
    sys.stdout.write(json.dumps(jwk) + "\n")
    role = "root key: keep it offline" if root else "signing key"
    _done("created", f"{out} ({role}); give the public JWK above to the registry operator")


def _jwks(paths: list[Path] | None) -> list[dict[str, str]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in paths or []]


@app.command()
def register_programme(
    *,
    programme_id: Annotated[str, typer.Option("--id", help="the programme's slug, e.g. cn-cel")],
    name_en: Annotated[str, typer.Option(help="the programme's English name")],
    country: Annotated[list[str], typer.Option(help="an ISO 3166-1 country it operates in (repeatable)")],
    root_jwk: Annotated[
        list[Path] | None, typer.Option(help="a root key's public JWK file, as keygen prints (repeatable)")
    ] = None,
    root_threshold: Annotated[int, typer.Option(min=1, help="how many root keys must sign each key event")] = 1,
    jwk: Annotated[list[Path] | None, typer.Option(help="a signing key's public JWK file (repeatable)")] = None,
    key: Annotated[Path | None, typer.Option(help="or: a private signing key file to take the public key from")] = None,
    kid: Annotated[str | None, typer.Option(help="the kid for --key")] = None,
    name: Names = None,
    website: Annotated[str | None, typer.Option()] = None,
    gen_member: Annotated[bool, typer.Option(help="member of the Global Ecolabelling Network")] = False,
    accreditation_notes: Annotated[str | None, typer.Option()] = None,
    admin_token: Annotated[str, typer.Option(envvar="ECOLABEL_ADMIN_TOKEN", help="the registry's admin token")] = "",
    url: Url = DEFAULT_URL,
) -> None:
    """Operator helper: register a programme with its root keys and its first signing keys.

    Example:

    \b
    ecolabel-certifier register-programme --id cn-cel --name-en "China Environmental Labelling" \\
        --country CN --root-jwk cec-root.jwk --jwk cec.jwk
    """
    with _reported():
        keys = _jwks(jwk)
        if key is not None:
            if kid is None:
                raise typer.BadParameter("--key needs --kid", param_hint="--kid")
            keys.append(load_signing_key(key, kid).public_jwk())
        if not keys:
            raise typer.BadParameter("give at least one signing key: --jwk or --key", param_hint="--jwk")
        roots = _jwks(root_jwk)
        if not roots:
            raise typer.BadParameter("give at least one --root-jwk (root keys authorise key events)")
        body = operations.registration_body(
            programme_id=programme_id,
            names=_names(name_en, name),
            countries=country,
            root_keys=roots,
            root_threshold=root_threshold,
            keys=keys,
            gen_member=gen_member,
            website=website,
            accreditation_notes=accreditation_notes,
        )
        with CertifierClient(url, admin_token=admin_token or None) as client:
            written = operations.register_programme(client, body, client.checkpoint_verifier())
    _done("registered", f"{programme_id} at leaf {written.receipt.leaf_index}")


@app.command()
def define_category(
    *,
    programme: Programme,
    key: KeyFile,
    kid: Kid,
    code: Annotated[str, typer.Option(help="the programme's category code, e.g. HJ 2536")],
    name_en: Annotated[str, typer.Option(help="the category's English name")],
    criteria_id: Annotated[str, typer.Option(help="the criteria document, e.g. HJ 2536-2016")],
    criteria_version: Annotated[str, typer.Option(help="the version certificates cite as criteriaVersion")],
    criteria_valid_from: Annotated[str, typer.Option(help="RFC 3339 timestamp or date")],
    criteria_valid_until: Annotated[str | None, typer.Option(help="RFC 3339 timestamp or date")] = None,
    transition_end: Annotated[str | None, typer.Option(help="licences on this version lapse after it")] = None,
    name: Names = None,
    cpv: Annotated[list[str] | None, typer.Option(help="EU CPV code (repeatable)")] = None,
    cn_procurement: Annotated[list[str] | None, typer.Option(help="China procurement item code (repeatable)")] = None,
    hs: Annotated[list[str] | None, typer.Option(help="HS code (repeatable)")] = None,
    description: Annotated[str | None, typer.Option()] = None,
    url: Url = DEFAULT_URL,
) -> None:
    """Sign and publish a category with one criteria version; certificates may then cite it.

    Example:

    \b
    ecolabel-certifier define-category --programme cn-cel --key cec.pem --kid cec-2026 --code "HJ 2536" \\
        --name-en Furniture --criteria-id "HJ 2536-2016" --criteria-version 2016 --criteria-valid-from 2016-01-01
    """
    with _reported():
        criteria = criteria_document(
            criteria_id,
            criteria_version,
            _instant(criteria_valid_from, "--criteria-valid-from"),
            _instant(criteria_valid_until, "--criteria-valid-until") if criteria_valid_until else None,
            _instant(transition_end, "--transition-end") if transition_end else None,
        )
        category = category_definition(
            programme=programme,
            code=code,
            names=_names(name_en, name),
            criteria=criteria,
            crosswalk=Crosswalk(cpv=cpv or [], cn_procurement=cn_procurement or [], hs=hs or []),
            description=description,
        )
        token = sign_category(category, load_signing_key(key, kid))
        with CertifierClient(url) as client:
            written = operations.define_category(client, programme, token, client.checkpoint_verifier())
    _done("defined", f"{code} {criteria_version} at leaf {written.receipt.leaf_index}")


@app.command()
def sign(
    record: Annotated[Path, typer.Argument(help="a JSON record (credentialSubject members, validFrom, validUntil)")],
    *,
    key: KeyFile,
    kid: Kid,
    programme: Annotated[str | None, typer.Option(help="the issuing programme (or the record's programme)")] = None,
    out: Annotated[Path | None, typer.Option(help="write the JWS here instead of standard output")] = None,
    status: Annotated[
        bool,
        typer.Option(help="ask the registry (--url) for a free status-list slot and sign it in as credentialStatus"),
    ] = False,
    url: Url = DEFAULT_URL,
) -> None:
    """Validate a record and print its signed credential (a compact JWS).

    Example: ecolabel-certifier sign licence.json --key cec.pem --kid cec-2026 --programme cn-cel > licence.jws
    """
    with _reported():
        licence = read_json_record(record, programme)
        if status and licence.certificate.credential_status is None:
            with CertifierClient(url) as client:
                (slot,) = client.free_status_slots(licence.certificate.programme_id, 1)
            licence = with_status(licence, slot["credentialStatus"])
        token = sign_record(licence, load_signing_key(key, kid))
    if out is None:
        sys.stdout.write(token + "\n")
    else:
        out.write_text(token + "\n", encoding="ascii")


@app.command()
def submit(
    credential_file: Annotated[Path, typer.Argument(help="a file holding one signed credential (compact JWS)")],
    *,
    receipt_out: Annotated[Path | None, typer.Option(help="save the registry's receipt here")] = None,
    url: Url = DEFAULT_URL,
) -> None:
    """Submit one credential and check its receipt offline.

    Example: ecolabel-certifier submit licence.jws --receipt-out receipt.json
    """
    with _reported():
        token = credential_file.read_text(encoding="ascii").strip()
        with CertifierClient(url) as client:
            submitted = operations.submit_credential(client, token, client.checkpoint_verifier())
    if receipt_out is not None:
        receipt_out.write_text(json.dumps(submitted.receipt.to_dict(), indent=1) + "\n", encoding="utf-8")
    verb = "accepted" if submitted.created else "already registered"
    sys.stdout.write(submitted.certificate_id + "\n")
    _done(verb, f"at leaf {submitted.receipt.leaf_index}")


@app.command()
def bulk_submit(
    file: Annotated[Path, typer.Argument(help="a licence .csv or a .jsonl of JSON records")],
    *,
    key: KeyFile,
    kid: Kid,
    programme: Programme,
    state: Annotated[Path, typer.Option(help="resume file: acknowledged records are skipped on a rerun")],
    batch_size: Annotated[int, typer.Option(min=1, max=1000, help="credentials per request")] = 500,
    max_batches: Annotated[int | None, typer.Option(min=1, help="stop after this many requests")] = None,
    registry_key: Annotated[str | None, typer.Option(help="pin the registry's checkpoint key")] = None,
    status: Annotated[
        bool, typer.Option(help="give each credential a free status-list slot (credentialStatus) before signing")
    ] = False,
    url: Url = DEFAULT_URL,
) -> None:
    """Sign and submit every licence of a file in batches, resumably; exit 1 if any was rejected.

    Example:

    \b
    ecolabel-certifier bulk-submit licences.csv --key cec.pem --kid cec-2026 --programme cn-cel \\
        --state bulk.json
    """
    with _reported():
        summary = run_bulk(
            _console(),
            file,
            load_signing_key(key, kid),
            programme,
            state,
            url=url,
            batch_size=batch_size,
            max_batches=max_batches,
            registry_key=registry_key,
            status_slots=status,
        )
    raise typer.Exit(1 if summary.rejected else 0)


@app.command()
def event(
    certificate_id: Annotated[str, typer.Argument(help="the certificate's id (SHA-256 of its credential)")],
    *,
    status: Annotated[StatusChange, typer.Option(help="the change")],
    reason: Annotated[str, typer.Option(help="why, as the public record will say")],
    effective_at: Annotated[
        str | None, typer.Option(help="when it takes effect: RFC 3339 timestamp or date", show_default="now")
    ] = None,
    key: KeyFile,
    kid: Kid,
    valid_until: Annotated[str | None, typer.Option(help="the new end of validity (renewed only)")] = None,
    url: Url = DEFAULT_URL,
) -> None:
    """Suspend, reinstate, withdraw, renew or expire a certificate (the next event of its chain).

    Example:

    \b
    ecolabel-certifier event "$CERT" --status suspended --reason "audit found a non-conformity" \\
        --key cec.pem --kid cec-2026
    """
    with _reported(), CertifierClient(url) as client:
        written = operations.change_status(
            client,
            load_signing_key(key, kid),
            certificate_id,
            status=status,
            effective_at=_instant(effective_at, "--effective-at") if effective_at else _now(),
            reason=reason,
            valid_until=_instant(valid_until, "--valid-until") if valid_until else None,
            verifier=client.checkpoint_verifier(),
        )
    _done(status.value, f"at leaf {written.receipt.leaf_index}; status now {written.body.get('status')}")


RootKey = Annotated[Path, typer.Option("--root-key", help="a root key's private key file (kept offline)")]
RootKid = Annotated[str, typer.Option("--root-kid", help="that root key's kid")]


@app.command()
def rotate_key(
    *,
    programme: Programme,
    root_key: RootKey,
    root_kid: RootKid,
    old_kid: Annotated[str, typer.Option(help="the signing key to retire")],
    new_key: Annotated[Path, typer.Option(help="the new signing key's file (create it with keygen)")],
    new_kid: Annotated[str, typer.Option(help="the new signing key's kid")],
    sequence: Annotated[
        int | None, typer.Option(min=1, help="next key-event number (default: ask the registry)")
    ] = None,
    url: Url = DEFAULT_URL,
) -> None:
    """Add a new signing key, then retire the old one: both key events signed by a root key.

    With a root threshold above one, the addition waits for the other roots (`approve-key-event`); run
    this again once it has applied to retire the old key.

    Example:

    \b
    ecolabel-certifier rotate-key --programme cn-cel --root-key cec-root.pem --root-kid cec-root \\
        --old-kid cec-2026 --new-key cec-2027.pem --new-kid cec-2027
    """
    with _reported(), CertifierClient(url) as client:
        root, new = load_signing_key(root_key, root_kid), load_signing_key(new_key, new_kid)
        first = sequence if sequence is not None else operations.next_key_sequence(client, programme)
        added, retired = operations.rotate_key(
            client, programme, root, old_kid, new, sequence=first, verifier=client.checkpoint_verifier()
        )
    if added.body.get("state") != "applied":
        event = added.body.get("event_sha256")
        _done("proposed", f"adding {new_kid} waits for {added.body.get('approvals_needed')} more root(s): {event}")
        return
    _done("rotated", f"{old_kid} -> {new_kid} (leaves {added.receipt.leaf_index}, {retired.receipt.leaf_index})")


@app.command()
def approve_key_event(
    event_sha256: Annotated[str, typer.Argument(help="the proposed key event's SHA-256, as its proposer printed")],
    *,
    programme: Programme,
    root_key: RootKey,
    root_kid: RootKid,
    url: Url = DEFAULT_URL,
) -> None:
    """Approve a key event another root key proposed (programmes whose root threshold is above one).

    Example: ecolabel-certifier approve-key-event "$EVENT" --programme cn-cel --root-key root-2.pem --root-kid root-2
    """
    with _reported(), CertifierClient(url) as client:
        root = load_signing_key(root_key, root_kid)
        written = operations.approve_key_event(client, programme, event_sha256, root, client.checkpoint_verifier())
    state = written.body.get("state")
    waiting = f"; {written.body.get('approvals_needed')} more approval(s) needed" if state != "applied" else ""
    _done("approved", f"{event_sha256[:16]}… is {state}{waiting} (leaf {written.receipt.leaf_index})")


def main() -> None:
    run(app)
