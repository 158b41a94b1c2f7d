"""What a flow knows about the world (pure): the facts the runtime hands in when a run starts or is
refreshed, the variable roots expressions read (contact, conversation, page, workspace, vars), and
the paths a flow may write to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from flows.expressions import KEYWORDS, Var
from flows.tokens import ExpressionError
from flows.values import Value

ROOTS = ("contact", "conversation", "page", "workspace", "vars")
# Names under contact/conversation that are facts rather than free-form properties/attributes.
CONTACT_FACTS = frozenset({"tags", "is_returning", "is_new", "language"})
CONVERSATION_FACTS = frozenset({"channel"})
PAGE_FACTS = frozenset({"url", "title", "referrer"})
WORKSPACE_FACTS = frozenset({"within_working_hours", "name"})
WRITABLE_ROOTS = ("contact", "conversation", "vars")
LAST_INPUT = "last_input"  # vars.last_input: the visitor's latest text or pressed button label
AI_SUMMARY = "ai_summary"  # vars.ai_summary: the AI bot's summary when it hands off
BUILTIN_VARIABLES = frozenset({LAST_INPUT, AI_SUMMARY})


@dataclass(frozen=True)
class Facts:
    """A snapshot from the runtime. Working hours are computed by the caller, not here."""

    contact_key: str = ""  # stable per contact (its id): keeps A/B splits sticky
    contact: Mapping[str, str] = field(default_factory=dict)  # properties: name, email, phone, ...
    tags: tuple[str, ...] = ()
    is_returning: bool = False
    language: str | None = None
    channel: str | None = None  # web, telegram, whatsapp
    conversation: Mapping[str, str] = field(default_factory=dict)  # conversation attributes
    page_url: str | None = None
    page_title: str | None = None
    page_referrer: str | None = None
    within_working_hours: bool = True
    workspace_name: str | None = None

    def with_contact_property(self, name: str, value: str) -> Facts:
        return replace(self, contact={**self.contact, name: value})

    def with_conversation_attribute(self, name: str, value: str) -> Facts:
        return replace(self, conversation={**self.conversation, name: value})

    def with_tag(self, tag: str) -> Facts:
        return self if tag in self.tags else replace(self, tags=(*self.tags, tag))

    def without_tag(self, tag: str) -> Facts:
        return replace(self, tags=tuple(existing for existing in self.tags if existing != tag))


def read_variable(facts: Facts, variables: Mapping[str, Value], var: Var) -> Value:
    """The value of `var`; None for anything unknown (an unset property, an unknown root)."""
    match var.root:
        case "vars":
            return variables.get(var.name)
        case "contact":
            return _contact_fact(facts, var.name)
        case "conversation":
            return facts.channel if var.name == "channel" else facts.conversation.get(var.name)
        case "page":
            return {"url": facts.page_url, "title": facts.page_title, "referrer": facts.page_referrer}.get(var.name)
        case "workspace":
            return {"within_working_hours": facts.within_working_hours, "name": facts.workspace_name}.get(var.name)
    return None


def is_known_variable(var: Var, declared: frozenset[str]) -> bool:
    """Whether a flow may read `var`: contact properties and conversation attributes are open-ended;
    page and workspace have fixed names; vars must be declared (by an ask, set or webhook node)."""
    match var.root:
        case "contact" | "conversation":
            return True
        case "page":
            return var.name in PAGE_FACTS
        case "workspace":
            return var.name in WORKSPACE_FACTS
        case "vars":
            return var.name in declared or var.name in BUILTIN_VARIABLES
    return False


def parse_target(path: str) -> Var:
    """A path a flow writes to: contact.<property>, conversation.<attribute> or vars.<name>."""
    root, dot, name = path.partition(".")
    if root not in WRITABLE_ROOTS or dot == "" or not name.isidentifier() or name in KEYWORDS:
        raise ExpressionError(
            "{path!r} is not writable: use contact.<property>, conversation.<attribute> or vars.<name>.", path=path
        )
    if (root == "contact" and name in CONTACT_FACTS) or (root == "conversation" and name in CONVERSATION_FACTS):
        raise ExpressionError("{path!r} is a fact the flow reads, not a property it writes.", path=path)
    return Var(root, name)


def _contact_fact(facts: Facts, name: str) -> Value:
    match name:
        case "tags":
            return facts.tags
        case "is_returning":
            return facts.is_returning
        case "is_new":
            return not facts.is_returning
        case "language":
            return facts.language
    return facts.contact.get(name)
