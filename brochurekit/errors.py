"""Errors for people: each one says where the problem is and what would be right."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """Where a problem is: a file, optionally a line and a key path inside it."""

    path: Path
    line: int | None = None
    key: str | None = None

    def __str__(self) -> str:
        text = str(self.path)
        if self.line is not None:
            text += f":{self.line}"
        if self.key:
            text += f": {self.key}"
        return text


class BrochureError(Exception):
    """Base of every error the pipeline reports to a user (never shown as a traceback)."""

    def __init__(self, message: str, where: Location | None = None):
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class InputError(BrochureError):
    """A project file (YAML, catalog, asset) is not what it should be."""


class ProjectError(BrochureError):
    """Several input errors, gathered so that a user sees them all at once."""

    def __init__(self, errors: list[BrochureError]):
        self.errors = list(errors)
        count = len(self.errors)
        header = f"{count} problem{'s' if count != 1 else ''} in the project:"
        super().__init__("\n".join([header, *(f"  {error}" for error in self.errors)]))


class RenderError(BrochureError):
    """A cell could not be rendered into a correct PDF."""


def suggest(name: str, known: Iterable[str], what: str = "choose from") -> str:
    """'did you mean ...?' for a close match, else the list of valid names."""
    known = list(known)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else f"{what}: " + ", ".join(known)
