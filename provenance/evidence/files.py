"""What a file's bytes are: SHA-256 and SHA-1, size, media type (sniffed from the bytes, never
the name), and for photos the EXIF time, camera and GPS position and the pixel size (Pillow).
Thumbnails for the dossier. Nothing here touches the database.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from provenance.errors import EvidenceError
from provenance.limits import size_text

__all__ = [
    "MAX_THUMBNAIL_PIXELS",
    "FileFacts",
    "read_facts",
    "sniff",
    "strip_jpeg_exif",
    "thumbnail",
]

#: Images larger than this (pixels) are stored and hashed but get no thumbnail: decoding them
#: would take gigabytes (a decompression bomb is a few kilobytes that decode to billions).
MAX_THUMBNAIL_PIXELS = 200_000_000
_CHUNK = 1 << 20

# Signatures of the document kinds Pillow does not open, first bytes -> media type.
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"%PDF-", "application/pdf"),
    (0, b"PK\x03\x04", "application/zip"),
    (0, b"\x1f\x8b", "application/gzip"),
    (0, b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    (8, b"WAVE", "audio/wav"),
    (8, b"AVI ", "video/x-msvideo"),
)
_HEIF_BRANDS = {b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis"}


@dataclass(frozen=True)
class FileFacts:
    """What the bytes of one file are."""

    sha256: str
    sha1: str
    size_bytes: int
    media_type: str
    taken_at: str | None = None  # EXIF DateTimeOriginal as YYYY-MM-DD HH:MM:SS (no zone)
    camera: str | None = None
    gps_latitude: float | None = None
    gps_longitude: float | None = None
    width: int | None = None
    height: int | None = None


def _hashes(path: Path, limit: int) -> tuple[str, str, int, bytes]:
    sha256, sha1 = hashlib.sha256(), hashlib.sha1(usedforsecurity=False)
    size, head = 0, b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            if not head:
                head = chunk[:64]
            size += len(chunk)
            if size > limit:
                raise EvidenceError(
                    f"{path}: larger than the limit on an evidence file ({size_text(limit)}); "
                    "raise it with --limit evidence-size=SIZE"
                )
            sha256.update(chunk)
            sha1.update(chunk)
    return sha256.hexdigest(), sha1.hexdigest(), size, head


def sha256_of(path: Path) -> str:
    """The SHA-256 (hex) of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sniff(head: bytes) -> str | None:
    """The media type of a non-image document from its first bytes; None when not known."""
    for offset, signature, media_type in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return media_type
    if head[4:8] == b"ftyp":
        return "image/heic" if head[8:12] in _HEIF_BRANDS else "video/mp4"
    return None


def read_facts(path: Path, limit: int) -> FileFacts:
    """Hash ``path`` (refused past ``limit`` bytes) and read what its bytes say."""
    try:
        sha256, sha1, size, head = _hashes(path, limit)
    except OSError as exc:
        raise EvidenceError(f"{path}: cannot read it ({exc.strerror or exc})") from exc
    if size == 0:
        raise EvidenceError(f"{path}: the file is empty")
    media_type = sniff(head)
    if media_type is not None:
        return FileFacts(sha256, sha1, size, media_type)
    image = _image_facts(path)
    if image is not None:
        return FileFacts(sha256, sha1, size, **image)
    return FileFacts(sha256, sha1, size, _text_or_binary(head))


def _text_or_binary(head: bytes) -> str:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # A cut in the middle of a character at the end of the head is still text.
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return "application/octet-stream"
    return "text/plain" if b"\x00" not in head else "application/octet-stream"


def _image_facts(path: Path) -> dict[str, Any] | None:
    from PIL import Image, UnidentifiedImageError  # only for files that may be images

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns of large images: they stay stored
            with Image.open(path) as img:
                media_type = Image.MIME.get(img.format or "", "application/octet-stream")
                facts: dict[str, Any] = {
                    "media_type": media_type,
                    "width": img.width,
                    "height": img.height,
                }
                facts.update(_exif(img))
                return facts
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None
    except Image.DecompressionBombError:
        return None


_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_MAKE, _MODEL, _DATETIME, _DATETIME_ORIGINAL = 271, 272, 306, 36867


def _exif(img: Any) -> dict[str, Any]:
    """EXIF time, camera and GPS of an opened image; each None when absent or unreadable."""
    try:
        exif = img.getexif()
    except Exception:  # noqa: BLE001 - a broken EXIF block leaves the facts unknown
        return {}
    if not exif:
        return {}
    facts: dict[str, Any] = {}
    camera = " ".join(
        str(v).strip("\x00 ") for v in (exif.get(_MAKE), exif.get(_MODEL)) if v
    ).strip()
    facts["camera"] = camera[:300] or None
    try:
        taken = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
        gps = exif.get_ifd(_GPS_IFD)
    except Exception:  # noqa: BLE001
        return facts
    facts["taken_at"] = _exif_time(taken)
    facts["gps_latitude"] = _degrees(gps.get(2), gps.get(1), "S")
    facts["gps_longitude"] = _degrees(gps.get(4), gps.get(3), "W")
    return facts


def _exif_time(value: Any) -> str | None:
    """``2023:02:14 10:21:05`` -> ``2023-02-14 10:21:05``; None when it is not such a time."""
    text = str(value or "").strip("\x00 ")
    if len(text) < 19 or text[4] != ":" or text[7] != ":":
        return None
    out = f"{text[0:4]}-{text[5:7]}-{text[8:10]} {text[11:19]}"
    digits = out.replace("-", "").replace(" ", "").replace(":", "")
    return out if digits.isdigit() and digits != "0" * len(digits) else None


def _degrees(value: Any, ref: Any, negative: str) -> float | None:
    """EXIF degrees, minutes, seconds (rationals) and a reference letter -> decimal degrees."""
    try:
        d, m, s = (Fraction(str(float(x))) for x in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    degrees = float(d + m / 60 + s / 3600)
    if not -180 <= degrees <= 180:
        return None
    side = str(ref or "").strip("\x00 ").upper()
    return round(-degrees if side == negative else degrees, 7)


def thumbnail(path: Path, size: int = 320) -> bytes | None:
    """A JPEG thumbnail (longest side ``size`` pixels) of an image; None for anything else, for
    an image too large to decode safely, or one that cannot be decoded."""
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as img:
                if img.width * img.height > MAX_THUMBNAIL_PIXELS:
                    return None
                img.draft("RGB", (size, size))  # JPEG: decode at a fraction of the size
                small = ImageOps.exif_transpose(img)
                small.thumbnail((size, size))
                out = io.BytesIO()
                small.convert("RGB").save(out, "JPEG", quality=80)
                return out.getvalue()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None


def strip_jpeg_exif(data: bytes) -> bytes | None:
    """The JPEG without its EXIF segment (APP1 ``Exif``), the image data untouched; None when
    ``data`` is not a JPEG whose segments can be walked."""
    if data[:2] != b"\xff\xd8":
        return None
    out, i = bytearray(data[:2]), 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: the rest is image data
            out += data[i:]
            return bytes(out)
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        segment = data[i : i + 2 + length]
        if not (marker == 0xE1 and segment[4:10] == b"Exif\x00\x00"):
            out += segment
        i += 2 + length
    return None
