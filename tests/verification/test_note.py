"""verification.note: C2SP signed-note, including the golang.org/x/mod/sumdb/note reference vectors."""

from __future__ import annotations

import base64
import hashlib

import pytest

from verification.ed25519 import generate_private_key, public_key_bytes
from verification.errors import MalformedInput, SignatureInvalid, UnknownKey
from verification.note import NoteSigner, NoteVerifier, key_id, open_note, sign_note

# golang.org/x/mod/sumdb/note note_test.go (TestSign, TestOpen): keys, text and signature lines.
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_B64 = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
PETER_SIG = f"\u2014 PeterNeumann {PETER_B64}\n"
ENOCH_SIG = (
    "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)
PETER = NoteVerifier.from_string(PETER_VKEY)
ENOCH = NoteVerifier.from_string(ENOCH_VKEY)


def test_go_reference_note_opens() -> None:
    opened = open_note(TEXT + "\n" + PETER_SIG, [PETER])
    assert opened.text == TEXT
    assert opened.verified_by == (PETER,)


def test_go_reference_signature_is_reproduced() -> None:
    signer = NoteSigner.from_string(PETER_SKEY)
    assert signer.to_string() == PETER_SKEY
    assert signer.verifier() == PETER
    assert sign_note(TEXT, [signer]) == TEXT + "\n" + PETER_SIG  # RFC 8032 signatures are deterministic


def test_go_reference_unknown_signatures_are_ignored() -> None:
    note = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert open_note(note, [PETER]).verified_by == (PETER,)
    assert open_note(note, [PETER, ENOCH]).verified_by == (PETER, ENOCH)
    assert open_note(TEXT + "\n" + ENOCH_SIG + PETER_SIG, [PETER]).verified_by == (PETER,)
    with pytest.raises(UnknownKey, match="NO_TRUSTED_SIGNATURE"):
        open_note(note, [])


def test_go_reference_invalid_signature_from_known_key() -> None:
    corrupted = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(SignatureInvalid):
        open_note(TEXT + "\n" + corrupted, [PETER])
    # The same corruption on a key we do not know is just an unknown signature line.
    assert open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG[:60] + "ABCD" + ENOCH_SIG[60:], [PETER]).text == TEXT


@pytest.mark.parametrize(
    "note",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        f"{TEXT}\n\u2014 Bad Name {PETER_B64}",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + PETER_SIG * 101,
        f"{TEXT}\n- PeterNeumann {PETER_B64}\n",
        TEXT + "\n" + "\u2014 PeterNeumann AAAA\n",
    ],
    ids=[
        "no-signatures",
        "blank-only",
        "no-final-newline",
        "control-char",
        "bad-name",
        "unexpected-line",
        "too-many-signatures",
        "hyphen-not-em-dash",
        "signature-too-short",
    ],
)
def test_go_reference_malformed_notes(note: str) -> None:
    with pytest.raises(MalformedInput):
        open_note(note, [PETER])


def test_invalid_utf8_bytes() -> None:
    with pytest.raises(MalformedInput, match="INVALID_UTF8"):
        open_note(b"\xff" + (TEXT + "\n" + PETER_SIG).encode(), [PETER])
    assert open_note((TEXT + "\n" + PETER_SIG).encode(), [PETER]).text == TEXT


def test_key_id_rule_from_the_spec() -> None:
    key = generate_private_key()
    signer = NoteSigner.from_private_key("registry.example/log", key)
    # signed-note: key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]
    expected = hashlib.sha256(b"registry.example/log\n\x01" + public_key_bytes(key)).digest()[:4]
    assert signer.key_id == expected == key_id(signer.name, signer.public_key)
    vkey = signer.verifier().to_string()
    encoded = base64.b64encode(b"\x01" + public_key_bytes(key)).decode()
    assert vkey == f"registry.example/log+{expected.hex()}+{encoded}"
    assert NoteVerifier.from_string(vkey) == signer.verifier()
    assert NoteSigner.from_string(signer.to_string()).verifier() == signer.verifier()


def test_round_trip_with_blank_lines_in_text() -> None:
    signer = NoteSigner.from_private_key("a.example/k", generate_private_key())
    for text in ("\n", "one\n\ntwo\n", "trailing blank\n\n", "— looks like a signature\n"):
        assert open_note(sign_note(text, [signer]), [signer.verifier()]).text == text


def test_tampered_text_is_refused() -> None:
    with pytest.raises(SignatureInvalid):
        open_note(TEXT.replace("cryptography", "cryptographY") + "\n" + PETER_SIG, [PETER])


@pytest.mark.parametrize(
    "vkey",
    [
        PETER_VKEY[:-1],
        PETER_VKEY.replace("c74f20a3", "c74f20a4"),
        PETER_VKEY.replace("c74f20a3", "C74F20A3"),
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
    ],
    ids=["truncated", "wrong-id", "uppercase-id", "wrong-length", "wrong-type", "space-in-name", "no-key"],
)
def test_bad_verifier_keys(vkey: str) -> None:
    with pytest.raises(MalformedInput):
        NoteVerifier.from_string(vkey)


def test_bad_signer_keys_and_names() -> None:
    with pytest.raises(MalformedInput):
        NoteSigner.from_string(PETER_SKEY.replace("c74f20a3", "c74f20a4"))
    with pytest.raises(MalformedInput):
        NoteSigner.from_string(PETER_SKEY.replace("PRIVATE+KEY", "PUBLIC+KEY"))
    for name in ("", "a+b", "a b", "a\u00a0b"):
        with pytest.raises(MalformedInput, match="BAD_KEY_NAME"):
            NoteSigner.from_private_key(name, generate_private_key())
    assert "private_key" not in repr(NoteSigner.from_string(PETER_SKEY))


def test_sign_note_refusals() -> None:
    signer = NoteSigner.from_string(PETER_SKEY)
    with pytest.raises(MalformedInput, match="MISSING_FINAL_NEWLINE"):
        sign_note("abc", [signer])
    with pytest.raises(MalformedInput, match="CONTROL_CHARACTER"):
        sign_note("a\tb\n", [signer])
    with pytest.raises(MalformedInput, match="NO_SIGNER"):
        sign_note("abc\n", [])
