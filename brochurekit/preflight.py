"""Preflight: facts measured on the rendered PDF, as a print shop's preflight would.

Each rule returns findings that name the page and element. They run at the end of every build
(before a file is published) and on demand with `ims-brochure check`. Overflow is measured
during the build itself, where text can still be fitted.
"""

from __future__ import annotations

import math
import re
import subprocess
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .colormanagement import SPECK
from .press import PRESS_CONDITIONS, REGISTRY

PT_PER_MM = 72 / 25.4
# Type under this size must not depend on plates registering (preflight profiles' 12 pt rule).
SMALL_TEXT_PT = 12
# Dark text (black ink at half or more, the others about even: a rich black or a dark grey)
# prints in black ink alone.
DARK_K, NEUTRAL_SPREAD = 0.5, 0.3
REGISTERED_CONDITIONS = frozenset(c.identifier for c in PRESS_CONDITIONS.values())
# A graphics state that sets fill overprint, as qpdf's QDF form writes its dictionary.
_OVERPRINT_STATE = re.compile(rb"/([\w.]+) <<\n(?:\s+/\w+ [^\n]*\n)*?\s+/op true\n")
_PAGE_CONTENTS = re.compile(rb"%% Contents for page (\d+)\n.*?\nstream\n(.*?)\nendstream",
                            re.DOTALL)
BOX_TOLERANCE_PT = 0.1
DPI_WARN, DPI_FAIL = 300, 150


@dataclass(frozen=True)
class Finding:
    rule: str  # page-boxes, fonts, colour, images, structure, glyphs, overflow
    level: str  # error or warning
    message: str
    page: int | None = None

    def __str__(self) -> str:
        where = f"page {self.page}: " if self.page else ""
        return f"{self.level}: {self.rule}: {where}{self.message}"


@dataclass(frozen=True)
class Expected:
    """What a cell's PDF must measure: trim size (pt), bleed (pt, 0 on screen), page count."""

    width_pt: float
    height_pt: float
    bleed_pt: float
    pages: int
    profile: str


def preflight_pdf(path: Path, expected: Expected) -> list[Finding]:
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            expanded = _expand(pdf, decode=expected.profile == "print")
            damage = pdf.get_warnings()
            if damage:  # repaired on reading: `qpdf --check` fails it too
                return [_damaged("; ".join(damage[:3]))]
            pages = [page.obj for page in pdf.pages]
            findings = _page_boxes(pages, expected)
            findings += _fonts(pages)
            if b"/Subtype /Image" in expanded:  # poppler is only asked when there is an image
                findings += _images(path, expected.profile)
            if expected.profile == "print":
                findings += _colour(expanded)
                findings += _small_text_inks(expanded)
                findings += _output_intent(pdf.Root)
            return findings
    except pikepdf.PdfError as exc:
        return [_damaged(str(exc))]
    except OSError as exc:  # not readable at all (permissions, a folder in its place)
        return [Finding("structure", "error",
                        f"the PDF cannot be read ({exc.strerror or exc}): {path}")]


def _damaged(detail: str) -> Finding:
    return Finding("structure", "error", f"qpdf reports a damaged file: {detail.strip()}")


def _expand(pdf, decode: bool = True) -> bytes:
    """The PDF as plain objects, no object streams; with `decode`, every stream decoded and
    every content stream tokenized (qpdf's QDF form).

    To write it qpdf parses every object (and with `decode` every stream), so damage fails it
    as it fails `qpdf --check`; one pass serves structure and colour. qpdf's library does it
    in this process (pikepdf): the `qpdf` command started for each file, and pypdf reading its
    output, took three times as long (2.0 s against 0.7 s for the 102 files of the matrix).
    Only a print file's colour checks read its streams: a screen file's are left as they are,
    which takes a third of the time.
    """
    import io

    import pikepdf

    written = io.BytesIO()
    if decode:
        pdf.save(written, qdf=True, object_stream_mode=pikepdf.ObjectStreamMode.disable,
                 stream_decode_level=pikepdf.StreamDecodeLevel.generalized,
                 compress_streams=False, normalize_content=True, fix_metadata_version=False)
    else:
        pdf.save(written, stream_decode_level=pikepdf.StreamDecodeLevel.none,
                 object_stream_mode=pikepdf.ObjectStreamMode.disable,
                 fix_metadata_version=False)
    return written.getvalue()


def _page_boxes(pages, expected: Expected) -> list[Finding]:
    findings = []
    if len(pages) != expected.pages:
        findings.append(Finding("page-boxes", "error", f"{len(pages)} pages instead of "
                                                       f"{expected.pages}"))
    for number, page in enumerate(pages, start=1):
        trim = page.get("/TrimBox")
        bleed = page.get("/BleedBox")
        if trim is None or bleed is None:
            findings.append(Finding("page-boxes", "error", "TrimBox or BleedBox is missing",
                                    number))
            continue
        x0, y0, x1, y1 = (float(v) for v in trim)
        width, height = x1 - x0, y1 - y0
        if abs(width - expected.width_pt) > BOX_TOLERANCE_PT or \
                abs(height - expected.height_pt) > BOX_TOLERANCE_PT:
            findings.append(Finding(
                "page-boxes", "error",
                f"the trim is {width / PT_PER_MM:.1f} x {height / PT_PER_MM:.1f} mm, but this "
                f"brochure is {expected.width_pt / PT_PER_MM:.1f} x "
                f"{expected.height_pt / PT_PER_MM:.1f} mm", number))
        b0, c0, b1, c1 = (float(v) for v in bleed)
        margins = (x0 - b0, y0 - c0, b1 - x1, c1 - y1)
        if any(abs(margin - expected.bleed_pt) > BOX_TOLERANCE_PT for margin in margins):
            sides = ", ".join(f"{m / PT_PER_MM:.2f}" for m in margins)
            want = f"{expected.bleed_pt / PT_PER_MM:.2f} mm on every side" \
                if expected.bleed_pt else "none"
            findings.append(Finding("page-boxes", "error",
                                    f"the bleed is {sides} mm (left, bottom, right, top); "
                                    f"this profile needs {want}", number))
    return findings


def _fonts(pages) -> list[Finding]:
    findings, seen = [], set()
    for number, page in enumerate(pages, start=1):
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            name = str(font.get("/BaseFont", "?"))
            if name in seen:
                continue
            seen.add(name)
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font.DescendantFonts[0].get("/FontDescriptor")
            descriptor = descriptor if descriptor is not None else {}
            if not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                findings.append(Finding("fonts", "error", f"the font {name} is not embedded",
                                        number))
            elif not re.match(r"^/[A-Z]{6}\+", name):
                findings.append(Finding("fonts", "warning", f"the font {name} is embedded "
                                                            "whole, not subset", number))
    return findings


def _images(path: Path, profile: str) -> list[Finding]:
    """Effective resolution of every placed image (poppler's pdfimages measures it)."""
    result = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True)
    findings = []
    for line in result.stdout.splitlines()[2:]:
        parts = line.split()
        if len(parts) < 14 or parts[2] in ("smask", "mask"):
            continue
        page, color, x_ppi, y_ppi = int(parts[0]), parts[5], parts[12], parts[13]
        try:
            dpi = min(float(x_ppi), float(y_ppi))
        except ValueError:
            continue
        if profile == "print" and dpi < DPI_FAIL:
            findings.append(Finding("images", "error", f"an image prints at {dpi:.0f} dpi (at "
                                                       f"least {DPI_FAIL} needed)", page))
        elif profile == "print" and dpi < DPI_WARN:
            findings.append(Finding("images", "warning", f"an image prints at {dpi:.0f} dpi "
                                                         f"({DPI_WARN} recommended)", page))
        if profile == "print" and color == "rgb":
            findings.append(Finding("colour", "error", "an RGB image in a print file; it "
                                                       "should be CMYK", page))
    return findings


def _colour(expanded: bytes) -> list[Finding]:
    """RGB left in content streams or colour spaces of a press file (ICC images excepted)."""
    findings = []
    # QDF puts every content-stream operator on its own line; the regex only runs when such a
    # line can exist, as scanning half a megabyte of fonts for it costs more than the rest.
    operators = len(re.findall(rb"(?m)^[\d. ]+ (?:rg|RG)$", expanded)) \
        if b" rg\n" in expanded or b" RG\n" in expanded else 0
    if operators:
        findings.append(Finding("colour", "error", f"{operators} RGB colour setting(s) in the "
                                                   "page content; print files must be CMYK"))
    if b"/DeviceRGB" in expanded:
        findings.append(Finding("colour", "error", "an RGB colour space is used; print files "
                                                   "must be CMYK"))
    return findings


def _output_intent(catalog) -> list[Finding]:
    """A PDF/X output intent names a printing condition registered at the ICC and embeds its
    profile ("Custom" is allowed with a profile: the print shop's own)."""
    intents = catalog.get("/OutputIntents") or []
    if not intents:
        return [Finding("colour", "error", "no output intent: the file does not say which press "
                                           "condition its CMYK is for")]
    intent = intents[0]
    identifier = str(intent.get("/OutputConditionIdentifier", ""))
    findings = []
    if "/DestOutputProfile" not in intent:
        findings.append(Finding("colour", "error", f"the output intent {identifier!r} embeds no "
                                                   "ICC profile"))
    if identifier == "Custom":
        return findings
    if identifier not in REGISTERED_CONDITIONS:
        findings.append(Finding("colour", "error", f"the output condition {identifier!r} is not "
                                f"a registered one ({', '.join(sorted(REGISTERED_CONDITIONS))})"))
    if str(intent.get("/RegistryName", "")) != REGISTRY:
        findings.append(Finding("colour", "error", f"the output condition {identifier!r} does "
                                                   f"not name its registry ({REGISTRY})"))
    return findings


def text_inks(expanded: bytes) -> Counter:
    """(page, size in pt rounded down, CMYK fill, overprint) of every text-showing operation
    of a QDF file.

    WeasyPrint writes one operator per line; the size is the font size scaled by the text and
    current transformation matrices."""
    found: Counter = Counter()
    overprinting = set(_OVERPRINT_STATE.findall(expanded))
    for page, stream in _PAGE_CONTENTS.findall(expanded):
        scale, stack, size, text_scale, fill, overprint = 1.0, [], 0.0, 1.0, None, False
        for line in stream.split(b"\n"):
            operator = line.rpartition(b" ")[2] or line
            if operator == b"q":
                stack.append((scale, fill, overprint))
            elif operator == b"Q" and stack:
                scale, fill, overprint = stack.pop()
            elif operator == b"gs":
                overprint = line.split()[0][1:] in overprinting
            elif operator == b"cm":
                a, b, c, d = (float(v) for v in line.split()[:4])
                scale *= math.sqrt(abs(a * d - b * c))
            elif operator == b"Tm":
                a, b, c, d = (float(v) for v in line.split()[:4])
                text_scale = math.sqrt(abs(a * d - b * c))
            elif operator == b"Tf":
                size = float(line.split()[-2])
            elif operator in (b"k", b"sc", b"scn"):
                values = line.split()[:-1]
                fill = tuple(round(float(v), 4) for v in values) if len(values) == 4 else None
            elif operator in (b"TJ", b"Tj", b"'", b'"'):
                found[int(page), math.floor(size * text_scale * scale * 10) / 10, fill,
                      overprint] += 1
    return found


def _small_text_inks(expanded: bytes) -> list[Finding]:
    """Type under 12 pt that four plates must register: dark text in more than black ink, any
    text in more than two inks, or with a trace of an ink a plate cannot print cleanly."""
    problems: dict[tuple[int, str], list] = {}
    for (page, size, fill, overprint), runs in text_inks(expanded).items():
        if fill is None or size >= SMALL_TEXT_PT:
            continue
        inks = [ink for ink in fill if ink > 0]
        neutral = max(fill[:3]) - min(fill[:3]) < NEUTRAL_SPREAD
        if fill == (0, 0, 0, 1) and not overprint:
            problem = "black text that does not overprint (it leaves a hole in a tint)"
        elif fill[3] >= DARK_K and neutral and len(inks) > 1:
            problem = "dark text in more than black ink (it should be black ink only)"
        elif len(inks) > 2:
            problem = "coloured text in more than two inks"
        elif any(ink < SPECK for ink in inks):
            problem = "a trace of an ink under 2%"
        else:
            continue
        problems.setdefault((page, problem), []).append((size, fill, runs))
    findings = []
    for (page, problem), cases in sorted(problems.items()):
        size, fill, _ = min(cases)
        runs = sum(count for _, _, count in cases)
        inks = " ".join(f"{name}{round(ink * 100)}"
                        for name, ink in zip("CMYK", fill, strict=True) if ink)
        findings.append(Finding("colour", "error", f"{runs} text run(s) under {SMALL_TEXT_PT} "
                                f"pt ({size:g} pt and up) in {inks}: {problem}", page))
    return findings


# --- glyph coverage, before rendering ------------------------------------------------------

# Invisible formatting characters that no font needs to draw.
_IGNORED = {"\u200c", "\u200d", "\u200e", "\u200f", "\u2066", "\u2067", "\u2068", "\u2069",
            "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\ufeff", "\u00ad"}


def missing_glyphs(texts: list[str], families: tuple[str, ...]) -> set[str]:
    """Characters of `texts` that none of the font families can draw."""
    covered: set[int] = set()
    for family in families:
        covered |= _family_cmap(family)
    return {char for text in texts for char in text
            if char not in _IGNORED and not char.isspace()
            and unicodedata.category(char) not in ("Cc", "Cf")
            and ord(char) not in covered}


@cache
def _family_cmap(family: str) -> frozenset[int]:
    """Every code point the installed fonts of a family map (all its styles): the character
    sets fontconfig keeps for them, which are what Pango falls back by (read from its cache:
    a Chinese collection's 44,000 characters in a hundredth of the time of parsing its cmap)."""
    listing = subprocess.run(["fc-list", f":family={family}", "--format=%{charset}\n"],
                             capture_output=True, text=True).stdout
    codes: set[int] = set()
    for ranges in listing.split():
        first, _, last = ranges.partition("-")
        try:
            codes.update(range(int(first, 16), int(last or first, 16) + 1))
        except ValueError:
            continue
    return frozenset(codes)
