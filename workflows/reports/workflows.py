"""Workflows started by Temporal Schedules; each names its period from the schedule's fire time (Beijing)."""
from __future__ import annotations

from datetime import timedelta, timezone

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.reports.activities import ReportActivities

BEIJING = timezone(timedelta(hours=8))
RETRY = RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=5), maximum_attempts=20)


@workflow.defn
class OverdueDigestWorkflow:
    """每日督办清单: the escalated, still open tickets of every community and department, as of this morning."""

    @workflow.run
    async def run(self) -> int:
        day = workflow.now().astimezone(BEIJING).date().isoformat()
        return await workflow.execute_activity_method(
            ReportActivities.publish_overdue_digest, day, start_to_close_timeout=timedelta(minutes=2), retry_policy=RETRY
        )


@workflow.defn
class RankingSnapshotWorkflow:
    """月度排名: the previous month's rankings by the three rates, frozen on the 1st."""

    @workflow.run
    async def run(self) -> int:
        first_of_month = workflow.now().astimezone(BEIJING).date().replace(day=1)
        month = (first_of_month - timedelta(days=1)).strftime("%Y-%m")
        return await workflow.execute_activity_method(
            ReportActivities.publish_ranking_snapshot, month, start_to_close_timeout=timedelta(minutes=2), retry_policy=RETRY
        )
