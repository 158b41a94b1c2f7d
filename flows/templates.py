"""Message templates (pure): plain text with `{{ expression | filter }}` placeholders, such as
`Hi {{ contact.name | default("friend") }}!`. Rendering gives plain text; escaping it for HTML or a
channel's markup is the renderer's job, never the template's."""

from __future__ import annotations

from dataclasses import dataclass

from flows.evaluation import Lookup, evaluate
from flows.expressions import Expr, Parser, Var, variables_in
from flows.tokens import ExpressionError
from flows.values import Value, as_text, is_set

MAX_TEMPLATE_LENGTH = 10_000
FILTERS = {"default": 1, "upper": 0, "lower": 0, "trim": 0, "capitalize": 0, "first_word": 0}  # name: arguments


@dataclass(frozen=True)
class Filter:
    name: str
    argument: Value = None


@dataclass(frozen=True)
class Placeholder:
    expr: Expr
    filters: tuple[Filter, ...] = ()


@dataclass(frozen=True)
class Template:
    source: str
    parts: tuple[str | Placeholder, ...]


EMPTY_TEMPLATE = Template("", ())


def parse_template(source: str) -> Template:
    if len(source) > MAX_TEMPLATE_LENGTH:
        raise ExpressionError("A text is limited to {limit} characters.", limit=MAX_TEMPLATE_LENGTH)
    parts: list[str | Placeholder] = []
    position = 0
    while (opening := source.find("{{", position)) >= 0:
        closing = source.find("}}", opening + 2)
        if closing < 0:
            raise ExpressionError("The placeholder opened at position {position} has no closing }}.", position=opening)
        parts.append(source[position:opening])
        parts.append(_placeholder(source[opening + 2 : closing], offset=opening + 2))
        position = closing + 2
    parts.append(source[position:])
    return Template(source, tuple(part for part in parts if part != ""))


def render_template(template: Template, lookup: Lookup) -> str:
    return "".join(part if isinstance(part, str) else _render(part, lookup) for part in template.parts)


def template_variables(template: Template) -> tuple[Var, ...]:
    return tuple(
        variable for part in template.parts if isinstance(part, Placeholder) for variable in variables_in(part.expr)
    )


def _placeholder(inner: str, *, offset: int) -> Placeholder:
    try:
        parser = Parser(inner)
        expr = parser.expression()
        filters: list[Filter] = []
        while parser.accept("|"):
            filters.append(_filter(parser))
        parser.expect_end()
    except ExpressionError as error:
        raise type(error)(
            "{reason} (in the placeholder {placeholder!r})",
            position=offset + error.position,
            reason=error.message,
            placeholder=inner.strip(),
        ) from error
    return Placeholder(expr, tuple(filters))


def _filter(parser: Parser) -> Filter:
    position = parser.current.position
    name = parser.expect_name()
    if name not in FILTERS:
        raise ExpressionError(
            "Unknown filter {name!r} at position {position}; use one of: {known}.",
            position=position,
            name=name,
            known=", ".join(FILTERS),
        )
    if FILTERS[name] == 0:
        return Filter(name)
    parser.expect("(")
    argument = parser.literal()
    parser.expect(")")
    return Filter(name, argument)


def _render(placeholder: Placeholder, lookup: Lookup) -> str:
    value = evaluate(placeholder.expr, lookup)
    for step in placeholder.filters:
        value = _apply(step, value)
    return as_text(value)


def _apply(step: Filter, value: Value) -> Value:
    if step.name == "default":
        return value if is_set(value) else step.argument
    text = as_text(value)
    match step.name:
        case "upper":
            return text.upper()
        case "lower":
            return text.lower()
        case "trim":
            return text.strip()
        case "capitalize":
            return text[:1].upper() + text[1:]
        case "first_word":
            return text.split()[0] if text.split() else ""
    return value
