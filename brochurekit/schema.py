"""Reading typed values out of a YamlDocument, with messages that name the key and line."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from .errors import InputError, suggest
from .yamlfiles import KeyPath, YamlDocument, read_yaml


class Fields:
    """Typed access to one mapping of a document; collects every problem instead of stopping."""

    def __init__(self, doc: YamlDocument, key_path: KeyPath, errors: list[InputError]):
        self.doc = doc
        self.key_path = key_path
        self.errors = errors
        value = _at(doc.data, key_path)
        self.shape_ok = isinstance(value, dict)
        if not self.shape_ok:
            what = "empty" if value in (None, "") else f"a {_kind(value)}"
            place = "the file" if not key_path else "this key"
            self.fail((), f"{place} should hold a mapping of keys, but it is {what}")
            value = {}
        self.mapping: dict = value

    def fail(self, key: KeyPath | str, message: str) -> None:
        self.errors.append(self.doc.error(self._path(key), message))

    def _path(self, key: KeyPath | str) -> KeyPath:
        return (*self.key_path, key) if isinstance(key, str) else (*self.key_path, *key)

    def only(self, allowed: Iterable[str]) -> None:
        """Refuse keys outside `allowed`, suggesting the closest valid one."""
        allowed = list(allowed)
        for key in self.mapping:
            if key not in allowed:
                self.fail(key, f"unknown key {key!r}; {suggest(key, allowed, 'valid keys')}")

    def has(self, key: str) -> bool:
        return key in self.mapping

    def text(self, key: str, *, required: bool = True, default: str = "") -> str:
        """A non-empty string (an empty value usually means an unquoted '#' started a comment)."""
        if key not in self.mapping:
            if required:
                self.fail((), f"the key {key!r} is missing")
            return default
        value = self.mapping[key]
        if not isinstance(value, str):
            self.fail(key, f"should be text, but it is a {_kind(value)}")
            return default
        value = value.strip()
        if not value:
            self.fail(key, "is empty; write a value (quote it if it starts with '#')")
            return default
        return value

    def text_list(self, key: str, *, required: bool = False) -> tuple[str, ...]:
        if key not in self.mapping:
            if required:
                self.fail((), f"the key {key!r} is missing")
            return ()
        value = self.mapping[key]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.fail(key, f"should be a list of text, but it is a {_kind(value)}")
            return ()
        items = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.fail((key, index), "should be non-empty text")
                continue
            items.append(item.strip())
        return tuple(items)

    def choice(self, key: str, choices: Iterable[str], *, default: str | None = None) -> str:
        choices = list(choices)
        value = self.text(key, required=default is None, default=default or "")
        if value and value not in choices:
            self.fail(key, f"{value!r} is not one of: {', '.join(choices)}")
            return default or choices[0]
        return value or (default or "")

    def sub(self, key: str) -> Fields:
        return Fields(self.doc, self._path(key), self.errors)

    def items(self, key: str) -> list[Fields]:
        """The mappings of a list of mappings (e.g. sections)."""
        value = self.mapping.get(key)
        if not isinstance(value, list):
            self.fail(key if key in self.mapping else (), f"{key!r} should be a list")
            return []
        return [Fields(self.doc, self._path((key, index)), self.errors)
                for index in range(len(value))]

    def line(self, key: KeyPath | str = ()) -> int | None:
        return self.doc.line_of(self._path(key))

    def parsed(self, key: str, parse: Callable[[str], object], *, required: bool = True):
        """A text value run through `parse`, whose ValueError becomes a located message."""
        raw = self.text(key, required=required)
        if not raw:
            return None
        try:
            return parse(raw)
        except ValueError as exc:
            self.fail(key, str(exc))
            return None


def read_fields(path: Path, display: Path, errors: list[InputError], allowed: Iterable[str],
                text: str | None = None) -> Fields | None:
    """The top-level mapping of a YAML file with its keys checked, or None once the reason
    it cannot be read is recorded (then missing keys would only add noise)."""
    try:
        doc = read_yaml(path, display, text)
    except InputError as error:
        errors.append(error)
        return None
    top = Fields(doc, (), errors)
    if not top.shape_ok:
        return None
    top.only(allowed)
    return top


def _at(data: object, key_path: KeyPath) -> object:
    for part in key_path:
        if isinstance(data, dict) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _kind(value: object) -> str:
    return {dict: "mapping", list: "list", str: "text"}.get(type(value), type(value).__name__)
