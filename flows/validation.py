"""Whether a flow may be published (pure): located errors, each with a JSON path into the document
("nodes[3].buttons[1].target"), the node it concerns and a message for the editor. flows.loading
adds the errors of reading the document (shape, expressions, templates, patterns)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

from flows.expressions import Expr, Var, variables_in
from flows.facts import PAGE_FACTS, ROOTS, WORKSPACE_FACTS, is_known_variable
from flows.graph import (
    AIAnswerNode,
    AnswerFormat,
    AskNode,
    Assign,
    Body,
    BodyList,
    BodyObject,
    ConditionNode,
    Flow,
    GotoNode,
    HandoffNode,
    InputKind,
    MessageNode,
    Node,
    SetNode,
    SplitNode,
    WebhookNode,
    edges_of,
    pauses,
)
from flows.templates import Template, template_variables


class FlowErrorCode(StrEnum):
    INVALID_SHAPE = "invalid_shape"
    UNSUPPORTED_SCHEMA = "unsupported_schema"
    UNKNOWN_KIND = "unknown_kind"
    INVALID_EXPRESSION = "invalid_expression"
    INVALID_TEMPLATE = "invalid_template"
    INVALID_REGEX = "invalid_regex"
    INVALID_TARGET = "invalid_target"
    INVALID_URL = "invalid_url"
    MISSING_START = "missing_start"
    DUPLICATE_ID = "duplicate_id"
    DANGLING_TARGET = "dangling_target"
    MISSING_TARGET = "missing_target"
    UNREACHABLE = "unreachable"
    LOOP_WITHOUT_PAUSE = "loop_without_pause"
    UNKNOWN_VARIABLE = "unknown_variable"
    SPLIT_NOT_100 = "split_not_100"
    MISSING_CHOICES = "missing_choices"
    MISSING_PATTERN = "missing_pattern"


@dataclass(frozen=True)
class FlowError:
    path: str  # into the document: "start", "nodes[3].buttons[1].target"
    code: FlowErrorCode
    message: str
    node_id: str | None = None


def check_flow(flow: Flow) -> list[FlowError]:
    """Every graph error of a built flow; an empty list means it may be published."""
    return [
        *_check_start(flow),
        *_check_ids(flow),
        *_check_edges(flow),
        *_check_node_rules(flow),
        *_check_reachability(flow),
        *_check_loops(flow),
        *_check_variables(flow),
    ]


def declared_variables(flow: Flow) -> frozenset[str]:
    """The vars.* names some node writes: an ask's save_to, a set, a webhook's response mapping."""
    names: set[str] = set()
    for node in flow.nodes:
        if isinstance(node, AskNode) and node.save_to is not None and node.save_to.root == "vars":
            names.add(node.save_to.name)
        if isinstance(node, SetNode):
            names.update(
                op.target.name for op in node.operations if isinstance(op, Assign) and op.target.root == "vars"
            )
        if isinstance(node, WebhookNode):
            names.update(name for name, _ in node.save)
    return frozenset(names)


@dataclass(frozen=True)
class _Place:
    """A node and its position in the document: where its errors point."""

    index: int
    node: Node

    def error(self, suffix: str, code: FlowErrorCode, message: str) -> FlowError:
        return FlowError(f"nodes[{self.index}]{suffix}", code, message, self.node.id)


def _check_start(flow: Flow) -> Iterator[FlowError]:
    if flow.start is None:
        yield FlowError("start", FlowErrorCode.MISSING_START, "Choose the node the flow starts at.")
    elif flow.node(flow.start) is None:
        yield FlowError("start", FlowErrorCode.MISSING_START, f"The start node {flow.start!r} does not exist.")


def _check_ids(flow: Flow) -> Iterator[FlowError]:
    seen = Counter[str]()
    for index, node in enumerate(flow.nodes):
        seen[node.id] += 1
        if seen[node.id] > 1:
            yield _Place(index, node).error(
                ".id", FlowErrorCode.DUPLICATE_ID, f"Another node already has the id {node.id!r}."
            )


def _check_edges(flow: Flow) -> Iterator[FlowError]:
    for index, node in enumerate(flow.nodes):
        for edge in edges_of(node):
            if edge.target is not None and flow.node(edge.target) is None:
                message = f"Leads to {edge.target!r}, which is not a node of this flow."
                yield _Place(index, node).error(edge.path, FlowErrorCode.DANGLING_TARGET, message)
            elif edge.target is None and edge.name.startswith(("button:", "variant:")):
                what = "button" if edge.name.startswith("button:") else "variant"
                yield _Place(index, node).error(
                    edge.path, FlowErrorCode.MISSING_TARGET, f"Connect this {what} to a node."
                )
        if isinstance(node, GotoNode) and node.target is None and node.flow_id is None:
            message = "Choose a node or a flow to go to."
            yield _Place(index, node).error(".target", FlowErrorCode.MISSING_TARGET, message)


def _check_node_rules(flow: Flow) -> Iterator[FlowError]:
    for index, node in enumerate(flow.nodes):
        if isinstance(node, SplitNode) and sum(variant.percent for variant in node.variants) != 100:
            total = sum(variant.percent for variant in node.variants)
            message = f"The variants' percentages add up to {total}, not 100."
            yield _Place(index, node).error(".variants", FlowErrorCode.SPLIT_NOT_100, message)
        if isinstance(node, AskNode) and node.input is InputKind.CHOICE and node.choices == ():
            yield _Place(index, node).error(
                ".choices", FlowErrorCode.MISSING_CHOICES, "A choice question needs choices."
            )
        if isinstance(node, AskNode) and node.validator is AnswerFormat.REGEX and node.pattern is None:
            message = "A regex validator needs a pattern."
            yield _Place(index, node).error(".pattern", FlowErrorCode.MISSING_PATTERN, message)


def _check_reachability(flow: Flow) -> Iterator[FlowError]:
    if flow.node(flow.start) is None or flow.start is None:
        return
    reached = {flow.start}
    pending = [flow.start]
    while pending:
        node = flow.by_id[pending.pop()]
        for edge in edges_of(node):
            if edge.target is not None and edge.target in flow.by_id and edge.target not in reached:
                reached.add(edge.target)
                pending.append(edge.target)
    for index, node in enumerate(flow.nodes):
        if node.id not in reached:
            yield _Place(index, node).error("", FlowErrorCode.UNREACHABLE, "No path from the start leads here.")


def _check_loops(flow: Flow) -> Iterator[FlowError]:
    positions = {node.id: index for index, node in reversed(list(enumerate(flow.nodes)))}
    for cycle in _cycles_without_pause(flow):
        first = cycle[0]
        message = (
            "This loop never waits for the visitor or a timer: "
            + " → ".join(cycle)
            + ". Put an ask, a wait or buttons on it."
        )
        yield _Place(positions[first], flow.by_id[first]).error("", FlowErrorCode.LOOP_WITHOUT_PAUSE, message)


def _cycles_without_pause(flow: Flow) -> list[list[str]]:
    """One cycle per back edge among the nodes that do not pause (iterative DFS)."""
    successors = {
        node.id: [
            edge.target
            for edge in edges_of(node)
            if edge.target is not None and edge.target in flow.by_id and not pauses(flow.by_id[edge.target])
        ]
        for node in flow.by_id.values()
        if not pauses(node)
    }
    on_path: dict[str, bool] = {}  # True while on the DFS path, False once finished
    cycles: list[list[str]] = []
    for root in successors:
        if root in on_path:
            continue
        path, stack = [root], [iter(successors[root])]
        on_path[root] = True
        while stack:
            child = next(stack[-1], None)
            if child is None:
                on_path[path.pop()] = False
                stack.pop()
            elif on_path.get(child) is True:
                cycles.append([*path[path.index(child) :], child])
            elif child not in on_path:
                on_path[child] = True
                path.append(child)
                stack.append(iter(successors[child]))
    return cycles


def _check_variables(flow: Flow) -> Iterator[FlowError]:
    declared = declared_variables(flow)
    for index, node in enumerate(flow.nodes):
        for suffix, var in _variables_read(node):
            if not is_known_variable(var, declared):
                yield _Place(index, node).error(suffix, FlowErrorCode.UNKNOWN_VARIABLE, _unknown_variable(var))


def _variables_read(node: Node) -> Iterator[tuple[str, Var]]:
    """Each variable a node reads, once per template or condition, with where it is read."""
    for suffix, reading in readings(node):
        found = template_variables(reading) if isinstance(reading, Template) else variables_in(reading)
        for var in dict.fromkeys(found):
            yield suffix, var


def readings(node: Node) -> Iterator[tuple[str, Template | Expr]]:
    """Every template and condition of `node`, with its path relative to the node."""
    match node:
        case MessageNode():
            yield ".text", node.text
        case AskNode():
            yield ".text", node.text
            if node.retry_text is not None:
                yield ".retry_text", node.retry_text
        case ConditionNode():
            yield ".when", node.when
        case SetNode():
            for position, op in enumerate(node.operations):
                if isinstance(op, Assign) and isinstance(op.value, Template):
                    yield f".operations[{position}].value", op.value
        case WebhookNode():
            yield ".url", node.url
            for name, header in node.headers:
                yield f".headers.{name}", header
            yield from _body_readings(node.body, ".body")
        case AIAnswerNode():
            yield from _optional(".prompt", node.prompt)
            yield from _optional(".question", node.question)
        case HandoffNode():
            yield from _optional(".summary", node.summary)


def _optional(suffix: str, template: Template | None) -> Iterator[tuple[str, Template]]:
    if template is not None:
        yield suffix, template


def _body_readings(body: Body, suffix: str) -> Iterator[tuple[str, Template]]:
    match body:
        case Template():
            yield suffix, body
        case BodyList(items):
            for position, item in enumerate(items):
                yield from _body_readings(item, f"{suffix}[{position}]")
        case BodyObject(fields):
            for name, value in fields:
                yield from _body_readings(value, f"{suffix}.{name}")


_FIXED_NAMES: Mapping[str, frozenset[str]] = {"page": PAGE_FACTS, "workspace": WORKSPACE_FACTS}


def _unknown_variable(var: Var) -> str:
    if var.root not in ROOTS:
        return f"Unknown variable {var}: variables start with " + ", ".join(f"{root}." for root in ROOTS) + "."
    if var.root in _FIXED_NAMES:
        known = ", ".join(sorted(_FIXED_NAMES[var.root]))
        return f"Unknown variable {var}: {var.root} has {known}."
    return f"Unknown variable {var}: no ask, set or webhook node of this flow saves vars.{var.name}."
