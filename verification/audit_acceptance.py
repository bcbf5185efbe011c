"""Auditing an eligibility answer's acceptance: was the certificate's label accepted, as the log gives it?

The registry's eligibility check accepts a certificate directly (`verification.acceptance.LabelIndex`)
or, "or equivalent", through agreements in force on the date (`verification.recognition.resolve`). An
auditor replays the categories (for the crosswalk from a tender's procurement code, and the categories a
label without one stands for) and the agreements, their signatures and events from the log
(`verification.agreement_replay`), then asks the same functions the same question:

* claimed **direct**: a label the decision's requirement names (or its code's crosswalk gives) covers
  the programme, category and criteria version of the credential as logged;
* claimed **through agreements**: resolving with at most as many hops as the claimed path finds that
  same path (agreement and mapping, hop by hop) and the same conditions, and each agreement's leaf and
  event-chain head is the log's. The resolution chooses the shortest path and ranks ties, so a registry
  that allows longer paths finds this one too;
* claimed **not accepted**: no label covers it and no single-hop path exists (a registry may allow only
  one hop; its maximum depth is not part of the decision), with the same reason codes.

The markets the requirement lists must each be covered by the logged credential.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from verification.acceptance import Label, LabelIndex, accepted_pairs, labels_of
from verification.agreement_replay import AgreementReplay
from verification.agreements import AgreementRecord
from verification.documents import logged_payload
from verification.leaf import DocumentKind, LogEntry
from verification.payloads import CategoryDefinition, CategoryScope
from verification.payloads.certificate import EcoLabelCertificate
from verification.recognition import Presented, ReasonCode, Resolution, resolve

LABEL_NOT_ACCEPTED = "LABEL_NOT_ACCEPTED"
MARKET_NOT_COVERED = "MARKET_NOT_COVERED"
# The reasons an eligibility answer gives about labels (the others are about standing and markets).
LABEL_REASONS = frozenset({LABEL_NOT_ACCEPTED, *(code.value for code in ReasonCode)}) - {
    "CERTIFICATE_SUSPENDED",
    "CERTIFICATE_EXPIRED",
    "CERTIFICATE_WITHDRAWN",
    "CERTIFICATE_NOT_YET_VALID",
    "SIGNING_KEY_REVOKED",
    "CREDENTIAL_INVALID",
}
_AGREEMENT_KINDS = frozenset(
    {
        DocumentKind.AGREEMENT,
        DocumentKind.AGREEMENT_SIGNATURE,
        DocumentKind.AGREEMENT_EVENT,
        DocumentKind.AGREEMENT_EVENT_APPROVAL,
    }
)


class LabelLog:
    """The categories (with their crosswalk codes) and the agreements the log holds so far."""

    def __init__(self) -> None:
        self.agreements = AgreementReplay()
        self.categories: dict[str, set[str]] = defaultdict(set)
        self.crosswalk: dict[tuple[str, str], set[tuple[str, str, str]]] = defaultdict(set)

    def add(self, entry: LogEntry) -> None:
        if entry.document is None:
            return
        if entry.kind in _AGREEMENT_KINDS:
            self.agreements.add(entry)
        elif entry.kind is DocumentKind.CATEGORY:
            definition = logged_payload(entry.document, CategoryDefinition)
            key = (definition.programme_id, definition.code, definition.criteria.version)
            self.categories[definition.programme_id].add(definition.code)
            for scheme, values in (
                ("cpv", definition.crosswalk.cpv),
                ("cn_procurement", definition.crosswalk.cn_procurement),
            ):
                for value in values:
                    self.crosswalk[(scheme, value)].add(key)

    def labels(self, requirement: Mapping[str, Any]) -> tuple[Label, ...]:
        """The labels a decision's requirement accepts, its procurement codes crosswalked as the log gives."""
        named = [
            Label(str(a["programme"]), a.get("category"), a.get("criteria_version"))
            for a in requirement.get("accepted", [])
            if isinstance(a, dict)
        ]
        crosswalked: list[tuple[str, str, str]] = []
        if isinstance(requirement.get("cpv"), str):
            crosswalked += sorted(self.crosswalk.get(("cpv", requirement["cpv"][:8]), ()))
        if isinstance(requirement.get("cn_procurement"), str):
            crosswalked += sorted(self.crosswalk.get(("cn_procurement", requirement["cn_procurement"]), ()))
        return labels_of(named, crosswalked)

    def tender(self, requirement: Mapping[str, Any]) -> Tender:
        """What a decision's requirement asks, resolved once against the log as it stands now."""
        labels = self.labels(requirement)
        markets = tuple(m for m in requirement.get("markets") or () if isinstance(m, str))
        return Tender(
            LabelIndex(labels),
            accepted_pairs(labels, self.categories),
            equivalents=requirement.get("equivalents", True) is not False,
            markets=markets,
        )


@dataclass
class Tender:
    """A requirement's labels and recognition targets; the agreements each programme can use, read once."""

    index: LabelIndex
    pairs: frozenset[tuple[str, str]]
    equivalents: bool
    markets: tuple[str, ...]
    agreements: dict[str, list[AgreementRecord]] = field(default_factory=dict)

    def records(self, programme: str, replay: AgreementReplay) -> list[AgreementRecord]:
        if programme not in self.agreements:
            self.agreements[programme] = replay.records_relevant_to(programme)
        return self.agreements[programme]


@dataclass(frozen=True)
class Acceptance:
    """What the audit found: problems with the claim (empty when confirmed) and what the log gives."""

    problems: list[str]
    summary: str


def judge_acceptance(
    claimed: Mapping[str, Any],
    credential: EcoLabelCertificate,
    criteria_version: str,
    *,
    tender: Tender,
    at: datetime,
    log: LabelLog,
) -> Acceptance:
    """Re-judge one certificate of an eligibility result (`claimed`) against the log's credential."""
    subject = credential.credential_subject
    programme, category = credential.programme_id, subject.category.code
    problems = []
    logged = (programme, category, criteria_version)
    said = (claimed.get("programme"), claimed.get("category"), claimed.get("criteria_version"))
    if said != logged:
        problems.append(
            f"the log's credential is programme {programme}, category {category}, criteria version "
            f"{criteria_version}; the decision says {said[0]}, {said[1]}, {said[2]}"
        )
    reasons = [r for r in claimed.get("reasons") or () if isinstance(r, str)]
    uncovered = any(market not in subject.markets for market in tender.markets)
    if uncovered != (MARKET_NOT_COVERED in reasons):
        problems.append(f"by the log the credential {'does not cover' if uncovered else 'covers'} every market")

    via, path = claimed.get("accepted_via"), claimed.get("path") or []
    if tender.index.covers(programme, category, criteria_version):
        expected, summary, resolution = "direct", "accepted directly", None
    elif tender.equivalents:
        depth = len(path) if via == "equivalent" and isinstance(path, list) and path else 1
        records = tender.records(programme, log.agreements)
        presented = Presented(programme, category, criteria_version)
        resolution = resolve(presented, tender.pairs, records, at=at, max_depth=depth)
        if resolution.accepted:
            expected = "equivalent"
            summary = "accepted through agreement " + " then ".join(hop.agreement_id for hop in resolution.path)
        else:
            expected, summary = None, "not accepted (" + ", ".join(_codes(resolution)) + ")"
    else:
        expected, summary, resolution = None, f"not accepted ({LABEL_NOT_ACCEPTED})", None

    if via == "equivalent":
        problems += _head_problems(path, log.agreements)
    if via != expected:
        found = "not accepted" if expected is None and resolution is not None and resolution.reasons else summary
        problems.append(f"{_said(via)}, but by the log it is {found}{_details(resolution)}")
    elif expected == "equivalent" and resolution is not None:
        problems += _path_problems(path, claimed.get("conditions"), resolution)
    elif expected is None:
        label_reasons = sorted(r for r in set(reasons) if r in LABEL_REASONS)
        wanted = _codes(resolution) if resolution is not None else [LABEL_NOT_ACCEPTED]
        if label_reasons != wanted:
            problems.append(f"by the log it is not accepted for {wanted}, the decision says {label_reasons}")
    return Acceptance(problems, summary)


def _codes(resolution: Resolution) -> list[str]:
    # As the registry's answer: the resolution's reason codes, or LABEL_NOT_ACCEPTED when it gives none.
    return sorted({reason.code.value for reason in resolution.reasons}) or [LABEL_NOT_ACCEPTED]


def _said(via: Any) -> str:
    if via == "direct":
        return "the decision says accepted directly"
    if via == "equivalent":
        return "the decision says accepted through an agreement"
    return "the decision says not accepted"


def _details(resolution: Resolution | None) -> str:
    if resolution is None or not resolution.reasons:
        return ""
    return ": " + "; ".join(f"{reason.code.value} ({reason.detail})" for reason in resolution.reasons)


def _path_problems(path: Sequence[Any], conditions: Any, resolution: Resolution) -> list[str]:
    problems = []
    expected = [(hop.agreement_id, *_ends(hop.mapping.from_), *_ends(hop.mapping.to)) for hop in resolution.path]
    said = [_hop_key(hop) for hop in path]
    if said != expected:
        problems.append(f"the decision's path is {said}, the log gives {expected}")
    notes = [condition.note for condition in resolution.conditions]
    if conditions != notes:
        problems.append(f"the decision's conditions are {conditions}, the log gives {notes}")
    return problems


def _ends(scope: CategoryScope) -> tuple[str, str]:
    return scope.programme, scope.category


def _head_problems(path: Sequence[Any], agreements: AgreementReplay) -> list[str]:
    """Each agreement the decision relied on must be the log's: its leaf and the head of its event chain."""
    problems = []
    for hop in path:
        if not isinstance(hop, dict) or ("event_head" not in hop and "agreement_leaf_index" not in hop):
            continue  # a decision from before hops named their agreement's heads: its path is still judged
        agreement_id = str(hop.get("agreement"))
        head = agreements.head(agreement_id)
        if head is None:
            problems.append(f"agreement {agreement_id} is not in the log at the decision's checkpoint")
            continue
        relied = {"leaf_index": hop.get("agreement_leaf_index"), "event_head": hop.get("event_head")}
        if relied != {"leaf_index": head["leaf_index"], "event_head": head["event_head"]}:
            actual, stated = head["event_head"], hop.get("event_head") or {}
            problems.append(
                f"agreement {agreement_id}'s event chain's head is sequence {actual['sequence']} at leaf "
                f"{actual['leaf_index']} (agreement at leaf {head['leaf_index']}), the decision relied on "
                f"sequence {stated.get('sequence')} at leaf {stated.get('leaf_index')} "
                f"(agreement at leaf {hop.get('agreement_leaf_index')})"
            )
    return problems


def _hop_key(hop: Any) -> tuple[Any, ...]:
    if not isinstance(hop, dict):
        return (hop,)
    source, target = hop.get("from") or {}, hop.get("to") or {}
    ends = (source.get("programme"), source.get("category"), target.get("programme"), target.get("category"))
    return (hop.get("agreement"), *ends)
