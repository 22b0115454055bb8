"""The dashboard is built only from events (CQRS): every ticket event folds into its read models (projection.py), and
the scheduled reports (rankings, overdue digests) arrive on the `reports` topic."""
from libs.events import EVENT_TYPES, Event, OverdueDigest, RankingSnapshot
from libs.messaging import Handlers
from services.dashboard.commands import store_digest, store_ranking
from services.dashboard.projection import project_event
from services.dashboard.summons import DepartmentsSummoned, SummonsCheckedIn, on_checked_in, on_summoned
from services.dashboard.wishes import WISH_EVENTS, project_wish_event


def _and(then):  # noqa: ANN001, ANN202 - the ticket fold first, then the 吹哨报到 read model (one transaction)
    def handle(session, event):  # noqa: ANN001, ANN202
        project_event(session, event)
        then(session, event)
    handle.then = then  # batch.py applies the two parts apart (the fold with the batch's tickets, then the rest)
    return handle


HANDLERS: Handlers = {
    **{model: project_event for model in EVENT_TYPES.values() if issubclass(model, Event)},
    RankingSnapshot: store_ranking,
    OverdueDigest: store_digest,
    DepartmentsSummoned: _and(on_summoned),
    SummonsCheckedIn: _and(on_checked_in),
    **{model: project_wish_event for model in WISH_EVENTS},  # 微心愿 and points (wishes, points topics)
}
