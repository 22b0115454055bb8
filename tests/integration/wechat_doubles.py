"""A local double of WeChat's servers for the channel tests: the picture host an image message's PicUrl points at,
and the bits of api.weixin.qq.com the media download uses (`/cgi-bin/token`, `/cgi-bin/media/get`), on 127.0.0.1."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.photo_samples import SCRIPT, jpeg_with_exif


class WechatDouble:
    MEDIA_ID = "media-kept-1"
    ACCESS_TOKEN = "double-access-token"

    def __init__(self) -> None:
        self.picture = jpeg_with_exif()
        self.picture_fetches = 0
        self.token_requests: list[tuple[str, str]] = []
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # noqa: ANN002 - quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/pic/ok.jpg":
                    double.picture_fetches += 1
                    self.answer(200, double.picture, "image/jpeg")
                elif url.path == "/pic/script.jpg":
                    self.answer(200, SCRIPT, "image/jpeg")
                elif url.path == "/pic/huge.jpg":
                    self.answer(200, b"\xff\xd8" + b"\0" * (11 * 1024 * 1024), "image/jpeg")
                elif url.path == "/cgi-bin/token":
                    double.token_requests.append((query.get("appid", ""), query.get("secret", "")))
                    self.json({"access_token": double.ACCESS_TOKEN, "expires_in": 7200})
                elif url.path == "/cgi-bin/media/get":
                    if query.get("access_token") != double.ACCESS_TOKEN:
                        self.json({"errcode": 40001, "errmsg": "invalid credential"})
                    elif query.get("media_id") == double.MEDIA_ID:
                        self.answer(200, double.picture, "image/jpeg")
                    else:
                        self.json({"errcode": 40007, "errmsg": "invalid media_id"})
                else:
                    self.answer(404, b"not found", "text/plain")

            def json(self, body: dict) -> None:
                self.answer(200, json.dumps(body).encode(), "application/json")

            def answer(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.picture_url = f"{self.base_url}/pic/ok.jpg"
        self.api_base_url = f"{self.base_url}/cgi-bin/"

    def __enter__(self) -> "WechatDouble":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
