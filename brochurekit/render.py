"""Render HTML: a localized brochure and a clinic through the layout's Jinja template."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
    UndefinedError,
)
from markupsafe import Markup

from .catalogs import LocaleInfo, Translations
from .clinics import Clinic, Color
from .content import Brochure
from .errors import Location, RenderError
from .layouts import LAYOUTS, PAPERS, Paper, tri_fold_sheets

# Print runs artwork past the trim; this much extra page is left around it for crop marks, which
# WeasyPrint draws from the sheet edge over half of the CSS bleed.
CROP_MARK_ROOM_MM = 12.7


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

    def css(self, fit: float = 1.0) -> str:
        return theme_css(self.clinic, self.paper, self.profile, fit)


@dataclass(frozen=True)
class RenderedHtml:
    html: str
    theme: Theme


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
    environment.filters["phone"] = inline_phone
    return environment


def inline_phone(number: str) -> Markup:
    """A phone number inside a sentence: never wrapped, and in its own order in any script.

    Unicode isolates (LRI ... PDI) keep "+1 604-555-0142" left to right inside Arabic or
    Persian text; WeasyPrint 70 has no `unicode-bidi`, but Pango applies the isolates.
    """
    return Markup('<span class="phone">\u2066{}\u2069</span>').format(number)


def display_url(url: str) -> str:
    """A web address as people write it on paper: no scheme, no trailing slash."""
    parts = urlsplit(url)
    return (parts.netloc + parts.path).rstrip("/") + (f"?{parts.query}" if parts.query else "")


def render_html(environment: Environment, job: Job, localized: Brochure,
                translations: Translations, locale: LocaleInfo, *, draft: bool = False
                ) -> RenderedHtml:
    layout = LAYOUTS[localized.layout]
    paper = PAPERS[job.clinic.paper]
    environment.install_gettext_callables(
        translations.gettext, translations.ngettext, newstyle=True,
        pgettext=translations.pgettext, npgettext=translations.npgettext)
    sheets = tri_fold_sheets(paper, right_to_left=locale.direction == "rtl")
    try:
        template = environment.get_template(layout.template)
        html = template.render(
            brochure=localized,
            clinic=job.clinic,
            locale=locale,
            sheets=sheets,
            profile=job.profile,
            draft=draft,
            # Relative to the document's base URL (the project), so the same project renders
            # to the same bytes wherever it lies on disk.
            clinic_logo_url=job.clinic.branding.logo_url,
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
    return RenderedHtml(html, Theme(job.clinic, paper, job.profile))


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


def theme_css(clinic: Clinic, paper: Paper, profile: str, fit: float = 1.0) -> str:
    """Per-job CSS built only from validated numbers and parsed colours, never raw text."""
    branding = clinic.branding
    width, height = paper.height_mm, paper.width_mm
    if profile == "print":
        page = (f"@page {{ size: {width}mm {height}mm; margin: 0; "
                f"bleed: {CROP_MARK_ROOM_MM}mm; marks: crop; background: #ffffff; }}")
        bleed = paper.bleed_mm
    else:
        page = f"@page {{ size: {width}mm {height}mm; margin: 0; }}"
        bleed = 0.0
    tint = _mix(branding.primary, Color(255, 255, 255), 0.1)
    return "\n".join((
        page,
        ":root {",
        f"  --primary: {branding.primary.css};",
        f"  --accent: {branding.accent.css};",
        f"  --on-primary: {branding.on_primary.css};",
        f"  --primary-tint: {tint.css};",
        "  --ink: #1d232a;",
        f"  --bleed: {bleed}mm;",
        f"  --sheet-height: {height}mm;",
        f"  --fit: {fit};",
        "}",
    ))


def _mix(color: Color, base: Color, amount: float) -> Color:
    def channel(a: int, b: int) -> int:
        return round(a * amount + b * (1 - amount))
    return Color(channel(color.red, base.red), channel(color.green, base.green),
                 channel(color.blue, base.blue))
