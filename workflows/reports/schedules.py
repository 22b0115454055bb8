"""The two Temporal Schedules, created once (idempotent): daily digest at 08:00, monthly ranking on the 1st at 01:00."""
from __future__ import annotations

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)

from libs.observability import get_logger
from workflows.reports.workflows import OverdueDigestWorkflow, RankingSnapshotWorkflow

log = get_logger(__name__)

DIGEST_SCHEDULE_ID = "whistle-daily-overdue-digest"
RANKING_SCHEDULE_ID = "whistle-monthly-ranking"


def report_schedules(task_queue: str) -> dict[str, Schedule]:
    policy = SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP)
    return {
        DIGEST_SCHEDULE_ID: Schedule(
            action=ScheduleActionStartWorkflow(OverdueDigestWorkflow.run, id="daily-overdue-digest", task_queue=task_queue),
            spec=ScheduleSpec(cron_expressions=["0 8 * * *"], time_zone_name="Asia/Shanghai"),
            policy=policy,
        ),
        RANKING_SCHEDULE_ID: Schedule(
            action=ScheduleActionStartWorkflow(RankingSnapshotWorkflow.run, id="monthly-ranking", task_queue=task_queue),
            spec=ScheduleSpec(cron_expressions=["0 1 1 * *"], time_zone_name="Asia/Shanghai"),
            policy=policy,
        ),
    }


async def ensure_schedules(client: Client, task_queue: str) -> None:
    """Create the schedules if missing; an existing one (another worker, a restart) is left as the admin set it."""
    for schedule_id, schedule in report_schedules(task_queue).items():
        try:
            await client.create_schedule(schedule_id, schedule)
            log.info("schedule_created", schedule_id=schedule_id)
        except ScheduleAlreadyRunningError:
            log.info("schedule_exists", schedule_id=schedule_id)
