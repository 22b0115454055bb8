"""The dashboard is built only from events (CQRS): every ticket event folds into its read models (projection.py), and
the scheduled reports (rankings, overdue digests) arrive on the `reports` topic."""
from libs.events import EVENT_TYPES, Event, OverdueDigest, RankingSnapshot
from libs.messaging import Handlers
from services.dashboard.commands import store_digest, store_ranking
from services.dashboard.projection import project_event

HANDLERS: Handlers = {
    **{model: project_event for model in EVENT_TYPES.values() if issubclass(model, Event)},
    RankingSnapshot: store_ranking,
    OverdueDigest: store_digest,
}
