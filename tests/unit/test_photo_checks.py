"""The photo check every upload goes through: Pillow decodes and re-encodes, EXIF (GPS included) never survives,
the GPS position comes back as a suggestion, and anything that is not a JPEG, PNG or WebP image is refused."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from libs.blobs.images import MAX_SIDE, THUMBNAIL_SIDE, PhotoRejected, check_photo
from tests.photo_samples import SCRIPT, jpeg_with_exif, other_format, png, webp


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_phone_jpeg_comes_out_a_fresh_jpeg_without_exif_and_its_gps_is_suggested() -> None:
    original = jpeg_with_exif(39.7511, 116.1402)
    assert b"AcmePhone" in original
    photo = check_photo(original)
    assert photo.location == pytest.approx((39.7511, 116.1402), abs=1e-5)
    kept = decoded(photo.jpeg)
    assert kept.format == "JPEG" and kept.size == (1200, 800) == (photo.width, photo.height)
    assert not kept.getexif() and "exif" not in kept.info
    assert b"AcmePhone" not in photo.jpeg and b"Exif" not in photo.jpeg and b"X1 Pro" not in photo.jpeg


def test_the_thumbnail_is_a_small_jpeg_without_exif() -> None:
    photo = check_photo(jpeg_with_exif())
    thumbnail = decoded(photo.thumbnail)
    assert thumbnail.format == "JPEG" and max(thumbnail.size) == THUMBNAIL_SIDE and not thumbnail.getexif()
    assert len(photo.thumbnail) < len(photo.jpeg)


@pytest.mark.parametrize(
    ("latitude", "longitude"), [(-33.8688, 151.2093), (40.7128, -74.006), (-22.9068, -43.1729)]
)
def test_southern_and_western_positions_come_back_negative(latitude: float, longitude: float) -> None:
    assert check_photo(jpeg_with_exif(latitude, longitude)).location == pytest.approx((latitude, longitude), abs=1e-5)


def test_a_photo_without_gps_or_with_a_zero_fix_suggests_no_location() -> None:
    assert check_photo(jpeg_with_exif(None, None)).location is None
    assert check_photo(jpeg_with_exif(0.0, 0.0)).location is None


def test_a_sideways_phone_photo_is_turned_upright_before_the_orientation_tag_is_dropped() -> None:
    photo = check_photo(jpeg_with_exif(size=(1200, 800), orientation=6))  # 6: rotate 90° clockwise to view
    assert (photo.width, photo.height) == (800, 1200)
    assert not decoded(photo.jpeg).getexif()


def test_a_transparent_png_becomes_a_jpeg_on_white() -> None:
    photo = check_photo(png(mode="RGBA"))
    kept = decoded(photo.jpeg)
    assert (kept.format, kept.mode, photo.source_format) == ("JPEG", "RGB", "PNG")
    assert kept.getpixel((10, 10)) == pytest.approx((255, 255, 255), abs=3)


def test_a_webp_becomes_a_jpeg() -> None:
    photo = check_photo(webp())
    assert decoded(photo.jpeg).format == "JPEG" and photo.source_format == "WEBP"


def test_a_large_photo_is_scaled_down_to_the_kept_size() -> None:
    photo = check_photo(jpeg_with_exif(size=(4000, 3000)))
    assert max(photo.width, photo.height) <= MAX_SIDE
    assert decoded(photo.jpeg).size == (photo.width, photo.height)


def test_bytes_appended_to_a_real_jpeg_do_not_survive_the_re_encoding() -> None:
    polyglot = jpeg_with_exif() + b"<?php system($_GET['c']); ?>" + SCRIPT
    photo = check_photo(polyglot)
    assert b"<?php" not in photo.jpeg and SCRIPT not in photo.jpeg


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (SCRIPT, "not a JPEG, PNG or WebP"),  # a script renamed photo.jpg
        (b"", "empty"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "not a JPEG, PNG or WebP"),  # a JPEG signature and nothing else
        (other_format("GIF"), "not a JPEG, PNG or WebP"),
        (other_format("BMP"), "not a JPEG, PNG or WebP"),
        (other_format("TIFF"), "not a JPEG, PNG or WebP"),
        (b"%PDF-1.7\n" + b"0" * 200, "not a JPEG, PNG or WebP"),
    ],
)
def test_what_is_not_a_jpeg_png_or_webp_image_is_refused(data: bytes, why: str) -> None:
    with pytest.raises(PhotoRejected, match=why):
        check_photo(data)


def test_a_truncated_jpeg_is_refused_as_damaged() -> None:
    whole = jpeg_with_exif(size=(800, 600))
    with pytest.raises(PhotoRejected, match="damaged|not a JPEG"):
        check_photo(whole[: len(whole) // 2])


def test_an_image_of_absurd_dimensions_is_refused_before_it_is_decoded() -> None:
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG")  # a few kilobytes on disk, 81 megapixels decoded
    with pytest.raises(PhotoRejected, match="megapixels"):
        check_photo(out.getvalue())
