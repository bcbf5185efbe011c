"""The one place where verification errors become registry errors (and so problem documents).

Services call `refuse(exc)` where a `verification` error can enter; the problem keeps the verifier's
stable `code`, so a client sees exactly which check failed.
"""

from __future__ import annotations

from ecolabel_registry import errors
from verification import errors as verification
from verification.documents import PayloadInvalid

_BY_TYPE: tuple[tuple[type[verification.VerificationError], type[errors.RegistryError]], ...] = (
    (verification.SignatureInvalid, errors.SignatureInvalid),
    (verification.AlgorithmRefused, errors.AlgorithmRefused),
    (verification.UnknownKey, errors.UnknownSigningKey),
    (verification.KeyNotValid, errors.SigningKeyNotValid),
    (verification.NotPermitted, errors.SignerNotPermitted),
    (verification.HistoryInvalid, errors.HistoryConflict),
    (verification.MalformedInput, errors.DocumentInvalid),
)


def refuse(exc: verification.VerificationError) -> errors.RegistryError:
    """The registry error for a verification failure, carrying its code (and field errors, if any)."""
    for verification_type, registry_type in _BY_TYPE:
        if isinstance(exc, verification_type):
            if isinstance(exc, PayloadInvalid):
                return registry_type(exc.detail, code=exc.code, errors=exc.errors)
            return registry_type(exc.detail, code=exc.code)
    return errors.DocumentInvalid(exc.detail, code=exc.code)
