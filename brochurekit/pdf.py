"""Render PDF with WeasyPrint, safely: project files only, and any warning fails the job.

Measured on WeasyPrint 70: it only logs missing images, bad CSS and blocked URLs and still writes
a PDF, and its default fetcher reads any local file or URL. So the fetcher here serves files inside
the project and stops the render on anything else, and every log record at warning level or
above becomes a RenderError.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import math
import mimetypes
import re
import zlib
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

import pydyf

from .libraries import import_weasyprint

import_weasyprint()  # before the imports below: a faster lookup of its C libraries

import weasyprint.layout.absolute  # noqa: E402
import weasyprint.pdf  # noqa: E402
from tinycss2.color5 import parse_color  # noqa: E402
from weasyprint import CSS, HTML, Document  # noqa: E402
from weasyprint.document import Page  # noqa: E402
from weasyprint.formatting_structure.boxes import (  # noqa: E402
    BlockBox,
    BlockReplacedBox,
    LineBox,
    TableBox,
    TableCellBox,
    TableRowBox,
    TableRowGroupBox,
)
from weasyprint.images import get_image_from_uri  # noqa: E402
from weasyprint.layout.background import layout_box_backgrounds  # noqa: E402
from weasyprint.pdf.stream import Stream  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse  # noqa: E402

from . import clusterglyphs, fontsubsets, svgpaths  # noqa: E402
from .colormanagement import raster_to_cmyk, svg_to_cmyk  # noqa: E402
from .errors import RenderError  # noqa: E402
from .press import REGISTRY, Press  # noqa: E402
from .recent import Recent  # noqa: E402
from .textmap import own_characters  # noqa: E402
from .typography import plain_text  # noqa: E402

_build_fonts_dictionary = weasyprint.pdf.build_fonts_dictionary


def _fonts_dictionary_with_own_characters(pdf, fonts, *args, **kwargs):
    """WeasyPrint's font dictionaries, with each glyph meaning its own character (textmap)."""
    for font in fonts.values():
        own_characters(font)
    return _build_fonts_dictionary(pdf, fonts, *args, **kwargs)


weasyprint.pdf.build_fonts_dictionary = _fonts_dictionary_with_own_characters
clusterglyphs.install()
fontsubsets.install()
svgpaths.install()

# A cell is laid out once, in its layout's colours (render.layout_palette), and each of its
# files is written from that layout with its own colours: while a file is written, every colour
# the page sets goes through the file's map (render.file_colors).
_file_colors: dict[tuple, object] | None = None
_unmapped: set[str] = set()
_set_color = Stream.set_color


def _set_file_color(self, color, stroke=False):
    if _file_colors is not None:
        written = _file_colors.get((color.space, *color.coordinates))
        if written is not None:
            color = type(color)(written.space, written.coordinates, color.alpha)
        elif color.space == "device-cmyk":
            _unmapped.add(" ".join(f"{ink:g}" for ink in color.coordinates))
    return _set_color(self, color, stroke)


Stream.set_color = _set_file_color

# A panel is a fixed area of its sheet: laid out whole, never continued on the next page.
# Text too long for it runs on past the page's bottom, where panel_fits measures by how much
# (the fitting then knows from one layout how far to shrink); a layout that fits is unchanged.
_absolute_block = weasyprint.layout.absolute.absolute_block


def _absolute_block_whole_panel(context, box, containing_block, fixed_boxes, bottom_space,
                                *rest):
    if _is_panel(box):
        bottom_space = -math.inf  # no page bottom to break at
    return _absolute_block(context, box, containing_block, fixed_boxes, bottom_space, *rest)


weasyprint.layout.absolute.absolute_block = _absolute_block_whole_panel

PT_PER_MM = 72 / 25.4
# Streams at least this large are remembered once deflated, the most recent few of them.
REMEMBERED_STREAM_BYTES = 32 * 1024
REMEMBERED_STREAMS = 16


class BlockedResourceError(FatalURLFetchingError):
    """Raised inside WeasyPrint to stop a render that asks for a forbidden resource."""


class ProjectFetcher(URLFetcher):
    """Serves `file:` URLs inside the project folder and nothing else: no network, no escape.

    For the print profile it also serves the press's ICC profile (the one file allowed from
    outside, named by the configuration, never by a document) and gives logos in CMYK.
    """

    def __init__(self, root: Path, cmyk_profiles: tuple[Path, ...] = ()):
        super().__init__(allowed_protocols=("file",))
        self.root = root.resolve()
        self.cmyk_profiles = {path.resolve() for path in cmyk_profiles}
        self.press_profile = next(iter(cmyk_profiles), None)

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise BlockedResourceError(f"blocked {url[:120]!r}: only files inside the project "
                                       "may be used")
        path = Path(url2pathname(parts.path)).resolve()
        if path in self.cmyk_profiles and path.is_file():
            return URLFetcherResponse(path.as_uri(), path.read_bytes(),
                                      {"Content-Type": "application/vnd.iccprofile"})
        if not path.is_relative_to(self.root):
            raise BlockedResourceError(f"blocked {url[:120]!r}: the file is outside the project")
        if not path.is_file():
            raise BlockedResourceError(f"{path.relative_to(self.root)} is missing or not a file")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        data = path.read_bytes()
        url = path.as_uri()
        if self.press_profile and path.is_relative_to(self.root / "brochures" / "clinics"):
            # Logos go to the press in its CMYK, not as RGB for the RIP to guess at. The
            # converted bytes are answered under a non-file URL: for file: URLs WeasyPrint
            # re-reads the original file from disk instead of using what we return.
            if content_type == "image/svg+xml":
                data, url = svg_to_cmyk(data, self.press_profile), f"cmyk+{url}"
            elif content_type in ("image/png", "image/jpeg"):
                data, content_type = raster_to_cmyk(data, self.press_profile), "image/jpeg"
                url = f"cmyk+{url}"
        return URLFetcherResponse(url, data, {"Content-Type": content_type})


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _no_warnings(job_name: str) -> Iterator[None]:
    """Turn every WeasyPrint warning or error logged during the block into a RenderError."""
    logger = logging.getLogger("weasyprint")
    handler = _Collect()
    logger.addHandler(handler)
    try:
        yield
    except BlockedResourceError as exc:
        raise RenderError(f"{job_name}: {exc}") from None
    finally:
        logger.removeHandler(handler)
    if handler.messages:
        unique = list(dict.fromkeys(handler.messages))
        raise RenderError(f"{job_name}: WeasyPrint reported: " + "; ".join(unique[:5]))


@dataclass(frozen=True)
class PanelFit:
    name: str
    page: int
    overflow_mm: float
    # From the panel's top to the end of its text, drawings included (infinity: unknown).
    extent_mm: float = math.inf


class _BrochureHtml(HTML):
    """A brochure's HTML, styled with the user-agent stylesheet it needs
    (_user_agent_stylesheet) instead of WeasyPrint's whole one."""

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        return [_user_agent_stylesheet()]


# WeasyPrint's pseudo-elements that apply to every element of its user-agent stylesheet, for
# footnotes and notes: no brochure stylesheet makes one (tests/test_user_agent.py holds them to it).
_UNUSED_PSEUDO_ELEMENTS = ("::footnote-call", "::footnote-marker", "::note-call",
                           "::note-marker", "::note-callback")


@cache
def _user_agent_stylesheet() -> CSS:
    """WeasyPrint's user-agent stylesheet without the rules that give every element a
    footnote and note pseudo-element, and with list markers for list items only (a brochure's
    only ones are <li>). Those six rules made two thirds of the declarations the cascade
    weighed, and a style computed for each pseudo-element of every element in every layout;
    the documents are the same without them, in less than half the cascade's time. Its
    counter styles are left out too: every document has them already (HTML._ua_counter_style),
    and a second definition of "disc" is refused with a warning."""
    import tinycss2
    from weasyprint.html import UA

    rules = []
    for rule in tinycss2.parse_stylesheet(UA, skip_comments=True, skip_whitespace=True):
        if rule.type == "at-rule" and rule.lower_at_keyword == "counter-style":
            continue
        if rule.type == "qualified-rule":
            selector = tinycss2.serialize(rule.prelude).strip()
            if selector in _UNUSED_PSEUDO_ELEMENTS:
                continue
            if selector == "::marker":
                rule.prelude = tinycss2.parse_component_value_list("li::marker ")
        rules.append(rule)
    return CSS(string=tinycss2.serialize(rules))


class Renderer:
    """WeasyPrint state that is costly to build and safe to reuse across jobs of one project."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        self.fetcher = ProjectFetcher(self.root)
        self.font_config = FontConfiguration()
        self._deflated: Recent[bytes, bytes] = Recent(REMEMBERED_STREAMS)
        # Decoded images by URL, kept across the layouts of a press profile: their logos
        # arrive prepared (CMYK JPEG, embedded as is; SVG parsed once). The screen file takes
        # its images afresh for each file (_screen_document): WeasyPrint downsamples a raster
        # image by replacing its data, which would make one PDF depend on the one before it.
        self._images: dict[ProjectFetcher, dict] = {}
        # The last document parsed: fitting lays the same HTML out several times, at other
        # sizes set by the theme only. WeasyPrint reads the parsed tree without changing it.
        self._parsed: tuple[str, ProjectFetcher, _BrochureHtml] | None = None

    @cache  # noqa: B019 - one fetcher per press profile, for the life of the build
    def print_fetcher(self, cmyk_profile: Path) -> ProjectFetcher:
        return ProjectFetcher(self.root, (cmyk_profile,))

    @cache  # noqa: B019 - one Renderer per build; the cache lives exactly as long as it should.
    def stylesheet(self, name: str) -> CSS:
        path = self.root / "styles" / name
        with _no_warnings(f"styles/{name}"):
            return CSS(filename=str(path), url_fetcher=self.fetcher, font_config=self.font_config)

    def layout(self, job_name: str, html: str, stylesheets: list[str], theme_css: str,
               profile: str = "print", press: Press | None = None) -> Document:
        fetcher = self.print_fetcher(press.profile) if press is not None else self.fetcher
        color_profiles: dict = {}
        with _no_warnings(job_name):
            # The theme's @font-face URLs are relative to the project, like the document's.
            theme = CSS(string=theme_css, font_config=self.font_config,
                        base_url=self.root.as_uri() + "/", url_fetcher=fetcher,
                        color_profiles=color_profiles)
            document = self._parse(html, fetcher).render(
                stylesheets=[*(self.stylesheet(name) for name in stylesheets), theme],
                font_config=self.font_config, color_profiles=color_profiles,
                cache=self._images.setdefault(fetcher, {}) if profile == "print" else None,
                **PROFILE_OPTIONS[profile])
        return document

    def _parse(self, html: str, fetcher: ProjectFetcher) -> HTML:
        if self._parsed is None or self._parsed[1] is not fetcher or self._parsed[0] != html:
            parsed = _BrochureHtml(string=html, base_url=self.root.as_uri() + "/",
                                   url_fetcher=fetcher)
            self._parsed = (html, fetcher, parsed)
        return self._parsed[2]

    def _deflate_streams(self, pdf: pydyf.PDF) -> None:
        """Deflate the streams here instead of in pydyf, which uses zlib level 9: level 6
        makes files within 0.5% of that size in about half the time.

        Large streams recur between documents: the press ICC profile is in every print PDF,
        and a cell's print and screen versions embed the same font subsets. Those are
        deflated once and remembered (the last few only, to keep a worker's memory flat).
        """
        for obj in pdf.objects:
            if not isinstance(obj, pydyf.Stream) or not obj.compress:
                continue
            # A content stream is thousands of lines, already bytes: joined as they are.
            raw = b"\n".join(obj.stream) if set(map(type, obj.stream)) == {bytes} \
                else b"\n".join(pydyf._to_bytes(item) for item in obj.stream)
            if len(raw) < REMEMBERED_STREAM_BYTES:
                deflated = zlib.compress(raw, 6)
            else:
                key = hashlib.sha256(raw).digest()
                deflated = self._deflated.get(key)
                if deflated is None:
                    deflated = self._deflated[key] = zlib.compress(raw, 6)
            obj.stream, obj.compress = [deflated], False
            obj.extra["Filter"] = "/FlateDecode"

    def write(self, job_name: str, document: Document, bleed_mm: float, identifier: bytes,
              profile: str = "print", press: Press | None = None,
              links: Mapping[str, str] | None = None,
              colors: Mapping[str, str] | None = None) -> bytes:
        """One file of a laid-out cell. The layout is the print file's page (bleed, press
        marks outside the trim); the screen file is its trim alone, without the press marks,
        with live links and the clinic's images as they are (the print layout has them in the
        press's CMYK). `colors` maps each colour of the layout to this file's."""
        global _file_colors
        if profile == "screen":
            document, restore = self._screen_document(document)
        else:
            document, restore = _print_document(document), lambda: None
        _file_colors = {_color_key(layout): parse_color(written)
                        for layout, written in (colors or {}).items()}
        _unmapped.clear()
        try:
            data = self._write(job_name, document, bleed_mm, identifier, profile, press, links)
        finally:
            _file_colors = None
            restore()
        if profile == "screen" and _unmapped:
            raise RenderError(f"{job_name}: a stylesheet or template sets a CMYK colour "
                              f"(device-cmyk({'), device-cmyk('.join(sorted(_unmapped))})) that "
                              "the screen file cannot show: use the palette's colours "
                              "(var(--primary), var(--ink), ...), which each file writes in "
                              "its own inks")
        return data

    def _screen_document(self, document: Document):
        """The print layout as the screen file: each page its trim alone, the press marks
        left out of the page trees and the images fetched again as they are (put back by the
        returned function, for the layout is shared)."""
        screen = document.copy([_page_without_bleed(page) for page in document.pages])
        screen.color_profiles, screen.output_intent = {}, None
        changes: list[tuple[object, str, object]] = []
        images: dict = {}
        options = {**weasyprint.DEFAULT_OPTIONS, **PROFILE_OPTIONS["screen"]}

        def restore() -> None:
            for box, name, value in reversed(changes):
                setattr(box, name, value)
        try:
            for page in document.pages:
                for box, _ in _walk(page._page_box):
                    children = getattr(box, "children", None)
                    if children and any(_is_press_mark(child) for child in children):
                        changes.append((box, "children", children))
                        box.children = [child for child in children
                                        if not _is_press_mark(child)]
                    source = box.element.get("src") if getattr(box, "replacement", None) \
                        is not None and box.element is not None else None
                    if source:
                        url = urljoin(self.root.as_uri() + "/", source)
                        with _no_warnings(source):
                            # An SVG draws its text with the layout's fonts (its context).
                            image = get_image_from_uri(
                                images, self.fetcher, options, url,
                                context=getattr(box.replacement, "_context", None))
                        changes.append((box, "replacement", box.replacement))
                        box.replacement = image
        except BaseException:
            restore()
            raise
        return screen, restore

    def _write(self, job_name, document, bleed_mm, identifier, profile, press, links) -> bytes:
        def finish(_document, pdf: pydyf.PDF) -> None:
            _set_bleed_boxes(pdf, bleed_mm)
            if press is not None:
                _name_output_intent(pdf, press)
                _overprint_black(pdf)
            if "StructTreeRoot" in pdf.catalog:
                _nest_links(pdf)
                _mend_figures(pdf)
            if links:
                _describe_links(pdf, links)
            _refuse_embedded_files(job_name, pdf)
            _fix_document_id(pdf, identifier)
            self._deflate_streams(pdf)
        with _no_warnings(job_name):
            return document.write_pdf(finisher=finish, pdf_identifier=identifier,
                                      **PROFILE_OPTIONS[profile])


def _color_key(css: str) -> tuple:
    color = parse_color(css)
    return (color.space, *color.coordinates)


def _print_document(document: Document) -> Document:
    """The layout as the print file: links are for screens (PDF/X allows no annotation on
    the page), their text prints as it is. A file attachment stays, for the writer to refuse
    (_refuse_embedded_files)."""
    pages = []
    for page in document.pages:
        printed = copy.copy(page)
        printed.links = [link for link in page.links if link[0] == "attachment"]
        pages.append(printed)
    return document.copy(pages)


def _page_without_bleed(page):
    trimmed = copy.copy(page)
    trimmed.bleed = dict.fromkeys(page.bleed, 0)
    return trimmed


def _is_press_mark(box) -> bool:
    return _has_class(getattr(box, "element", None), "press-mark") and box.element_tag == "div"


def _has_class(element, name: str) -> bool:
    return element is not None and name in (element.get("class") or "").split()


def _walk(root) -> Iterator[tuple[object, tuple]]:
    """A box and every box inside it, in document order, each with its ancestors up from
    `root`. A box's children are read after it is given: the caller may change them."""
    stack = [(root, ())]
    while stack:
        box, ancestors = stack.pop()
        yield box, ancestors
        stack.extend((child, (*ancestors, box))
                     for child in reversed(getattr(box, "children", ())))


# What each output profile asks of WeasyPrint.
PROFILE_OPTIONS = {
    # Press: PDF/X-4 with the CMYK output intent (from the theme's @color-profile).
    "print": {"pdf_variant": "pdf/x-4"},
    # Screens and email: tagged PDF/UA-1 (title and language come from the HTML), images no
    # finer than a screen needs.
    "screen": {"pdf_variant": "pdf/ua-1", "pdf_tags": True, "dpi": 150, "jpeg_quality": 85},
}


def _name_output_intent(pdf: pydyf.PDF, press: Press) -> None:
    """Name the registered printing condition the output intent stands for (WeasyPrint writes
    the profile's description as its identifier, which a print shop cannot match to a press).
    With only the print shop's own profile, the condition is "Custom", described by it."""
    condition = press.condition
    for intent in pdf.catalog.get("OutputIntents", ()):
        if press.registered:
            intent["OutputConditionIdentifier"] = pydyf.String(condition.identifier)
            intent["OutputCondition"] = pydyf.String(condition.condition)
            intent["RegistryName"] = pydyf.String(REGISTRY)
            intent["Info"] = pydyf.String(condition.condition)
        else:
            intent["OutputConditionIdentifier"] = pydyf.String("Custom")
            intent["Info"] = intent["OutputCondition"] = pydyf.String(
                f"The print shop's own profile, {press.profile.name}")
            intent.pop("RegistryName", None)


# Black ink overprints: a black letter on a tint prints over it instead of leaving a hole in the
# tint's plates that the black must fill exactly (on press the plates never register
# perfectly, and a knocked-out hairline shows white). Fills only; OPM 1 keeps the other inks.
_OVERPRINT, _KNOCKOUT = "OPblack", "OPnone"
_GRAPHICS_STATES = {_OVERPRINT: pydyf.Dictionary({"Type": "/ExtGState", "op": "true", "OPM": 1}),
                    _KNOCKOUT: pydyf.Dictionary({"Type": "/ExtGState", "op": "false"})}


def _mend_figures(pdf: pydyf.PDF) -> None:
    """A Figure's BBox in the page's own coordinates: WeasyPrint 70 writes it in CSS pixels
    from the top left (a 1056 x 816 box on a 792 x 612 pt page), so a screen reader or an
    editor that shows where the figure is points at the wrong place. Its alternative text
    without the no-break spaces and word joiners that set the printed lines."""
    scale = 72 / 96
    for obj in pdf.objects:
        if not isinstance(obj, pydyf.Dictionary) or obj.get("S") != "/Figure":
            continue
        alt = obj.get("Alt")
        if isinstance(alt, pydyf.String) and isinstance(alt.string, str):
            obj["Alt"] = pydyf.String(plain_text(alt.string))
        attributes, page = obj.get("A"), obj.get("Pg")
        if not isinstance(attributes, pydyf.Dictionary) or "BBox" not in attributes \
                or page is None:
            continue
        height = float(_object(pdf, page)["MediaBox"][3])
        left, top, right, bottom = (float(value) for value in attributes["BBox"])
        attributes["BBox"] = pydyf.Array([round(left * scale, 3),
                                          round(height - bottom * scale, 3),
                                          round(right * scale, 3),
                                          round(height - top * scale, 3)])


def _describe_links(pdf: pydyf.PDF, links: Mapping[str, str]) -> None:
    """Each link annotation's Contents says what the link does ("Call (604) 555-0142"), not
    its address ("tel:+16045550142", which WeasyPrint writes)."""
    for obj in pdf.objects:
        if isinstance(obj, pydyf.Dictionary) and obj.get("Subtype") == "/Link":
            action = obj.get("A")
            address = action.get("URI") if isinstance(action, pydyf.Dictionary) else None
            description = links.get(address.string) \
                if isinstance(address, pydyf.String) else None
            if description:
                obj["Contents"] = pydyf.String(description)


def _object(pdf: pydyf.PDF, value):
    """The object a pydyf reference (b"12 0 R") names, or the value itself."""
    return pdf.objects[int(value.split()[0])] if isinstance(value, bytes) else value


def _nest_links(pdf: pydyf.PDF) -> None:
    """Put every link annotation in the Link structure element of its link (PDF/UA).

    WeasyPrint 70 gives each box of a link its own annotation, and tags those of the inline
    boxes inside the link (a Span of an address that may break) under that box's Span, where
    a screen reader does not find them as links. Each such annotation's object reference moves
    up to the enclosing Link element, which may hold several (one per line of a link)."""
    root = _object(pdf, pdf.catalog["StructTreeRoot"])
    numbers = _object(pdf, root["ParentTree"])["Nums"]
    for index in range(1, len(numbers), 2):
        if not isinstance(numbers[index], bytes):
            continue  # a page's array of marked-content parents
        element = _object(pdf, numbers[index])
        link = element
        while isinstance(link, pydyf.Dictionary) and link.get("S") not in ("/Link", None):
            link = _object(pdf, link.get("P"))
        if link is element or not isinstance(link, pydyf.Dictionary) or link.get("S") != "/Link":
            continue
        references = [kid for kid in element["K"] if isinstance(kid, bytes)
                      and _object(pdf, kid).get("Type") == "/OBJR"]
        for reference in references:
            element["K"].remove(reference)
            link["K"].append(reference)
        numbers[index] = link.reference


def _overprint_black(pdf: pydyf.PDF) -> None:
    """Switch fill overprint on while the fill colour is black ink alone, off otherwise, in
    every page's content (WeasyPrint writes one operator per item, a fill colour as
    "c m y k scn")."""
    for number in pdf.pages["Kids"][::3]:
        page = pdf.objects[number]
        resources = _object(pdf, page["Resources"])
        states = resources.get("ExtGState")
        if states is None:
            states = resources["ExtGState"] = pydyf.Dictionary()
        states.update(_GRAPHICS_STATES)
        contents = _object(pdf, page["Contents"])
        operators, black, saved = [], False, []
        for operator in contents.stream:
            operator = operator.encode() if isinstance(operator, str) else operator
            operators.append(operator)
            if not isinstance(operator, bytes):
                continue  # a marked-content property list
            if operator == b"q":
                saved.append(black)
            elif operator == b"Q":
                black = saved.pop() if saved else False
            elif operator.endswith((b" scn", b" sc", b" k")):
                is_black = operator.split()[:-1] == [b"0", b"0", b"0", b"1"]
                if is_black != black:
                    operators.append(f"/{_OVERPRINT if is_black else _KNOCKOUT} gs".encode())
                    black = is_black
        contents.stream = operators


def _fix_document_id(pdf: pydyf.PDF, identifier: bytes) -> None:
    """PDF/X metadata carries a random document ID; derive it from the inputs instead, so the
    same inputs give byte-identical files."""
    stable = b"xmp.did:" + identifier
    for obj in pdf.objects:
        if isinstance(obj, pydyf.Stream) and obj.extra.get("Type") == "/Metadata":
            obj.stream = [re.sub(rb"xmp\.did:[0-9a-f-]{36}", stable,
                                 part if isinstance(part, bytes) else part.encode())
                          for part in obj.stream]


def panel_fits(document: Document) -> list[PanelFit]:
    """How far each panel's text runs past its floor (negative: room left), from the layout.

    Every panel carries three anchors: `panel-X` on the panel, `end-X` after its text and
    `floor-X` where its text must stop. Panels are laid out whole, so text too long runs on
    past the page's bottom and is measured there; a panel missing an anchor has overflowed by
    an unknown amount (infinity).
    """
    fits = []
    px_per_mm = 96 / 25.4
    for number, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:
            if not anchor.startswith("panel-"):
                continue
            name = anchor.removeprefix("panel-")
            end, floor = page.anchors.get(f"end-{name}"), page.anchors.get(f"floor-{name}")
            if end is None or floor is None:
                fits.append(PanelFit(name, number, math.inf))
            else:
                fits.append(PanelFit(name, number, round((end[1] - floor[1]) / px_per_mm, 2),
                                     round((end[1] - page.anchors[anchor][1]) / px_per_mm, 2)))
    return fits


def resize_drawings(document: Document, before: Mapping[str, float],
                    after: Mapping[str, float]) -> Document | None:
    """The laid-out document with its drawings at the heights `after` (mm) instead of
    `before`, everything under each in its panel moved by as much: what laying it out again
    would give, without doing so. Only where that is exact: every height changed is between two
    non-zero ones, and each drawing lies in plain blocks down from its panel (no column, float
    or positioned box on the way, none after it placed from outside what moves), or in cells
    of table rows (a row follows its tallest cell). None otherwise (the caller lays the
    document out again). The boxes are changed in place: the document given must not be used
    after."""
    px_per_mm = 96 / 25.4
    changed = {name: (after[name] - before[name]) * px_per_mm for name in after
               if abs(after[name] - before[name]) > 1e-9}
    if any(not before[name] or not after[name] for name in changed):
        return None
    growing, found = [], set()
    for page in document.pages:
        for box, ancestors in _walk(page._page_box):
            name = _drawing_name(box, ancestors)
            if name in changed:
                growing.append((box, ancestors, changed[name]))
                found.add(name)
    if found != set(changed):
        return None  # a drawing left out
    plan = _growth_plan(growing)
    if plan is None:
        return None
    for action, box, amount in plan:
        if action == "move":
            box.translate(dy=amount)
        elif action == "pad":
            box.padding_bottom += amount
        else:
            box.height += amount
    # Backgrounds are placed when a page is laid out, not when a box moves: placed again.
    for page in document.pages:
        for action, box, _ in plan:
            layout_box_backgrounds(page._page_box, box, _no_image,
                                   layout_children=action == "move")
    return document.copy([Page(page._page_box) for page in document.pages])


def only_panels_css(panels: Iterable[str]) -> str:
    """CSS that leaves every panel out of a layout but `panels` (for replace_panels)."""
    kept = "".join(f":not(#panel-{name})" for name in sorted(panels))
    return f".panel{kept} {{ display: none; }}"


def replace_panels(document: Document, fresh: Document, panels: Collection[str]
                   ) -> Document | None:
    """The laid-out document with the boxes of `panels` taken from `fresh`, a layout of the
    same HTML with only those panels shown (only_panels_css) and what changed in them: what
    laying the whole document out again would give, without laying out the panels that did
    not change. Exact because a panel is a block of its own, placed absolutely at its place on
    its sheet and laid out whole, which nothing outside it depends on. None if `fresh` does not
    have exactly those panels, on the same pages. The boxes are changed in place: the document
    given must not be used after."""
    if len(fresh.pages) != len(document.pages):
        return None
    swaps = []
    for page, fresh_page in zip(document.pages, fresh.pages, strict=True):
        shown = {_panel_name(box): box for box, _ in _walk(fresh_page._page_box)
                 if _is_panel(box)}
        if not set(shown) <= set(panels):
            return None
        for parent, _ in _walk(page._page_box):
            for index, child in enumerate(getattr(parent, "children", ())):
                name = _panel_name(child) if _is_panel(child) else None
                if name in panels:
                    if name not in shown:
                        return None
                    swaps.append((parent, index, shown.pop(name)))
        if shown:
            return None
    if {_panel_name(box) for _, _, box in swaps} != set(panels):
        return None
    for parent, index, box in swaps:
        parent.children[index] = box
    return document.copy([Page(page._page_box) for page in document.pages])


def _panel_name(box) -> str:
    return (box.element.get("id") or "").removeprefix("panel-")


def _growth_plan(growing: list[tuple]) -> list[tuple] | None:
    """What changes, as (action, box, amount), when each (box, ancestors, px) of `growing`
    grows: "grow" a box, "move" one (and all in it), "pad" a table cell at the bottom. Growths
    in plain blocks add up on their way to the panel; those that reach table cells wait there
    until every one has, as a row grows by its tallest cell, not by their sum; then each table
    that grew goes on up the same way."""
    plan = [("grow", box, shift) for box, _, shift in growing]
    rows: dict[int, tuple] = {}  # by row: the boxes above its cells, and its growing cells
    while growing or rows:
        for box, ancestors, shift in growing:
            climbed = _climb(box, ancestors, shift)
            if climbed is None:
                return None
            steps, depth = climbed
            plan += steps
            if depth is None:
                continue  # at its panel
            cell, row = ancestors[depth], ancestors[depth - 1]
            _, cells = rows.setdefault(id(row), (ancestors[:depth], {}))
            top, total = cells.get(id(cell), (None, math.inf, 0.0))[1:]
            cells[id(cell)] = (cell, min(top, box.position_y), total + shift)
        if not rows:
            break
        # The innermost rows first: a table that grows may grow a row it is in.
        deepest = max(len(above) for above, _ in rows.values())
        growing = []
        for key, (above, cells) in list(rows.items()):
            if len(above) != deepest:
                continue
            del rows[key]
            if len(above) < 3:
                return None
            row = _row_plan(*above[-3:][::-1], cells)
            if row is None:
                return None
            steps, table_shift = row
            plan += steps
            if table_shift:  # the table has grown: on up from it
                growing.append((above[-3], above[:-3], table_shift))
    return plan


def _climb(box, ancestors: tuple, shift: float) -> tuple[list, int | None] | None:
    """What changes up from `box`, grown by `shift` px, to its panel: its blocks grow, what
    follows it in each moves. The steps, and the depth in `ancestors` of the table cell the
    climb stopped at (None at the panel). None when that is not all that would change."""
    plan, child = [], box
    for depth in range(len(ancestors) - 1, -1, -1):
        ancestor = ancestors[depth]
        for sibling in ancestor.children[ancestor.children.index(child) + 1:]:
            style = sibling.style
            if style["position"] in ("absolute", "fixed"):
                # Placed from the panel's top or bottom edge (the blocks up to the panel are
                # static): it stays. One left where the flow put it would move: not handled.
                if style["top"] == "auto" and style["bottom"] == "auto":
                    return None
                continue
            if style["float"] != "none" or not _moves_whole(sibling):
                return None
            if shift:
                plan.append(("move", sibling, shift))
        if isinstance(ancestor, TableCellBox):
            return plan, depth  # the cell grows with its row
        if _is_panel(ancestor):
            return plan, None
        if not _plain_block(ancestor):
            return None
        if shift:
            plan.append(("grow", ancestor, shift))
        child = ancestor
    return None  # not in a panel


def _no_image(**_):
    raise AssertionError("resize_drawings moves only boxes without background images")


def _plain(box) -> bool:
    """No background, border or mask image: its background is colour alone."""
    style = box.style
    return all(kind != "url" for kind, _ in style["background_image"]) \
        and style["border_image_source"][0] == "none" \
        and style["mask_border_source"][0] == "none"


def _drawing_name(box, ancestors: tuple) -> str | None:
    """The illustration a box draws (`art-NAME` on the figure it is in), if it is a drawing."""
    if type(box) is not BlockReplacedBox or not _has_class(box.element, "art-drawing"):
        return None
    figure = next((ancestor.element for ancestor in reversed(ancestors)
                   if ancestor.element_tag == "figure"), None)
    return None if figure is None else next(
        (name[4:] for name in (figure.get("class") or "").split() if name.startswith("art-")),
        None)


def _is_panel(box) -> bool:
    return _has_class(box.element, "panel")


def _plain_block(box) -> bool:
    style = box.style
    return type(box) is BlockBox and _plain(box) and style["position"] == "static" \
        and style["float"] == "none" and style["height"] == "auto" \
        and style["column_count"] == "auto" and style["column_width"] == "auto"


def _row_plan(row, group, table, cells: dict[int, tuple]) -> tuple[list, float] | None:
    """The changes in a table (rows of one-row cells, separate borders) when cells of `row`
    grow, `cells` giving each (cell, top of what grows in it, px), and by how much the table
    grows. A cell aligned at the top keeps its place; one on the row's baseline only when its
    first line is above what grows (the baseline does not move)."""
    if type(row) is not TableRowBox or type(group) is not TableRowGroupBox \
            or type(table) is not TableBox or table.style["border_collapse"] != "separate" \
            or any(box.style["height"] != "auto" or not _plain(box)
                   for box in (row, group, table)):
        return None
    natural = {}
    for other in row.children:
        padding = other.style["padding_bottom"] if isinstance(other, TableCellBox) else None
        if padding is None or other.rowspan != 1 \
                or other.vertical_align not in ("top", "baseline") \
                or other.style["height"] != "auto" or not _plain(other) \
                or padding.unit != "px":
            return None
        if other.vertical_align == "baseline" and id(other) in cells:
            first_line = next((box for box, _ in _walk(other) if isinstance(box, LineBox)),
                              None)
            if first_line is None or first_line.position_y >= cells[id(other)][1]:
                return None  # the row's baseline could move with the drawing
        # Its bottom before the row padded it to the row's.
        natural[id(other)] = (other.position_y + other.border_height()
                              - (other.padding_bottom - padding.value))
    if set(cells) - set(natural):
        return None
    grown = {key: cells[key][2] if key in cells else 0.0 for key in natural}
    bottom = row.position_y + row.height
    table_shift = max(natural[key] + grown[key] for key in natural) - bottom
    plan: list[tuple] = [("grow", other, grown[id(other)]) for other in row.children
                         if grown[id(other)]]
    plan += [("pad", other, table_shift - grown[id(other)]) for other in row.children]
    if table_shift:
        later = [*group.children[group.children.index(row) + 1:],
                 *table.children[table.children.index(group) + 1:]]
        if not all(_moves_whole(box) for box in later):
            return None
        plan += [("grow", box, table_shift) for box in (row, group, table)]
        plan += [("move", box, table_shift) for box in later]
    return plan, table_shift


def _moves_whole(root) -> bool:
    """Whether every box placed from outside `root` (absolute or fixed, with no positioned
    box between it and `root`) is absent: then moving `root` moves all it draws. And no box in
    it has a background or border image (placed again without fetching anything)."""
    for box, ancestors in _walk(root):
        anchored = any(ancestor.style["position"] != "static" for ancestor in ancestors)
        if (box.style["position"] in ("absolute", "fixed") and not anchored) \
                or not _plain(box):
            return False
    return True


def lines_past_edges(document: Document) -> list[tuple[int, int, float]]:
    """(part number, page, mm) of each address part kept on one line that runs past the text
    edges of its panel, or of the card it is in. Anchors carry boxes (x1, y1, x2, y2): `keep-N`
    is the part's, `edge-X` a zero-height block as wide as the text of panel X (see
    partials/panel.html) or of a card (partials/contact.html)."""
    px_per_mm = 96 / 25.4
    found = []
    for number, page in enumerate(document.pages, start=1):
        edges = [box for name, box in page.anchors.items() if name.startswith("edge-")]
        for name, (start, _, end, _) in page.anchors.items():
            if not name.startswith("keep-") or not edges:
                continue
            middle = (start + end) / 2
            # The innermost text edges around the part (a card's inside its panel's).
            left, _, right, _ = min(edges, key=lambda box: (
                max(box[0] - middle, middle - box[2], 0), box[2] - box[0]))
            past = max(left - start, end - right)
            if past > 0.3 * px_per_mm:
                found.append((int(name[5:]), number, round(past / px_per_mm, 1)))
    return found


def message_places(document: Document) -> dict[str, list[float]]:
    """Where each message prints, by its key (the data-msg of the element that holds it: a
    msgctxt, or the English of a message without one): [page, left, top, width, height] in
    points from the page's top-left corner, the first page it is on, all its boxes there."""
    px = 0.75  # points per CSS pixel
    places: dict[str, list[float]] = {}
    for number, page in enumerate(document.pages, start=1):
        extents: dict[str, list[float]] = {}
        for box, _ in _walk(page._page_box):
            element = getattr(box, "element", None)
            key = element.get("data-msg") if element is not None else None
            if not key or key in places or box.width is None:
                continue
            left, top = box.border_box_x(), box.border_box_y()
            right, bottom = left + box.border_width(), top + box.border_height()
            known = extents.setdefault(key, [left, top, right, bottom])
            known[:] = [min(known[0], left), min(known[1], top), max(known[2], right),
                        max(known[3], bottom)]
        for key, (left, top, right, bottom) in extents.items():
            places[key] = [number, *(round(value * px, 1) for value in
                                     (left, top, right - left, bottom - top))]
    return places


def _set_bleed_boxes(pdf: pydyf.PDF, bleed_mm: float) -> None:
    """Make each BleedBox the TrimBox grown by the real bleed.

    WeasyPrint puts the BleedBox up to 10 pt outside the TrimBox whatever the artwork does; the
    page here is larger than trim + bleed to leave room for crop marks, so set it exactly.
    """
    bleed = bleed_mm * PT_PER_MM
    for number in pdf.pages["Kids"][::3]:  # Kids holds "number 0 R" triples
        page = pdf.objects[number]
        trim = page.get("TrimBox")
        if trim is None:
            continue
        left, top, right, bottom = (float(value) for value in trim)
        if bleed:
            page["BleedBox"] = pydyf.Array([left - bleed, top - bleed, right + bleed,
                                            bottom + bleed])
        else:
            page["BleedBox"] = pydyf.Array([left, top, right, bottom])


def _refuse_embedded_files(job_name: str, pdf: pydyf.PDF) -> None:
    """No file may travel inside a brochure: neither document nor page attachments."""
    names = pdf.catalog.get("Names")
    attached = names is not None and "EmbeddedFiles" in names
    for obj in pdf.objects:
        if isinstance(obj, pydyf.Dictionary) and obj.get("Subtype") == "/FileAttachment":
            attached = True
    if attached:
        raise RenderError(f"{job_name}: the document tries to embed a file; attachments are "
                          "not allowed in brochures")
