"""verification.cosignature against C2SP tlog-cosignature (cosignature/v1, Ed25519, signature type 0x04)."""

from __future__ import annotations

import base64
import hashlib

import pytest

from verification.cosignature import Cosigner, CosignerKey, cosigned_message, verify_cosignatures
from verification.errors import MalformedInput, SignatureInvalid
from verification.note import NoteSigner, NoteVerifier, open_note, sign_note, split_note

# tlog-cosignature's own example: a checkpoint with the log's signature and one witness cosignature.
SPEC_NOTE = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
    "\u2014 example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    "\u2014 witness.example.com/w1 "
    "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)
# transparency-dev/witness persistence/sqlite/sqlite_test.go (TestDeadlock): a witness key in Go's signer format.
GO_WITNESS_SKEY = "PRIVATE+KEY+witness+f13a86db+AaLa/dfyBhyo/m0Z7WCi98ENVZWtrP8pxgRNrx7tIWiA"
TEXT = "registry.test/log\n5\n41smjBUiAU70EtKlT6lIOIYtRTYxYXsDB+XHfcvu/BE=\n"


def test_the_signed_message_is_the_spec_s() -> None:
    expected = (
        b"cosignature/v1\ntime 1679315147\n"
        b"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )
    assert cosigned_message(split_note(SPEC_NOTE)[0], 1679315147) == expected
    with pytest.raises(MalformedInput, match="BAD_TIMESTAMP"):
        cosigned_message(TEXT, 2**63)


def test_the_spec_example_line_is_a_key_id_then_a_timestamp_then_a_signature() -> None:
    _, lines = split_note(SPEC_NOTE)
    witness = lines[1]
    assert witness.name == "witness.example.com/w1"
    assert len(witness.signature) == 8 + 64
    assert int.from_bytes(witness.signature[:8], "big") == 1679315147  # the example's "time 1679315147"


def test_key_id_uses_signature_type_4() -> None:
    cosigner = Cosigner.from_string(GO_WITNESS_SKEY)
    note_key = NoteSigner.from_string(GO_WITNESS_SKEY).verifier()
    # SHA-256(<name> || "\n" || 0x04 || 32-byte Ed25519 public key)[:4]
    expected = hashlib.sha256(b"witness\n\x04" + note_key.public_key).digest()[:4]
    assert cosigner.key.key_id == expected != note_key.key_id
    vkey = cosigner.key.to_string()
    encoded = base64.b64encode(b"\x04" + note_key.public_key).decode()
    assert vkey == f"witness+{expected.hex()}+{encoded}"
    assert CosignerKey.from_string(vkey) == cosigner.key
    assert Cosigner.from_string(cosigner.to_string()).key == cosigner.key
    with pytest.raises(MalformedInput, match="UNSUPPORTED_KEY_TYPE"):
        CosignerKey.from_string(note_key.to_string())  # an Ed25519 (0x01) note key is not a cosigner key
    with pytest.raises(MalformedInput, match="KEY_ID_MISMATCH"):
        CosignerKey.from_string(vkey.replace(expected.hex(), note_key.key_id.hex()))
    assert "private_key" not in repr(cosigner)


def test_a_cosignature_verifies_and_carries_its_timestamp() -> None:
    log = NoteSigner.from_private_key("registry.test/log", Cosigner.generate("x").private_key)
    witness = Cosigner.generate("witness.test/w1")
    note = sign_note(TEXT, [log]) + witness.cosign(TEXT, 1_700_000_000).to_line()
    assert verify_cosignatures(note, [witness.key]) == {witness.key: 1_700_000_000}
    # The log's key ignores the cosignature line, and the cosigner key ignores the log's line.
    assert open_note(note, [log.verifier()]).text == TEXT
    other = Cosigner.generate("witness.test/w2")
    assert verify_cosignatures(note, [other.key]) == {}


def test_a_cosignature_over_another_checkpoint_or_time_is_refused() -> None:
    witness = Cosigner.generate("witness.test/w1")
    line = witness.cosign(TEXT, 1_700_000_000)
    other_text = TEXT.replace("\n5\n", "\n6\n")
    with pytest.raises(SignatureInvalid, match="BAD_COSIGNATURE"):
        verify_cosignatures(other_text + "\n" + line.to_line(), [witness.key])
    shifted = line.signature[:7] + bytes([line.signature[7] ^ 1]) + line.signature[8:]
    forged = type(line)(line.name, line.key_id, shifted)
    with pytest.raises(SignatureInvalid, match="BAD_COSIGNATURE"):
        verify_cosignatures(TEXT + "\n" + forged.to_line(), [witness.key])
    short = type(line)(line.name, line.key_id, line.signature[:-1])
    with pytest.raises(SignatureInvalid, match="BAD_COSIGNATURE"):
        verify_cosignatures(TEXT + "\n" + short.to_line(), [witness.key])


def test_a_witness_never_omits_the_timestamp() -> None:
    with pytest.raises(MalformedInput, match="BAD_TIMESTAMP"):
        Cosigner.generate("witness.test/w1").cosign(TEXT, 0)


def test_a_log_key_and_a_cosigner_key_with_one_name_are_told_apart() -> None:
    """A cosigner may share a name with a note key: the key ID (type byte) keeps them apart."""
    shared = Cosigner.generate("same.example/name")
    signer = NoteSigner.from_private_key("same.example/name", shared.private_key)
    note = sign_note(TEXT, [signer]) + shared.cosign(TEXT, 7).to_line()
    assert open_note(note, [NoteVerifier.from_public_key(signer.name, signer.public_key)]).text == TEXT
    assert verify_cosignatures(note, [shared.key]) == {shared.key: 7}
