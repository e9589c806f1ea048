"""Strict YAML reading for content and clinic files.

PyYAML's usual loaders guess types (`NO` becomes False, `01234` becomes 668, `12:30` becomes 750),
keep the last of two duplicate keys and expand aliases. Here every scalar stays the string the user
wrote, duplicate keys and aliases are errors, and every value remembers its line, so that the
schema code can convert types explicitly and name the exact place of a problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .characters import text_problem
from .errors import InputError, Location

KeyPath = tuple[str | int, ...]

# No brochure or clinic file nests deeper than a handful of levels; a limit far above that stops
# a file nested hundreds deep before any recursive reader (ours, ruamel's) meets it.
MAX_DEPTH = 24

# Tags a plain YAML document may carry; anything else (!!python/object, custom tags) is refused.
_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    # Implicit resolution of untagged plain scalars; we keep their text, so these are harmless.
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:merge",
    "tag:yaml.org,2002:value",
}


def key_path_text(path: KeyPath) -> str:
    return "/".join(str(part) for part in path)


@dataclass(frozen=True)
class YamlDocument:
    """A parsed file: plain dicts, lists and strings, plus the line of every key path."""

    path: Path
    data: object
    lines: dict[KeyPath, int] = field(default_factory=dict)
    display_path: Path | None = None

    def line_of(self, key_path: KeyPath) -> int | None:
        """The line of a key path, or of its nearest ancestor that has one."""
        while key_path:
            if key_path in self.lines:
                return self.lines[key_path]
            key_path = key_path[:-1]
        return self.lines.get((), None)

    def where(self, key_path: KeyPath) -> Location:
        return Location(
            self.display_path or self.path, self.line_of(key_path), key_path_text(key_path) or None
        )

    def error(self, key_path: KeyPath, message: str) -> InputError:
        return InputError(message, self.where(key_path))


def read_yaml(path: Path, display_path: Path | None = None, text: str | None = None
              ) -> YamlDocument:
    """Parse one YAML file strictly; raise InputError with file:line:column on any problem.

    With `text`, that text is parsed as if it were the file (to check an edit before saving).
    """
    shown = display_path or path
    try:
        raw = text.encode("utf-8") if text is not None else path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})", Location(shown)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"not valid UTF-8 (byte {raw[exc.start]:#04x}); save the file as UTF-8",
            Location(shown, line),
        ) from None
    text = text.removeprefix("\ufeff")
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise InputError(f"the character {exc.character!r} is not allowed in YAML; remove it",
                         Location(shown, line)) from None
    except RecursionError:
        raise InputError("the file is nested too deeply to be a brochure or clinic file",
                         Location(shown)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = f", column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        hint = ""
        if "\t" in text and ("\\t" in str(problem) or "tab" in str(problem).lower()
                             + str(exc.context).lower()):
            hint = "; indent with spaces, not tabs"
        raise InputError(f"invalid YAML{column}: {problem}{hint}", Location(shown, line)) from None
    if len(nodes) != 1:
        if not nodes:
            raise InputError("the file is empty; it should hold a mapping of keys", Location(shown))
        second = nodes[1].start_mark.line + 1
        raise InputError(
            "the file holds more than one YAML document (a second one starts here); "
            "keep one document per file",
            Location(shown, second),
        )
    lines: dict[KeyPath, int] = {}
    try:
        data = _build(nodes[0], (), lines, shown, set())
    except RecursionError:
        raise InputError("the file is nested too deeply to be a brochure or clinic file",
                         Location(shown)) from None
    return YamlDocument(path, data, lines, display_path)


def _build(node, key_path: KeyPath, lines, shown: Path, seen: set[int]):
    if len(key_path) > MAX_DEPTH:
        raise InputError(f"the values are nested more than {MAX_DEPTH} levels deep, far deeper "
                         "than a brochure or clinic file needs; check the indentation and "
                         "brackets", Location(shown, node.start_mark.line + 1,
                                              key_path_text(key_path[:3]) + "/..."))
    if id(node) in seen:
        # The composer hands back the same node object for every alias of an anchor, so the
        # node's own mark is the anchor's; the alias's line is that of its key or parent.
        line = lines.get(key_path) or lines.get(key_path[:-1]) or node.start_mark.line + 1
        raise InputError(
            "anchors and aliases (&name / *name) are not allowed; write the value out",
            Location(shown, line, key_path_text(key_path) or None),
        )
    seen.add(id(node))
    lines.setdefault(key_path, node.start_mark.line + 1)
    if node.tag not in _PLAIN_TAGS:
        raise InputError(
            f"the tag {node.tag!r} is not allowed; write plain values only",
            Location(shown, node.start_mark.line + 1, key_path_text(key_path) or None),
        )
    if isinstance(node, yaml.ScalarNode):
        # Escapes in quoted YAML ("\0", "\e", "\x1b") can make characters that no page prints.
        if problem := text_problem(node.value):
            raise InputError(problem, Location(shown, node.start_mark.line + 1,
                                               key_path_text(key_path) or None))
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(child, (*key_path, index), lines, shown, seen)
            for index, child in enumerate(node.value)
        ]
    result: dict[str, object] = {}
    first_line: dict[str, int] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _PLAIN_TAGS:
            raise InputError(
                "keys must be plain words",
                Location(shown, key_node.start_mark.line + 1, key_path_text(key_path) or None),
            )
        key = key_node.value
        line = key_node.start_mark.line + 1
        if key == "<<":
            raise InputError(
                "merge keys (<<) are not allowed; write the keys out",
                Location(shown, line, key_path_text(key_path) or None),
            )
        if key in result:
            raise InputError(
                f"the key {key!r} is given twice (lines {first_line[key]} and {line}); keep one",
                Location(shown, line, key_path_text((*key_path, key))),
            )
        first_line[key] = line
        lines[(*key_path, key)] = line
        result[key] = _build(value_node, (*key_path, key), lines, shown, seen)
    return result
