"""The widget's public files: the script sites embed, and the demo shop that embeds it."""

from tests.factories import Client


async def test_the_widget_script_and_demo_page_are_served(client: Client) -> None:
    script = await client.get("/widget.js")
    assert script.status == 200
    assert script.headers["Content-Type"] == "application/javascript; charset=utf-8"
    assert script.headers["Cache-Control"] == "public, max-age=300"
    assert "window.FirstlineWidget" in await script.text()
    demo = await client.get("/demo")
    assert demo.status == 200
    assert demo.headers["Content-Type"] == "text/html; charset=utf-8"
    html = await demo.text()
    assert '<script>window.FirstlineSettings = {workspace: "demo"};</script>' in html
    assert '<script src="/widget.js" async></script>' in html
