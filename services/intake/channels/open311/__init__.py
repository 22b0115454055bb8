"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2/, so a stock GeoReport client files
and follows tickets unchanged: `discovery`, `services`, `services/{code}`, `requests` (GET and POST) and
`requests/{id}`, each as `.json` or `.xml`, errors as `[{code, description}]` / `<errors><error>`.

- Services are the district's categories (service_code = category id); every service has the same attributes
  (kind 诉求/隐患随手拍/…, title, community, grid, urgency), all optional: placement falls back to the position, the
  address, else the street's triage queue.
- POST needs an api_key an admin issued to the client (`/admin/open311/keys`); the ticket is `filed_by`
  "open311:<client id>". Idempotency (the spec has none): a client may send `Idempotency-Key`; without it the
  request's content (every form field but api_key) is the key for RETRY_WINDOW -- an identical request from the same
  client within 10 to 20 minutes returns the first ticket instead of filing a second. Identical retries racing each
  other are serialised per client and content (a PostgreSQL advisory lock), so they never file twice.
- Reads are public and carry no personal data: no phone, name or e-mail, the address only as filed, phone numbers
  inside free text masked. `status` is open/closed (closed: 办结, 即办, closed or merged -- it may reopen), our
  detailed state in `status_notes`, `agency_responsible` the department (the community until it is dispatched),
  `expected_datetime` the running stage's deadline when intake knows it (a standing 催办), else omitted.

`formats` renders JSON/XML and the spec's errors, `records` the services, public requests and search, `posting` the
POST to one FileTicket and its retry keys, `routes` the GeoReport and admin routes.
"""
from services.intake.channels.open311.formats import (
    MEDIA_TYPES,
    SPECIFICATION,
    GeoReportError,
    _scrub,
    answer,
    from_domain_error,
    render,
    render_errors,
    to_xml,
    w3,
)
from services.intake.channels.open311.posting import (
    RETRY_WINDOW,
    _contact_name,
    georeport_filing,
    post_request,
    retry_keys,
)
from services.intake.channels.open311.records import (
    CLOSED,
    KINDS,
    OPEN,
    URGENCIES,
    attributes,
    keywords_by_category,
    public_request,
    search_requests,
    service,
)
from services.intake.channels.open311.routes import admin_router, router

__all__ = [
    "CLOSED", "KINDS", "MEDIA_TYPES", "OPEN", "RETRY_WINDOW", "SPECIFICATION", "URGENCIES", "GeoReportError",
    "_contact_name", "_scrub", "admin_router", "answer", "attributes", "from_domain_error", "georeport_filing",
    "keywords_by_category", "post_request", "public_request", "render", "render_errors", "retry_keys", "router",
    "search_requests", "service", "to_xml", "w3",
]
