"""WishClaimWorkflow: one durable timer per claim (揽梦 deadline); it ends early when the claim ends another way."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.wish_claims.activities import ClaimActivities
    from workflows.wish_claims.shared import ClaimTimerInput

RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))


@workflow.defn
class WishClaimWorkflow:
    def __init__(self) -> None:
        self.ended = False

    @workflow.run
    async def run(self, claim: ClaimTimerInput) -> str:
        """"expired" after publishing WishClaimExpired, "ended" when the claim was fulfilled or given up first."""
        remaining = datetime.fromisoformat(claim.expires_at) - workflow.now()
        try:
            await workflow.wait_condition(lambda: self.ended, timeout=max(remaining, timedelta(0)))
            return "ended"
        except asyncio.TimeoutError:
            pass
        await workflow.execute_activity_method(
            ClaimActivities.publish_claim_expired, claim, start_to_close_timeout=timedelta(seconds=30), retry_policy=RETRY,
        )
        return "expired"

    @workflow.signal
    def claim_ended(self, event_id: str) -> None:
        """The claim was fulfilled or released: nothing left to time (the wish service ignores a stale expiry anyway)."""
        self.ended = True
