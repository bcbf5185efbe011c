"""The one exception family raised by every ``verify_*`` function of this package.

Each error carries a stable machine-readable ``code`` (tests, logs and API problem documents key on it)
and a human ``detail``; ``diagnostics()`` turns both into one sentence that also says what to do next.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AlgorithmRefused",
    "CheckpointInvalid",
    "DumpInvalid",
    "HistoryInvalid",
    "KeyNotValid",
    "MalformedInput",
    "NotPermitted",
    "ProofInvalid",
    "SignatureInvalid",
    "UnknownKey",
    "VerificationError",
]


class VerificationError(Exception):
    """Base class: something presented to us could not be verified."""

    #: What kind of failure this is, in words a person understands.
    summary: ClassVar[str] = "Verification failed"
    #: What the person seeing the error should do about it.
    remedy: ClassVar[str] = "Do not trust the object; obtain a fresh copy from its publisher."

    def __init__(self, code: str, detail: str) -> None:
        # Pass both to Exception so that pickling (multiprocessing, pytest-xdist) rebuilds the error.
        super().__init__(code, detail)
        self.code = code
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"

    def diagnostics(self) -> str:
        """One sentence for a person: what failed, the stable code, and the remedy."""
        detail = self.detail.rstrip(".")
        return f"{self.summary} ({self.code}): {detail}. {self.remedy}"


class MalformedInput(VerificationError):
    """Bytes, JSON, encodings or text formats that do not parse under our strict rules."""

    summary = "The input is malformed"
    remedy = "Check that the data was transmitted unmodified and produced by a conforming implementation."


class SignatureInvalid(VerificationError):
    """A well-formed signature that does not verify under the expected key."""

    summary = "The signature does not verify"
    remedy = "Treat the object as forged or corrupted; do not use it and report it to the issuer."


class AlgorithmRefused(VerificationError):
    """An algorithm, key type or JOSE header feature outside our pinned Ed25519 profile."""

    summary = "The algorithm or header is refused"
    remedy = "Only Ed25519 (JOSE alg EdDSA or Ed25519) with no key-carrying or critical headers is accepted."


class UnknownKey(VerificationError):
    """The object names, or is only signed by, a key we were not configured to trust."""

    summary = "The signing key is not trusted"
    remedy = "Obtain the signer's public key through a trusted channel and configure it before retrying."


class ProofInvalid(VerificationError):
    """A Merkle inclusion or consistency proof (RFC 9162 §2.1.3, §2.1.4) that does not verify."""

    summary = "The Merkle proof does not verify"
    remedy = (
        "Refetch the proof for the exact tree size of your checkpoint; if it still fails, "
        "the log may be misbehaving and the evidence should be kept."
    )


class CheckpointInvalid(VerificationError):
    """A C2SP tlog-checkpoint whose body is malformed or names the wrong log."""

    summary = "The checkpoint is invalid"
    remedy = "Fetch the checkpoint again from the log you expect and verify it with that log's key."


class HistoryInvalid(VerificationError):
    """A status or key event that does not extend the history it claims to extend.

    Codes: SEQUENCE_GAP, EVENT_REPLAYED, HISTORY_FORKED, ILLEGAL_TRANSITION, EFFECTIVE_TIME_REGRESSION.
    """

    summary = "The event does not extend the recorded history"
    remedy = "Fetch the current history, then sign the next event with the next sequence number and previous hash."


class KeyNotValid(VerificationError):
    """A key that exists but may not sign this: retired before, or revoked as compromised before, the log time."""

    summary = "The signing key is not valid for this document"
    remedy = "Sign with a currently active key of the programme; keys are listed at /v1/programmes/{id}/keys."


class NotPermitted(VerificationError):
    """A valid signature by a key or party whose role does not allow this action (see the authority table).

    Codes: ROOT_KEY_REQUIRED, ROOT_KEY_NOT_FOR_DOCUMENTS, NOT_A_RECOGNISING_PARTY.
    """

    summary = "The signer may not take this action"
    remedy = "Have the action signed by the key or party that holds that authority (docs/SECURITY.md, Authority)."


class DumpInvalid(VerificationError):
    """A bulk download whose files do not match the manifest the registry signed."""

    summary = "The download does not match its signed manifest"
    remedy = "Download the named files again from the registry or a mirror; do not use the altered copy."
