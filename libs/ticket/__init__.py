"""The ticket's life in one place: status and legal moves (`status`), stages (`stages`), and the fold of its
events into the view every service keeps (`view`). This package and those two modules are stdlib only, so the
workflow sandbox may import them; import the fold from `libs.ticket.view`."""
from libs.ticket.stages import ESCALATING_STAGES, SLA_STAGES, Stage
from libs.ticket.status import AWAITING_COMMUNITY, FINISHED, OPEN_FOR_DEPARTMENT, STATUS_LABELS_ZH, TICKET_TRANSITIONS, TicketStatus

__all__ = [
    "AWAITING_COMMUNITY",
    "ESCALATING_STAGES",
    "FINISHED",
    "OPEN_FOR_DEPARTMENT",
    "SLA_STAGES",
    "STATUS_LABELS_ZH",
    "Stage",
    "TICKET_TRANSITIONS",
    "TicketStatus",
]
