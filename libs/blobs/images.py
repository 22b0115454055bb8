"""Photos as the district keeps them: whatever arrives is decoded by Pillow and re-encoded as a fresh JPEG, so only
a real JPEG, PNG or WebP image gets in (a script renamed .jpg does not), and nothing of the original file survives
but its pixels: no EXIF, no GPS, no maker notes, no trailing bytes. The GPS position is read first and handed back
as a suggestion; the reporter decides whether it becomes the ticket's location. No I/O."""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from fractions import Fraction

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_PIXELS = 64_000_000  # 8000 x 8000: above any phone's ordinary mode, far below a decompression bomb
MAX_SIDE = 2560  # the kept photo's longer side; enough to read a house number, a tenth of a phone original
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 75
CONTENT_TYPE = "image/jpeg"

_GPS_IFD = 0x8825
_LAT_REF, _LAT, _LON_REF, _LON = 1, 2, 3, 4


class PhotoRejected(ValueError):
    """The bytes are not a photo we keep; the message says why in plain words."""


@dataclass(frozen=True)
class CheckedPhoto:
    """The re-encoded photo, its thumbnail, and where the camera said it was (None when it did not say)."""

    jpeg: bytes
    thumbnail: bytes
    width: int
    height: int
    source_format: str
    location: tuple[float, float] | None  # (latitude, longitude) from EXIF GPS


def check_photo(data: bytes, *, max_side: int = MAX_SIDE, thumbnail_side: int = THUMBNAIL_SIDE) -> CheckedPhoto:
    """Decode, read GPS, drop everything but the pixels (upright), re-encode; PhotoRejected for anything else."""
    if not data:
        raise PhotoRejected("the file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
            if image.width * image.height > MAX_PIXELS:
                raise PhotoRejected(f"the image is {image.width}×{image.height} pixels; at most {MAX_PIXELS // 1_000_000} megapixels")
            source_format = image.format or ""
            location = gps_location(image)
            if source_format == "JPEG":
                image.draft("RGB", (max_side, max_side))  # decode at a reduced scale: faster, less memory
            image.load()
            upright = ImageOps.exif_transpose(image)
            pixels = _rgb(upright)
    except PhotoRejected:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRejected("the file is not a JPEG, PNG or WebP image") from None
    except (OSError, ValueError, SyntaxError, EOFError):  # truncated or corrupt data, an unsupported variant
        raise PhotoRejected("the image data is damaged and cannot be read") from None
    pixels.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    thumbnail = pixels.copy()
    thumbnail.thumbnail((thumbnail_side, thumbnail_side), Image.Resampling.LANCZOS)
    return CheckedPhoto(
        jpeg=_jpeg(pixels, JPEG_QUALITY),
        thumbnail=_jpeg(thumbnail, THUMBNAIL_QUALITY),
        width=pixels.width,
        height=pixels.height,
        source_format=source_format,
        location=location,
    )


def _rgb(image: Image.Image) -> Image.Image:
    """Opaque RGB: transparency laid on white (a transparent PNG must not turn black in a JPEG)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit and float greyscale PNGs
        image = image.point(lambda v: v / 256).convert("L") if image.mode != "F" else image.convert("L")
    return image.convert("RGB")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)  # no exif=, no icc_profile=: none kept
    return out.getvalue()


def gps_location(image: Image.Image) -> tuple[float, float] | None:
    """(latitude, longitude) in decimal degrees from the EXIF GPS block, or None when absent, partial or impossible."""
    try:
        gps = image.getexif().get_ifd(_GPS_IFD)
    except Exception:  # noqa: BLE001 - a malformed EXIF block means no position, not a refused photo
        return None
    if not gps:
        return None
    try:
        latitude = _degrees(gps[_LAT], gps.get(_LAT_REF), negative="S")
        longitude = _degrees(gps[_LON], gps.get(_LON_REF), negative="W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180) or (latitude == 0 and longitude == 0):
        return None  # (0, 0) is what cameras write when they have no fix
    return round(latitude, 7), round(longitude, 7)


def _degrees(dms, ref, *, negative: str) -> float:  # noqa: ANN001 - EXIF rationals of several shapes
    degrees, minutes, seconds = (float(Fraction(*part)) if isinstance(part, tuple) else float(part) for part in dms)
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "ignore")
    value = degrees + minutes / 60 + seconds / 3600
    if value != value:  # NaN from a 0/0 rational
        raise ValueError("not a number")
    return -value if str(ref or "").strip().upper() == negative else value
