"""What the claim workflow receives: plain dataclasses, serialisable by Temporal's default converter."""
from __future__ import annotations

from dataclasses import dataclass



@dataclass(frozen=True)
class ClaimTimerInput:
    wish_id: str
    community_id: str
    claim_id: str
    expires_at: str  # ISO 8601 with offset


def workflow_id(claim_id: str) -> str:
    """One workflow per claim: a redelivered WishClaimed cannot start a second timer."""
    return f"wish-claim-{claim_id}"
