"""Templates: placeholders with filters, plain-text output, located errors."""

import pytest

from flows.expressions import Var
from flows.templates import parse_template, render_template, template_variables
from flows.tokens import ExpressionError
from flows.values import Value

FACTS: dict[str, Value] = {"contact.name": "anna maria", "contact.tags": ("a", "b"), "vars.count": 2.0}


def render(source: str, values: dict[str, Value] = FACTS) -> str:
    return render_template(parse_template(source), lambda var: values.get(str(var)))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Hi {{contact.name}}!", "Hi anna maria!"),
        ("Hi {{ contact.nickname | default('friend') }}!", "Hi friend!"),
        ("{{ contact.name | first_word | capitalize }}", "Anna"),
        ("{{ contact.name | upper }} {{ contact.name|lower }}", "ANNA MARIA anna maria"),
        ("Tags: {{ contact.tags }}", "Tags: a, b"),
        ("{{ vars.count }} items", "2 items"),
        ("{{ contact.missing }}", ""),
        ("{{ contact.tags contains 'a' }}", "true"),
        ("no placeholders }} here", "no placeholders }} here"),
        ("<b>{{ contact.name }}</b>", "<b>anna maria</b>"),  # plain text: escaping is the renderer's job
        ("", ""),
    ],
)
def test_rendering(source: str, expected: str) -> None:
    assert render(source) == expected


def test_markup_in_values_is_left_for_the_renderer_to_escape() -> None:
    assert render("Hi {{ contact.name }}", {"contact.name": "<script>"}) == "Hi <script>"


def test_variables_are_listed() -> None:
    template = parse_template("{{ contact.name | default('x') }} {{ vars.plan }}")
    assert template_variables(template) == (Var("contact", "name"), Var("vars", "plan"))


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("Hi {{ contact.name", "no closing"),
        ("Hi {{ }}", "Expected a value"),
        ("{{ contact.name | shout }}", "Unknown filter"),
        ("{{ contact.name | default }}", "Expected '\\('"),
        ("{{ __import__('os') }}", "Expected '.'"),
        ("{{ contact.name | default(contact.email) }}", "Expected a value"),
    ],
)
def test_errors(source: str, fragment: str) -> None:
    with pytest.raises(ExpressionError, match=fragment):
        parse_template(source)


def test_error_positions_count_from_the_start_of_the_text() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_template("Hello {{ contact. }}")
    assert caught.value.position > len("Hello {{")
