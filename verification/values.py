"""Frozen dataclasses that are cheap to build: `quick_init`.

A frozen dataclass's generated `__init__` sets each field through `object.__setattr__` (its own
`__setattr__` refuses), found as a global and called for every field: ~1,300 instructions a field. An
authorization answer spent ~25,000 instructions, 3 % of it, building its small value objects
(`Presented`, `Resolution`, `Reason`, `Condition`, `Requirement`; `make profile-answers`). `quick_init`
gives such a class an `__init__` with the same parameters, defaults and order that writes the fields
straight into the instance's `__dict__` (~2.5 times faster). Everything else stays the dataclass's own:
the type, equality, hash, `repr`, `dataclasses.replace`, and the refusal to assign to a field afterwards.

Only for the plain case, refused otherwise: a frozen dataclass without `__slots__`, `__post_init__`,
default factories, keyword-only fields or class and init-only variables, every field taken by `__init__`.

    @quick_init
    @dataclass(frozen=True)
    class Reason:
        code: str
        detail: str
        agreement_id: str | None = None
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def quick_init(cls: type[T]) -> type[T]:
    """`cls` with an `__init__` that stores its fields in the instance's `__dict__` (see the module)."""
    params: Any = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen:
        raise TypeError(f"{cls.__name__} is not a frozen dataclass")
    if "__slots__" in cls.__dict__ or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has __slots__ or __post_init__: its generated __init__ is needed")
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]  # a dataclass, checked above
    declared = cls.__dict__["__dataclass_fields__"]  # with init-only and class variables, which `fields` omits
    if (
        len(declared) != len(fields)
        or {"self", "__stored"} & {field.name for field in fields}
        or any(not field.init or field.kw_only or field.default_factory is not dataclasses.MISSING for field in fields)
    ):
        raise TypeError(f"{cls.__name__} has a field outside __init__, keyword-only, with a default factory or a name")
    defaults = {f"_default_{field.name}": field.default for field in fields if field.default is not dataclasses.MISSING}
    parameters = ", ".join(
        field.name if field.default is dataclasses.MISSING else f"{field.name}=_default_{field.name}"
        for field in fields
    )
    stores = "".join(f"    __stored[{field.name!r}] = {field.name}\n" for field in fields)
    source = f"def __init__(self, {parameters}):\n    __stored = self.__dict__\n{stores}"
    namespace: dict[str, Any] = {}
    exec(source, dict(defaults), namespace)  # noqa: S102  # the code is made from the class's own field names
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__annotations__ = {**{field.name: field.type for field in fields}, "return": None}
    cls.__init__ = init  # type: ignore[method-assign]  # the same signature as the generated one
    return cls
