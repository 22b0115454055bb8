"""Kafka → Temporal for wishes: WishClaimed starts the claim's timer; a fulfilment or a release ends it early.

Idempotent without a database: the workflow id is the claim's, a second start is refused, an ended one ignored."""
from __future__ import annotations

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from libs.events.wishes import WishClaimed, WishFulfilled, WishReturnedToWall
from libs.messaging import Handlers
from libs.observability import get_logger
from workflows.wish_claims.shared import ClaimTimerInput, workflow_id
from workflows.wish_claims.workflows import WishClaimWorkflow

log = get_logger(__name__)


class WishClaimBridge:
    def __init__(self, client: Client, *, task_queue: str) -> None:
        self.client = client
        self.task_queue = task_queue

    def handlers(self) -> Handlers:
        return {WishClaimed: self.start_timer, WishFulfilled: self.end_timer, WishReturnedToWall: self.end_timer}

    async def start_timer(self, event: WishClaimed) -> None:
        claim = ClaimTimerInput(
            wish_id=event.wish_id, community_id=event.community_id, claim_id=event.claim_id,
            expires_at=event.expires_at.isoformat(),
        )
        try:
            await self.client.start_workflow(
                WishClaimWorkflow.run, claim, id=workflow_id(event.claim_id), task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
            log.info("wish_claim_timer_started", wish_id=event.wish_id, claim_id=event.claim_id)
        except WorkflowAlreadyStartedError:
            log.info("wish_claim_timer_already_started", claim_id=event.claim_id)

    async def end_timer(self, event: WishFulfilled | WishReturnedToWall) -> None:
        try:
            await self.client.get_workflow_handle(workflow_id(event.claim_id)).signal(
                WishClaimWorkflow.claim_ended, str(event.event_id)
            )
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            log.info("wish_claim_timer_not_running", claim_id=event.claim_id)  # it fired already, or never started
