"""A strict reader for gettext .po files that remembers the line of everything it reads.

Babel's reader forgives what a print run must not: an unterminated string, a duplicate msgid, a
byte-order mark or a header marked fuzzy all go through silently. This reader reports each with
the file and line, so `i18n check` can name exactly what a translator has to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError, Location

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b",
            "f": "\f", "v": "\v"}
_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(.*)$")


@dataclass(frozen=True)
class PoEntry:
    line: int  # line of the msgid
    context: str | None
    msgid: str
    msgid_plural: str | None
    msgstr: tuple[str, ...]
    msgstr_lines: tuple[int, ...]
    flags: frozenset[str]
    obsolete: bool = False
    previous_msgid: str | None = None
    auto_comments: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()
    plural_indexes: tuple[int, ...] = ()

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr)


@dataclass(frozen=True)
class PoFile:
    path: Path  # as shown to people (relative to the project)
    entries: tuple[PoEntry, ...]
    errors: tuple[InputError, ...] = field(default_factory=tuple)

    @property
    def header(self) -> PoEntry | None:
        first = next((entry for entry in self.entries if not entry.obsolete), None)
        return first if first is not None and first.msgid == "" else None

    @property
    def messages(self) -> tuple[PoEntry, ...]:
        return tuple(entry for entry in self.entries if entry.msgid and not entry.obsolete)

    def header_fields(self) -> dict[str, str]:
        header = self.header
        fields = {}
        if header and header.msgstr:
            for line in header.msgstr[0].splitlines():
                name, _, value = line.partition(":")
                if value:
                    fields[name.strip()] = value.strip()
        return fields


@dataclass
class _Draft:
    line: int = 0
    context: str | None = None
    msgid: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    msgstr_lines: dict[int, int] = field(default_factory=dict)
    indexed: bool = False
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    previous: list[str] = field(default_factory=list)
    auto_comments: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    # Which string continuation lines append to: ("msgid",), ("msgstr", n), ...
    target: tuple = ()


def read_po_file(path: Path, shown: Path) -> PoFile:
    """Read a .po file; syntax problems are returned in PoFile.errors, each with its line."""
    errors: list[InputError] = []
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        errors.append(InputError("the file starts with a byte-order mark (BOM); save it as "
                                 "UTF-8 without BOM", Location(shown, 1)))
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        errors.append(InputError(
            f"not valid UTF-8 (byte {raw[exc.start]:#04x}); save the file as UTF-8 and set "
            "'Content-Type: text/plain; charset=UTF-8' in the header", Location(shown, line)))
        text = raw.decode("utf-8", errors="replace")

    entries: list[PoEntry] = []
    draft = _Draft()

    def fail(line: int, message: str) -> None:
        errors.append(InputError(message, Location(shown, line)))

    def finish() -> None:
        nonlocal draft
        if draft.msgid is not None:
            if not draft.msgstr:
                fail(draft.line, "this message has no msgstr line; add msgstr \"\"")
            indexes = tuple(sorted(draft.msgstr))
            entries.append(PoEntry(
                line=draft.line, context=draft.context, msgid=draft.msgid,
                msgid_plural=draft.msgid_plural,
                msgstr=tuple(draft.msgstr[i] for i in indexes),
                msgstr_lines=tuple(draft.msgstr_lines[i] for i in indexes),
                flags=frozenset(draft.flags), obsolete=draft.obsolete,
                previous_msgid=" ".join(draft.previous) or None,
                auto_comments=tuple(draft.auto_comments), locations=tuple(draft.locations),
                plural_indexes=indexes if draft.indexed else ()))
        elif draft.msgstr or draft.context is not None:
            fail(draft.line or 1, "msgstr or msgctxt without a msgid")
        draft = _Draft()

    # Split on \n only, as gettext tools do: a bare \r is not a line break there, so it must
    # not be one here either (it could hide text from the checks).
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        stripped = line.strip()
        obsolete = stripped.startswith("#~")
        if obsolete:
            stripped = stripped[2:].strip()
            if not stripped or stripped.startswith("#"):
                continue
        if not stripped:
            finish()
            continue
        if stripped.startswith("#"):
            if draft.msgstr:  # a comment after a complete entry starts the next one
                finish()
            kind, body = stripped[:2], stripped[2:].strip()
            if kind == "#,":
                draft.flags.update(flag.strip() for flag in body.split(",") if flag.strip())
            elif kind == "#.":
                draft.auto_comments.append(body)
            elif kind == "#:":
                draft.locations.extend(body.split())
            elif kind == "#|":
                match = re.match(r'^msgid\s+(".*)$', body) or re.match(r'^(".*)$', body)
                if match and match[1].startswith('"'):
                    value = _string(match[1], number, fail)
                    if value is not None:
                        draft.previous.append(value)
            continue
        match = _KEYWORD.match(stripped)
        if match:
            keyword, index, rest = match[1], match[2], match[3]
            value = _string(rest, number, fail)
            if value is None:
                value = ""
            if keyword in ("msgctxt", "msgid") and (draft.msgstr or (
                    keyword == "msgctxt" and draft.msgid is not None)):
                finish()
            draft.obsolete = draft.obsolete or obsolete
            if keyword == "msgctxt":
                draft.context, draft.target = value, ("msgctxt",)
                draft.line = draft.line or number
            elif keyword == "msgid":
                if draft.msgid is not None:
                    fail(number, "a second msgid in the same message; separate messages with "
                                 "a blank line")
                draft.msgid, draft.target, draft.line = value, ("msgid",), number
            elif keyword == "msgid_plural":
                if draft.msgid is None:
                    fail(number, "msgid_plural before msgid")
                draft.msgid_plural, draft.target = value, ("msgid_plural",)
            else:
                if draft.msgid is None:
                    fail(number, "msgstr before msgid")
                    continue
                position = int(index) if index is not None else 0
                if index is not None:
                    draft.indexed = True
                if position in draft.msgstr:
                    fail(number, f"{keyword} is given twice in this message")
                draft.msgstr[position], draft.msgstr_lines[position] = value, number
                draft.target = ("msgstr", position)
            continue
        if stripped.startswith('"'):
            value = _string(stripped, number, fail)
            if value is None:
                continue
            if not draft.target:
                fail(number, "a string line that belongs to no keyword")
            elif draft.target[0] == "msgstr":
                draft.msgstr[draft.target[1]] += value
            else:
                name = draft.target[0].replace("msgctxt", "context")
                setattr(draft, name, (getattr(draft, name) or "") + value)
            continue
        fail(number, f"cannot read this line: {stripped[:40]!r}; every line must be a comment "
                     "(#...), a keyword (msgid, msgstr, ...) or a quoted string")
    finish()
    return PoFile(shown, tuple(entries), tuple(errors))


def _string(token: str, line: int, fail) -> str | None:
    """The value of one quoted PO string; None (and an error) when it is malformed."""
    token = token.strip()
    if not token.startswith('"'):
        fail(line, "a string must be in double quotes")
        return None
    out, index, closed = [], 1, False
    while index < len(token):
        char = token[index]
        if char == "\\":
            if index + 1 >= len(token):
                break
            escaped = token[index + 1]
            if escaped not in _ESCAPES:
                fail(line, f"unknown escape \\{escaped} in a string; write \\\\ for a backslash")
                return None
            out.append(_ESCAPES[escaped])
            index += 2
            continue
        if char == '"':
            closed = True
            if token[index + 1:].strip():
                fail(line, "text after the closing quote; put a \\ before quotes inside a string")
                return None
            break
        out.append(char)
        index += 1
    if not closed:
        fail(line, "unterminated string: the closing double quote is missing")
        return None
    return "".join(out)
