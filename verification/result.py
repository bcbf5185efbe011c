"""The non-raising door: ``check_*`` functions return a :class:`VerificationResult`.

Every ``verify_*`` function raises a :class:`~verification.errors.VerificationError`; its ``check_*``
twin runs the same code and reports the outcome as a value (the two-door design of python-tuf), which
suits batch reports and API responses that must list failures rather than stop at the first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from verification.errors import VerificationError

__all__ = ["VerificationResult", "capture"]


@dataclass(frozen=True)
class VerificationResult:
    """Outcome of one check: ``ok`` with no code, or not ``ok`` with the error's code and detail."""

    ok: bool
    code: str | None = None
    detail: str | None = None
    # Kept so that raise_for_failure() re-raises the same subclass callers may be catching.
    error_type: type[VerificationError] = field(default=VerificationError, repr=False, compare=False)

    @classmethod
    def passed(cls) -> VerificationResult:
        return cls(ok=True)

    @classmethod
    def failed(cls, err: VerificationError) -> VerificationResult:
        return cls(ok=False, code=err.code, detail=err.detail, error_type=type(err))

    def raise_for_failure(self) -> None:
        """Raise the recorded error (a fresh instance of the same subclass) unless the check passed."""
        if not self.ok:
            raise self.error_type(self.code or "UNKNOWN", self.detail or "")

    def __bool__(self) -> bool:
        return self.ok


def capture(run: Callable[[], object]) -> VerificationResult:
    """Run a raising verification and turn its outcome into a result; other exceptions propagate."""
    try:
        run()
    except VerificationError as err:
        return VerificationResult.failed(err)
    return VerificationResult.passed()
