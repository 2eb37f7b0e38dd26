"""Readable API documentation, generated from the OpenAPI schema (served at ``/api/docs``).

Rendered on the server from the same schema as ``/api/openapi.json``, so it needs no script from a CDN
and works offline.
"""

from __future__ import annotations

import json
import re
from typing import Any

EXAMPLES = {"/api/stories": "/api/stories?limit=3", "/api/search": "/api/search?q=flood",
            "/api/entities": "/api/entities?limit=10", "/api/stats": "/api/stats",
            "/api/brief": "/api/brief?since=24h", "/api/watchlists": "/api/watchlists"}


def type_name(schema: dict[str, Any]) -> str:
    """A short type for a JSON schema: ``string``, ``integer | null``, ``array of StoryCardOut``.

    >>> type_name({"anyOf": [{"type": "string"}, {"type": "null"}]}), type_name({"$ref": "#/c/s/Story"})
    ('string | null', 'Story')
    >>> type_name({"type": "array", "items": {"$ref": "#/c/s/Hit"}}), type_name({"enum": ["a", "b"]})
    ('array of Hit', 'a | b')
    """
    if not isinstance(schema, dict):  # e.g. ``additionalProperties: true``
        return "any"
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " | ".join(type_name(s) for s in schema[key])
    kind = schema.get("type", "any")
    if kind == "array":
        return "array of " + type_name(schema.get("items", {}))
    if kind == "object" and "additionalProperties" in schema:
        return "object of " + type_name(schema["additionalProperties"])
    return str(kind)


def code_parts(text: str) -> list[tuple[str, bool]]:
    """Text split at ````code```` spans: ``(piece, is_code)`` pairs.

    >>> code_parts("send ``POST`` now")
    [('send ', False), ('POST', True), (' now', False)]
    >>> code_parts("the cursor from `next`")  # Markdown's single backticks too
    [('the cursor from ', False), ('next', True)]
    """
    out: list[tuple[str, bool]] = []
    last = 0
    for m in re.finditer(r"``(.+?)``|`([^`]+)`", text):
        if m.start() > last:
            out.append((text[last:m.start()], False))
        out.append((m.group(1) or m.group(2), True))
        last = m.end()
    if last < len(text):
        out.append((text[last:], False))
    return out


def shown_default(schema: dict[str, Any]) -> str | None:
    """A parameter's default as a client writes it in a query (JSON's ``false``, not Python's ``False``).

    >>> shown_default({"default": False}), shown_default({"default": 20}), shown_default({})
    ('false', '20', None)
    """
    if "default" not in schema or schema["default"] is None:
        return None
    default = schema["default"]
    return default if isinstance(default, str) else json.dumps(default)


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The API's operations, in schema order, ready for the template."""
    ops = []
    for path, methods in spec.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, op in methods.items():
            params = [{"name": p["name"], "where": p["in"], "required": p.get("required", False),
                       "type": type_name(p.get("schema", {})), "default": shown_default(p.get("schema", {})),
                       "description": code_parts(p.get("description", "")
                                                 or p.get("schema", {}).get("description", ""))}
                      for p in op.get("parameters", [])]
            body = op.get("requestBody")
            body_text = ""
            if body:
                schema = body.get("content", {}).get("application/json", {}).get("schema", {})
                body_text = "JSON: " + type_name(schema)
            responses = []
            for code, r in op.get("responses", {}).items():
                schema = r.get("content", {}).get("application/json", {}).get("schema")
                text = r.get("description", "")
                if schema:
                    text += f" ({type_name(schema)})"
                responses.append((code, text))
            description = [code_parts(" ".join(p.split()))
                           for p in re.split(r"\n\s*\n", op.get("description", "")) if p.strip()]
            anchor = (method + "-" + re.sub(r"[^a-z0-9]+", "-", path[5:].lower())).strip("-")
            ops.append({"method": method, "path": path, "summary": op.get("summary", ""),
                        "description": description, "params": params, "body": body_text,
                        "responses": responses, "anchor": anchor,
                        "example": EXAMPLES.get(path) if method == "get" else None})
    return ops


def schemas(spec: dict[str, Any]) -> list[tuple[str, list[dict[str, str]]]]:
    """Each named schema with its fields."""
    out = []
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        if name in ("HTTPValidationError", "ValidationError") or name.startswith("ValidationError"):
            continue
        fields = [{"name": f, "type": type_name(s), "description": code_parts(s.get("description", ""))}
                  for f, s in schema.get("properties", {}).items()]
        out.append((name, fields))
    return out
