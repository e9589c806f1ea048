"""Colour for the press: brand colours and raster images converted to the press's CMYK.

The conversion goes through the ICC profile of the clinic's printing condition (see press.py),
or its print shop's own. A colour the clinic gave as cmyk() is used as given."""

from __future__ import annotations

import io
import math
import re
from functools import cache
from pathlib import Path

from .errors import InputError, Location

SPECK = 0.02
NEUTRAL_CHROMA = 8  # CIE Lab chroma under which a colour reads as grey or black
_HEX = re.compile(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")


@cache
def _transform(profile: Path):
    from PIL import ImageCms  # Pillow comes with WeasyPrint

    try:
        cmyk = ImageCms.getOpenProfile(str(profile))
    except (OSError, ImageCms.PyCMSError) as exc:
        raise InputError(f"cannot use the CMYK profile ({exc}); run `make brochures` (it "
                         "builds the press profiles) or name a valid .icc file", Location(profile)
                         ) from None
    return ImageCms.buildTransform(ImageCms.createProfile("sRGB"), cmyk, "RGB", "CMYK",
                                   renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)


def rgb_to_cmyk(rgb: tuple[int, int, int], profile: Path) -> tuple[float, float, float, float]:
    """An sRGB colour as the press's CMYK inks (0..1 each)."""
    from PIL import Image

    pixel = Image.new("RGB", (1, 1), rgb)
    converted = _transform(profile).apply(pixel).getpixel((0, 0))
    # An ink under 2% prints as a speckle on its plate, not as colour; conversions leave such
    # traces (a K of 1/255 in a brand orange).
    return tuple(0.0 if value / 255 < SPECK else round(value / 255, 4) for value in converted)


@cache
def _to_lab(profile: Path):
    from PIL import ImageCms

    _transform(profile)  # the readable error for an unusable profile
    return ImageCms.buildTransform(ImageCms.getOpenProfile(str(profile)),
                                   ImageCms.createProfile("LAB"), "CMYK", "LAB",
                                   renderingIntent=ImageCms.Intent.ABSOLUTE_COLORIMETRIC)


def _lab_values(pixels: list[tuple[int, ...]], profile: Path) -> list[tuple[float, float, float]]:
    """CMYK pixels (0..255) as the press prints them, in CIE Lab."""
    from PIL import Image

    image = Image.frombytes("CMYK", (len(pixels), 1), bytes(v for p in pixels for v in p))
    data = _to_lab(profile).apply(image).tobytes()
    # Pillow's LAB: L scaled to 0..255, a and b as signed bytes.
    return [(data[i] * 100 / 255, *(v - 256 if v > 127 else v for v in data[i + 1:i + 3]))
            for i in range(0, len(data), 3)]


def _difference(lab: tuple[float, ...], target: tuple[float, ...]) -> float:
    """Squared CIE76 colour difference (lightness at full weight: small type must keep its
    contrast with the paper)."""
    return sum((x - y) ** 2 for x, y in zip(lab, target, strict=True))


@cache
def two_inks(rgb: tuple[int, int, int], profile: Path) -> tuple[float, float, float, float]:
    """The nearest colour (CIE76 in the press's Lab) printed with at most two inks, for small
    coloured type: four plates never register perfectly, and a hairline of each fringes it.
    Searched in 5% steps over every pair of inks."""
    full = tuple(round(ink * 255) for ink in rgb_to_cmyk(rgb, profile))
    target = _lab_values([full], profile)[0]
    steps = [round(i * 255 / 20) for i in range(21)]
    if math.hypot(target[1], target[2]) < NEUTRAL_CHROMA:
        candidates = [(0, 0, 0, k) for k in steps]  # a grey or black: black ink alone
    else:
        candidates = []
        for first in range(4):
            for second in range(first + 1, 4):
                for a in steps:
                    for b in steps:
                        inks = [0, 0, 0, 0]
                        inks[first], inks[second] = a, b
                        candidates.append(tuple(inks))
    labs = _lab_values(candidates, profile)
    best = min(range(len(candidates)), key=lambda i: _difference(labs[i], target))
    return tuple(round(value / 255, 4) for value in candidates[best])


def css_cmyk(inks: tuple[float, float, float, float]) -> str:
    return "device-cmyk(" + " ".join(f"{ink:g}" for ink in inks) + ")"


def svg_to_cmyk(svg: bytes, profile: Path) -> bytes:
    """A (checked) SVG logo with every hex colour replaced by its nearest CMYK in at most two
    inks: a logo is small type and fine lines, which fringe when four plates miss."""
    def replace(match: re.Match) -> str:
        digits = match[1] if len(match[1]) == 6 else "".join(d * 2 for d in match[1])
        rgb = tuple(int(digits[i:i + 2], 16) for i in (0, 2, 4))
        return css_cmyk(two_inks(rgb, profile))
    text = svg.decode("utf-8")
    text = re.sub(r'(fill|stroke|stop-color)="(white|black)"',
                  lambda m: f'{m[1]}="{"#ffffff" if m[2] == "white" else "#000000"}"', text)
    return _HEX.sub(replace, text).encode("utf-8")


def raster_to_cmyk(data: bytes, profile: Path) -> bytes:
    """A PNG or JPEG logo as a CMYK JPEG for the press (transparency flattened on white)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        if image.mode in ("RGBA", "LA", "P"):
            image = image.convert("RGBA")
            flat = Image.new("RGB", image.size, (255, 255, 255))
            flat.paste(image, mask=image.getchannel("A"))
            image = flat
        cmyk = _transform(profile).apply(image.convert("RGB"))
    out = io.BytesIO()
    cmyk.save(out, "JPEG", quality=92, optimize=False)
    return out.getvalue()
