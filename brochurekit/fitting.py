"""Fitting a laid-out brochure to its panels: the illustrations first, the type last.

A panel's text must end above its floor (the panel's bottom margin), and a composed panel
ends near it rather than a quarter of its height short. The illustrations are the layout's
flexible parts: each is sized, between its smallest and largest height (styles/tokens.css), by
how far its panel ended from the floor, which one more layout pass confirms. Only when the
illustrations at their smallest still leave text past a floor is the body type scaled down,
step by step, to the floor of the type scale and never under it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from .design import ArtSize

# Text may end this far past a panel's floor (rounding of the layout), and an illustration is
# sized to leave its panel's text this far above it.
OVERFLOW_TOLERANCE_MM = 0.3
ART_MARGIN_MM = 0.6
# A size change smaller than this is not worth another layout pass.
ART_STEP_MM = 0.5
# Layout passes spent sizing the drawings at one type size. One is enough when a drawing's
# panel ends with it; a drawing in the shorter of two columns needs more to catch up.
ART_PASSES = 3
# What an optional drawing takes besides its height (labels, margins), when the build tries
# to bring one back into a panel that has room for it.
OPTIONAL_EXTRA_MM = 14.0
# Body type steps down by 2.5% of its design size at a time.
FIT_STEP = 0.025

# (document, type scale, drawings' heights, new heights) -> the document resized, or None.
Resize = Callable[[object, float, Mapping[str, float], Mapping[str, float]], object]


@dataclass(frozen=True)
class Fitted:
    document: object  # a laid-out WeasyPrint Document
    fit: float
    art: Mapping[str, float]
    spilled: tuple  # the PanelFits still past their floor


def fit_steps(smallest: float, start: float = 1.0) -> tuple[float, ...]:
    """The type scales to try, from `start` down to `smallest` (always tried last)."""
    steps, step = [], 1.0
    while step > smallest + 1e-9:
        if step <= start + 1e-9:
            steps.append(round(step, 4))
        step -= FIT_STEP
    return (*steps, round(smallest, 4))


def fit_to_panels(lay_out: Callable[[float, Mapping[str, float]], object],
                  panel_fits: Callable[[object], list], pages: int,
                  drawings: Mapping[str, tuple[str, ArtSize]], steps: Sequence[float],
                  resize: Resize | None = None) -> Fitted:
    """Lay out at the largest type scale of `steps` at which every panel's text ends above its
    floor, with each drawing sized to fill its panel.

    `drawings` maps each illustration the document has to (its panel, its sizes). Every search
    starts from the same sizes, so the same inputs always give the same document, whichever
    profile or cell was built before it. `resize(document, fit, art, new_art)` gives the
    document with its drawings resized without laying it all out again, where that is exact
    (else None).
    """
    # An optional drawing starts left out: it is brought in where its panel has room for it.
    art = {name: 0.0 if size.optional else size.preferred
           for name, (_, size) in drawings.items()}
    document = lay_out(steps[0], art)
    measured = panel_fits(document)
    if not _beyond_drawings(measured, art, drawings):
        fitted = _size_drawings(lay_out, panel_fits, pages, drawings, steps[0], art, document,
                                resize)
        if not fitted.spilled:
            return fitted
        # The drawings did not give back what they seemed to (one in the shorter of two
        # columns): the first scale is tried again in the search below.
        unknown = True
    else:
        # By how much a panel that ran off the page overflowed is unknown: the drawings may
        # be the whole cause, so the first scale is tried with them at their most compact.
        unknown = any(math.isinf(f.overflow_mm) for f in measured)
    compact = _compact(measured, art, drawings)
    # With nothing to make more compact, the first layout was the first scale's at its most
    # compact already (and it did not fit).
    unknown = unknown and compact != art
    # Find the largest type scale at which the text fits with the drawings at their most
    # compact (smaller type never takes more room), then size the drawings. Each layout
    # measured suggests the scale to try next; the bounds make the search exact whatever the
    # suggestions, which only make it shorter.
    low, high, found = 0 if unknown else min(1, len(steps) - 1), len(steps) - 1, None
    # A panel ran off the page by an unknown amount: the first scale with the drawings at their
    # most compact comes first.
    guess = _guess(steps, steps[0], measured, art, compact, drawings)
    if unknown and guess is None:
        guess = 0
    # The last layout with the drawings at their most compact, as (scale, fits).
    before = (steps[0], measured) if compact == art else None
    while low <= high:
        middle = (low + high) // 2 if guess is None else min(high, max(low, guess))
        trial = lay_out(steps[middle], compact)
        fits = panel_fits(trial)
        if not _spilled(fits) and len(trial.pages) == pages:
            found, high = (middle, trial), middle - 1
        else:
            low, document = middle + 1, trial
        guess = _guess(steps, steps[middle], fits, compact, compact, drawings, before)
        before = steps[middle], fits
    if found is None:
        return Fitted(document, steps[-1], compact, _spilled(panel_fits(document)))
    fit, document = steps[found[0]], found[1]
    return _size_drawings(lay_out, panel_fits, pages, drawings, fit, compact, document, resize)


def _compact(measured: list, art: Mapping[str, float],
             drawings: Mapping[str, tuple[str, ArtSize]]) -> dict[str, float]:
    """The drawings at their most compact, for the type-scale search: each at its smallest,
    an optional one left out unless its panel had room for it at its smallest, with its labels
    and margins, in the first layout (smaller type only leaves more; it is then sized with the
    others, not brought back after)."""
    room: dict[str, float] = {}
    for fit in measured:
        room[fit.name] = min(room.get(fit.name, math.inf), -(fit.overflow_mm + ART_MARGIN_MM))
    for name, (panel, size) in drawings.items():
        if panel in room:
            room[panel] += art[name] - (0.0 if size.optional else size.smallest)
    return {name: size.smallest if not size.optional or (
        not art[name] and room.get(panel, -math.inf) - OPTIONAL_EXTRA_MM >= size.smallest)
        else 0.0 for name, (panel, size) in drawings.items()}


def _guess(steps: Sequence[float], scale: float, fits: list, art: Mapping[str, float],
           then: Mapping[str, float], drawings: Mapping[str, tuple[str, ArtSize]],
           before: tuple[float, list] | None = None) -> int | None:
    """The step a layout measured at `scale` with drawings `art` suggests trying next, with
    drawings `then`: the largest at which every panel's text would end at its floor. The room
    text takes grows as the square of the type scale (its lines get longer and more at once);
    with `before`, another layout (scale, fits) with the same drawings, a panel's two measures
    also tell the part that does not change with the type (fixed-size headings, spacing). None
    when a panel ran off the page by an unknown amount."""
    drawn: dict[str, float] = {}
    change: dict[str, float] = {}
    for name, (panel, _) in drawings.items():
        drawn[panel] = drawn.get(panel, 0.0) + art[name]
        change[panel] = change.get(panel, 0.0) + then[name] - art[name]
    earlier = {fit.name: fit.extent_mm for fit in before[1]} \
        if before is not None and before[0] != scale and art == then else {}
    wanted = math.inf
    for fit in fits:
        if math.isinf(fit.overflow_mm) or math.isinf(fit.extent_mm):
            return None
        text = fit.extent_mm - drawn.get(fit.name, 0.0)
        room = text - fit.overflow_mm - change.get(fit.name, 0.0)
        earlier_text = earlier.get(fit.name, math.inf) - drawn.get(fit.name, 0.0)
        growing = 0.0 if math.isinf(earlier_text) else \
            (text - earlier_text) / (scale ** 2 - before[0] ** 2)
        if growing > 0:  # text = fixed + growing * scale²
            fixed = text - growing * scale ** 2
            wanted = min(wanted, math.sqrt(max(room - fixed, 0.0) / growing))
        elif text > 0:
            wanted = min(wanted, scale * math.sqrt(max(room, 0.0) / text))
    return next((index for index, step in enumerate(steps) if step <= wanted + 1e-9),
                len(steps) - 1)


def _size_drawings(lay_out, panel_fits, pages, drawings, fit, art, document,
                   resize: Resize | None = None) -> Fitted:
    """Grow or shrink each drawing by its panel's room, a few passes. An optional drawing that
    its panel has no room for at its smallest is left out; one that is out while its panel
    has room for it is tried once (its labels and margins take OPTIONAL_EXTRA_MM)."""
    fitting = None  # the last layout whose text fits (its document None once resized)
    tried: set[str] = set()
    for last in [False] * ART_PASSES + [True]:
        fits = panel_fits(document)
        spilled = _spilled(fits)
        if not spilled and len(document.pages) == pages:
            fitting = Fitted(document, fit, dict(art), ())
        if last:
            break
        room = {f.name: -(f.overflow_mm + ART_MARGIN_MM) for f in fits}
        returning = {name: size.clamp(room[panel] - OPTIONAL_EXTRA_MM)
                     for name, (panel, size) in drawings.items()
                     if size.optional and not art[name] and name not in tried
                     and room.get(panel, -math.inf) - OPTIONAL_EXTRA_MM >= size.smallest}
        resized = {**_resized(art, drawings, fits), **returning}
        # A drawing brought back or left out is not tried again: no back and forth.
        tried |= set(returning) | {name for name in art if art[name] and not resized[name]}
        if all(abs(resized[name] - art[name]) < ART_STEP_MM for name in art):
            break
        moved = resize(document, fit, art, resized) if resize is not None else None
        if moved is not None and fitting is not None and fitting.document is document:
            fitting = replace(fitting, document=None)  # its boxes have moved
        art = resized
        document = moved if moved is not None else lay_out(fit, art)
    if fitting is not None and fitting.document is None:
        fitting = replace(fitting, document=lay_out(fit, fitting.art))
    return fitting or Fitted(document, fit, dict(art), spilled)


def _beyond_drawings(fits: list, art: Mapping[str, float],
                     drawings: Mapping[str, tuple[str, ArtSize]]) -> bool:
    """Whether some panel runs past its floor by more than its drawings could give back."""
    for fit in fits:
        if fit.overflow_mm <= OVERFLOW_TOLERANCE_MM:
            continue
        # An optional drawing left out gives back its labels and margins too.
        room = sum(0.0 if not art[name] else art[name] + OPTIONAL_EXTRA_MM if size.optional
                   else art[name] - size.smallest
                   for name, (panel, size) in drawings.items() if panel == fit.name)
        if fit.overflow_mm > room:  # infinity (ran off the page) included
            return True
    return False


def _spilled(fits: list) -> tuple:
    """The panels of a measured layout whose text ends past their floor."""
    return tuple(f for f in fits if f.overflow_mm > OVERFLOW_TOLERANCE_MM)


def _resized(art: Mapping[str, float], drawings: Mapping[str, tuple[str, ArtSize]],
             fits: list) -> dict[str, float]:
    """Each illustration grown or shrunk by its panel's room (shared when a panel has two)."""
    by_panel = {fit.name: fit.overflow_mm for fit in fits}
    sharing: dict[str, int] = {}  # the drawings a panel's room is shared by (those not left out)
    for name, (panel, _) in drawings.items():
        sharing[panel] = sharing.get(panel, 0) + (1 if art[name] else 0)
    resized = {}
    for name, (panel, size) in drawings.items():
        overflow = by_panel.get(panel, math.inf)
        if not art[name]:  # left out: stays out at smaller type sizes
            resized[name] = 0.0
        elif math.isinf(overflow):  # the panel ran off the page: start again from the smallest
            resized[name] = 0.0 if size.optional else size.smallest
        else:
            room = -(overflow + ART_MARGIN_MM) / max(1, sharing[panel])
            wanted = art[name] + room
            # An optional drawing its panel has no room for even at its smallest is left out.
            resized[name] = 0.0 if size.optional and wanted < size.smallest \
                else size.clamp(wanted)
    return resized
