"""Service-level agreements as data: the working-time calendar and the SLA policy (pure; safe in the Temporal sandbox)."""
