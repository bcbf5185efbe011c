"""Proposals that wait for approvals: key events above a root threshold, and widening agreement events.

A proposal is a logged, signed event that cannot take effect on its signer's word alone. Each approval
is a separately logged, signed document naming the proposal by the SHA-256 of its JWS bytes. The rules
of who must approve are in `verification.keys` and `verification.agreements`; this package only keeps
the proposals and approvals the registry has logged.
"""

from __future__ import annotations

from enum import StrEnum


class ProposalState(StrEnum):
    """What became of a submitted event: it took effect, or it waits for more approvals."""

    APPLIED = "applied"
    PENDING = "pending"
