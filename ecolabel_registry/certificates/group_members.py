"""What a group commit holds for each request it was handed, and how a group's members are charged and
answered: the sequencer's parts that are not its threads (`certificates.sequencer`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from ecolabel_registry.certificates import events, submission
from ecolabel_registry.errors import RegistryError

# Charges credentials to their programmes' rate limits (`api.ratelimit.ProgrammeRateLimit.charge`),
# raising the refusal of one over its limit.
Charge = Callable[[Iterable[str]], None]


@dataclass
class Certificate:
    token: str
    charge: Charge | None = None
    charged: bool = False  # charged to its programme's rate by a group whose transaction then failed
    future: Future[submission.Item] = field(default_factory=Future)
    item: submission.Item | None = None  # once its credential passed `submission.prepare`


@dataclass
class Event:
    certificate_id: str
    token: str
    future: Future[events.Submitted] = field(default_factory=Future)


Request = Certificate | Event


@dataclass
class Checked:
    """A group past its checks, for the writer: its certificates that passed them, and its events."""

    certificates: list[Certificate]
    events: list[Event]


class Charges:
    """`submission.Charge` for a group: each new credential charged by its own request's `charge`, once
    (a member retried after its group's transaction failed is not charged again)."""

    def __init__(self, requests: list[Certificate]) -> None:
        self.requests = requests  # in the order of the items given to `submission.commit`
        self.refused: dict[int, RegistryError] = {}  # item index -> its request's refusal by `charge`

    def __call__(self, new: Sequence[submission.Item]) -> dict[str, RegistryError]:
        over: dict[str, RegistryError] = {}
        for item in new:
            request = self.requests[item.index]
            if request.charge is None or request.charged or item.document is None:
                continue
            try:
                request.charge([item.document.payload.programme_id])
            except RegistryError as exc:
                over[item.document.sha256] = exc
                continue
            request.charged = True
        for index, request in enumerate(self.requests):  # every copy of one over its rate is refused alike
            if request.item is not None and request.item.document is not None:
                refusal = over.get(request.item.document.sha256)
                if refusal is not None:
                    self.refused[index] = refusal
        return over


def deliver(requests: Sequence[Request], exc: Exception) -> None:
    """`exc` to each request not answered yet."""
    for request in requests:
        if not request.future.done():
            request.future.set_exception(exc)
