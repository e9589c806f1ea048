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
    """Opening hours as people write them -> Openings; ValueError says what is wrong.

    Each part (parts are separated by ";" or new lines) is days and one time range, in either
    order: "Mon-Fri 08:00-18:00", "Mon-Fri 9am-5pm", "9-5 weekdays", "Monday to Friday 9 to
    5", "Sat 10:00-14:00", OpenStreetMap's opening_hours ("Mo-Fr 08:00-18:00; Sa 09:00-13:00").
    Days: names or their first two or three letters, ranges, lists, "weekdays", "weekends",
    "daily". Times: 24-hour, or with am/pm; "9-5" reads as 9:00 to 17:00. A part saying
    "closed" or "off" is left out (closed days are not printed)."""
    openings, seen = [], set()
    for part in (piece.strip() for piece in re.split(r"[;\n]", text)):
        if not part or re.fullmatch(r"(?i)ph\s+off", part):  # OpenStreetMap: holidays off
            continue
        days_text, opens, closes = _split_part(part)
        days = _days(days_text, part)
        if opens is None:  # "Sun closed"
            continue
        if closes <= opens:
            raise ValueError(f"in {part!r} the closing time is not after the opening time")
        if seen & set(days):
            raise ValueError(f"{part!r} repeats a day that is already listed")
        seen.update(days)
        openings.append(Opening(days, opens, closes))
    if not openings:
        raise ValueError(f"no opening hours given; write them like {EXAMPLE}")
    return tuple(sorted(openings, key=lambda opening: opening.days))


def hours_text(openings: tuple[Opening, ...]) -> str:
    """The one way the clinic file writes hours: 'Mon-Fri 08:00-18:00; Sat 09:00-13:00'."""
    return "; ".join(
        ",".join(DAYS[a] if a == b else f"{DAYS[a]}-{DAYS[b]}" for a, b in _runs(opening.days))
        + f" {opening.opens:%H:%M}-{opening.closes:%H:%M}" for opening in openings)


_TIME = r"(\d{1,2})(?:[:.h](\d{2}))?\s*([ap]\.?\s?m\.?)?"
_RANGE = re.compile(rf"(?i)(?<![\w:]){_TIME}\s*(?:-|–|—|to|until|till)\s*{_TIME}(?![\w:])")
_CLOSED = re.compile(r"(?i)\b(closed|off)\b")


def _split_part(part: str) -> tuple[str, time | None, time | None]:
    """(the days' text, opening, closing) of one part; no times for a closed day."""
    if _CLOSED.search(part):
        return _CLOSED.sub(" ", part), None, None
    ranges = list(_RANGE.finditer(part))
    if len(ranges) > 1:
        raise ValueError(f"{part!r} gives more than one time range; the brochure prints one "
                         "opening period a day (write the day's first opening and last closing)")
    if not ranges:
        raise ValueError(f"cannot find the opening times in {part!r}; write days and times "
                         f"like {EXAMPLE}, or \"Mon-Fri 9am-5pm\"")
    found = ranges[0]
    opens = _clock(found[1], found[2], found[3], part)
    closes = _clock(found[4], found[5], found[6], part)
    if not found[3] and not found[6] and closes <= opens and closes.hour < 12 \
            and opens.hour <= 12:
        closes = closes.replace(hour=closes.hour + 12)  # "9-5": an afternoon close
    elif found[6] and not found[3] and opens > closes and opens.hour >= 12:
        opens = opens.replace(hour=opens.hour - 12)  # "11-2pm" read as 11:00
    return part[:found.start()] + " " + part[found.end():], opens, closes


def _clock(hours: str, minutes: str | None, meridiem: str | None, part: str) -> time:
    hour, minute = int(hours), int(minutes or 0)
    if meridiem:
        if not 1 <= hour <= 12:
            raise ValueError(f"{hours}{meridiem} in {part!r} is not a time; am and pm go with "
                             "hours 1 to 12")
        hour = hour % 12 + (12 if meridiem.lower().startswith("p") else 0)
    if hour > 23 or minute > 59:
        raise ValueError(f"{hours}:{minutes or '00'} in {part!r} is not a time of day; use "
                         "times such as 08:00, 18:30 or 9am")
    return time(hour, minute)


_DAY_WORDS = {name: index for index, names in enumerate((
    ("mo", "mon", "monday"), ("tu", "tue", "tues", "tuesday"),
    ("we", "wed", "weds", "wednesday"), ("th", "thu", "thur", "thurs", "thursday"),
    ("fr", "fri", "friday"), ("sa", "sat", "saturday"), ("su", "sun", "sunday")))
    for name in names}
_DAY_GROUPS = {"weekdays": (0, 4), "weekday": (0, 4), "weekends": (5, 6), "weekend": (5, 6),
               "daily": (0, 6), "everyday": (0, 6)}


def _days(text: str, part: str) -> tuple[int, ...]:
    cleaned = re.sub(r"(?i)\bevery\s+day\b", "daily", text)
    cleaned = re.sub(r"(?i)\s*(?:-|–|—|\bto\b|\bthrough\b|\bthru\b)\s*", "-", cleaned)
    cleaned = re.sub(r"(?i)\b(and|&)\b|[.:]", ",", cleaned)
    days: list[int] = []
    for chunk in (piece.strip() for piece in re.split(r"[,\s]+(?![^-]*-\s*$)|,", cleaned)):
        if not chunk:
            continue
        first, _, last = (word.strip().lower() for word in chunk.partition("-"))
        if first in _DAY_GROUPS and not last:
            start, end = _DAY_GROUPS[first]
        else:
            start, end = _day(first, part), _day(last or first, part)
        if end < start:
            raise ValueError(f"the day range {chunk!r} runs backwards; write it like Mon-Fri")
        days.extend(range(start, end + 1))
    if not days:
        raise ValueError(f"{part!r} names no day; start it with days such as Mon-Fri, Sat or "
                         "weekdays")
    return tuple(dict.fromkeys(days))


def _day(word: str, part: str) -> int:
    if word in _DAY_WORDS:
        return _DAY_WORDS[word]
    from difflib import get_close_matches

    near = get_close_matches(word, [*_DAY_WORDS, *_DAY_GROUPS], n=1)
    hint = f" (did you mean {near[0].title()}?)" if near else ""
    raise ValueError(f"{word!r} in {part!r} is not a day{hint}; use Mon, Tue, Wed, Thu, Fri, "
                     "Sat, Sun, ranges such as Mon-Fri, or weekdays")


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
