"""The claim workflow's way out to Kafka: WishClaimExpired with an id that depends only on the claim (retry-safe)."""
from __future__ import annotations

from aiokafka import AIOKafkaProducer
from temporalio import activity

from libs.events import Actor, deterministic_event_id
from libs.events.wishes import WishClaimExpired
from libs.messaging import publish
from libs.observability import get_logger
from workflows.wish_claims.shared import ClaimTimerInput

log = get_logger(__name__)
SERVICE = "workflows"


def claim_expired_event(claim: ClaimTimerInput) -> WishClaimExpired:
    return WishClaimExpired(
        event_id=deterministic_event_id(claim.wish_id, "claim_expired", claim.claim_id),
        wish_id=claim.wish_id, community_id=claim.community_id, claim_id=claim.claim_id,
        actor=Actor(role="system", id=SERVICE),
    )


class ClaimActivities:
    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer

    @activity.defn(name="publish_claim_expired")
    async def publish_claim_expired(self, claim: ClaimTimerInput) -> str:
        event = claim_expired_event(claim)
        await publish(self.producer, event, service=SERVICE)
        log.info("wish_claim_expired_published", wish_id=claim.wish_id, claim_id=claim.claim_id)
        return str(event.event_id)
