"""pydantic's complaints about a flow document as located FlowErrors: a JSON path into the document
as written ("nodes[3].buttons[1].target", without pydantic's union tags), the node concerned, and
a message for the editor."""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from flows.validation import FlowError, FlowErrorCode

_TAG_KEYS = ("kind", "op", "type")


def shape_errors(error: ValidationError, document: object) -> list[FlowError]:
    return [_shape_error(detail, document) for detail in error.errors(include_url=False)]


def _shape_error(detail: ErrorDetails, document: object) -> FlowError:
    path = json_path(detail["loc"], document)
    node_id = _node_id(detail["loc"], document)
    context = detail.get("ctx", {})
    if detail["loc"][:1] == ("schema",):
        message = 'Set "schema": 1 (the only version this Firstline reads).'
        return FlowError("schema", FlowErrorCode.UNSUPPORTED_SCHEMA, message, None)
    if detail["type"] == "union_tag_invalid":
        key = str(context.get("discriminator", "kind")).strip("'")
        message = f"Unknown {key} {context.get('tag')!r}; use one of: {context.get('expected_tags')}."
        return FlowError(_join(path, key), FlowErrorCode.UNKNOWN_KIND, message, node_id)
    if detail["type"] == "union_tag_not_found":
        key = str(context.get("discriminator", "kind")).strip("'")
        return FlowError(_join(path, key), FlowErrorCode.INVALID_SHAPE, f"Missing {key!r}.", node_id)
    if detail["type"] == "extra_forbidden":
        return FlowError(path, FlowErrorCode.INVALID_SHAPE, "Not a field this item has.", node_id)
    return FlowError(path, FlowErrorCode.INVALID_SHAPE, detail["msg"] + ".", node_id)


def json_path(location: tuple[int | str, ...], document: object) -> str:
    """`location` as a path into `document`, skipping the tags pydantic adds for tagged unions."""
    path = ""
    current = document
    for element in location:
        if isinstance(element, int):
            path += f"[{element}]"
            current = current[element] if isinstance(current, list) and 0 <= element < len(current) else None
        elif isinstance(current, dict) and element not in current and _is_tag(current, element):
            continue
        else:
            path = _join(path, element)
            current = current.get(element) if isinstance(current, dict) else None
    return path


def _is_tag(item: dict[object, object], element: str) -> bool:
    return any(item.get(key) == element for key in _TAG_KEYS)


def _node_id(location: tuple[int | str, ...], document: object) -> str | None:
    if len(location) < 2 or location[0] != "nodes" or not isinstance(document, dict):
        return None
    nodes, index = document.get("nodes"), location[1]
    if not isinstance(nodes, list) or not isinstance(index, int) or not 0 <= index < len(nodes):
        return None
    node = nodes[index]
    node_id = node.get("id") if isinstance(node, dict) else None
    return node_id if isinstance(node_id, str) else None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
