"""Which characters a brochure text may hold.

Shared by the YAML reader and the catalog checks: a text is refused, with its key or .po line,
when it holds what no printed page can show and a terminal would obey instead of print (NUL,
ESC and the other C0/C1 controls), half of a UTF-16 pair, or a stack of combining marks that
prints as a smear across the page.
"""

from __future__ import annotations

import unicodedata

# Real scripts stack a few marks on one letter (Arabic shadda with a vowel, Gurmukhi vowel
# signs with addak and bindi, Vietnamese two tone marks, Tibetan a few more); eight leaves room
# for all of them and is far below the hundreds of a "zalgo" smear.
MAX_COMBINING_RUN = 8
_ALLOWED_CONTROLS = {"\n", "\t"}
# Bidirectional overrides reverse the letters that follow (a "Trojan Source" trick); the
# marks and isolates that right-to-left text legitimately uses are not among them.
_OVERRIDES = {"\u202d", "\u202e"}


def text_problem(text: str) -> str | None:
    """Why `text` cannot be printed, in words that say what to do; None when it can."""
    run = 0
    for position, char in enumerate(text, start=1):
        category = unicodedata.category(char)
        if category == "Cc" and char not in _ALLOWED_CONTROLS:
            return (f"the text holds the control character {describe(char)} at character "
                    f"{position}, which cannot be printed; remove it")
        if char in _OVERRIDES:
            return (f"the text holds {describe(char)} at character {position}, which forces "
                    "the letters after it into the opposite order, so they print reversed; "
                    "remove it (marks such as U+200F RIGHT-TO-LEFT MARK are fine)")
        if category == "Cs":
            return (f"the text holds a lone surrogate ({describe(char)}) at character "
                    f"{position}, which is not a character; write the character itself")
        if category in ("Mn", "Mc", "Me"):
            run += 1
            if run > MAX_COMBINING_RUN:
                return (f"the text stacks more than {MAX_COMBINING_RUN} combining marks on one "
                        "letter, which prints as a smear across the page; keep the marks the "
                        "word needs")
        elif category != "Cf":  # joiners and other invisible format marks add to the stack
            run = 0
    return None


def json_safe(text: str) -> str:
    """JSON text with DEL and the C1 controls escaped too (json escapes only C0), so that the
    machine-readable output cannot drive a terminal either."""
    return "".join(f"\\u{ord(char):04x}" if 0x7f <= ord(char) <= 0x9f else char for char in text)


def describe(char: str) -> str:
    """U+001B ESCAPE: the code point and name, never the raw character."""
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def printable(text: str) -> str:
    """`text` with every control character (other than newline and tab) shown as an escape, so
    that a message quoting a file name or value can never drive the terminal."""
    return "".join(char if char in _ALLOWED_CONTROLS or unicodedata.category(char) not in
                   ("Cc", "Cs") else f"\\x{ord(char):02x}" if ord(char) < 256
                   else f"\\u{ord(char):04x}" for char in text)


# unicodedata has no names for controls; these are the ones people meet.
_CONTROL_NAMES = {"\0": "NULL", "\a": "BELL", "\b": "BACKSPACE", "\r": "CARRIAGE RETURN",
                  "\x0b": "LINE TABULATION", "\x0c": "FORM FEED", "\x1b": "ESCAPE",
                  "\x7f": "DELETE", "\x85": "NEXT LINE", "\x9b": "CONTROL SEQUENCE INTRODUCER"}
