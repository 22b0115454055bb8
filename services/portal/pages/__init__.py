"""The portal's pages, one module per kind of user; `ROUTERS` is what app.py includes, in this order."""
from __future__ import annotations

from services.portal.pages import admin, console, contact, dashboard, devtools, photos, resident, session, supervision, triage, worklist

ROUTERS = (
    session.router,
    resident.router,
    photos.router,  # /file/photos and /attachments/...: photos through the viewer's own token
    console.router,
    worklist.router,
    contact.router,  # 查看完整号码 on the console and the worklist
    supervision.router,
    triage.router,
    admin.router,
    dashboard.router,
    devtools.router,  # /dev/sms: development only
)
