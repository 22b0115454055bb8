"""Real local servers for notify's channels: an SMTP server (aiosmtpd) that keeps every message it accepts, and a
double of WeChat's template-message API (`/cgi-bin/token`, `/cgi-bin/message/template/send`) on 127.0.0.1."""
from __future__ import annotations

import json
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller

from deploy.procs import free_port


class MailSink:
    """aiosmtpd on a free port; `messages` are the parsed e-mails in the order they arrived."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = False  # answer 451 (a temporary failure) to every message while True
        self._lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802 - aiosmtpd's hook
                if sink.refuse:
                    return "451 4.3.0 try again later"
                mail = message_from_bytes(envelope.content, policy=policy.default)
                with sink._lock:
                    sink.messages.append(mail)  # type: ignore[arg-type]
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> "MailSink":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address in str(m["To"])]

    def env(self) -> dict[str, str]:
        return {"NOTIFY_SMTP_HOST": "127.0.0.1", "NOTIFY_SMTP_PORT": str(self.port)}


class WechatTemplateDouble:
    """Answers the access token and template sends; `sent` keeps every template message's JSON; an openid in
    `unfollowed` gets errcode 43004 (the person unfollowed the account)."""

    ACCESS_TOKEN = "notify-double-token"

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.unfollowed: set[str] = set()
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # noqa: ANN002 - quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if urlsplit(self.path).path == "/cgi-bin/token":
                    self.json({"access_token": double.ACCESS_TOKEN, "expires_in": 7200})
                else:
                    self.json({"errcode": 404, "errmsg": "not found"})

            def do_POST(self) -> None:  # noqa: N802
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if url.path != "/cgi-bin/message/template/send":
                    self.json({"errcode": 404, "errmsg": "not found"})
                elif query.get("access_token") != double.ACCESS_TOKEN:
                    self.json({"errcode": 40001, "errmsg": "invalid credential"})
                elif body.get("touser") in double.unfollowed:
                    self.json({"errcode": 43004, "errmsg": "require subscribe"})
                else:
                    double.sent.append(body)
                    self.json({"errcode": 0, "errmsg": "ok", "msgid": 1000 + len(double.sent)})

            def json(self, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.api_base_url = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/"

    def __enter__(self) -> "WechatTemplateDouble":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def env(self) -> dict[str, str]:
        return {
            "NOTIFY_WECHAT_APP_ID": "wx-notify-test", "NOTIFY_WECHAT_APP_SECRET": "secret",
            "NOTIFY_WECHAT_TEMPLATE_ID": "tpl-progress", "NOTIFY_WECHAT_API_BASE_URL": self.api_base_url,
        }
