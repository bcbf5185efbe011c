"""W3C Bitstring Status List v1.0: a credential's entries, the lists' URLs, and the bits themselves.

    entries = status_entries(certificate, base_url="https://registry.example.org")
    encoded = encode_list({17, 4242})           # "u" + base64url(GZIP(131,072 bits)), §3.1
    assert bit_of(decode_list(encoded), 4242)

Each programme has, per status purpose, numbered lists of `LIST_SIZE` entries served by the registry at
`<base>/v1/programmes/<programme>/status-lists/<purpose>/<number>`. A credential points into them with
`credentialStatus` (`BitstringStatusListEntry`, one per purpose, the same index in both). The bits follow
from the certificate's status chain (`verification.status`): `suspension` is set while the certificate is
suspended, `revocation` once it is withdrawn (final, as the specification requires of revocation).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from verification.b64 import b64url_decode, b64url_encode
from verification.errors import MalformedInput
from verification.payloads.certificate import EcoLabelCertificate, StatusEntry
from verification.status import CertificateStatus

# §6.1 (herd privacy): at least 131,072 entries per list, the specification's minimum length.
LIST_SIZE: Final = 131_072
MAX_LIST_NUMBER: Final = 9_999
ENTRY_TYPE: Final = "BitstringStatusListEntry"


class StatusPurpose(StrEnum):
    REVOCATION = "revocation"
    SUSPENSION = "suspension"


_SET_WHEN: Final = {
    StatusPurpose.SUSPENSION: CertificateStatus.SUSPENDED,
    StatusPurpose.REVOCATION: CertificateStatus.WITHDRAWN,
}


def bit_for(purpose: StatusPurpose, status: CertificateStatus) -> bool:
    """Whether a certificate in `status` has its bit set in a list of `purpose`."""
    return status is _SET_WHEN[purpose]


def list_path(programme_id: str, purpose: StatusPurpose, number: int) -> str:
    return f"/v1/programmes/{programme_id}/status-lists/{purpose.value}/{number}"


def list_url(base_url: str, programme_id: str, purpose: StatusPurpose, number: int) -> str:
    return base_url.rstrip("/") + list_path(programme_id, purpose, number)


_PATH = re.compile(
    r"\A/v1/programmes/(?P<programme>[a-z0-9]+(?:-[a-z0-9]+)*)/status-lists/"
    r"(?P<purpose>revocation|suspension)/(?P<number>0|[1-9][0-9]{0,3})\Z"
)


@dataclass(frozen=True, order=True)
class Slot:
    """One credential's place in one list: (programme, purpose, list number, index)."""

    programme_id: str
    purpose: StatusPurpose
    number: int
    index: int


def status_entries(certificate: EcoLabelCertificate, *, base_url: str) -> list[Slot]:
    """The slots a credential's `credentialStatus` claims, each checked against this registry's lists.

    Raises `MalformedInput` for a list that is not the issuing programme's on this registry
    (`STATUS_LIST_FOREIGN`), an index beyond the list (`STATUS_INDEX_OUT_OF_RANGE`) or a purpose named
    twice (`STATUS_PURPOSE_REPEATED`). A credential without `credentialStatus` has no slots.
    """
    slots: list[Slot] = []
    for entry in certificate.status_entries:
        slot = _slot(entry, certificate.programme_id, base_url)
        if any(other.purpose is slot.purpose for other in slots):
            raise MalformedInput("STATUS_PURPOSE_REPEATED", f"credentialStatus names {slot.purpose} twice")
        slots.append(slot)
    return slots


def _slot(entry: StatusEntry, programme_id: str, base_url: str) -> Slot:
    url = entry.status_list_credential
    prefix = base_url.rstrip("/")
    match = _PATH.match(url.removeprefix(prefix)) if url.startswith(prefix + "/") else None
    if match is None or match["programme"] != programme_id or match["purpose"] != entry.status_purpose:
        raise MalformedInput(
            "STATUS_LIST_FOREIGN",
            f"statusListCredential must be {list_url(base_url, programme_id, StatusPurpose(entry.status_purpose), 0)}"
            " (or another list number) for this purpose",
        )
    index = int(entry.status_list_index)
    if index >= LIST_SIZE:
        raise MalformedInput("STATUS_INDEX_OUT_OF_RANGE", f"statusListIndex {index} is beyond the list of {LIST_SIZE}")
    return Slot(programme_id, StatusPurpose(entry.status_purpose), int(match["number"]), index)


def encode_list(set_bits: Iterable[int], size: int = LIST_SIZE) -> str:
    """§3.1 "Generate Algorithm": index 0 is the first byte's most significant bit; GZIP; multibase base64url."""
    bitstring = bytearray(size // 8)
    for index in set_bits:
        if not 0 <= index < size:
            raise MalformedInput("STATUS_INDEX_OUT_OF_RANGE", f"index {index} is beyond the list of {size}")
        bitstring[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bitstring), mtime=0)  # mtime 0: the same bits give the same bytes
    return "u" + b64url_encode(compressed)


def decode_list(encoded: str) -> bytes:
    """§3.2 "Bitstring Expansion Algorithm"; the multibase prefix `u` is required."""
    if not encoded.startswith("u"):
        raise MalformedInput("BAD_ENCODED_LIST", "encodedList is multibase base64url (prefix 'u')")
    try:
        return gzip.decompress(b64url_decode(encoded[1:], what="encodedList"))
    except (MalformedInput, OSError, EOFError) as exc:
        raise MalformedInput("BAD_ENCODED_LIST", "encodedList is not GZIP data in base64url") from exc


def bit_of(bitstring: bytes, index: int) -> bool:
    if not 0 <= index < len(bitstring) * 8:
        raise MalformedInput("STATUS_INDEX_OUT_OF_RANGE", f"index {index} is beyond the list of {len(bitstring) * 8}")
    return bool(bitstring[index // 8] & (0x80 >> (index % 8)))


def credential_status(base_url: str, programme_id: str, index: int, number: int = 0) -> list[dict[str, str]]:
    """The `credentialStatus` a programme signs into a credential: one entry per purpose, the same index."""
    if not 0 <= index < LIST_SIZE:
        raise MalformedInput("STATUS_INDEX_OUT_OF_RANGE", f"index {index} is beyond the list of {LIST_SIZE}")
    entries = []
    for purpose in (StatusPurpose.REVOCATION, StatusPurpose.SUSPENSION):
        url = list_url(base_url, programme_id, purpose, number)
        entries.append(
            {
                "id": f"{url}#{index}",
                "type": ENTRY_TYPE,
                "statusPurpose": purpose.value,
                "statusListIndex": str(index),
                "statusListCredential": url,
            }
        )
    return entries


def set_bits(members: Sequence[tuple[int, CertificateStatus]], purpose: StatusPurpose) -> list[int]:
    """The indexes whose bit is set, from each member's index and status."""
    return [index for index, status in members if bit_for(purpose, status)]
