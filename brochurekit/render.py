"""Render HTML: a localized brochure and a clinic through the layout's Jinja template."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlsplit

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
    UndefinedError,
    pass_context,
)
from markupsafe import Markup

from .catalogs import SOURCE_LOCALE, LocaleInfo, Translations, is_pseudo
from .clinics import BLACK, CREDENTIAL_CONTEXT, INK, WHITE, Clinic, Color, tint_of
from .colormanagement import css_cmyk, rgb_to_cmyk, two_inks
from .content import Brochure
from .design import load_design
from .errors import Location, RenderError
from .hours import format_hours, hours_locale
from .layouts import LAYOUTS, PAPERS, Layout, Paper, sheets_for
from .numerals import FSI, LRI, PDI, format_price
from .press import Press
from .pseudo import pseudo_translate
from .qr import box_mm as qr_box_mm
from .qr import qr_svg
from .typography import plain_text, typeset

# Print runs artwork past the trim; this much extra page is left around it for crop marks, which
# WeasyPrint draws from the sheet edge over half of the CSS bleed.
CROP_MARK_ROOM_MM = 12.7
DRAFT_RED = Color(0xD2, 0x26, 0x30)


@dataclass(frozen=True)
class Job:
    brochure: Brochure
    clinic: Clinic
    locale: str
    profile: str

    @property
    def name(self) -> str:
        return f"{self.clinic.slug}/{self.locale}/{self.brochure.id}"


@dataclass(frozen=True)
class Theme:
    """The validated values a job's CSS is made of; `css(fit)` scales the body type."""

    clinic: Clinic
    paper: Paper
    profile: str
    locale: str
    root: Path
    layout: Layout

    @property
    def press(self) -> Press | None:
        """The press the print file is made for; None for the screen."""
        return press_of(self.clinic, self.layout, self.profile)

    def css(self, fit: float = 1.0, art: Mapping[str, float] | None = None) -> str:
        return theme_css(self.clinic, self.paper, self.profile, self.locale, self.root,
                         self.layout, fit, art or {})

    @property
    def colors(self) -> Mapping[str, str]:
        """Each colour of the layout (its CSS), and the colour this file writes for it."""
        return file_colors(self.clinic, press_of(self.clinic, self.layout, "print"),
                           self.profile)


@dataclass(frozen=True)
class RenderedHtml:
    html: str
    theme: Theme
    # The parts of web and e-mail addresses that must each print on one line, by number.
    kept_lines: tuple[KeptLine, ...] = ()
    # (address, description) of every link, for the annotations' Contents.
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class KeptLine:
    text: str
    setting: str  # the clinic setting it comes from: what to shorten should it not fit


class KeptLines:
    """Numbers the address parts a document keeps on one line, so the build can find each
    one on the laid-out page (anchor `keep-N`, whose box is the part's)."""

    def __init__(self):
        self.lines: list[KeptLine] = []

    def mark(self, text: str, setting: str) -> Markup:
        number = len(self.lines)
        self.lines.append(KeptLine(text, setting))
        return Markup('<span class="keep" id="keep-{n}">{text}</span>').format(
            n=number, text=text)


class LinkDescriptions:
    """What each link of a document does, in its language, by address: the PDF writer puts it
    in the link annotation's Contents (a screen reader says it instead of the raw address)."""

    def __init__(self):
        self.by_address: dict[str, str] = {}

    def add(self, address: str, description: str) -> str:
        self.by_address[address] = plain_text(Markup(description).unescape())
        return ""


def jinja_environment(templates: Path) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(templates),
        # Every template is escaped, whatever its file name ends in.
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=False,
    )
    environment.policies["ext.i18n.trimmed"] = True
    environment.filters["display_url"] = display_url
    environment.filters["address_lines"] = address_lines
    environment.filters["one_line"] = one_line
    environment.filters["phone"] = inline_phone
    environment.filters["halves"] = balanced_halves
    environment.filters["direction"] = text_direction
    environment.filters["isolate"] = isolate_run
    return environment


def isolated(text: str) -> str:
    """Left-to-right text (a phone number, a price) kept in its own order inside Arabic or
    Persian: Unicode isolates (LRI ... PDI). WeasyPrint 70 has no `unicode-bidi`, but Pango
    applies the isolates."""
    return LRI + text + PDI


def isolate_run(text: str) -> str:
    """A name set inside a sentence of either direction, kept in its own order by its first
    strong letter ("Dr. Amrit Sandhu" inside Arabic, or an Arabic name inside English)."""
    return FSI + text + PDI


def inline_phone(number: str) -> Markup:
    """A phone number inside a sentence: never wrapped, and in its own order in any script
    ("+1 604-555-0142" stays left to right in Arabic)."""
    return Markup('<span class="phone">{}</span>').format(isolated(number))


def balanced_halves(things: list, text=lambda thing: thing) -> tuple[list, list]:
    """Split a list in two, in order, with about as much text on each side.

    Two explicit columns (a table row) instead of CSS `columns`: WeasyPrint balances CSS
    columns by laying them out again and again, which was most of a brochure's render time.
    """
    def size(thing) -> int:
        if hasattr(thing, "messages"):
            return sum(len(m.text) for m in thing.messages())
        return len(getattr(thing, "text", str(thing)))
    sizes = [size(thing) for thing in things]
    best, best_gap = (len(things) + 1) // 2, None
    for cut in range(1, len(things)):
        gap = abs(sum(sizes[:cut]) - sum(sizes[cut:]))
        if best_gap is None or gap < best_gap:
            best, best_gap = cut, gap
    return list(things[:best]), list(things[best:])


@pass_context
def address_lines(context, address: str, setting: str) -> Markup:
    """An address (web or e-mail, as displayed) that may break only after a "/" or before an
    "@", never inside a name: "harbourfront- | movement.example" reads as two addresses.
    `setting` is the clinic setting it comes from."""
    parts = re.findall(r"[^/@]*/|@?[^/@]+|@", address)
    kept: KeptLines = context["kept_lines"]
    return Markup("<wbr>").join(kept.mark(part, setting) for part in parts)


@pass_context
def one_line(context, address: str, setting: str) -> Markup:
    """An address printed whole on one line (one to type from paper: the booking address)."""
    return context["kept_lines"].mark(address, setting)


def text_direction(text: str) -> str:
    """"rtl" or "ltr", by the first letter with a strong direction (as dir="auto" would; a
    clinic's Latin name keeps its word order in a right-to-left brochure)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def display_url(url: str) -> str:
    """A web address as people write it on paper: no scheme, no trailing slash."""
    parts = urlsplit(url)
    return (parts.netloc + parts.path).rstrip("/") + (f"?{parts.query}" if parts.query else "")


def render_html(environment: Environment, job: Job, localized: Brochure,
                translations: Translations, locale: LocaleInfo, *, draft: bool = False,
                document_date: str = "2000-01-01T00:00:00+00:00") -> RenderedHtml:
    layout = LAYOUTS[localized.layout]
    root = project_root(environment)
    paper = PAPERS[job.clinic.paper_for(layout)]
    environment.install_gettext_callables(
        translations.gettext, translations.ngettext, newstyle=True,
        pgettext=translations.pgettext, npgettext=translations.npgettext)
    sheets = sheets_for(layout, paper, right_to_left=locale.direction == "rtl")
    kept_lines = KeptLines()
    link_descriptions = LinkDescriptions()
    # One document for both files of a cell: laid out once, in the layout's colours.
    press = press_of(job.clinic, layout, "print")
    try:
        template = environment.get_template(layout.template)
        html = template.render(
            brochure=localized,
            clinic=job.clinic,
            locale=locale,
            sheets=sheets,
            draft=draft,
            document_date=document_date,
            # Relative to the document's base URL (the project), so the same project renders
            # to the same bytes wherever it lies on disk.
            clinic_logo_url=job.clinic.branding.logo_url,
            clinic_photo_url=job.clinic.branding.photo_url,
            # Inline drawings take their colours as attributes, not from CSS variables.
            colors=layout_palette(job.clinic, press),
            kept_lines=kept_lines,
            link_descriptions=link_descriptions,
            **clinic_texts(job.clinic, job.locale, translations, press),
        )
    except TemplateSyntaxError as exc:
        raise RenderError(f"{job.name}: template syntax error: {exc.message}",
                          Location(Path("templates") / (exc.name or layout.template), exc.lineno)
                          ) from None
    except UndefinedError as exc:
        raise RenderError(f"{job.name}: the template asks for a value the content does not "
                          f"have: {exc.message}", _template_location(exc, layout.template)
                          ) from None
    except TemplateError as exc:
        raise RenderError(f"{job.name}: template error: {exc}",
                          _template_location(exc, layout.template)) from None
    # The theme the document is laid out with: the print file's (pdf.Renderer.write makes the
    # screen file from the same layout).
    return RenderedHtml(html, Theme(job.clinic, paper, "print", job.locale, root, layout),
                        tuple(kept_lines.lines), tuple(link_descriptions.by_address.items()))


def clinic_texts(clinic: Clinic, locale: str, translations: Translations,
                 press: Press | None = None) -> dict:
    """The clinic's own data as the locale prints it: phone, hours, price, QR, welcome line."""
    conventions = hours_locale(locale, clinic.country)
    texts: dict = {
        "hours": format_hours(clinic.hours, conventions) if clinic.hours else [],
        "price": format_price(clinic.price.amount, clinic.price.currency, conventions)
        if clinic.price else None,
        "phone_inline": inline_phone(clinic.contact.phone) if clinic.contact.phone else None,
        # The code with its alternative text, which the template writes in the brochure's
        # language: what the code opens.
        "booking_qr": partial(qr_svg, clinic.contact.booking_url,
                              ink=layout_palette(clinic, press)["qr"])
        if clinic.contact.booking_url else None,
        "booking_qr_mm": qr_box_mm(clinic.contact.booking_url)
        if clinic.contact.booking_url else None,
        "credentials": [translations.lookup(CREDENTIAL_CONTEXT, person.credential)
                        for person in clinic.practitioners],
        "welcome": None,
    }
    welcome = clinic.welcome_in(locale)
    if welcome and is_pseudo(locale):
        welcome = pseudo_translate(locale, welcome[0]), True
    if welcome:
        text, translated = welcome
        if not translated:
            # Counted like a missing catalog message: the cell follows the same policy.
            translations.missing.add((f"{clinic.path}:welcome/{locale}", text))
        texts["welcome"] = typeset(text, locale if translated else SOURCE_LOCALE)
    return texts


def _template_location(exc: Exception, template: str) -> Location:
    """The innermost template frame of an exception raised while rendering."""
    traceback, found = exc.__traceback__, Location(Path("templates") / template)
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if filename.endswith(".html"):
            path = Path(filename)
            shown = Path("templates", *path.parts[path.parts.index("templates") + 1:]) \
                if "templates" in path.parts else path
            found = Location(shown, traceback.tb_lineno)
        traceback = traceback.tb_next
    return found


# The fonts of each script, in order. A clinic's brand font goes in front; its missing glyphs
# (say, Arabic in a Latin brand font) then come from the script's own Noto font.
FONT_STACKS = {
    "ar": ("Noto Sans Arabic", "Noto Sans"),
    "fa": ("Noto Sans Arabic", "Noto Sans"),
    "pa": ("Noto Sans Gurmukhi", "Noto Sans"),
    "zh_Hans": ("Noto Sans CJK SC",),
    "zh_Hant": ("Noto Sans CJK TC",),
}
DEFAULT_STACK = ("Noto Sans",)


def font_stack(locale: str) -> tuple[str, ...]:
    if locale in FONT_STACKS:
        return FONT_STACKS[locale]
    return FONT_STACKS.get(locale.split("_")[0], DEFAULT_STACK)


def project_root(environment: Environment) -> Path:
    """The project folder of an environment made by jinja_environment (its templates/)."""
    return Path(environment.loader.searchpath[0]).parent


def press_of(clinic: Clinic, layout: Layout, profile: str) -> Press | None:
    """The press a cell's file is made for; None for the screen."""
    return clinic.press_for(layout) if profile == "print" else None


@cache  # a clinic's colours through the press profile: the same for all its cells
def palette(clinic: Clinic, press: Press | None) -> Mapping[str, str]:
    """Every colour the stylesheets use: sRGB for screens (press None), the press's CMYK for
    print."""
    branding = clinic.branding
    colors = {
        "primary": branding.primary,
        "accent": branding.accent,
        "on-primary": branding.on_primary,
        "primary-tint": tint_of(branding.primary),
        "ink": INK,
        "paper": WHITE,
        "draft": DRAFT_RED,
        "qr": BLACK,
    }
    if press is None:
        screen = {name: color.css for name, color in colors.items()}
        # The press marks' registration colour too, that every stylesheet reads the same in
        # both themes (the screen file leaves the marks out).
        return MappingProxyType({**screen, "primary-text": screen["primary"],
                                 "registration": screen["qr"]})
    profile_path = press.profile
    result = {name: css_cmyk(color.cmyk or rgb_to_cmyk((color.red, color.green, color.blue),
                                                       profile_path))
              for name, color in colors.items()}
    # Type that may print under 12 pt in the brand colour: its nearest colour in two inks.
    result["primary-text"] = css_cmyk(two_inks(
        (branding.primary.red, branding.primary.green, branding.primary.blue), profile_path)) \
        if branding.primary.cmyk is None else result["primary"]
    # Text in the near-black ink prints in black ink only: four plates never register
    # perfectly, and small type in a rich black fringes (preflight flags it under 12 pt).
    for name, color in colors.items():
        if color == INK:
            result[name] = "device-cmyk(0 0 0 1)"
    result["qr"] = "device-cmyk(0 0 0 1)"  # black ink only, sharpest for scanning
    result["paper"] = "device-cmyk(0 0 0 0)"
    result["registration"] = "device-cmyk(1 1 1 1)"  # crop marks print on every plate
    return MappingProxyType(result)  # cached and shared between cells: read-only


@cache
def layout_palette(clinic: Clinic, press: Press) -> Mapping[str, str]:
    """The colours a cell is laid out in: the print file's, each token told apart from any
    other that prints the same but shows differently on screen (text and the QR code both
    print in black ink alone), by a hundred-thousandth of one ink. The writer of each file
    puts the file's own colour back for every token (file_colors)."""
    printed, shown = palette(clinic, press), palette(clinic, None)
    result: dict[str, str] = {}
    for name, value in printed.items():
        nudge = 0
        while any(value == taken and shown.get(other) != shown.get(name)
                  for other, taken in result.items()):
            nudge += 1
            value = _nudged(printed[name], nudge)
        result[name] = value
    return MappingProxyType(result)


def _nudged(cmyk: str, step: int) -> str:
    """A device-cmyk() colour with its black ink moved by `step` hundred-thousandths, towards
    the middle (it stays a valid ink amount)."""
    inks = [float(ink) for ink in cmyk[len("device-cmyk("):-1].split()]
    inks[3] += -step * 1e-5 if inks[3] >= 0.5 else step * 1e-5
    return css_cmyk(tuple(round(ink, 6) for ink in inks))


@cache
def file_colors(clinic: Clinic, press: Press, profile: str) -> Mapping[str, str]:
    """Each colour of the layout (layout_palette) and the colour a file writes for it: the
    press's CMYK in print, sRGB on screen."""
    written = palette(clinic, press if profile == "print" else None)
    return MappingProxyType({value: written[name]
                             for name, value in layout_palette(clinic, press).items()})


def paper_scale(layout: Layout, paper: Paper) -> float:
    """How much larger than on US Letter a layout is set: posters keep their proportions on
    larger paper; brochures and handouts are set at one size."""
    if layout.paper_key != "poster_paper":
        return 1
    return round(paper.width_mm / PAPERS["letter"].width_mm, 4)


def theme_css(clinic: Clinic, paper: Paper, profile: str, locale: str, root: Path,
              layout: Layout, fit: float = 1.0, art: Mapping[str, float] | None = None) -> str:
    """Per-job CSS built only from validated numbers, parsed colours and checked font files.

    `fit` scales the layout's body size (styles/tokens.css) for a long translation; `art` gives
    the illustrations' heights in mm, which the build chose so their panels end at the floor.
    """
    branding = clinic.branding
    width, height = (paper.height_mm, paper.width_mm) if layout.landscape \
        else (paper.width_mm, paper.height_mm)
    press = press_of(clinic, layout, profile)
    # The print file's CSS is the layout's (its colours as the layout has them).
    colors = palette(clinic, None) if press is None else layout_palette(clinic, press)
    if press is not None:
        # Room outside the bleed for crop marks; the marks themselves are drawn by the
        # template in CMYK registration colour (WeasyPrint's own `marks` are RGB).
        page = (f"@page {{ size: {width}mm {height}mm; margin: 0; "
                f"bleed: {CROP_MARK_ROOM_MM}mm; background: {colors['paper']}; }}")
        bleed = paper.bleed_mm
    else:
        page = f"@page {{ size: {width}mm {height}mm; margin: 0; }}"
        bleed = 0.0
    stack = ", ".join(f'"{family}"' for family in font_stack(locale)) + ", sans-serif"
    scale = paper_scale(layout, paper)
    body = load_design(root).body_for(layout.name, locale)
    lines = [page]
    if press is not None:
        # The press's CMYK profile: the PDF/X-4 output intent, and what device-cmyk() means.
        lines.append(f'@color-profile device-cmyk {{ src: url("{press.profile.as_uri()}"); '
                     "components: cyan, magenta, yellow, black; }")
    body_family, heading = stack, stack
    for role, font in (("Body", branding.body_font), ("Heading", branding.heading_font)):
        if font is not None:
            # The file was checked (inside the clinic's folder, a real font); its URL is quoted.
            lines.append(f'@font-face {{ font-family: "Clinic {role}"; '
                         f'src: url("{branding.font_url(font, root)}"); }}')
    if branding.body_font:
        body_family = f'"Clinic Body", {stack}'
    if branding.heading_font:
        heading = f'"Clinic Heading", {stack}'
    lines += [
        f"html {{ font-family: {body_family}; }}",
        f"h1, h2, h3, .cover-title, .cover-subtitle {{ font-family: {heading}; }}",
        ":root {",
        *(f"  --{name}: {value};" for name, value in colors.items()),
        f"  --bleed: {bleed}mm;",
        f"  --mark-offset: {bleed + 1.5}mm;",
        f"  --sheet-height: {height}mm;",
        f"  --fit: {fit};",
        # Posters keep their proportions on larger paper (1 on US Letter).
        f"  --scale: {scale};",
        f"  --body-size: {round(body * fit * scale, 3)}pt;",
        *(f"  --art-{name}-height: {height}mm;" for name, height in sorted((art or {}).items())),
        "}",
        # An optional drawing the build left out for want of room.
        *(f".art-{name} {{ display: none; }}" for name, height in sorted((art or {}).items())
          if not height),
    ]
    return "\n".join(lines)
