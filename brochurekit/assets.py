"""Clinic assets (logos, brand fonts): checked before anything renders them.

WeasyPrint alone only logs a broken image, fetches what an SVG points at and decodes any pixel
count; here a logo must be a plain, self-contained SVG or a PNG/JPEG of sane size, and a font must
be a real TrueType/OpenType file.
"""

from __future__ import annotations

import contextlib
import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from fontTools.ttLib import TTFont, TTLibError

LOGO_SUFFIXES = {".svg": "SVG", ".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
# Formats phones and browsers save images in, refused with the command that converts them.
PHONE_FORMATS = {
    ".webp": ("a WebP image", "dwebp {source} -o {target}"),  # Debian: webp
    ".heic": ("a HEIC photo (an iPhone's format)", "heif-convert {source} {target}"),
    ".heif": ("a HEIF photo", "heif-convert {source} {target}"),  # Debian: libheif-examples
    ".avif": ("an AVIF image", "heif-convert {source} {target}"),
}
FONT_SUFFIXES = (".ttf", ".otf")
MAX_ASSET_BYTES = 5 * 1024 * 1024
# A logo never needs more; refusing from the header stops decompression bombs before decoding.
MAX_LOGO_PIXELS = 25_000_000
# The cover's logo box (styles/tri-fold.css .cover-logo img): a raster logo is printed at most
# this size, so its resolution there is what the press sees.
LOGO_BOX_MM = (57.0, 24.0)
PRINT_DPI_GOOD, PRINT_DPI_MIN = 300, 150
PHOTO_SUFFIXES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
MAX_PHOTO_BYTES = 20 * 1024 * 1024
MAX_PHOTO_PIXELS = 50_000_000
# The largest box a clinic photo fills (the tri-fold cover's picture at its tallest, on the
# widest panel: styles/tokens.css --art-cover-picture); the photo is cropped to fill it, so its
# resolution there is what the press sees.
PHOTO_BOX_MM = (83.0, 76.0)


@dataclass(frozen=True)
class RasterUse:
    """Where a raster image prints: its largest box there, and what the messages call it."""

    what: str  # "logo", "photo"
    max_pixels: int
    box_mm: tuple[float, float]
    where: str  # "on the cover"
    larger: str  # what to use instead of an image too small for its box
    # Cropped to fill its box (object-fit: cover) rather than scaled to fit inside it.
    fills_box: bool = False

    def print_dpi(self, width_px: int, height_px: int) -> float:
        """The image's resolution at its printed size: scaled to fit inside its box, or, when
        it fills the box, scaled until both sides cover it (the rest is cropped)."""
        box_w, box_h = self.box_mm
        mm_per_px = (max if self.fills_box else min)(box_w / width_px, box_h / height_px)
        return 25.4 / mm_per_px


LOGO = RasterUse("logo", MAX_LOGO_PIXELS, LOGO_BOX_MM, "on the cover", "a larger image or SVG")
PHOTO = RasterUse("photo", MAX_PHOTO_PIXELS, PHOTO_BOX_MM, "as the cover photo",
                  "a larger photo", fills_box=True)


@dataclass(frozen=True)
class AssetCheck:
    problem: str | None = None  # why the file is refused
    warning: str | None = None  # usable, but worth a look


def check_logo(path: Path) -> AssetCheck:
    kind = _image_kind(path, LOGO_SUFFIXES, "an SVG, PNG or JPEG file", MAX_ASSET_BYTES)
    if isinstance(kind, AssetCheck):
        return kind
    if kind == "SVG":
        return _check_svg(path)
    return _check_raster(path, kind, LOGO)


def _image_kind(path: Path, kinds: dict[str, str], wanted: str, max_bytes: int,
                hint: str = "") -> str | AssetCheck:
    """The image format its name promises, or why the file is refused before it is opened."""
    kind = kinds.get(path.suffix.lower())
    if kind is None and path.suffix.lower() in PHONE_FORMATS:
        # What phones save: printers and PDF/X want PNG or JPEG; say how to get one.
        name, tool = PHONE_FORMATS[path.suffix.lower()]
        png = path.with_suffix(".png").name
        command = tool.format(source=path.name, target=png)
        return AssetCheck(f"{path.name} is {name}, which a brochure cannot print; convert it "
                          f"first, for example with `{command}`, then give {png}")
    if kind is None:
        return AssetCheck(f"{path.name} should be {wanted}")
    if problem := _not_a_regular_file(path):
        return AssetCheck(problem)
    if path.stat().st_size > max_bytes:
        return AssetCheck(f"{path.name} is larger than {max_bytes // 2**20} MB{hint}")
    return kind


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
    if re.search(r"<\?xml-stylesheet", text, re.IGNORECASE):
        return AssetCheck(f"{path.name} links a stylesheet (<?xml-stylesheet?>); a logo must be "
                          "self-contained")
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
            # A style attribute is CSS; any other may hold a url() (fill, filter, mask...).
            if (attribute == "style" or "(" in value) and (problem := _css_problem(
                    value, at_rules=attribute == "style")):
                return AssetCheck(f"{path.name} {problem}")
        if tag == "style" and (problem := _css_problem("".join(element.itertext()))):
            return AssetCheck(f"{path.name} {problem}")
    drawn = _drawn_elements(root)
    if drawn is None:
        return AssetCheck(f"{path.name} has a <use> that refers back to itself, which never "
                          "ends; save the SVG again from its drawing program")
    if drawn > MAX_SVG_ELEMENTS:
        return AssetCheck(f"{path.name} expands to more than {MAX_SVG_ELEMENTS:,} shapes once "
                          "its <use> copies are drawn (a few lines that multiply without limit); "
                          "a logo needs far fewer: simplify it or export it flat")
    return AssetCheck()


# A detailed logo draws a few thousand shapes; past this, layout takes minutes.
MAX_SVG_ELEMENTS = 20_000
# CSS functions that load an image or a file (url() is checked by its target).
_LOADING_FUNCTIONS = {"url", "src", "image", "image-set", "-webkit-image-set", "cross-fade",
                      "element"}


def _css_problem(css: str, at_rules: bool = True) -> str | None:
    """Why a logo's CSS (a style attribute, a <style> sheet, or a url() in an attribute) could
    load something: read with the tokenizer WeasyPrint itself uses, so escapes, comments and
    letter case cannot disguise an @import or a url()."""
    import tinycss2  # comes with WeasyPrint

    pending = list(tinycss2.parse_component_value_list(css, skip_comments=True))
    while pending:
        token = pending.pop()
        if token.type == "at-keyword" and at_rules:
            return (f"has a CSS @{token.lower_value} rule in its styles; a logo must be "
                    "self-contained (no @import, @font-face or other at-rules)")
        if token.type == "url" and not token.value.strip().startswith("#"):
            return "loads a resource from its styles; a logo must be self-contained"
        if token.type == "function":
            if token.lower_name in _LOADING_FUNCTIONS:
                target = next((t.value for t in token.arguments if t.type == "string"), "")
                if token.lower_name != "url" or not target.strip().startswith("#"):
                    return "loads a resource from its styles; a logo must be self-contained"
            pending += token.arguments
        elif token.type in ("() block", "[] block", "{} block"):
            pending += token.content
    return None


def _drawn_elements(root: ElementTree.Element) -> int | None:
    """How many elements the SVG draws once every <use> is replaced by what it refers to
    (counted up to just past the limit), or None when a <use> refers to itself or an ancestor.
    Iterative, so neither deep nesting nor long chains of <use> can exhaust the stack."""
    ids = {element.get("id"): element for element in root.iter() if element.get("id")}

    def parts(element) -> list:
        found = list(element)
        if _local(element.tag) == "use":
            href = next((v for k, v in element.attrib.items() if _local(k) == "href"), "")
            if href.startswith("#") and (target := ids.get(href[1:])) is not None:
                found.append(target)
        return found

    counted: dict[int, int] = {}
    open_now: set[int] = set()  # on the path being counted
    stack = [(root, False)]
    while stack:
        element, expanded = stack.pop()
        key = id(element)
        if key in counted:
            continue
        if expanded:
            total = 1 + sum(counted[id(part)] for part in parts(element))
            counted[key] = min(total, MAX_SVG_ELEMENTS + 1)
            open_now.discard(key)
            continue
        open_now.add(key)
        stack.append((element, True))
        for part in parts(element):
            if id(part) in open_now:
                return None
            if id(part) not in counted:
                stack.append((part, False))
    return counted[id(root)]


def check_photo(path: Path) -> AssetCheck:
    """A clinic or practitioner photo: a PNG or JPEG sharp enough at its printed size."""
    kind = _image_kind(path, PHOTO_SUFFIXES, "a JPEG or PNG photo (.jpg or .png)",
                       MAX_PHOTO_BYTES, "; save it at about 1500 pixels wide, which prints sharp")
    if isinstance(kind, AssetCheck):
        return kind
    return _check_raster(path, kind, PHOTO)


def _check_raster(path: Path, kind: str, use: RasterUse) -> AssetCheck:
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
            if width * height > use.max_pixels:
                return AssetCheck(f"{path.name} is {width} x {height} pixels, more than a "
                                  f"{use.what} needs ({use.max_pixels // 1_000_000} million at "
                                  "most)")
            image.verify()  # reads the whole file: truncated or corrupt data fails here
        camera = ""
        if use is LOGO:  # verify() leaves the image unusable: open it again for its EXIF
            with Image.open(path) as again:
                camera = _camera(again)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        return AssetCheck(f"{path.name} is not a readable {kind} image ({exc})")
    if camera:
        return AssetCheck(warning=f"{path.name} looks like a camera photo ({width} x {height}"
                                  f"{', ' + camera if camera != 'photo' else ''}), not a logo: "
                                  "a logo is drawn, usually an SVG or a PNG with a transparent "
                                  "background; ask for the clinic's logo file")
    dpi = use.print_dpi(width, height)
    if dpi < PRINT_DPI_MIN:
        return AssetCheck(f"{path.name} prints at only {dpi:.0f} dpi {use.where} (at least "
                          f"{PRINT_DPI_MIN}, ideally {PRINT_DPI_GOOD}); use {use.larger}")
    if dpi < PRINT_DPI_GOOD:
        return AssetCheck(warning=f"{path.name} prints at {dpi:.0f} dpi {use.where}; "
                                  f"{PRINT_DPI_GOOD} dpi ({use.larger}) would print sharper")
    return AssetCheck()


def _camera(image) -> str:
    """What says the image is a camera's photo: its EXIF camera ("from a Pixel 7"), or a
    photo's size and format (a JPEG of 8 megapixels or more); "" for anything else."""
    exif = image.getexif()
    model = " ".join(str(exif.get(tag, "")).strip() for tag in (0x010F, 0x0110)).strip()
    if model:
        return f"from a {model}"
    width, height = image.size
    return "photo" if image.format == "JPEG" and width * height >= 8_000_000 else ""


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
    stat = path.stat()
    if problem := _glyph_problem(path, stat.st_size, stat.st_mtime_ns):
        return AssetCheck(f"{path.name} {problem}; the file is damaged: get a fresh copy from "
                          "the foundry")
    return AssetCheck()


# The tables that say how every character is drawn: damage there prints blank or broken text.
_GLYPH_TABLES = ("head", "cmap", "loca", "glyf", "CFF ", "CFF2", "hmtx", "maxp")


@functools.lru_cache(maxsize=64)
def _glyph_problem(path: Path, size: int, mtime_ns: int) -> str | None:
    """Whether every glyph of a font can be drawn, within a sane box, and every letter and
    digit it maps has an outline. Size and time are part of the key of the cache, so that a
    replaced file is checked again; forked workers inherit what the main process checked."""
    from fontTools.pens.boundsPen import ControlBoundsPen

    try:
        font = TTFont(path, lazy=True, checkChecksums=2)  # 2: a bad checksum raises
        for tag in _GLYPH_TABLES:
            if tag in font.reader:
                font.reader[tag]  # reading the raw table verifies its checksum
        limit = 10 * font["head"].unitsPerEm  # past this a glyph draws across the page
        glyphs = font.getGlyphSet()
        outlined = set()
        for name in font.getGlyphOrder():
            pen = ControlBoundsPen(glyphs)
            glyphs[name].draw(pen)
            if pen.bounds is not None:
                if max(map(abs, pen.bounds)) > limit:
                    return f"draws its glyph {name!r} far outside its box"
                outlined.add(name)
        for code, name in (font.getBestCmap() or {}).items():
            if unicodedata.category(chr(code))[0] in "LN" and name not in outlined:
                return f"has no outline for {chr(code)!r} (U+{code:04X}), so it would print blank"
    except AssertionError as exc:
        return f"has glyph data that does not match its checksum ({exc})"
    except Exception as exc:  # fontTools raises many kinds on damaged data
        return f"has glyph data that cannot be read ({type(exc).__name__}: {exc})"
    finally:
        with contextlib.suppress(Exception):
            font.close()
    return None


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
