"""TicketWorkflow: one workflow per ticket (id = ticket id) that enforces stage deadlines."""
