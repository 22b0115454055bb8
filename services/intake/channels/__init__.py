"""Channel adapters: each turns what arrived (a web form, a WeChat message, an SMS, an Open311 request, an operator's
entry) into one `filing.FileTicket`, so every channel ends as the same `TicketFiled` event.

`ROUTERS` lists every channel's router for the intake app."""
from services.intake.channels.guest import router as guest_router
from services.intake.channels.hotline import router as hotline_router
from services.intake.channels.open311 import admin_router as open311_admin_router
from services.intake.channels.open311 import router as open311_router
from services.intake.channels.sms import router as sms_router
from services.intake.channels.web import router as web_router
from services.intake.channels.wechat import router as wechat_router

ROUTERS = [web_router, wechat_router, sms_router, open311_router, open311_admin_router, hotline_router, guest_router]
