"""Notify's use cases: planning messages from events (planning), the person's own inbox and preferences (inbox), and
what staff and admins see and do (supervision: the message log, dead letters, roster look-ups)."""
