"""Brochure content: the English source model read from brochures/<id>.yaml."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import InputError
from .layouts import LAYOUTS
from .schema import read_fields


@dataclass(frozen=True)
class Message:
    """One translatable string: its stable key path (the msgctxt), text, source line, note."""

    key: str
    text: str
    line: int | None
    note: str = ""


@dataclass(frozen=True)
class Section:
    id: str
    panel: str
    heading: Message
    body: tuple[Message, ...] = ()
    points: tuple[Message, ...] = ()
    items: tuple[Message, ...] = ()
    closing: Message | None = None
    # "phone": the clinic's phone number closes the section in large type (a call to action).
    call_to_action: str | None = None
    # A drawing of templates/illustrations/ printed after the section's text.
    illustration: str | None = None

    def messages(self) -> tuple[Message, ...]:
        return (self.heading, *self.body, *self.points, *self.items,
                *((self.closing,) if self.closing else ()))


@dataclass(frozen=True)
class Brochure:
    id: str
    path: Path
    layout: str
    title: Message
    subtitle: Message
    tagline: Message
    promise: Message | None
    sections: tuple[Section, ...]

    def messages(self) -> Iterator[Message]:
        """Every translatable string, in reading order."""
        yield from (self.title, self.subtitle, self.tagline)
        if self.promise:
            yield self.promise
        for section in self.sections:
            yield section.heading
            yield from section.body
            yield from section.points
            yield from section.items
            if section.closing:
                yield section.closing

    def map_messages(self, change: Callable[[Message], Message]) -> Brochure:
        """The same brochure with every message passed through `change` (used to translate)."""
        return replace(
            self,
            title=change(self.title),
            subtitle=change(self.subtitle),
            tagline=change(self.tagline),
            promise=change(self.promise) if self.promise else None,
            sections=tuple(
                replace(
                    section,
                    heading=change(section.heading),
                    body=tuple(map(change, section.body)),
                    points=tuple(map(change, section.points)),
                    items=tuple(map(change, section.items)),
                    closing=change(section.closing) if section.closing else None,
                )
                for section in self.sections
            ),
        )

    def panel(self, name: str) -> tuple[Section, ...]:
        return tuple(section for section in self.sections if section.panel == name)


BROCHURE_KEYS = ("layout", "title", "subtitle", "tagline", "promise", "note", "sections")
SECTION_KEYS = ("id", "panel", "heading", "body", "points", "items", "closing",
                "call_to_action", "illustration", "note")
CALLS_TO_ACTION = ("phone",)
# Drawings in templates/illustrations/, placed after a section's text (see styles/tokens.css).
ILLUSTRATIONS = ("needle-steps", "body-map", "session-glance")


def load_brochure(path: Path, display_path: Path, errors: list[InputError]) -> Brochure | None:
    """Read one brochure file; problems are appended to `errors` (all of them, not the first)."""
    brochure_id = path.stem
    before = len(errors)
    top = read_fields(path, display_path, errors, BROCHURE_KEYS)
    if top is None:
        return None
    layout_name = top.choice("layout", LAYOUTS)
    layout = LAYOUTS.get(layout_name)
    brochure_note = top.text("note", required=False)

    def message(key_parts: tuple, text: str, line: int | None, note: str) -> Message:
        return Message("/".join((brochure_id, *map(str, key_parts))), text, line, note)

    title, subtitle, tagline = (
        message((key,), top.text(key), top.line(key), brochure_note)
        for key in ("title", "subtitle", "tagline")
    )
    promise_text = top.text("promise", required=False)
    promise = message(("promise",), promise_text, top.line("promise"), brochure_note) \
        if promise_text else None
    sections = []
    seen_ids: dict[str, int | None] = {}
    drawn: dict[str, int | None] = {}
    for fields in top.items("sections"):
        fields.only(SECTION_KEYS)
        section_id = fields.text("id")
        if section_id in seen_ids:
            fields.fail("id", f"the section id {section_id!r} is already used on line "
                              f"{seen_ids[section_id]}; section ids must be unique")
        seen_ids[section_id] = fields.line("id")
        panel = fields.choice("panel", layout.content_panels) if layout else ""
        note = fields.text("note", required=False)
        # Key paths name the section by its id, so reordering sections keeps translations.
        where = ("sections", section_id)

        def messages(key: str, fields=fields, where=where, note=note) -> tuple[Message, ...]:
            return tuple(
                message((*where, key, index), text, fields.line((key, index)), note)
                for index, text in enumerate(fields.text_list(key))
            )

        closing = fields.text("closing", required=False)
        call_to_action = fields.choice("call_to_action", CALLS_TO_ACTION) \
            if fields.has("call_to_action") else None
        illustration = fields.choice("illustration", ILLUSTRATIONS) \
            if fields.has("illustration") else None
        if illustration in drawn:
            # Each drawing is sized to fill its own panel, so it can be placed once.
            fields.fail("illustration", f"the illustration {illustration!r} is already placed "
                                        f"on line {drawn[illustration]}; each may be used once")
        elif illustration:
            drawn[illustration] = fields.line("illustration")
        sections.append(
            Section(
                id=section_id,
                panel=panel,
                heading=message((*where, "heading"), fields.text("heading"),
                                fields.line("heading"), note),
                body=messages("body"),
                points=messages("points"),
                items=messages("items"),
                closing=message((*where, "closing"), closing, fields.line("closing"), note)
                if closing else None,
                call_to_action=call_to_action,
                illustration=illustration,
            )
        )
    if len(errors) > before or layout is None:
        return None
    return Brochure(brochure_id, display_path, layout_name, title, subtitle, tagline, promise,
                    tuple(sections))
