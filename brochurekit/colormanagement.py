"""Colour for the press: brand colours and raster images converted to the press's CMYK.

The conversion goes through an ICC profile (by default Ghostscript's default CMYK profile from
Debian's libgs-common; a clinic may name its print shop's own). A colour the clinic gave as
cmyk() is used as given.
"""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path

from .errors import InputError, Location

DEFAULT_CMYK_PROFILE = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")
SPECK = 0.02
_HEX = re.compile(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")


@cache
def _transform(profile: Path):
    from PIL import ImageCms  # Pillow comes with WeasyPrint

    try:
        cmyk = ImageCms.getOpenProfile(str(profile))
    except (OSError, ImageCms.PyCMSError) as exc:
        raise InputError(f"cannot use the CMYK profile ({exc}); install libgs-common "
                         "(make brochures does) or name a valid .icc file", Location(profile)
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


def css_cmyk(inks: tuple[float, float, float, float]) -> str:
    return "device-cmyk(" + " ".join(f"{ink:g}" for ink in inks) + ")"


def svg_to_cmyk(svg: bytes, profile: Path) -> bytes:
    """A (checked) SVG logo with every hex colour replaced by its CMYK equivalent."""
    def replace(match: re.Match) -> str:
        digits = match[1] if len(match[1]) == 6 else "".join(d * 2 for d in match[1])
        rgb = tuple(int(digits[i:i + 2], 16) for i in (0, 2, 4))
        return css_cmyk(rgb_to_cmyk(rgb, profile))
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
