"""Opening hours: parsed from the clinic file as data, printed in each locale's own way."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from babel import Locale, UnknownLocaleError
from babel.dates import format_interval, get_day_names
from babel.lists import format_list

from .numerals import native_digits

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
EXAMPLE = '"Mon-Fri 08:00-18:00; Sat 09:00-13:00"'


@dataclass(frozen=True)
class Opening:
    days: tuple[int, ...]  # 0 = Monday
    opens: time
    closes: time


def parse_hours(text: str) -> tuple[Opening, ...]:
    """'Mon-Fri 08:00-18:00; Sat 09:00-13:00' -> Openings; ValueError says what is wrong."""
    openings, seen = [], set()
    for part in (piece.strip() for piece in text.split(";")):
        if not part:
            continue
        match = re.fullmatch(r"([A-Za-z,\- ]+?)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})", part)
        if not match:
            raise ValueError(f"cannot read {part!r}; write days and times like {EXAMPLE}")
        days = _days(match[1])
        opens, closes = _time(match[2]), _time(match[3])
        if closes <= opens:
            raise ValueError(f"in {part!r} the closing time is not after the opening time")
        if seen & set(days):
            raise ValueError(f"{part!r} repeats a day that is already listed")
        seen.update(days)
        openings.append(Opening(days, opens, closes))
    if not openings:
        raise ValueError(f"no opening hours given; write them like {EXAMPLE}")
    return tuple(openings)


def _days(text: str) -> tuple[int, ...]:
    days: list[int] = []
    for chunk in (c.strip() for c in text.split(",")):
        first, _, last = (part.strip().title()[:3] for part in chunk.partition("-"))
        for name in (first, last):
            if name and name not in DAYS:
                raise ValueError(f"{name!r} is not a day; use {', '.join(DAYS)}")
        start, end = DAYS.index(first), DAYS.index(last or first)
        if end < start:
            raise ValueError(f"the day range {chunk!r} runs backwards; write it like Mon-Fri")
        days.extend(range(start, end + 1))
    return tuple(days)


def _time(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    if hours > 23 or minutes > 59:
        raise ValueError(f"{text} is not a time of day; use 24-hour times such as 08:00 or 18:30")
    return time(hours, minutes)


def hours_locale(locale: str, country: str | None) -> str:
    """The locale whose conventions print the hours: English in Canada is en_CA, in the UK en_GB."""
    base = Locale.parse(locale.split("_X")[0] if locale.endswith(("_XA", "_XB")) else locale)
    if country and not base.territory:
        try:
            return str(Locale.parse(f"{base}_{country}"))
        except (UnknownLocaleError, ValueError):
            pass
    return str(base)


def format_hours(openings: tuple[Opening, ...], locale: str) -> list[tuple[str, str]]:
    """(days, times) lines in the locale: localized day names joined as its lists are, its
    12- or 24-hour clock, its digits."""
    names = get_day_names("abbreviated", locale=locale)
    pattern = Locale.parse(locale).time_formats["short"].pattern
    twelve_hour = "h" in re.sub(r"'[^']*'", "", pattern)  # quoted text such as 'h' is literal
    skeleton = "hm" if twelve_hour else "Hm"
    lines = []
    for opening in openings:
        runs = _runs(opening.days)
        days = format_list([names[a] if a == b else f"{names[a]}–{names[b]}" for a, b in runs],
                           locale=locale)
        times = native_digits(format_interval(opening.opens, opening.closes, skeleton,
                                              locale=locale), locale)
        lines.append((days, times))
    return lines


def _runs(days: tuple[int, ...]) -> list[tuple[int, int]]:
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and day == runs[-1][1] + 1:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(a, b) for a, b in runs]
