"""Visitor sessions: properties recorded, identity verification and merging, unique visitors."""

import hashlib
import hmac
from datetime import UTC, datetime

from sqlalchemy import func, select

from billing.models import UsageRecord
from channels.web_widget.setup import identity_secret, widget_settings_of
from conversations.models import Contact, Conversation
from core.crypto import SecretBox
from core.db import Database
from tests.channels.web_widget.widget_client import WidgetVisitor
from tests.factories import Client, make_workspace

SECRET_KEY = "test-secret-key"  # make_settings' key: the app seals with it


async def acme_identity_secret(db: Database) -> str:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        box = SecretBox(SECRET_KEY)
        return identity_secret(await widget_settings_of(tx.session, workspace.id, box=box), box=box)


def signed(secret: str, user_id: str) -> str:
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


async def contacts(db: Database) -> list[Contact]:
    async with db.transaction() as tx:
        return list((await tx.session.execute(select(Contact).order_by(Contact.id))).scalars())


async def test_a_session_records_where_the_visitor_came_from(live_client: Client, committed_db: Database) -> None:
    await acme_identity_secret(committed_db)
    widget = WidgetVisitor(live_client, "acme")
    answer = await widget.start_session(
        page_url="https://acme.example/pricing",
        referrer="https://search.example/",
        language="ru-RU",
        utm={"source": "newsletter", "campaign": "nov"},
    )
    assert answer["settings"]["language"] == "ru"
    assert answer["settings"]["strings"]["title"]
    [contact] = await contacts(committed_db)
    assert contact.properties["page_url"] == "https://acme.example/pricing"
    assert contact.properties["utm_source"] == "newsletter"
    assert contact.language == "ru-RU"


async def test_a_right_hash_merges_the_anonymous_visitor_into_the_known_contact(
    live_client: Client, committed_db: Database
) -> None:
    secret = await acme_identity_secret(committed_db)
    laptop = WidgetVisitor(live_client, "acme")
    await laptop.start_session(
        user={"id": "42", "hash": signed(secret, "42"), "name": "Ann", "email": "ann@example.com"}
    )
    await laptop.connect()
    await laptop.say("From the laptop")
    phone = WidgetVisitor(live_client, "acme")
    await phone.start_session()
    await phone.connect()
    await phone.say("From the phone, before logging in")
    await phone.close()
    answer = await phone.start_session(user={"id": "42", "hash": signed(secret, "42").upper()})
    assert answer["visitor"] == {"name": "Ann", "email": "ann@example.com"}
    people = [c for c in await contacts(committed_db) if c.merged_into_id is None]
    assert [(c.external_id, c.name) for c in people] == [("42", "Ann")]
    async with committed_db.transaction() as tx:
        owners = set((await tx.session.execute(select(Conversation.contact_id))).scalars())
    assert owners == {people[0].id}


async def test_a_wrong_hash_is_refused_and_nothing_merges(live_client: Client, committed_db: Database) -> None:
    secret = await acme_identity_secret(committed_db)
    owner = WidgetVisitor(live_client, "acme")
    await owner.start_session(user={"id": "42", "hash": signed(secret, "42")})
    attacker = WidgetVisitor(live_client, "acme")
    await attacker.start_session()
    response = await live_client.post(
        "/widget/v1/acme/session", json={"token": attacker.token, "user": {"id": "42", "hash": signed("guess", "42")}}
    )
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "identity_invalid"
    assert len([c for c in await contacts(committed_db) if c.merged_into_id is None]) == 2


async def test_a_visitor_counts_once_a_month_however_often_they_come(
    live_client: Client, committed_db: Database
) -> None:
    await acme_identity_secret(committed_db)
    widget = WidgetVisitor(live_client, "acme")
    for _ in range(3):
        await widget.start_session()
    await widget.connect()
    await widget.say("Hello")
    await WidgetVisitor(live_client, "acme").start_session()  # somebody else
    async with committed_db.transaction() as tx:
        month = datetime.now(UTC).date().replace(day=1)
        rows = await tx.session.scalar(
            select(func.count()).where(UsageRecord.metric == "unique_visitor", UsageRecord.period_start == month)
        )
    assert rows == 2
