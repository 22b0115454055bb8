"""OpenAPI links of every service, derived from its own document: which answer gives the id another operation takes.

`add_links(schema)` runs after the error responses are documented (`libs.runtime.errors.document_errors`) and adds,
to the first 2xx JSON answer of each operation, a link to every operation of the same service whose path parameter
that answer (or the request) names:
- **by field name**: the answer has a field called like the parameter (`ticket_id`, `summons_id`,
  `request_event_id`...), at the top, in the first item of a list answer, or in the first item of a list field
  (`$response.body#/ticket_id`, `#/0/ticket_id`, `#/items/0/ticket_id`);
- **by resource**: the answer's `id` when the operation is about that resource: its path is the target's up to
  `/{param}` (`POST /topics` -> `/topics/{topic_id}/close`, `GET /inbox` -> `/inbox/{item_id}/read`), or the
  parameter is `<noun>_id` for the collection it answers (`POST /tickets`, `GET /tickets/mine` -> `{ticket_id}`;
  `GET /communities/{community_id}/wishes` -> `{wish_id}`; a list field `projects` -> `{project_id}`; a few
  collections by `ALIASES`: `GET /communities/{community_id}/rewards` -> `/rewards/{item_id}`);
- **same resource**: an operation on `/x/{p}...` leads to every other one on `/x/{p}...` with `$request.path.p`
  (accept -> resolve, claim -> fulfil -> confirm): the sequences of a resource's life.
Scope parameters (community, department, grid, street) are not linked: they come from the caller's token.
Links are what stateful fuzzing (tests/fuzz/stateful.py) follows; they are documentation for clients too."""
from __future__ import annotations

import re
from typing import Any

# Collections whose members another path names otherwise: a reward is an `{item_id}`; a callback row, a triage row
# and a wall entry are a ticket's and a wish's.
ALIASES = {"reward": "item", "callback": "ticket", "street_triage": "ticket", "wall": "wish"}
SCOPES = frozenset({"community_id", "department_id", "grid_id", "street_id", "fmt"})
METHODS = ("get", "put", "post", "delete", "patch")
PARAM = re.compile(r"\{(\w+)\}")


def add_links(schema: dict[str, Any]) -> None:
    """Add the links described in the module doc to `schema` (an OpenAPI 3 document), in place."""
    operations = [
        (path, method, operation)
        for path, item in schema.get("paths", {}).items()
        for method, operation in item.items()
        if method in METHODS and operation.get("operationId")
    ]
    components = schema.get("components", {}).get("schemas", {})
    for path, method, operation in operations:
        answer = _success(operation)
        if answer is None:
            continue
        fields = _id_fields(_body_schema(answer, components), components, _nouns(path))
        links: dict[str, Any] = {}
        for target_path, target_method, target in operations:
            if target is operation:
                continue
            parameters = {}
            for param in PARAM.findall(target_path):
                if param in SCOPES:
                    continue
                expression = _expression(param, path, target_path, fields)
                if expression:
                    parameters[param] = expression
            if parameters:
                links[_name(target_method, target_path)] = {"operationId": target["operationId"], "parameters": parameters}
        if links:
            answer.setdefault("links", {}).update(links)


def _success(operation: dict[str, Any]) -> dict[str, Any] | None:
    """The first 2xx answer with a JSON body (where the links go)."""
    for code, answer in sorted(operation.get("responses", {}).items()):
        if code.startswith("2") and "application/json" in answer.get("content", {}):
            return answer
    return None


def _body_schema(answer: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    return _resolve(answer["content"]["application/json"].get("schema", {}), components)


def _resolve(schema: Any, components: dict[str, Any]) -> dict[str, Any]:
    while isinstance(schema, dict) and "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if isinstance(schema, dict) and "anyOf" in schema:  # `X | None`: the X
        shapes = [_resolve(s, components) for s in schema["anyOf"] if s.get("type") != "null"]
        schema = shapes[0] if len(shapes) == 1 else schema
    return schema if isinstance(schema, dict) else {}


def _id_fields(body: dict[str, Any], components: dict[str, Any], nouns: set[str]) -> dict[str, str]:
    """name -> JSON pointer of the id-like fields of an answer; `id` is also known as `<noun>_id` for each noun of
    the collection the answer is about."""
    found: dict[str, str] = {}

    def take(schema: dict[str, Any], prefix: str, names: set[str]) -> None:
        for name in schema.get("properties", {}):
            if name.endswith("_id"):
                found.setdefault(name, f"{prefix}/{name}")
            elif name == "id":
                found.setdefault("id", f"{prefix}/id")
                for noun in names:
                    found.setdefault(f"{noun}_id", f"{prefix}/id")

    if body.get("type") == "array":
        take(_resolve(body.get("items", {}), components), "/0", nouns)
        return found
    take(body, "", nouns)
    for name, prop in body.get("properties", {}).items():
        prop = _resolve(prop, components)
        if prop.get("type") == "array":
            take(_resolve(prop.get("items", {}), components), f"/{name}/0", {_singular(name)})
    return found


def _nouns(path: str) -> set[str]:
    """The resource an operation's answer is about, from its path: the last fixed segment (`/communities/{c}/wishes`:
    wish), and for a path without parameters also the first (`/tickets/mine`: ticket)."""
    fixed = [s for s in path.strip("/").split("/") if s and "{" not in s]
    if not fixed:
        return set()
    nouns = {_singular(fixed[-1])}
    if "{" not in path:
        nouns.add(_singular(fixed[0]))
    return nouns | {ALIASES[noun] for noun in nouns if noun in ALIASES}


def _singular(word: str) -> str:
    word = word.replace("-", "_")
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("shes", "ches", "sses")):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _expression(param: str, source: str, target: str, fields: dict[str, str]) -> str | None:
    marker = "{" + param + "}"
    if marker in source and source.split(marker)[0] == target.split(marker)[0]:
        return f"$request.path.{param}"  # the same resource, another operation on it
    if param in fields:
        return f"$response.body#{fields[param]}"
    if target.startswith(source.rstrip("/") + "/" + marker) and "id" in fields:
        return f"$response.body#{fields['id']}"  # the collection's answer, one of its members
    return None


def _name(method: str, path: str) -> str:
    """A link name: `POST /tickets/{ticket_id}/dispatch` -> `PostTicketsTicketIdDispatch`."""
    words = re.findall(r"[A-Za-z0-9]+", path)
    return method.capitalize() + "".join(w[:1].upper() + w[1:] for w in words)
