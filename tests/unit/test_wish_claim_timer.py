"""The claim timer's pieces without a server: one workflow per claim, a retry-safe expiry event, the bridge's map."""
from __future__ import annotations

from libs.events import decode_event, encode_event
from libs.events.wishes import WishClaimed, WishFulfilled, WishReturnedToWall
from workflows.wish_claims.activities import claim_expired_event
from workflows.wish_claims.bridge import WishClaimBridge
from workflows.wish_claims.shared import ClaimTimerInput, workflow_id


def test_a_retried_expiry_publishes_the_same_event_and_it_travels_the_wishes_topic() -> None:
    claim = ClaimTimerInput(wish_id="T1", community_id="xinran", claim_id="c-1", expires_at="2026-11-27T10:00:00+00:00")
    first, again = claim_expired_event(claim), claim_expired_event(claim)
    assert first.event_id == again.event_id and first.topic == "wishes" and first.key == "T1"
    assert decode_event(encode_event(first)) == first
    other = claim_expired_event(ClaimTimerInput(**{**claim.__dict__, "claim_id": "c-2"}))
    assert other.event_id != first.event_id


def test_the_bridge_starts_a_timer_per_claim_and_ends_it_on_fulfilment_or_return() -> None:
    handlers = WishClaimBridge(client=None, task_queue="q").handlers()  # type: ignore[arg-type]
    assert set(handlers) == {WishClaimed, WishFulfilled, WishReturnedToWall}
    assert workflow_id("c-1") == "wish-claim-c-1" != workflow_id("c-2")
