"""verification.errors and verification.result: diagnostics, the two doors, and the package example."""

from __future__ import annotations

import doctest
import pickle

import pytest

import verification
from verification.errors import (
    AlgorithmRefused,
    CheckpointInvalid,
    MalformedInput,
    ProofInvalid,
    SignatureInvalid,
    UnknownKey,
    VerificationError,
)
from verification.result import VerificationResult, capture

SUBCLASSES = [MalformedInput, SignatureInvalid, AlgorithmRefused, UnknownKey, ProofInvalid, CheckpointInvalid]


@pytest.mark.parametrize("cls", SUBCLASSES, ids=[c.__name__ for c in SUBCLASSES])
def test_errors_carry_code_detail_and_remedy(cls: type[VerificationError]) -> None:
    err = cls("SOME_CODE", "something specific went wrong.")
    assert isinstance(err, VerificationError)
    assert (err.code, err.detail) == ("SOME_CODE", "something specific went wrong.")
    assert str(err) == "SOME_CODE: something specific went wrong."
    sentence = err.diagnostics()
    assert "SOME_CODE" in sentence
    assert "something specific went wrong. " in sentence
    assert sentence.endswith(cls.remedy)
    clone = pickle.loads(pickle.dumps(err))  # survives pytest-xdist and multiprocessing
    assert (type(clone), clone.code, clone.detail) == (cls, err.code, err.detail)


def test_result_doors() -> None:
    assert VerificationResult.passed() == VerificationResult(ok=True)
    assert bool(VerificationResult.passed())
    VerificationResult.passed().raise_for_failure()

    def fail() -> None:
        raise UnknownKey("KID_MISMATCH", "wrong key")

    result = capture(fail)
    assert not result
    assert (result.ok, result.code, result.detail) == (False, "KID_MISMATCH", "wrong key")
    with pytest.raises(UnknownKey) as caught:
        result.raise_for_failure()
    assert caught.value.code == "KID_MISMATCH"


def test_capture_lets_programming_errors_through() -> None:
    def broken() -> None:
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        capture(broken)


def test_package_docstring_example_runs() -> None:
    failures, tried = doctest.testmod(verification, raise_on_error=False)
    assert tried > 0
    assert failures == 0
