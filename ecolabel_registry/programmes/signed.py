"""Opening a document a programme signed: the one sequence every signed write path follows.

Verify the JWS with the key the issuer and kid name, parse the payload, check that the issuer is the
programme the request is about, and check that the key may sign at this log time. Verification errors
become registry errors here, at the boundary where they enter.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Connection

from ecolabel_registry.errors import WrongProgramme
from ecolabel_registry.programmes import keys
from ecolabel_registry.rejections import refuse
from verification.documents import IssuedPayload, SignedDocument, open_document
from verification.errors import VerificationError
from verification.keys import require_key_valid_at

P = TypeVar("P", bound=IssuedPayload)


def open_signed(
    connection: Connection, token: str, model: type[P], typ: str, *, programme_id: str | None, logged_us: int
) -> SignedDocument[P]:
    """The verified document; `programme_id` (when given) must be its issuer."""
    try:
        document = open_document(token, model, typ, lambda p, kid: keys.load(connection, [(p, kid)]).get((p, kid)))
        if programme_id is not None and document.payload.programme_id != programme_id:
            raise WrongProgramme(
                f"this document is issued by {document.payload.programme_id!r}, not {programme_id!r}",
                code="WRONG_PROGRAMME",
            )
        require_key_valid_at(document.key, logged_us)
    except VerificationError as exc:
        raise refuse(exc) from exc
    return document
