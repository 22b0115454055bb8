"""Development only: the text messages the dev SMS sink "sent" (sign-up codes, ticket numbers), so a developer can
read them without a phone. 404 unless WHISTLE_ENV is development; nothing here is logged."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from libs.sms import DevSmsSink, SmsSettings, sink_path
from services.portal.views import optional_viewer, render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)


@router.get("/dev/sms")
def dev_sms(request: Request) -> Response:
    settings = request.app.state.settings
    if settings.env != "development":
        raise HTTPException(status_code=404)
    sink = DevSmsSink(sink_path(SmsSettings(), data_dir=settings.data_dir))
    return render(request, "dev_sms.html", optional_viewer(request), messages=sink.messages(limit=100))
