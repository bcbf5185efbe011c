"""One paragraph that says what was decided and why: what a buyer reads and archives with the answer."""

from __future__ import annotations

from datetime import datetime

from verification.leaf import format_log_time, to_microseconds
from verification.recognition import Decision, Presented, Resolution


def describe(presented: Presented) -> str:
    what = presented.programme if presented.category is None else f"{presented.programme} {presented.category}"
    if presented.criteria_version is not None:
        what += f" (criteria version {presented.criteria_version})"
    return ("a certificate of " if presented.status is not None else "") + what


def explain(
    presented: Presented, accepted: list[str], resolution: Resolution, at: datetime, *, at_us: int | None = None
) -> str:
    """`at_us`: `at` in microseconds, when the caller has them (an answer "as of now")."""
    subject, when = describe(presented), format_log_time(to_microseconds(at) if at_us is None else at_us)
    target = ", ".join(accepted) or "nothing"
    if resolution.decision is Decision.ACCEPTED:
        return f"On {when}, {subject} is accepted directly: the requirement accepts {target}."
    if resolution.decision is Decision.ACCEPTED_THROUGH_AGREEMENT:
        hops = "; then ".join(
            f"{hop.mapping.to.programme} recognises {hop.mapping.from_.programme} {hop.mapping.from_.category} "
            f"as {hop.mapping.to.category} under {hop.agreement.title or hop.agreement_id} "
            f"({hop.agreement.agreement_type.value}; {hop.agreement.announcement})"
            for hop in resolution.path
        )
        text = f"On {when}, {subject} is accepted for {target} through agreements in force: {hops}."
        if resolution.conditions:
            text += " Still to check: " + " ".join(
                condition.note + (f" ({'; '.join(condition.criteria)})" if condition.criteria else "") + "."
                for condition in resolution.conditions
            )
        return text
    reasons = " ".join(f"{reason.code.value}: {reason.detail}." for reason in resolution.reasons)
    return f"On {when}, {subject} is not accepted for {target}. {reasons}"
