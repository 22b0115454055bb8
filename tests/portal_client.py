"""A TestClient for the portal that behaves like the browser on its pages: it holds the CSRF cookie the portal hands
out (services/portal/security.py) and sends the token with every POST, as the hidden field of each form would."""
from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from services.portal.security import CSRF_COOKIE, CSRF_FIELD, UNSAFE


class PortalClient(TestClient):
    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
        if method.upper() in UNSAFE:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRF-Token", self.csrf_token())
            kwargs["headers"] = headers
        return super().request(method, url, *args, **kwargs)

    def csrf_token(self) -> str:
        """The token of this client's cookie (fetched with a page first when it has none)."""
        token = self.cookies.get(CSRF_COOKIE)
        if token is None:
            super().request("GET", "/login")
            token = self.cookies.get(CSRF_COOKIE)
        assert token, "the portal handed out no CSRF cookie"
        return token


def form_token(html: str) -> str:
    """The CSRF token a page's forms carry (what a browser would post back)."""
    found = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', html)
    assert found, "the page's form carries no CSRF token"
    return found.group(1)
