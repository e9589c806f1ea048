"""The design tokens the build needs to fit a brochure, read from styles/tokens.css.

The stylesheets are the one place a designer changes the type scale and the illustrations'
sizes; the build reads the same numbers instead of keeping its own copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .content import ILLUSTRATIONS
from .errors import InputError, Location
from .layouts import LAYOUTS

TOKENS = Path("styles") / "tokens.css"
# Scripts set optically larger than Latin, by the first part of a locale's identifier.
SCRIPT_OF_LANGUAGE = {"ar": "arabic", "fa": "arabic", "pa": "gurmukhi"}
_LENGTH = re.compile(r"^(\d+(?:\.\d+)?)(pt|mm|rem)$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
# Pictures a layout's template places itself (styles/tokens.css sizes them like the drawings).
PICTURES = tuple(sorted({name for layout in LAYOUTS.values() for name, _ in layout.pictures}))
# Whatever the floor, fitting never scales type to less than this share of its design size.
SMALLEST_FIT = 0.85


@dataclass(frozen=True)
class ArtSize:
    """How tall an illustration may print, in mm."""

    smallest: float
    preferred: float
    largest: float
    # May be left out (height 0) when its panel has no room for it at its smallest.
    optional: bool = False

    def clamp(self, height: float) -> float:
        return round(min(self.largest, max(self.smallest, height)), 2)


@dataclass(frozen=True)
class Design:
    body_pt: dict[str, float]  # by layout name
    floor_pt: float
    script_scale: dict[str, float]
    art: dict[str, ArtSize]
    heading_rem: float  # section headings, in body sizes
    panel_side_mm: float  # a panel's left and right margin

    def body_for(self, layout: str, locale: str) -> float:
        """The body size a layout sets a locale in, before any fitting."""
        script = SCRIPT_OF_LANGUAGE.get(locale.split("_")[0])
        return self.body_pt[layout] * self.script_scale.get(script, 1.0)

    def art_for(self, name: str, layout: str, scale: float = 1.0) -> ArtSize:
        """An illustration's sizes in a layout (a layout may set its own), times the paper's
        scale (posters on paper larger than Letter)."""
        size = self.art.get(f"{name}-{layout}", self.art[name])
        return ArtSize(*(round(value * scale, 2) for value in
                         (size.smallest, size.preferred, size.largest)), size.optional)

    def smallest_fit(self, layout: str, locale: str) -> float:
        """How far fitting may scale the body type down: to the floor, never under it."""
        return min(1.0, max(SMALLEST_FIT, self.floor_pt / self.body_for(layout, locale)))


@cache
def load_design(root: Path) -> Design:
    path = root / TOKENS
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the design tokens: {exc}", Location(TOKENS)) from None
    # Comments become blanks of the same length, so every match keeps its line number.
    text = re.sub(r"/\*.*?\*/", lambda comment: re.sub(r"[^\n]", " ", comment.group()), text,
                  flags=re.DOTALL)
    found: dict[str, tuple[str, int]] = {}
    for match in re.finditer(r"--([a-z0-9-]+)\s*:\s*([^;{}]+);", text):
        found[match.group(1)] = (match.group(2).strip(), text.count("\n", 0, match.start()) + 1)

    def value(name: str, unit: str | None) -> float:
        if name not in found:
            raise InputError(f"the design token --{name} is missing; it must be set in :root",
                             Location(TOKENS))
        raw, line = found[name]
        length = _LENGTH.match(raw)
        if unit is None and _NUMBER.match(raw) and float(raw):
            return float(raw)
        if unit is not None and length and length.group(2) == unit and float(length.group(1)):
            return float(length.group(1))
        wanted = f"a length in {unit} over 0, like 10{unit}" if unit \
            else "a plain number over 0, like 1.1"
        raise InputError(f"--{name} is {raw!r}; it must be {wanted}", Location(TOKENS, line))

    def art(name: str) -> ArtSize:
        raw, line = found.get(f"art-{name}", ("", None))
        parts = raw.split()
        optional = parts[-1:] == ["optional"]
        parts = parts[:-1] if optional else parts
        if len(parts) != 3 or not all(_LENGTH.match(p) and p.endswith("mm") for p in parts):
            raise InputError(f"--art-{name} must be three heights in mm, smallest preferred "
                             f"largest, then \"optional\" if it may be left out (like 24mm 34mm "
                             f"46mm)", Location(TOKENS, line))
        smallest, preferred, largest = (float(p[:-2]) for p in parts)
        if not smallest <= preferred <= largest:
            raise InputError(f"--art-{name}: the three heights must not decrease",
                             Location(TOKENS, line))
        return ArtSize(smallest, preferred, largest, optional)

    return Design(
        body_pt={layout: value(f"body-{layout}", "pt")
                 for layout in ("tri-fold", "handout", "poster")},
        floor_pt=value("body-floor", "pt"),
        script_scale={script: value(f"script-scale-{script}", None)
                      for script in set(SCRIPT_OF_LANGUAGE.values())},
        art={**{name: art(name) for name in ILLUSTRATIONS + PICTURES},
             # A layout may size an illustration its own way: --art-NAME-LAYOUT.
             **{f"{name}-{layout}": art(f"{name}-{layout}") for name in ILLUSTRATIONS
                for layout in ("tri-fold", "handout", "poster")
                if f"art-{name}-{layout}" in found}},
        heading_rem=value("step-heading", "rem"),
        panel_side_mm=value("panel-side", "mm"),
    )
