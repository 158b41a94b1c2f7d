import pytest

from conversations.attachment_policy import MAX_FILE_BYTES, check_upload, clean_file_name, detect_content_type
from core.errors import InvalidInput, PayloadTooLarge, UnsupportedType


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"\xff\xd8\xff\xe0....", "image/jpeg"),
        (b"GIF89a....", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7\n", "application/pdf"),
        ("Привет, мир\n".encode(), "text/plain"),
    ],
)
def test_types_are_recognised_by_their_bytes(data: bytes, content_type: str) -> None:
    assert detect_content_type(data) == content_type


@pytest.mark.parametrize(
    "data", [b"<svg onload=alert(1)>", b"<!doctype html><html>", b"MZ\x90\x00\x03", b"\x00\x01\x02", b"\xff\xfe\xfd"]
)
def test_anything_else_is_refused(data: bytes) -> None:
    with pytest.raises(UnsupportedType):
        detect_content_type(data)


def test_text_cut_inside_a_multibyte_character_is_still_text() -> None:
    data = ("я" * 5000).encode()  # 10,000 bytes: the 8 KB sample ends mid-character
    assert detect_content_type(data) == "text/plain"


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ann\\shot.png", "shot.png"),
        ('a<b>c:"d|e?f*.txt', "abcdef.txt"),
        ("...", "file"),
        ("x" * 300 + ".png", "x" * 200),
    ],
)
def test_file_names_are_cleaned(name: str, cleaned: str) -> None:
    assert clean_file_name(name) == cleaned


def test_limits() -> None:
    with pytest.raises(PayloadTooLarge):
        check_upload("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_FILE_BYTES)
    with pytest.raises(InvalidInput):
        check_upload("empty.txt", b"")
