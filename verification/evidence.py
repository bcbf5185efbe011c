"""What an answer about a certificate commits to: the log positions of everything it judged.

A registry's answer is only as good as the tables it read. Naming the checkpoint (tree size and root
hash), the credential's leaf, the head of the certificate's status chain and the head of its programme's
key events lets anyone holding a signed decision replay exactly those chains from the log up to that
checkpoint and confirm or refute the answer (`verification.client.audit`): a decision signed from tampered
tables names heads the log does not have, or a standing the log's chains do not give.

They are tuples: one is made for every certificate of a 10,000-line catalogue. Two spellings of the
one object: snake_case in API answers and eligibility results (`to_api`), camelCase
inside a signed single-certificate decision (`to_decision`), as every other field there.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class StatusHead(NamedTuple):
    """The latest status event counted: its sequence (0: none yet), hash and leaf; None fields when none."""

    sequence: int
    sha256: str | None = None
    leaf_index: int | None = None


class KeyHead(NamedTuple):
    """The programme's key-event chain as judged: its length (0: only the registration) and last leaf."""

    programme: str
    sequence: int
    leaf_index: int


class CertificateEvidence(NamedTuple):
    leaf_index: int  # the credential's leaf
    status_head: StatusHead
    key_head: KeyHead

    def to_api(self) -> dict[str, Any]:
        return {
            "leaf_index": self.leaf_index,
            "status_head": {
                "sequence": self.status_head.sequence,
                "sha256": self.status_head.sha256,
                "leaf_index": self.status_head.leaf_index,
            },
            "key_head": {
                "programme": self.key_head.programme,
                "sequence": self.key_head.sequence,
                "leaf_index": self.key_head.leaf_index,
            },
        }

    def to_decision(self) -> dict[str, Any]:
        return {
            "leafIndex": self.leaf_index,
            "statusHead": {
                "sequence": self.status_head.sequence,
                "sha256": self.status_head.sha256,
                "leafIndex": self.status_head.leaf_index,
            },
            "keyHead": {
                "programme": self.key_head.programme,
                "sequence": self.key_head.sequence,
                "leafIndex": self.key_head.leaf_index,
            },
        }

    @classmethod
    def from_json(cls, data: Any) -> CertificateEvidence:
        """Either spelling back; raises KeyError, TypeError or ValueError on a malformed object."""
        if not isinstance(data, dict):
            raise TypeError("evidence must be an object")
        status, key = _either(data, "status_head", "statusHead"), _either(data, "key_head", "keyHead")
        return cls(
            leaf_index=int(_either(data, "leaf_index", "leafIndex")),
            status_head=StatusHead(
                int(status["sequence"]),
                status.get("sha256"),
                _optional_int(_either(status, "leaf_index", "leafIndex", default=None)),
            ),
            key_head=KeyHead(str(key["programme"]), int(key["sequence"]), int(_either(key, "leaf_index", "leafIndex"))),
        )


_MISSING = object()


def _either(data: dict[str, Any], snake: str, camel: str, default: Any = _MISSING) -> Any:
    if snake in data:
        return data[snake]
    if camel in data or default is _MISSING:
        return data[camel]
    return default


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def checkpoint_json(tree_size: int, root_hash_b64: str) -> dict[str, Any]:
    """The checkpoint an answer was computed at, as API answers name it."""
    return {"tree_size": tree_size, "root_hash": root_hash_b64}
