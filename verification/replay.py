"""Re-verify logged documents in log order, learning programme keys from the log itself.

A programme's first keys arrive in its registration entry; every signed document after that must
verify under a key the log has already introduced. This is what lets a monitor re-check every
signature with nothing but the log.
"""

from __future__ import annotations

import base64
from typing import Any

from verification.client import LogEntry
from verification.errors import MalformedInput, UnknownKey
from verification.jwk import PublicKey, parse_public_jwk
from verification.jws import read_protected_header, verify_compact
from verification.leaf import DocumentKind
from verification.strictjson import loads_strict


class DocumentReplay:
    def __init__(self, keys: dict[str, dict[str, bytes]] | None = None) -> None:
        self._keys: dict[str, dict[str, bytes]] = keys or {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "keys": {
                programme: {kid: base64.b64encode(raw).decode() for kid, raw in keys.items()}
                for programme, keys in self._keys.items()
            }
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocumentReplay:
        keys = {
            programme: {kid: base64.b64decode(raw) for kid, raw in by_kid.items()}
            for programme, by_kid in data.get("keys", {}).items()
        }
        return cls(keys)

    def check(self, entry: LogEntry) -> None:
        if entry.document is None:
            return  # a private document: only its hash commitment is public
        if entry.kind is DocumentKind.PROGRAMME:
            self._learn_programme(entry.document)
        else:
            self._verify_signed(entry.document)

    def _learn_programme(self, document: bytes) -> None:
        registration = loads_strict(document)
        if not isinstance(registration, dict) or not isinstance(registration.get("id"), str):
            raise MalformedInput("BAD_PROGRAMME", "a programme registration needs an id")
        programme = registration["id"]
        if programme in self._keys:
            raise MalformedInput("DUPLICATE_PROGRAMME", f"programme {programme!r} is registered twice")
        keys = [parse_public_jwk(jwk) for jwk in registration.get("keys", [])]
        if not keys:
            raise MalformedInput("BAD_PROGRAMME", f"programme {programme!r} has no keys")
        self._keys[programme] = {key.kid: key.raw for key in keys}

    def _verify_signed(self, document: bytes) -> None:
        token = document.decode("ascii")
        kid = read_protected_header(token).get("kid")
        candidates = [keys[kid] for keys in self._keys.values() if isinstance(kid, str) and kid in keys]
        if not candidates:
            raise UnknownKey("UNKNOWN_KID", f"no key {kid!r} was introduced earlier in the log")
        verify_compact(token, PublicKey(kid=str(kid), raw=candidates[0]))
