"""The workflow's patch markers: every change to TicketWorkflow that alters its commands is named here, with what it
changed, so tickets started before it replay as recorded (tests/workflows/README.md)."""
from __future__ import annotations

from datetime import datetime, timezone

# Commit a7e32ef (2026-11-26) changed two things without a patch marker: deadline notices are published through a
# local activity instead of an activity (different commands), and waits over REARM_AFTER_S stop early and re-arm
# (the same commands, except that the loop now checks for continue-as-new between the early stop and the alarm).
# Runs of this code carry the A7E32EF_PATCH marker; unmarked runs are told apart by their start time. That is a
# one-off for that one unmarked change: the histories re-recorded with it started at 14:47:12Z, before the commit
# itself (14:53:16Z), so the line is its parent commit (c412786, 14:39:21Z); the histories of the activity era end
# at 14:13:41Z. A ticket started after the line by a worker that still ran older code would not replay; none is
# known to be open. Every later change goes behind workflow.patched() alone.
A7E32EF_PATCH = "a7e32ef-local-activity-publish-and-rearm"
# Issue 9: every stage start and every moved deadline is published as StageDeadlineSet (more publish commands), so
# lists show due times the workflow counts. Runs without the marker (started before) publish none, as recorded.
DEADLINE_EVENTS_PATCH = "stage-deadline-set-events"
UNMARKED_A7E32EF_SINCE = datetime(2026, 11, 26, 14, 39, 21, tzinfo=timezone.utc)
# Issue 11: the rating window passing no longer closes the ticket: the workflow publishes CallbackRequested and runs a
# `callback` stage (回访, warned and escalated like any stage) until the call's outcome closes or reopens the ticket.
CALLBACK_PATCH = "rating-expiry-callback-stage"
# Issue 11, 吹哨报到: a second failed rating (联席办) no longer sends the ticket back on a `dispatch` clock of the
# `joint_on_site` span with an immediate level-2 escalation of `joint_handling`; it starts a `joint_handling` clock of
# that span (the community must 吹哨报到, warned and escalated like any stage), which a dispatch or 即办 stops. The
# summons' own timers (check-in and co-task per department) run only on signals older runs never had.
SUMMONS_PATCH = "joint-handling-opens-a-summons"
# 分类调整: TicketRecategorized is signalled (with the new category's SLA per urgency, from the current policy) and
# the ticket lives by the new category's clocks: the stages to come, and the running dispatch clock, which keeps its
# start and the notices it sent but takes the new span (StageDeadlineSet when its deadline moves). Older runs never
# received the signal; should one arrive at them it changes nothing, as before.
RECATEGORIZE_PATCH = "recategorized-ticket-takes-the-new-category-sla"
