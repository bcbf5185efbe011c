"""Is a certificate (or a programme's category) acceptable where other labels are required, on a date?

A pure function of plain values, the same for the registry and for a buyer offline:

    resolution = resolve(
        Presented("jea", "No.118", "2.1", status=CertificateStatus.ACTIVE),
        accepted={("cec", "HJ 2536")},
        agreements=[record, ...],           # verification.agreements.AgreementRecord
        at=datetime(2025, 1, 1, tzinfo=UTC),
    )

The answer is one of

* **accepted** directly: the presented programme and category are among the accepted ones;
* **accepted through agreements** in force at `at` (`verification.agreements`), with the path taken
  (each hop an agreement and one of its scope mappings) and the conditions still to meet: the
  supplementary criteria of `common_core` hops and a note for each `proxy_assessment` hop;
* **not accepted**, with reason codes (`ReasonCode`).

Rules (DESIGN "Mutual recognition"):

* A certificate that is not active at `at`, or whose signing key no longer vouches for it, is not
  accepted whatever the agreements say.
* A hop follows a scope mapping of an agreement in force for the mapping's recognising party (a party
  suspends or terminates only its own recognition), whose `from` is the current programme and category,
  whose criteria versions meet the current ones (`VersionRange.overlaps`; at the start, the
  certificate's own version), and whose direction the agreement recognises. After the hop, the
  certificate counts as the mapping's `to` category within its `to` version range.
* Recognition is **not transitive**: a path of two or more hops is allowed only when every agreement on
  it says `onwardRecognition: true`, and it is at most `max_depth` hops long.
* The path chosen is the **shortest**; among equally short paths, they are compared hop by hop: the
  stronger form first (full, then common_core, then proxy_assessment), then the smaller agreement id,
  then the mapping's position in that agreement's scope. So the answer never depends on the order in
  which agreements are given, and a cycle of agreements cannot loop (each position is expanded once).
* Adding an agreement can only add paths, so it never turns an acceptance into a refusal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from verification.agreements import AgreementRecord, Standing, recognizers_in_force, standing_on
from verification.payloads.agreement import AgreementType
from verification.recognition_paths import AgreementSet, Hop, edges_of, is_target, shortest_path
from verification.status import CertificateStatus

DEFAULT_MAX_DEPTH = 3


class Decision(StrEnum):
    ACCEPTED = "accepted"
    ACCEPTED_THROUGH_AGREEMENT = "accepted_through_agreement"
    NOT_ACCEPTED = "not_accepted"


class ReasonCode(StrEnum):
    NO_AGREEMENT = "NO_AGREEMENT"
    AGREEMENT_NOT_IN_FORCE = "AGREEMENT_NOT_IN_FORCE"
    CATEGORY_OUT_OF_SCOPE = "CATEGORY_OUT_OF_SCOPE"
    CRITERIA_VERSION_OUT_OF_RANGE = "CRITERIA_VERSION_OUT_OF_RANGE"
    CERTIFICATE_SUSPENDED = "CERTIFICATE_SUSPENDED"
    CERTIFICATE_EXPIRED = "CERTIFICATE_EXPIRED"
    CERTIFICATE_WITHDRAWN = "CERTIFICATE_WITHDRAWN"
    CERTIFICATE_NOT_YET_VALID = "CERTIFICATE_NOT_YET_VALID"
    SIGNING_KEY_REVOKED = "SIGNING_KEY_REVOKED"
    CREDENTIAL_INVALID = "CREDENTIAL_INVALID"


class ConditionKind(StrEnum):
    SUPPLEMENTARY_CRITERIA = "supplementary_criteria"
    PROXY_ASSESSMENT = "proxy_assessment"


_STATUS_REASONS = {
    CertificateStatus.SUSPENDED: ReasonCode.CERTIFICATE_SUSPENDED,
    CertificateStatus.EXPIRED: ReasonCode.CERTIFICATE_EXPIRED,
    CertificateStatus.WITHDRAWN: ReasonCode.CERTIFICATE_WITHDRAWN,
    CertificateStatus.NOT_YET_VALID: ReasonCode.CERTIFICATE_NOT_YET_VALID,
}


@dataclass(frozen=True)
class Presented:
    """What is presented: a certificate (with its status on the date) or a bare programme category.

    `category` None means any category of the programme, `criteria_version` None any version (a
    question about a programme or category rather than about one licence). `status` None means no
    certificate is involved, so there is no status to check.
    """

    programme: str
    category: str | None
    criteria_version: str | None = None
    status: CertificateStatus | None = None
    signing_key_valid: bool = True
    credential_valid: bool = True  # the stored credential is the certificate's and verifies (`verification.standing`)


@dataclass(frozen=True)
class Condition:
    kind: ConditionKind
    agreement_id: str
    programme: str  # the recognising programme whose requirement this is
    category: str
    criteria: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    detail: str
    agreement_id: str | None = None


@dataclass(frozen=True)
class Resolution:
    decision: Decision
    path: tuple[Hop, ...] = ()
    conditions: tuple[Condition, ...] = ()
    reasons: tuple[Reason, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.decision is not Decision.NOT_ACCEPTED


def resolve(
    presented: Presented,
    accepted: Iterable[tuple[str, str]],
    agreements: Iterable[AgreementRecord],
    *,
    at: datetime,
    known_at_us: int | None = None,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Resolution:
    """Decide, explain and, when accepted through agreements, give the path and its conditions."""
    if max_depth < 1:
        raise ValueError("max_depth must be at least 1")
    wanted = frozenset(accepted)
    prepared = agreements if isinstance(agreements, AgreementSet) and known_at_us is None else None
    if prepared is not None:
        records: Sequence[AgreementRecord] = prepared.records
    else:
        known = {r.id: r for r in agreements if known_at_us is None or r.logged_us <= known_at_us}
        records = [known[key] for key in sorted(known)]
    blocking = _certificate_reasons(presented)
    if blocking:
        return Resolution(Decision.NOT_ACCEPTED, reasons=blocking)
    if is_target(presented.programme, presented.category, wanted):
        return Resolution(Decision.ACCEPTED)
    programme, category, version = presented.programme, presented.category, presented.criteria_version
    if prepared is not None:
        path = prepared.edges_at(at).remembered_path(programme, category, version, wanted, max_depth)
    else:
        edges = edges_of([(r, recognizers_in_force(r, at=at, known_at_us=known_at_us)) for r in records])
        path = shortest_path(programme, category, version, wanted, edges=edges, max_depth=max_depth)
    if path is not None:
        return Resolution(Decision.ACCEPTED_THROUGH_AGREEMENT, path=path, conditions=_conditions(path))
    return Resolution(Decision.NOT_ACCEPTED, reasons=_diagnose(presented, wanted, records, at, known_at_us))


def _certificate_reasons(presented: Presented) -> tuple[Reason, ...]:
    reasons: list[Reason] = []
    if presented.status is not None and presented.status in _STATUS_REASONS:
        reasons.append(Reason(_STATUS_REASONS[presented.status], f"the certificate is {presented.status} on that date"))
    if not presented.signing_key_valid:
        reasons.append(
            Reason(ReasonCode.SIGNING_KEY_REVOKED, "the key that signed the certificate was revoked as compromised")
        )
    if not presented.credential_valid:
        reasons.append(
            Reason(ReasonCode.CREDENTIAL_INVALID, "the stored credential is not the certificate's or does not verify")
        )
    return tuple(reasons)


def _conditions(path: tuple[Hop, ...]) -> tuple[Condition, ...]:
    conditions: list[Condition] = []
    for hop in path:
        agreement, to, source = hop.agreement, hop.mapping.to, hop.mapping.from_
        if agreement.agreement_type is AgreementType.COMMON_CORE:
            criteria = tuple(
                item.criterion
                for item in agreement.supplementary_criteria
                if item.programme == to.programme and item.category in (None, to.category)
            )
            note = (
                f"recognised for the common core criteria only: {to.programme} still requires its "
                f"supplementary criteria for {to.category}"
                if criteria
                else f"recognised for the common core criteria only; {to.programme} lists no supplementary criteria"
            )
            kind = ConditionKind.SUPPLEMENTARY_CRITERIA
            conditions.append(Condition(kind, hop.agreement_id, to.programme, to.category, criteria, note))
        elif agreement.agreement_type is AgreementType.PROXY_ASSESSMENT:
            note = agreement.proxy_note or (
                f"{source.programme} assesses on behalf of {to.programme} (proxy assessment): the product still "
                f"needs {to.programme}'s own licence for {to.category}, issued on the basis of that assessment"
            )
            kind = ConditionKind.PROXY_ASSESSMENT
            conditions.append(Condition(kind, hop.agreement_id, to.programme, to.category, note=note))
    return tuple(conditions)


def _diagnose(
    presented: Presented,
    wanted: frozenset[tuple[str, str]],
    records: Sequence[AgreementRecord],
    at: datetime,
    known_at_us: int | None,
) -> tuple[Reason, ...]:
    """Why no path was found, judged on the single hops that could have led to an accepted category."""
    programme, category = presented.programme, presented.category
    reasons: list[Reason] = []
    own = sorted(c for p, c in wanted if p == programme)
    if own and category is not None:
        reasons.append(
            Reason(
                ReasonCode.CATEGORY_OUT_OF_SCOPE,
                f"{programme} is accepted only for {', '.join(own)}, and this is {category}",
            )
        )
    recognizers = {p for p, _ in wanted if p != programme}
    relevant = [r for r in records if any(r.agreement.recognizes(p, programme) for p in recognizers)]
    for record in relevant:
        recognizer = min(p for p in recognizers if record.agreement.recognizes(p, programme))
        reasons.append(_hop_reason(record, presented, wanted, at, known_at_us, recognizer=recognizer))
    if not relevant and not own:
        reasons.append(Reason(ReasonCode.NO_AGREEMENT, _no_agreement_detail(programme, recognizers, records)))
    return tuple(reasons)


def _hop_reason(
    record: AgreementRecord,
    presented: Presented,
    wanted: frozenset[tuple[str, str]],
    at: datetime,
    known_at_us: int | None,
    *,
    recognizer: str,
) -> Reason:
    agreement, name = record.agreement, record.agreement.title or record.id
    answer = standing_on(record, at=at, known_at_us=known_at_us, recognizer=recognizer)
    if not answer.in_force:
        detail = f"agreement {name!r} is {answer.standing.value.replace('_', ' ')} on {at.isoformat()}"
        if answer.standing in (Standing.SUSPENDED, Standing.TERMINATED) and len(record.recognizers) > 1:
            detail += f" for {recognizer}'s recognition"
        if answer.missing_signatures:
            detail += f" (not yet signed by {', '.join(answer.missing_signatures)})"
        return Reason(ReasonCode.AGREEMENT_NOT_IN_FORCE, detail, record.id)
    toward = [
        m
        for m in agreement.scope
        if m.from_.programme == presented.programme
        and (m.to.programme, m.to.category) in wanted
        and agreement.recognizes(m.to.programme, m.from_.programme)
    ]
    matching = [m for m in toward if presented.category in (None, m.from_.category)]
    if not matching:
        covered = sorted({m.from_.category for m in toward})
        scope = ", ".join(covered) if covered else "none of its categories"
        return Reason(
            ReasonCode.CATEGORY_OUT_OF_SCOPE,
            f"agreement {name!r} maps {scope} of {presented.programme} to the accepted categories, "
            f"not {presented.category}",
            record.id,
        )
    ranges = "; ".join(str(m.from_.criteria_versions.range) for m in matching)
    return Reason(
        ReasonCode.CRITERIA_VERSION_OUT_OF_RANGE,
        f"agreement {name!r} covers {ranges}, not criteria version {presented.criteria_version}",
        record.id,
    )


def _no_agreement_detail(programme: str, recognizers: set[str], records: Sequence[AgreementRecord]) -> str:
    accepted = ", ".join(sorted(recognizers)) or "no other programme"
    detail = f"no agreement in which {accepted} recognises {programme}"
    elsewhere = sorted(
        {p for r in records for p in r.agreement.parties if p != programme and r.agreement.recognizes(p, programme)}
    )
    if elsewhere:
        detail += (
            f"; {programme} is recognised by {', '.join(elsewhere)}, but recognition is passed on only "
            "through agreements that all allow onward recognition"
        )
    return detail
