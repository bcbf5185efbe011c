"""The first sights of many credentials at once, on the calling thread and one of a pool's beside it.

A standing verifies a credential this process has not verified itself (`verification.standing`, the
verified memo): ~130 µs of CPU, most of it the Ed25519 check, which `cryptography` makes without holding
the GIL. A catalogue check meets thousands of such credentials in one request. `verify_unseen` verifies
them before they are judged, two at a time: the calling thread and a pool's thread take them one by one
from one queue, so while one thread checks a signature the other reads its next credential's header and
payload, and a second core does half of the signature checks.

Each is `standing.read_credential`, the check and memo of every standing: what it remembers is what this
process verified itself, keyed by the certificate id, the SHA-256 of the exact bytes it was given and the
key; a credential that fails is not remembered, so its standing checks it again and gives the same reason.
The standings judged afterwards are the ones judged without this step, byte for byte
(tests/verification/test_first_sight.py, tests/registry/test_eligibility_memos.py).

Only first sights run together. Beside the rest of a check (rows, judging, encoding: plain Python that
holds the GIL throughout) the pool's thread would be starved: after each signature it gets the GIL back
only when the busy thread is made to let it go (the interpreter's switch interval, 5 ms); measured, it then
verified about a fifth of what one thread verifies alone.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, wait
from itertools import islice

from verification.keys import KeyRecord
from verification.standing import read_credential, remembered

# Fewer first sights than this are left to the standings that meet them, one by one: handing work to
# the pool's thread and waiting for its last credential costs about one verification.
WORTH_A_THREAD = 4
# Asking the memo costs ~1 µs a credential (a lookup in up to 200,000 entries), ~2-5 % of a warm catalogue
# check. When none of the first SAMPLE credentials is unseen, few of the rest are (a catalogue's lines come
# in no order of age): the rest are left to their standings, and a warm check asks the memo SAMPLE times.
SAMPLE = 256

_Unseen = deque[tuple[str, bytes, KeyRecord]]


def verify_unseen(credentials: Iterable[tuple[str, bytes, KeyRecord | None]], pool: Executor | None) -> int:
    """Verify, on this thread and on `pool`'s, each (certificate id, exact bytes, signing key) this process
    has not verified, so that their standings find them in the memo; the number sent to be verified.

    Nothing is done without a pool, with fewer than `WORTH_A_THREAD` of them, or when none of the first
    `SAMPLE` is unseen: their standings verify them as they meet them. An error on either thread stops
    both, and is raised here as it was raised.
    """
    if pool is None:
        return 0
    given = iter(credentials)
    unseen: _Unseen = deque(_not_remembered(islice(given, SAMPLE)))
    if not unseen:
        return 0
    unseen.extend(_not_remembered(given))
    count = len(unseen)
    if count < WORTH_A_THREAD:
        return 0
    beside = pool.submit(_verify_each, unseen)
    try:
        _verify_each(unseen)
    finally:
        unseen.clear()  # after an error here, the pool's thread stops at the credential it holds
        if not beside.cancel():  # not cancelled: it started, and is waited for
            wait((beside,))
    if not beside.cancelled():
        beside.result()  # raises what the pool's thread raised
    return count


def _not_remembered(
    credentials: Iterable[tuple[str, bytes, KeyRecord | None]],
) -> Iterator[tuple[str, bytes, KeyRecord]]:
    for certificate_id, document, key in credentials:
        if key is not None and not remembered(certificate_id, key):
            yield certificate_id, document, key


def _verify_each(unseen: _Unseen) -> None:
    """Take credentials from the queue (`deque.popleft` is thread-safe) until it is empty."""
    try:
        while True:
            try:
                certificate_id, document, key = unseen.popleft()
            except IndexError:
                return
            read_credential(certificate_id, document, key)
    except BaseException:
        unseen.clear()  # the other thread stops at the credential it holds
        raise
