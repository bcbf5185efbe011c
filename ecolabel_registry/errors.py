"""Domain errors raised by services; `ecolabel_registry.api.problems` maps each to one HTTP problem type.

Services never raise HTTP exceptions: they raise these, and one table turns them into RFC 9457 documents.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ConfigurationError(RuntimeError):
    """The registry cannot start with this configuration (not an HTTP error)."""


class RegistryError(Exception):
    """Base of every error a request can end with. `slug` names the problem type (stable)."""

    slug: ClassVar[str] = "internal-error"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class BadRequest(RegistryError):
    slug = "bad-request"
    status = 400
    title = "The request is malformed"


class MalformedJSON(RegistryError):
    slug = "malformed-json"
    status = 400
    title = "The request body is not acceptable JSON"


class ValidationFailed(RegistryError):
    slug = "validation-failed"
    status = 422
    title = "The request does not match the schema"


class Unauthorized(RegistryError):
    slug = "unauthorized"
    status = 401
    title = "Credentials are missing or wrong"


class Forbidden(RegistryError):
    slug = "forbidden"
    status = 403
    title = "These credentials may not do this"


class NotFound(RegistryError):
    slug = "not-found"
    status = 404
    title = "No such resource"


class MethodNotAllowed(RegistryError):
    slug = "method-not-allowed"
    status = 405
    title = "Method not allowed on this resource"


class Conflict(RegistryError):
    slug = "conflict"
    status = 409
    title = "The request conflicts with what the registry holds"


class QuotaExceeded(RegistryError):
    slug = "quota-exceeded"
    status = 409
    title = "The caller already holds as many of these as it may"


class PayloadTooLarge(RegistryError):
    slug = "payload-too-large"
    status = 413
    title = "The request body is larger than the registry accepts"


class UnsupportedMediaType(RegistryError):
    slug = "unsupported-media-type"
    status = 415
    title = "The request body must be application/json"


class RateLimited(RegistryError):
    """Answered with a `Retry-After` header (seconds): `problem_response` copies the `retry_after` extension."""

    slug = "rate-limited"
    status = 429
    title = "Too many requests; retry after the time given in Retry-After"


class DatabaseUnavailable(RegistryError):
    slug = "database-unavailable"
    status = 503
    title = "The database cannot be reached"


class IntegrityDiverged(RegistryError):
    """The registry's tables differ from a replay of its log (`ecolabel-registry fsck`): it signs nothing
    and reports itself degraded until the operator repairs the tables and a clean `fsck` clears it."""

    slug = "integrity-divergence"
    status = 503
    title = "The registry's tables differ from its log"


class LogIntegrityError(RegistryError):
    slug = "log-integrity"
    status = 500
    title = "The transparency log failed its own integrity check"


class InternalError(RegistryError):
    """Anything unexpected: the problem document never carries the cause, the server log does."""


class DocumentInvalid(RegistryError):
    slug = "document-invalid"
    status = 422
    title = "The signed document is malformed or breaks its profile"


class SignatureInvalid(RegistryError):
    slug = "signature-invalid"
    status = 422
    title = "The signature does not verify"


class AlgorithmRefused(RegistryError):
    slug = "algorithm-refused"
    status = 422
    title = "The JWS algorithm or header is refused"


class UnknownSigningKey(RegistryError):
    slug = "unknown-signing-key"
    status = 422
    title = "The document names a programme or key the registry does not know"


class SigningKeyNotValid(RegistryError):
    slug = "signing-key-not-valid"
    status = 403
    title = "The signing key is retired or revoked for documents logged now"


class SignerNotPermitted(RegistryError):
    slug = "signer-not-permitted"
    status = 403
    title = "The signer's role does not permit this action"


class HistoryConflict(RegistryError):
    slug = "history-conflict"
    status = 409
    title = "The event does not extend the recorded history (replayed, reordered or forked)"


class WrongProgramme(RegistryError):
    slug = "wrong-programme"
    status = 403
    title = "A programme may only issue or change its own documents"


class NotAParty(RegistryError):
    slug = "not-a-party"
    status = 403
    title = "Only a party to the agreement may sign it or change it"


class UnknownAgreementParty(RegistryError):
    slug = "unknown-agreement-party"
    status = 422
    title = "The agreement names a programme the registry does not know"


class UnknownCategory(RegistryError):
    slug = "unknown-category"
    status = 422
    title = "The programme has not defined this category and criteria version"


class UnknownParty(RegistryError):
    slug = "unknown-party"
    status = 422
    title = "The document names an organisation, facility or product the registry does not know"
