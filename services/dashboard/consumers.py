"""The dashboard is built only from events (CQRS): every ticket event folds into its read model, and the
scheduled reports (rankings, overdue digests) arrive on the `reports` topic."""
from libs.events import EVENT_TYPES, Event, ReportEvent
from libs.messaging import Handler
from services.dashboard.commands import project_event, store_report

HANDLERS: dict[str, Handler] = {
    **{event_type: project_event for event_type, model in EVENT_TYPES.items() if issubclass(model, Event)},
    **{event_type: store_report for event_type, model in EVENT_TYPES.items() if issubclass(model, ReportEvent)},
}
