"""`verification.values.quick_init` builds the same frozen values as the dataclass's own `__init__`."""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import InitVar, dataclass, field
from typing import Any

import pytest

from ecolabel_registry.recognition.service import Requirement
from verification.recognition import Condition, ConditionKind, Decision, Presented, Reason, ReasonCode, Resolution
from verification.status import CertificateStatus
from verification.values import quick_init


@dataclass(frozen=True)
class _Generated:
    name: str
    count: int
    note: str | None = None
    flags: tuple[str, ...] = ()


@quick_init
@dataclass(frozen=True)
class _Quick:
    name: str
    count: int
    note: str | None = None
    flags: tuple[str, ...] = ()


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [(("a", 1), {}), (("a", 1, "n"), {}), (("a",), {"count": 2, "flags": ("x",)}), ((), {"name": "b", "count": 0})],
)
def test_the_same_fields_as_the_generated_init(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    quick, generated = _Quick(*args, **kwargs), _Generated(*args, **kwargs)
    assert vars(quick) == vars(generated)
    assert repr(quick) == repr(generated).replace("_Generated", "_Quick")
    assert quick == _Quick(*args, **kwargs)
    assert hash(quick) == hash(_Quick(*args, **kwargs))
    assert dataclasses.replace(quick, count=5) == _Quick(**{**vars(quick), "count": 5})


def test_the_same_signature_and_refusals() -> None:
    assert str(inspect.signature(_Quick)) == str(inspect.signature(_Generated))
    with pytest.raises(TypeError):
        _Quick("a")  # type: ignore[call-arg]  # a required field missing, as the generated init refuses
    with pytest.raises(TypeError):
        _Quick("a", 1, "n", (), "extra")  # type: ignore[call-arg]  # one too many
    with pytest.raises(TypeError):
        _Quick("a", 1, name="b")  # type: ignore[misc]  # given twice
    with pytest.raises(dataclasses.FrozenInstanceError):
        _Quick("a", 1).count = 2  # type: ignore[misc]  # still frozen


def test_it_refuses_what_it_does_not_build() -> None:
    @dataclass
    class Mutable:
        name: str

    @dataclass(frozen=True, slots=True)
    class Slotted:
        name: str

    @dataclass(frozen=True)
    class Checked:
        name: str

        def __post_init__(self) -> None:
            pass

    @dataclass(frozen=True)
    class Factory:
        names: list[str] = field(default_factory=list)

    @dataclass(frozen=True)
    class KeywordOnly:
        name: str = field(kw_only=True)

    @dataclass(frozen=True)
    class InitOnly:
        name: str
        seed: InitVar[int]

    for cls in (Mutable, Slotted, Checked, Factory, KeywordOnly, InitOnly):
        with pytest.raises(TypeError):
            quick_init(cls)


@pytest.mark.parametrize("cls", [Presented, Condition, Reason, Resolution, Requirement])
def test_the_answers_values_keep_their_fields_in_order(cls: type[Any]) -> None:
    fields = dataclasses.fields(cls)
    parameters = list(inspect.signature(cls).parameters.values())
    assert [(p.name, p.default) for p in parameters] == [
        (f.name, inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default) for f in fields
    ]


def test_the_answers_values_compare_as_before() -> None:
    presented = Presented("jea", "No.118", "2.1", CertificateStatus.ACTIVE, signing_key_valid=False)
    assert presented == Presented("jea", "No.118", "2.1", CertificateStatus.ACTIVE, False, True)
    assert presented != ("jea", "No.118", "2.1", CertificateStatus.ACTIVE, False, True)
    reason = Reason(ReasonCode.NO_AGREEMENT, "none")
    condition = Condition(ConditionKind.PROXY_ASSESSMENT, "a" * 64, "jea", "No.118", note="n")
    resolution = Resolution(Decision.NOT_ACCEPTED, reasons=(reason,))
    assert resolution.reasons == (Reason(ReasonCode.NO_AGREEMENT, "none", None),)
    assert condition.criteria == ()
    assert condition.note == "n"
    assert Requirement(frozenset({("jea", "No.118")})).labels == ["jea:No.118"]
