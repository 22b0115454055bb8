"""The dashboard is built only from events (CQRS): every ticket event folds into its read model."""
from libs.events import EVENT_TYPES, Event
from libs.messaging import Handler
from services.dashboard.commands import project_event

HANDLERS: dict[str, Handler] = {
    event_type: project_event
    for event_type, model in EVENT_TYPES.items()
    if issubclass(model, Event) and event_type != "DeadlineWarned"
}
