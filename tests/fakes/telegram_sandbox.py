"""Sandbox Telegram: a page on the fake Telegram server (tests/fakes/telegram_server.py) where a
person chats with a bot as a Telegram user, without Telegram. Pick a bot (bots appear once they
called the fake), give a chat id and a name, type messages, press /start and inline buttons, block and
unblock the bot. The page polls `GET /sandbox/api/chats/{bot_id}/{chat_id}` every second and posts
actions to `POST /sandbox/api/chats/{bot_id}/{chat_id}/{say|press|contact|block|unblock}`."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import web

from tests.fakes.telegram_world import Delivery, FakeBot, Json

if TYPE_CHECKING:
    from tests.fakes.telegram_server import FakeTelegram

LINK_SCHEMES = ("http://", "https://", "tg://")  # anything else (javascript:...) is never made a link


def add_sandbox_routes(app: web.Application, fake: FakeTelegram) -> None:
    sandbox = Sandbox(fake)
    app.router.add_get("/", sandbox.page)
    app.router.add_get("/sandbox/api/bots", sandbox.bots)
    app.router.add_get("/sandbox/api/chats/{bot_id}/{chat_id}", sandbox.chat)
    app.router.add_post("/sandbox/api/chats/{bot_id}/{chat_id}/{action}", sandbox.act)
    app.router.add_get("/sandbox/files/{file_id}", sandbox.file)


class Sandbox:
    """The page's handlers; what they show is read from, and what they do goes through, the fake."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake

    async def page(self, request: web.Request) -> web.Response:
        options = "".join(
            f'<option value="{bot.id}">{html.escape(bot_label(bot))}</option>' for bot in self.fake.bots.values()
        )
        base = html.escape(f"{request.scheme}://{request.host}")
        return web.Response(text=PAGE.replace("{options}", options).replace("{base}", base), content_type="text/html")

    async def bots(self, request: web.Request) -> web.Response:
        return web.json_response([{"id": bot.id, "label": bot_label(bot)} for bot in self.fake.bots.values()])

    async def chat(self, request: web.Request) -> web.Response:
        bot, chat_id = self._target(request)
        user = self.fake.users.get(chat_id)
        messages = [self._message_view(message) for message in bot.chats.get(chat_id, {}).values()]
        return web.json_response(
            {
                "bot": {"id": bot.id, "label": bot_label(bot), "webhook": bot.webhook_url},
                "chat_id": chat_id,
                "first_name": None if user is None else user.first_name,
                "blocked": chat_id in bot.blocked,
                "messages": messages,
            }
        )

    async def act(self, request: web.Request) -> web.Response:
        bot, chat_id = self._target(request)
        try:
            body = await request.json()  # JSON only: a cross-site form cannot post here
        except ValueError:
            raise web.HTTPBadRequest(text="a JSON body is expected") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="a JSON object is expected")
        name = str(body.get("first_name") or "").strip()
        if name:
            self.fake.user(chat_id).first_name = name[:64]
        try:
            delivery = await self._perform(request.match_info["action"], bot, chat_id, body)
        except (KeyError, ValueError, TypeError):
            raise web.HTTPBadRequest(text="missing or malformed fields") from None
        return web.json_response({"update": delivery.update, "webhook_status": delivery.status})

    async def _perform(self, action: str, bot: FakeBot, chat_id: int, body: dict[str, Any]) -> Delivery:
        if action == "say":
            text = str(body.get("text") or "").strip()
            if not text:
                raise web.HTTPBadRequest(text="type a message first")
            return await self.fake.user_says(bot, chat_id, text)
        if action == "press":
            return await self.fake.user_presses(bot, chat_id, int(body["message_id"]), str(body["data"]))
        if action == "contact":
            return await self.fake.user_shares_contact(bot, chat_id, str(body.get("phone") or "+10000000000"))
        if action == "block":
            return await self.fake.user_blocks(bot, chat_id)
        if action == "unblock":
            return await self.fake.user_unblocks(bot, chat_id)
        raise web.HTTPNotFound(text=f"no action {action!r}")

    async def file(self, request: web.Request) -> web.Response:
        stored = self.fake.files.get(request.match_info["file_id"])
        if stored is None or stored.url is not None:
            raise web.HTTPNotFound(text="no such file")
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    def _target(self, request: web.Request) -> tuple[FakeBot, int]:
        try:
            return self.fake.bots[int(request.match_info["bot_id"])], int(request.match_info["chat_id"])
        except (KeyError, ValueError):
            raise web.HTTPNotFound(text="no such bot or chat") from None

    def _message_view(self, message: Json) -> Json:
        """A message as the page draws it: who wrote it, its text, files as links, buttons."""
        files = []
        if photo := message.get("photo"):
            files.append({"name": "photo", "url": self._file_url(photo[-1]["file_id"])})
        if document := message.get("document"):
            files.append({"name": document.get("file_name") or "document", "url": self._file_url(document["file_id"])})
        text = message.get("text") or message.get("caption") or ""
        if contact := message.get("contact"):
            text = f"Shared contact: {contact['phone_number']}"
        markup = message.get("reply_markup") or {}
        inline = "inline_keyboard" in markup
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return {
            "id": message["message_id"],
            "from_bot": message["from"]["is_bot"],
            "text": text,
            "edited": "edit_date" in message,
            "files": files,
            "buttons": [[button_view(button, inline=inline) for button in row] for row in rows],
        }

    def _file_url(self, file_id: str) -> str | None:
        stored = self.fake.files.get(file_id)
        if stored is not None and stored.url is not None:
            return stored.url if stored.url.startswith(LINK_SCHEMES) else None
        return f"/sandbox/files/{quote(file_id)}"


def bot_label(bot: FakeBot) -> str:
    return f"@{bot.username} ({bot.first_name}, id {bot.id})"


def button_view(button: Json | str, *, inline: bool) -> Json:
    """One button: a link (url) or a callback (data) on inline keyboards, a text to say or a contact
    request on reply keyboards; anything else (web apps, games) is shown but does nothing here."""
    if isinstance(button, str):
        return {"text": button, "say": button}
    text = str(button.get("text", ""))
    url = button.get("url")
    if inline and isinstance(url, str) and url.startswith(LINK_SCHEMES):
        return {"text": text, "url": url}
    if inline and "callback_data" in button:
        return {"text": text, "data": str(button["callback_data"])}
    if inline:
        return {"text": text}
    if button.get("request_contact"):
        return {"text": text, "contact": True}
    return {"text": text, "say": text}


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sandbox Telegram</title>
<style>
body { font: 15px system-ui, sans-serif; margin: 0 auto; max-width: 46rem; padding: 1rem; color: #222; }
header, form, .tools { display: flex; gap: .5rem; flex-wrap: wrap; align-items: center; margin: .5rem 0; }
#messages { list-style: none; padding: .5rem; margin: 0; height: 60vh; overflow-y: auto; background: #e8eef3; }
#messages li { max-width: 75%; margin: .4rem 0; padding: .4rem .6rem; border-radius: .6rem; white-space: pre-wrap; }
#messages li.bot { background: #fff; } #messages li.user { background: #d8f5c8; margin-left: auto; }
.row { display: flex; gap: .3rem; margin-top: .3rem; } .row > * { flex: 1; text-align: center; }
.note { color: #666; font-size: 13px; } #state { color: #b00; } #text { flex: 1; }
</style></head>
<body>
<h1>Sandbox Telegram</h1>
<p class="note">Point your bot's Bot API base URL at <code>{base}</code> (any token shaped
<code>123:abc</code> works). A bot shows up here after its first call.</p>
<header>
<label>Bot <select id="bot">{options}</select></label>
<label>Chat id <input id="chat" inputmode="numeric" size="12" value="1001"></label>
<label>Your name <input id="name" size="12" value="Sandbox user"></label>
</header>
<ul id="messages"></ul>
<p id="state" role="status"></p>
<form id="form"><input id="text" autocomplete="off" placeholder="Message"><button>Send</button></form>
<div class="tools"><button id="start">/start</button><button id="block">Block bot</button>
<button id="unblock">Unblock bot</button></div>
<script>
const $ = (id) => document.getElementById(id);
let shown = "";
const ready = () => $("bot").value !== "" && /^-?[0-9]+$/.test($("chat").value);
const target = () => `/sandbox/api/chats/${$("bot").value}/${$("chat").value}`;
function node(tag, text, cls) {
  const made = document.createElement(tag);
  if (text) made.textContent = text;
  if (cls) made.className = cls;
  return made;
}
function link(text, url) {
  const made = node("a", text);
  made.href = url; made.target = "_blank"; made.rel = "noopener";
  return made;
}
function button(message, b) {
  if (b.url) return link(b.text, b.url);
  const made = node("button", b.text);
  if (b.data !== undefined) made.onclick = () => act("press", {message_id: message.id, data: b.data});
  else if (b.contact) made.onclick = () => act("contact", {phone: prompt("Your phone number", "+10000000000")});
  else if (b.say !== undefined) made.onclick = () => act("say", {text: b.say});
  else made.disabled = true;
  return made;
}
function render(view) {
  const list = $("messages");
  list.replaceChildren();
  for (const message of view.messages) {
    const item = node("li", "", message.from_bot ? "bot" : "user");
    if (message.text) item.append(node("div", message.text));
    for (const file of message.files) item.append(file.url ? link(file.name, file.url) : node("div", file.name));
    if (message.edited) item.append(node("div", "edited", "note"));
    for (const row of message.buttons) {
      const line = node("div", "", "row");
      for (const b of row) line.append(button(message, b));
      item.append(line);
    }
    list.append(item);
  }
  list.scrollTop = list.scrollHeight;
  $("block").hidden = view.blocked; $("unblock").hidden = !view.blocked;
}
async function refreshBots() {
  const bots = await (await fetch("/sandbox/api/bots")).json();
  const known = new Set([...$("bot").options].map((option) => option.value));
  for (const bot of bots) if (!known.has(String(bot.id))) $("bot").add(new Option(bot.label, bot.id));
}
async function refresh() {
  await refreshBots();
  if (!ready()) return;
  const response = await fetch(target());
  if (!response.ok) return;
  const text = await response.text();
  if (text !== shown) { shown = text; render(JSON.parse(text)); }
}
async function act(action, body) {
  if (!ready()) { $("state").textContent = "Pick a bot and a numeric chat id first."; return; }
  const response = await fetch(`${target()}/${action}`, {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({...body, first_name: $("name").value})});
  const answer = response.ok ? await response.json() : null;
  const status = answer ? answer.webhook_status : null;
  $("state").textContent = !response.ok ? await response.text()
    : status !== null && (status < 200 || status > 299) ? `The bot's webhook answered ${status || "nothing"}.` : "";
  shown = ""; await refresh();
}
$("form").onsubmit = (event) => {
  event.preventDefault();
  if ($("text").value.trim()) { act("say", {text: $("text").value}); $("text").value = ""; }
};
$("start").onclick = () => act("say", {text: "/start"});
$("block").onclick = () => act("block", {});
$("unblock").onclick = () => act("unblock", {});
$("bot").onchange = $("chat").onchange = () => { shown = ""; refresh(); };
setInterval(refresh, 1000);
refresh();
</script>
</body></html>
"""
