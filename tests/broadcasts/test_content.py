"""A broadcast's text, buttons and button data (pure)."""

import pytest

from broadcasts.content import (
    FlowButton,
    LinkButton,
    buttons_json,
    check_text,
    parse_buttons,
    parse_press_data,
    press_data,
    sanitise_text,
)
from core.errors import InvalidInput
from core.ids import BroadcastId, FlowId


def test_only_telegrams_tags_and_safe_links_survive_sanitising() -> None:
    dirty = (
        '<b>Sale</b> <script>alert(1)</script><a href="javascript:alert(1)">x</a> '
        '<a href="https://shop.example/sale" onclick="steal()">shop</a> <a href="tg://resolve?domain=x">tg</a>'
        "<p>para</p><img src=x><tg-spoiler>secret</tg-spoiler><br>next line"
    )
    assert sanitise_text(dirty) == (
        '<b>Sale</b> x <a href="https://shop.example/sale">shop</a> <a href="tg://resolve?domain=x">tg</a>'
        "para<tg-spoiler>secret</tg-spoiler>\nnext line"
    )


def test_sanitising_escapes_text_and_spells_a_no_break_space_as_a_number() -> None:
    # Telegram's HTML knows only &lt; &gt; &amp; &quot; by name.
    assert sanitise_text("AT&T < 5\u00a0% > 2 <b>unclosed") == "AT&amp;T &lt; 5&#160;% &gt; 2 <b>unclosed</b>"


def test_text_length_is_telegrams_and_smaller_with_an_image() -> None:
    assert check_text("x" * 4096, with_image=False) == "x" * 4096
    with pytest.raises(InvalidInput, match="at most 4096"):
        check_text("x" * 4097, with_image=False)
    with pytest.raises(InvalidInput, match="at most 1024"):
        check_text("😀" * 513, with_image=True)  # an emoji is two UTF-16 units
    with pytest.raises(InvalidInput, match="Write the message text"):
        check_text("<b> </b><script>x</script>", with_image=False)


def test_buttons_are_links_or_flows_and_at_most_ten() -> None:
    buttons = parse_buttons([{"label": " Shop ", "url": "https://shop.example"}, {"label": "Quiz", "flow_id": 7}])
    assert buttons == [LinkButton("Shop", "https://shop.example"), FlowButton("Quiz", FlowId(7))]
    assert buttons_json(buttons) == [{"label": "Shop", "url": "https://shop.example"}, {"label": "Quiz", "flow_id": 7}]
    with pytest.raises(InvalidInput, match="at most 10"):
        parse_buttons([{"label": "a", "url": "https://a.example"}] * 11)


@pytest.mark.parametrize(
    ("button", "complaint"),
    [
        ({"label": "", "url": "https://a.example"}, "label must be 1 to 64"),
        ({"label": "x" * 65, "url": "https://a.example"}, "label must be 1 to 64"),
        ({"label": "a", "url": "javascript:alert(1)"}, "http:// or https://"),
        ({"label": "a", "url": "https://"}, "http:// or https://"),
        ({"label": "a", "url": "http://[::1"}, "http:// or https://"),
        ({"label": "a"}, "either a link or a flow"),
        ({"label": "a", "url": "https://a.example", "flow_id": 1}, "either a link or a flow"),
        ({"label": "a", "flow_id": True}, "choose a flow"),
    ],
)
def test_a_bad_button_is_refused_naming_it(button: dict[str, object], complaint: str) -> None:
    with pytest.raises(InvalidInput, match=complaint) as refused:
        parse_buttons([{"label": "ok", "url": "https://ok.example"}, button])
    assert refused.value.params["number"] == 2


def test_press_data_fits_telegrams_64_bytes_and_reads_back() -> None:
    data = press_data(BroadcastId(10**17), 9)
    assert len(data.encode()) <= 64
    assert parse_press_data(data) == (BroadcastId(10**17), 9)
    for foreign in ("bc:1", "bc:x:1", "opt:1", "bc:1:2:3", "#abc", "bc:1:100"):
        assert parse_press_data(foreign) is None
