"""Clinic assets (logos, brand fonts): checked before anything renders them.

WeasyPrint alone only logs a broken image, fetches what an SVG points at and decodes any pixel
count; here a logo must be a plain, self-contained SVG or a PNG/JPEG of sane size, and a font must
be a real TrueType/OpenType file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from fontTools.ttLib import TTFont, TTLibError

LOGO_SUFFIXES = {".svg": "SVG", ".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
FONT_SUFFIXES = (".ttf", ".otf")
MAX_ASSET_BYTES = 5 * 1024 * 1024
# A logo never needs more; refusing from the header stops decompression bombs before decoding.
MAX_LOGO_PIXELS = 25_000_000
# The cover's logo box (styles/tri-fold.css .cover-logo img): a raster logo is printed at most
# this size, so its resolution there is what the press sees.
LOGO_BOX_MM = (57.0, 24.0)
PRINT_DPI_GOOD, PRINT_DPI_MIN = 300, 150


@dataclass(frozen=True)
class AssetCheck:
    problem: str | None = None  # why the file is refused
    warning: str | None = None  # usable, but worth a look


def check_logo(path: Path) -> AssetCheck:
    kind = LOGO_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        return AssetCheck(f"{path.name} should be an SVG, PNG or JPEG file")
    if problem := _not_a_regular_file(path):
        return AssetCheck(problem)
    if path.stat().st_size > MAX_ASSET_BYTES:
        return AssetCheck(f"{path.name} is larger than {MAX_ASSET_BYTES // 2**20} MB")
    if kind == "SVG":
        return _check_svg(path)
    return _check_raster(path, kind)


def _not_a_regular_file(path: Path) -> str | None:
    """Why `path` cannot be read as a file; FIFOs, devices and folders are refused unopened."""
    if not path.exists():
        return f"{path.name} does not exist; check the file's name and folder"
    if not path.is_file():
        return f"{path.name} is not a regular file"
    return None


def _check_svg(path: Path) -> AssetCheck:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return AssetCheck(f"{path.name} is not UTF-8 text, so not a usable SVG")
    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        return AssetCheck(f"{path.name} declares a DOCTYPE or entities, which can read other "
                          "files or expand without limit; save the SVG without them")
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        return AssetCheck(f"{path.name} is not well-formed SVG ({exc})")
    if _local(root.tag) != "svg":
        return AssetCheck(f"{path.name} is not an SVG image (its root is <{_local(root.tag)}>)")
    for element in root.iter():
        tag = _local(element.tag)
        if tag in ("script", "foreignObject"):
            return AssetCheck(f"{path.name} contains <{tag}>; logos must be plain drawings")
        for name, value in element.attrib.items():
            attribute = _local(name)
            if attribute.lower().startswith("on"):
                return AssetCheck(f"{path.name} has an event handler ({attribute}); remove it")
            if attribute == "href" and not value.startswith("#"):
                return AssetCheck(f"{path.name} refers to {value[:60]!r}; a logo must not "
                                  "load other files or addresses (embed everything)")
        styles = " ".join(filter(None, (element.get("style"), element.text if tag == "style"
                                        else None)))
        if re.search(r"url\(\s*['\"]?(?!#)|@import", styles):
            return AssetCheck(f"{path.name} loads a resource from its styles; a logo must be "
                              "self-contained")
    return AssetCheck()


def _check_raster(path: Path, kind: str) -> AssetCheck:
    from PIL import Image  # Pillow comes with WeasyPrint; only raster logos need it

    # Pillow refuses huge images in open() with its own message; lift its guard for the
    # header read (open() decodes no pixels) so our limit, which is far lower, speaks first.
    guard, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
    try:
        image = Image.open(path)
    except (OSError, SyntaxError, ValueError) as exc:
        return AssetCheck(f"{path.name} is not a readable {kind} image ({exc})")
    finally:
        Image.MAX_IMAGE_PIXELS = guard
    try:
        with image:
            width, height = image.size
            if image.format != kind:
                return AssetCheck(f"{path.name} is {image.format or 'not an image'}, not {kind} "
                                  "as its name says")
            if width * height > MAX_LOGO_PIXELS:
                return AssetCheck(f"{path.name} is {width} x {height} pixels, more than a logo "
                                  f"needs ({MAX_LOGO_PIXELS // 1_000_000} million at most)")
            image.verify()  # reads the whole file: truncated or corrupt data fails here
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        return AssetCheck(f"{path.name} is not a readable {kind} image ({exc})")
    dpi = print_dpi(width, height)
    if dpi < PRINT_DPI_MIN:
        return AssetCheck(f"{path.name} prints at only {dpi:.0f} dpi on the cover (at least "
                          f"{PRINT_DPI_MIN}, ideally {PRINT_DPI_GOOD}); use a larger image or SVG")
    if dpi < PRINT_DPI_GOOD:
        return AssetCheck(warning=f"{path.name} prints at {dpi:.0f} dpi on the cover; "
                                  f"{PRINT_DPI_GOOD} dpi or an SVG would print sharper")
    return AssetCheck()


def print_dpi(width_px: int, height_px: int) -> float:
    """Resolution of a raster logo scaled to fit the cover's logo box."""
    box_w, box_h = LOGO_BOX_MM
    scale_mm_per_px = min(box_w / width_px, box_h / height_px)
    return 25.4 / scale_mm_per_px


def check_font(path: Path) -> AssetCheck:
    if path.suffix.lower() not in FONT_SUFFIXES:
        return AssetCheck(f"{path.name} should be a .ttf or .otf font file")
    if problem := _not_a_regular_file(path):
        return AssetCheck(problem)
    if path.stat().st_size > 4 * MAX_ASSET_BYTES:
        return AssetCheck(f"{path.name} is too large for a brand font")
    try:
        font = TTFont(path, lazy=True)
        font.getBestCmap()
        # OS/2 fsType bit 1: "restricted licence embedding", the font may not be put in a PDF.
        restricted = "OS/2" in font and font["OS/2"].fsType & 0x000F == 0x0002
        font.close()
    except (TTLibError, OSError, KeyError, AssertionError, ValueError) as exc:
        return AssetCheck(f"{path.name} is not a usable TrueType/OpenType font ({exc})")
    if restricted:
        return AssetCheck(f"{path.name}'s licence does not allow embedding it in a document "
                          "(OS/2 fsType: restricted), so no print-ready PDF can use it; ask the "
                          "foundry for an embeddable licence or choose another font")
    return AssetCheck()


def font_characters(path: Path) -> set[str]:
    font = TTFont(path, lazy=True)
    try:
        return {chr(code) for code in (font.getBestCmap() or {})}
    finally:
        font.close()


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def check_icc(path: Path) -> AssetCheck:
    """A print shop's CMYK output profile (.icc)."""
    if path.suffix.lower() not in (".icc", ".icm"):
        return AssetCheck(f"{path.name} should be an ICC profile (.icc)")
    if not path.is_file() or path.stat().st_size > 4 * MAX_ASSET_BYTES:
        return AssetCheck(f"{path.name} is not a usable ICC profile file")
    header = path.read_bytes()[:20]
    if header[16:20] != b"CMYK":  # the profile's data colour space
        return AssetCheck(f"{path.name} is not a CMYK output (printer) profile")
    return AssetCheck()
