"""Channel adapters: each turns what arrived (a web form, a WeChat message, an SMS, an Open311 request, an operator's
entry) into one `filing.FileTicket`, so every channel ends as the same `TicketFiled` event.

`ROUTERS` lists every channel's router for the intake app."""
from services.intake.channels.sms import router as sms_router
from services.intake.channels.web import router as web_router
from services.intake.channels.wechat import router as wechat_router

ROUTERS = [web_router, wechat_router, sms_router]
