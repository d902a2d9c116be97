from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from senda.campaigns.look import colour_errors, contrast_with_white, logo_content_type, logo_errors


@pytest.mark.parametrize(
    ("colour", "ratio"),
    [("#000000", 21.0), ("#ffffff", 1.0), ("#767676", 4.54), ("#0000ff", 8.59)],
)
def test_contrast_with_white_matches_wcag(colour: str, ratio: float) -> None:
    assert contrast_with_white(colour) == pytest.approx(ratio, abs=0.01)


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    """The messages are checked in English (the msgids); Spanish is checked by the catalogue."""
    with translation.override("en"):
        yield


def test_colour_errors_refuse_bad_shapes_and_low_contrast() -> None:
    assert colour_errors("#767676") == []
    assert colour_errors("#1F4E79") == []
    for bad in ("", "red", "#fff", "#12345g", "1f4e79", "#1f4e79;}body{"):
        assert "six hexadecimal digits" in colour_errors(bad)[0]
    assert "4.47:1" in colour_errors("#777777")[0]


def test_logo_type_is_read_from_the_bytes_not_the_name() -> None:
    assert logo_content_type(b"\x89PNG\r\n\x1a\nrest") == "image/png"
    assert logo_content_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert logo_content_type(b'<?xml version="1.0"?>\n<svg xmlns="x"/>') == "image/svg+xml"
    assert logo_content_type(b"<svg/>") == "image/svg+xml"
    assert logo_content_type(b"GIF89a") == ""
    assert logo_content_type(b"<html><body>no</body></html>") == ""
    assert logo_errors(b"<svg><script>x</script></svg>") != []
    assert logo_errors(b"\x89PNG\r\n\x1a\n" + b"0" * (200 * 1024)) != []
    assert logo_errors(b"\x89PNG\r\n\x1a\n" + b"0" * 1000) == []
