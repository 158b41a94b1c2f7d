"""Downloading attached files: operators of the file's workspace (session), or the visitor it was
uploaded by or sent to (their token in `?token=`). Served so that a browser never runs them."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from admin.identity import optional_operator
from channels.base import ChannelKind
from channels.web_widget.gate import visitor_tokens_key
from conversations.access import access_attachment_as_operator, access_attachment_as_visitor
from conversations.attachment_policy import INLINE_TYPES
from conversations.contacts import contact_for_address
from conversations.models import Attachment
from core.errors import NotFound
from core.keys import database_key, file_store_key

routes = web.RouteTableDef()


@routes.get("/files/{attachment_id}/{name}")
async def download(request: web.Request) -> web.StreamResponse:
    async with request.app[database_key].transaction() as tx:
        attachment = await _readable_attachment(tx.session, request)
    data = await request.app[file_store_key].get(attachment.storage_key)
    disposition = "inline" if attachment.content_type in INLINE_TYPES else "attachment"
    return web.Response(
        body=data,
        headers={
            "Content-Type": attachment.content_type,
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(attachment.name)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=3600",
        },
    )


async def _readable_attachment(session: AsyncSession, request: web.Request) -> Attachment:
    attachment_id = request.match_info["attachment_id"]
    token = request.query.get("token")
    if token is not None:
        visitor = request.app[visitor_tokens_key].read_any(token)
        if visitor is None:
            raise NotFound("File not found.")
        contact = await contact_for_address(
            session, workspace_id=visitor.workspace_id, channel=ChannelKind.WEB, address=visitor.address
        )
        return await access_attachment_as_visitor(session, contact, attachment_id)
    operator = await optional_operator(request, session)
    if operator is None:
        raise NotFound("File not found.")
    return await access_attachment_as_operator(session, operator.id, attachment_id)
