"""Opening hours as people write them, stored in one form (brochurekit.hours)."""

from __future__ import annotations

import pytest

from brochurekit.hours import hours_text, parse_hours


@pytest.mark.parametrize(("written", "stored"), [
    ("Mon-Fri 08:00-18:00; Sat 09:00-13:00", "Mon-Fri 08:00-18:00; Sat 09:00-13:00"),
    ("Mon-Fri 9am-5pm", "Mon-Fri 09:00-17:00"),
    ("Mon-Fri 9-5", "Mon-Fri 09:00-17:00"),
    ("9-5 weekdays", "Mon-Fri 09:00-17:00"),
    ("Monday to Friday 9 to 5; Saturday 10am to 2pm; Sunday closed",
     "Mon-Fri 09:00-17:00; Sat 10:00-14:00"),
    ("Mo-Fr 08:00-18:00; Sa 09:00-13:00; PH off", "Mon-Fri 08:00-18:00; Sat 09:00-13:00"),
    ("Mon, Wed, Fri 8:30-16:30", "Mon,Wed,Fri 08:30-16:30"),
    ("weekdays 8.30-17.30", "Mon-Fri 08:30-17:30"),
    ("Tue-Thu 7am-7pm; Sat 11-2pm", "Tue-Thu 07:00-19:00; Sat 11:00-14:00"),
    ("daily 10-4", "Mon-Sun 10:00-16:00"),
    ("Mon-Fri 8-18", "Mon-Fri 08:00-18:00"),
    ("Sat 09:00-13:00; Mon-Fri 12pm-8:30pm", "Mon-Fri 12:00-20:30; Sat 09:00-13:00"),
])
def test_hours_as_people_write_them(written, stored):
    assert hours_text(parse_hours(written)) == stored
    assert hours_text(parse_hours(stored)) == stored  # the stored form reads back the same


@pytest.mark.parametrize(("written", "said"), [
    ("Mon-Fri 9-5, 6-8", "more than one time range"),
    ("Mnday 9-5", "did you mean Monday?"),
    ("9-5", "names no day"),
    ("Mon-Fri 25:00-26:00", "is not a time of day"),
    ("Fri-Mon 9-5", "runs backwards"),
    ("Mon-Fri 9-5; Fri 10-2", "repeats a day"),
    ("Mon-Fri 13pm-5pm", "am and pm go with hours 1 to 12"),
    ("Sun closed", "no opening hours"),
    ("Mon 18:00-08:00", "closing time is not after the opening time"),
])
def test_hours_it_cannot_read_are_refused_with_what_would_be_right(written, said):
    with pytest.raises(ValueError, match=said):
        parse_hours(written)
