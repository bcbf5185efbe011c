"""did:web names of a registry and its programmes, and what a credential's issuer and kid may say.

    names = DidWeb.from_url("https://registry.example.org")
    names.programme("eu-ecolabel")      # did:web:registry.example.org:programmes:eu-ecolabel
    names.document_url(names.programme("eu-ecolabel"))
    # https://registry.example.org/programmes/eu-ecolabel/did.json  (did:web §3.2 "Read")

A programme's documents name their signer either as a programme-local kid (`eu-ecolabel-2026`) or as a
DID URL whose fragment is that kid (`did:web:registry.example.org:programmes:eu-ecolabel#eu-ecolabel-2026`),
and a certificate's issuer either as `urn:ecolabel:programme:<id>` or as the programme's DID. Both
spellings name the same key and the same programme; only the DID's host decides whether it is this
registry's (`DidWeb.programme_of`), and offline, where no host is known, the structure alone
(`programme_of_did`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, unquote, urlsplit

from verification.errors import MalformedInput

DID_WEB_PREFIX: Final = "did:web:"
PROGRAMMES_SEGMENT: Final = "programmes"
_SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
# did:web method-specific id: a host (a port's ':' percent-encoded), then ':'-separated path segments.
_HOST = r"[A-Za-z0-9.-]+(?:%3[Aa][0-9]+)?"
_SEGMENT = r"[A-Za-z0-9._~%-]+"
DID_WEB_PATTERN: Final = rf"did:web:{_HOST}(?::{_SEGMENT})*"
PROGRAMME_DID_PATTERN: Final = rf"did:web:{_HOST}(?::{_SEGMENT})*:{PROGRAMMES_SEGMENT}:{_SLUG}"
_PROGRAMME_DID = re.compile(rf"\A{PROGRAMME_DID_PATTERN}\Z")
_DID_WEB = re.compile(rf"\A{DID_WEB_PATTERN}\Z")


def programme_of_did(did: str) -> str | None:
    """The programme a `did:web:…:programmes:<id>` names, whatever its host; None for any other DID."""
    if not _PROGRAMME_DID.match(did):
        return None
    return did.rsplit(":", 1)[1]


def split_did_url(value: str) -> tuple[str, str] | None:
    """(DID, fragment) of a DID URL `did:…#fragment`; None when `value` is not a DID URL with a fragment."""
    did, hash_mark, fragment = value.partition("#")
    if not hash_mark or not did.startswith("did:") or not fragment:
        return None
    return did, fragment


def is_did_web(value: str) -> bool:
    return bool(_DID_WEB.match(value))


@dataclass(frozen=True)
class DidWeb:
    """The DIDs one registry publishes: its own (`registry`) and one per programme under `programmes:`."""

    registry: str
    base_url: str  # where the DID documents are served: https://<host>[/<path>], no trailing slash

    @classmethod
    def from_url(cls, url: str) -> DidWeb:
        """From the registry's public URL (did:web §3.1 "Create"): the host, a port percent-encoded, the path."""
        parts = urlsplit(url if "://" in url else f"https://{url}")
        if not parts.hostname or parts.query or parts.fragment:
            raise MalformedInput("BAD_PUBLIC_URL", f"{url!r} is not an https URL of a host")
        host = parts.hostname + (f"%3A{parts.port}" if parts.port else "")
        segments = [quote(segment, safe="") for segment in parts.path.split("/") if segment]
        base = f"{parts.scheme}://{parts.netloc}" + "".join(f"/{segment}" for segment in segments)
        return cls(registry=":".join([f"{DID_WEB_PREFIX}{host}", *segments]), base_url=base)

    def programme(self, programme_id: str) -> str:
        return f"{self.registry}:{PROGRAMMES_SEGMENT}:{programme_id}"

    def programme_of(self, did: str) -> str | None:
        """The programme whose DID on this registry `did` is; None for a DID of another host or shape."""
        programme = programme_of_did(did)
        return programme if programme is not None and did == self.programme(programme) else None

    def document_url(self, did: str) -> str:
        """Where a did:web DID's document is read (did:web §3.2): a bare host's at /.well-known/did.json."""
        if not did.startswith(DID_WEB_PREFIX):
            raise MalformedInput("NOT_DID_WEB", f"{did!r} is not a did:web DID")
        host, *segments = did.removeprefix(DID_WEB_PREFIX).split(":")
        path = "/".join(unquote(segment) for segment in segments) if segments else ".well-known"
        scheme = urlsplit(self.base_url).scheme or "https"
        return f"{scheme}://{unquote(host)}/{path}/did.json"

    def verification_method(self, did: str, kid: str) -> str:
        return f"{did}#{kid}"
