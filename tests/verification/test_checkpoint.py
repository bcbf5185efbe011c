"""verification.checkpoint: C2SP tlog-checkpoint bodies, signing and verification."""

from __future__ import annotations

import base64

import pytest

from verification.checkpoint import (
    Checkpoint,
    check_checkpoint,
    parse_checkpoint_text,
    sign_checkpoint,
    verify_checkpoint,
)
from verification.ed25519 import generate_private_key
from verification.errors import CheckpointInvalid, MalformedInput, SignatureInvalid, UnknownKey
from verification.merkle import EMPTY_ROOT, leaf_hash, root_from_leaf_hashes
from verification.note import NoteSigner, sign_note

ORIGIN = "registry.example/log"
LOG = NoteSigner.from_private_key(ORIGIN, generate_private_key())
WITNESS = NoteSigner.from_private_key("witness.example/w1", generate_private_key())
ROOT = root_from_leaf_hashes([leaf_hash(b"a"), leaf_hash(b"b"), leaf_hash(b"c")])
CP = Checkpoint(ORIGIN, 3, ROOT)


def test_text_format() -> None:
    assert CP.to_text() == f"{ORIGIN}\n3\n{base64.b64encode(ROOT).decode()}\n"
    with_ext = Checkpoint(ORIGIN, 0, EMPTY_ROOT, ("ext one", "ext two"))
    assert with_ext.to_text().endswith("\next one\next two\n")
    assert parse_checkpoint_text(with_ext.to_text()) == with_ext


def test_round_trip() -> None:
    note = sign_checkpoint(CP, LOG)
    assert verify_checkpoint(note, LOG.verifier(), origin=ORIGIN) == CP
    assert verify_checkpoint(note, LOG.verifier()) == CP
    assert check_checkpoint(note, LOG.verifier(), origin=ORIGIN).ok


def _resigned(text: str) -> str:
    return sign_note(text, [LOG])


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (f"{ORIGIN}\n03\n{base64.b64encode(ROOT).decode()}\n", "BAD_TREE_SIZE"),
        (f"{ORIGIN}\n+3\n{base64.b64encode(ROOT).decode()}\n", "BAD_TREE_SIZE"),
        (f"{ORIGIN}\n\u0663\n{base64.b64encode(ROOT).decode()}\n", "BAD_TREE_SIZE"),
        (f"{ORIGIN}\n{2**64}\n{base64.b64encode(ROOT).decode()}\n", "BAD_TREE_SIZE"),
        (f"{ORIGIN}\n3\n{base64.b64encode(ROOT[:31]).decode()}\n", "BAD_ROOT_HASH"),
        (f"{ORIGIN}\n3\n{base64.b64encode(ROOT).decode().rstrip('=')}\n", "BAD_ROOT_HASH"),
        (f"{ORIGIN}\n3\n", "TOO_FEW_LINES"),
        (f"\n3\n{base64.b64encode(ROOT).decode()}\n", "BAD_LINE"),
        (f"{ORIGIN}\n3\n{base64.b64encode(ROOT).decode()}\n\next\n", "BAD_LINE"),
    ],
    ids=[
        "leading-zero",
        "plus-sign",
        "arabic-digit",
        "beyond-uint64",
        "short-root",
        "unpadded-root",
        "too-few-lines",
        "empty-origin",
        "empty-extension",
    ],
)
def test_malformed_bodies_are_refused_even_when_signed(text: str, code: str) -> None:
    with pytest.raises(CheckpointInvalid) as caught:
        parse_checkpoint_text(text)
    assert caught.value.code == code
    assert check_checkpoint(_resigned(text), LOG.verifier()).code == code


def test_size_zero_is_canonical() -> None:
    assert parse_checkpoint_text(f"{ORIGIN}\n0\n{base64.b64encode(EMPTY_ROOT).decode()}\n").tree_size == 0


def test_tampering_is_refused() -> None:
    note = sign_checkpoint(CP, LOG)
    for old, new in (
        ("\n3\n", "\n4\n"),
        (base64.b64encode(ROOT).decode()[:4], "AAAA"),
        (ORIGIN + "\n", "x" + ORIGIN + "\n"),
    ):
        with pytest.raises(SignatureInvalid):
            verify_checkpoint(note.replace(old, new, 1), LOG.verifier())


def test_wrong_origin_is_refused() -> None:
    note = sign_checkpoint(CP, LOG)
    with pytest.raises(CheckpointInvalid, match="ORIGIN_MISMATCH"):
        verify_checkpoint(note, LOG.verifier(), origin="other.example/log")


def test_unknown_key_alone_is_refused_and_extra_signatures_are_ignored() -> None:
    with pytest.raises(UnknownKey):
        verify_checkpoint(sign_checkpoint(CP, WITNESS), LOG.verifier())
    cosigned = sign_note(CP.to_text(), [LOG, WITNESS])
    assert verify_checkpoint(cosigned, LOG.verifier(), origin=ORIGIN) == CP
    witness_first = sign_note(CP.to_text(), [WITNESS, LOG])
    assert verify_checkpoint(witness_first, LOG.verifier(), origin=ORIGIN) == CP


def test_checkpoint_values_are_validated() -> None:
    with pytest.raises(CheckpointInvalid):
        Checkpoint(ORIGIN, -1, ROOT)
    with pytest.raises(CheckpointInvalid):
        Checkpoint(ORIGIN, 1, b"\x00" * 31)
    with pytest.raises(CheckpointInvalid):
        Checkpoint("two\nlines", 1, ROOT)
    with pytest.raises(MalformedInput):
        sign_checkpoint(Checkpoint("tab\tin origin", 1, ROOT), LOG)
