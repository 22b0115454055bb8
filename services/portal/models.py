"""The portal's tables, imported by its Alembic env (and `python -m libs.db.autogen portal "message"`)."""
from __future__ import annotations

from services.portal.login_limits import PortalRateHit, PortalRateLock
from services.portal.otp import PortalOtp
from services.portal.users import PortalUser

__all__ = ["PortalOtp", "PortalRateHit", "PortalRateLock", "PortalUser"]
