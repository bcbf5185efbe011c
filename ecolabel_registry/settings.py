"""Typed configuration, read from `ECOLABEL_*` environment variables (pydantic-settings).

Nothing here runs at import time: `Settings()` is built by the CLI or by a test and handed to
`create_app(settings)`.
"""

from __future__ import annotations

import re
import secrets
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from verification.cosignature import CosignerKey
from verification.errors import MalformedInput
from verification.identifiers import IdentifierScheme

# Values that appear in examples and must never guard a production deployment.
_PLACEHOLDER_SECRETS = frozenset({"changeme", "change-me", "admin", "secret", "password", "token", "test"})
_MIN_PRODUCTION_TOKEN_LENGTH = 32


@dataclass(frozen=True)
class WitnessEndpoint:
    """A witness the registry submits its checkpoints to: its cosigner key and its submission prefix."""

    key: CosignerKey
    url: str

    @classmethod
    def parse_list(cls, text: str) -> tuple[WitnessEndpoint, ...]:
        """`<vkey> <url>` entries separated by newlines or `;` (the vkey names the witness, tlog-witness)."""
        endpoints: list[WitnessEndpoint] = []
        for entry in re.split(r"[;\n]", text):
            words = entry.split()
            if not words:
                continue
            if len(words) != 2 or not words[1].startswith(("http://", "https://")):
                raise ValueError("each witness is '<vkey> <http(s) submission URL>'")
            try:
                key = CosignerKey.from_string(words[0])
            except MalformedInput as exc:
                raise ValueError(f"witness key {words[0][:60]!r}: {exc.detail}") from exc
            if any(known.key.public_key == key.public_key for known in endpoints):
                raise ValueError(f"witness {key.name} is listed twice")
            endpoints.append(cls(key, words[1].rstrip("/")))
        return tuple(endpoints)


class Mode(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Everything an operator can configure; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="ECOLABEL_", extra="ignore", frozen=True)

    mode: Mode = Mode.DEVELOPMENT
    database_url: str = "sqlite:///var/registry.sqlite3"
    database_pool_size: int = Field(default=10, ge=1, le=200)
    # Streaming replicas (hot standbys) of the PostgreSQL primary, comma-separated: read-only endpoints read
    # from them (ecolabel_registry.replicas). One further behind than `replica_max_lag` seconds is out of
    # rotation until it catches up; each is measured every `replica_check_interval` seconds.
    database_replica_urls: Annotated[tuple[str, ...], NoDecode] = ()
    replica_max_lag: float = Field(default=10.0, gt=0, le=3600)
    replica_check_interval: float = Field(default=1.0, gt=0, le=60)
    admin_token: SecretStr | None = None
    admin_token_path: Path = Path("var/admin-token")
    signing_key_path: Path = Path("var/registry-signing-key.pem")
    # The newest signed checkpoint, kept outside the database by the worker: `serve` and `worker` refuse to
    # start on a log shorter than it (LOG_SHRANK, ecolabel_registry.log.shrinkage), e.g. after a failover.
    # Default: `latest-checkpoint` beside the signing key (see `checkpoint_record`).
    checkpoint_record_path: Path | None = None
    log_origin: str = "ecolabel-registry.localhost/log"
    # The registry's public https URL: the host (and path) of its did:web DIDs and the base of the links
    # it signs into documents (status lists). Unset, https://<the log origin's host>.
    public_url: str | None = None
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_json_depth: int = Field(default=64, ge=4, le=512)
    max_batch_items: int = Field(default=1000, ge=1, le=10_000)
    max_batch_body_bytes: int = Field(default=16 * 1_048_576, ge=1024)
    # Longest single JSON string in a request body, in characters. A credential JWS is a few KiB; the cap
    # stops one field from holding a body-sized value that every later step would copy and hash.
    max_string_chars: int = Field(default=262_144, ge=256)
    # Token buckets, enforced per process: N processes together allow up to N times these.
    # A rate of 0 switches that limit off. Clients are keyed by their Authorization header, else their IP.
    rate_limit_client_per_second: float = Field(default=1000.0, ge=0)
    rate_limit_client_burst: int = Field(default=2000, ge=1)
    # Credentials per second per issuing programme, across POST /v1/certificates and the batch endpoint.
    rate_limit_programme_per_second: float = Field(default=5000.0, ge=0)
    rate_limit_programme_burst: int = Field(default=20_000, ge=1)
    # `json` for one JSON object per line (production), `text` for people reading a terminal.
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Supply chain: the deepest upstream query, and what an audit counts as a low-risk supplier
    # (see ecolabel_registry.supply.risk; China's green supply-chain index leaves the definition to the evaluator).
    supply_max_depth: int = Field(default=32, ge=1, le=256)
    supply_low_risk_schemes: tuple[IdentifierScheme, ...] = (
        IdentifierScheme.LEI,
        IdentifierScheme.USCC,
        IdentifierScheme.GLN,
        IdentifierScheme.DUNS,
        IdentifierScheme.VAT,
    )
    supply_low_risk_requires_certificate: bool = True
    supply_low_risk_requires_confirmed_links: bool = True
    supply_low_risk_min_days_valid: int = Field(default=0, ge=0, le=3650)
    webhook_allow_private: bool = False  # allow callbacks to loopback/private addresses (tests, closed networks)
    webhook_max_attempts: int = Field(default=10, ge=1, le=100)
    webhook_backoff_base_s: float = Field(default=2.0, gt=0)
    webhook_backoff_max_s: float = Field(default=3600.0, gt=0)
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=120)
    webhook_lease_s: float = Field(default=60.0, gt=0)
    # Active subscriptions one owner (an organisation, a subscriber, the operator) may hold at once.
    webhook_max_subscriptions_per_owner: int = Field(default=100, ge=1, le=100_000)
    # Catalogue checks (POST /v1/verify/eligibility, the console's upload) judged at once per process;
    # more wait before their bodies are read. They are CPU-bound: one at a time is the fastest (bulkhead.py).
    catalogue_check_concurrency: int = Field(default=1, ge=1, le=64)
    # Group commit (ecolabel_registry.certificates.sequencer): single certificate submissions and status
    # events waiting in this process are logged together, one transaction and one checkpoint per group,
    # each answered after the commit. A group holds at most `group_commit_max_items`; when fewer are
    # waiting, the sequencer waits up to `group_commit_max_wait_ms` for more. 0 items: off (each
    # request commits on its own, as batches always do).
    group_commit_max_items: int = Field(default=256, ge=0, le=10_000)
    group_commit_max_wait_ms: float = Field(default=0.0, ge=0, le=100)
    # Longest chain of agreements (all allowing onward recognition) an equivalence answer may follow.
    recognition_max_depth: int = Field(default=3, ge=1, le=10)
    # Witnesses (C2SP tlog-witness) the worker submits each new checkpoint to: `<vkey> <url>` entries
    # separated by `;` or newlines. Published at /.well-known/ecolabel-registry.
    witnesses: Annotated[tuple[WitnessEndpoint, ...], NoDecode] = ()
    witness_timeout_s: float = Field(default=10.0, gt=0, le=120)
    # The check of the tables against a replay of the log (`ecolabel-registry fsck`): each API process runs
    # it at start and then every this many seconds (0: never; the operator runs `fsck` instead). It replays
    # only new leaves into the replica, a SQLite file kept at `fsck_replica_path` (shared by the processes
    # of one machine, one at a time), then compares every table (docs/DEPLOYMENT.md).
    fsck_interval_s: float = Field(default=300.0, ge=0)
    fsck_replica_path: Path = Path("var/fsck-replica.sqlite3")
    # Bulk downloads of public data (docs/FORMATS.md, "Bulk downloads"): when set, the worker writes a
    # full dump here every `dump_interval_s` and the API serves the directory at /v1/dumps.
    dump_directory: Path | None = None
    dump_interval_s: float = Field(default=86_400.0, ge=60)

    @field_validator("witnesses", mode="before")
    @classmethod
    def _parse_witnesses(cls, value: Any) -> Any:
        return WitnessEndpoint.parse_list(value) if isinstance(value, str) else value

    @field_validator("database_replica_urls", mode="before")
    @classmethod
    def _parse_replica_urls(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = tuple(url for url in re.split(r"[,\s]+", value) if url)
        for url in value:
            if not str(url).startswith("postgresql"):
                raise ValueError("each replica URL is a PostgreSQL URL, e.g. postgresql+psycopg://user@host:5433/db")
        return value

    @field_validator("log_origin")
    @classmethod
    def _origin_is_a_note_key_name(cls, value: str) -> str:
        # C2SP tlog-checkpoint: the origin is also the signed-note key name, so it may hold no
        # whitespace and no '+', and it should be a schema-less URL.
        if not value or any(ch.isspace() or ch == "+" for ch in value) or "://" in value:
            raise ValueError("log_origin must be a schema-less URL without spaces or '+', e.g. example.org/log")
        return value

    @property
    def public_base_url(self) -> str:
        """`public_url` without a trailing slash, or https://<host of the log origin>."""
        return (self.public_url or f"https://{self.log_origin.split('/', 1)[0]}").rstrip("/")

    @model_validator(mode="after")
    def _production_refuses_weak_secrets(self) -> Self:
        if self.mode is Mode.PRODUCTION:
            token = self.admin_token.get_secret_value() if self.admin_token else ""
            if not token:
                raise ValueError("ECOLABEL_ADMIN_TOKEN is required in production mode")
            if token.lower() in _PLACEHOLDER_SECRETS or len(token) < _MIN_PRODUCTION_TOKEN_LENGTH:
                raise ValueError(
                    f"ECOLABEL_ADMIN_TOKEN must be a random value of at least {_MIN_PRODUCTION_TOKEN_LENGTH} characters"
                )
        return self

    @property
    def checkpoint_record(self) -> Path:
        """Where the worker keeps the newest signed checkpoint: beside the key that signs it, by default."""
        return self.checkpoint_record_path or self.signing_key_path.with_name("latest-checkpoint")

    def resolved_admin_token(self) -> SecretStr:
        """The admin token; in development, one is generated once, saved (mode 0600) and printed."""
        if self.admin_token is not None:
            return self.admin_token
        if self.mode is Mode.PRODUCTION:  # unreachable after validation, kept as a guard
            raise RuntimeError("production mode requires ECOLABEL_ADMIN_TOKEN")
        path = self.admin_token_path
        if path.exists():
            return SecretStr(path.read_text(encoding="ascii").strip())
        token = secrets.token_urlsafe(32)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=False)
        path.write_text(token + "\n", encoding="ascii")
        print(
            f"Development admin token (saved to {path}; printed only this once): {token}",
            file=sys.stderr,
        )
        return SecretStr(token)
