"""Build: the loop over clinic x locale x brochure cells, publishing each PDF atomically."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from .catalogs import (
    SOURCE_LOCALE,
    Translations,
    catalog_path,
    check,
    is_pseudo,
    load_translations,
    locale_info,
    read_template,
    translate,
)
from .errors import BrochureError, InputError, Location, RenderError, suggest
from .files import write_atomic, write_error
from .inputs import InputsHasher
from .layouts import LAYOUTS, PAPERS
from .preflight import PT_PER_MM, Expected, missing_glyphs, preflight_pdf
from .project import Project
from .pseudo import PSEUDO_LOCALES
from .render import Job, jinja_environment, project_root, render_html

PROFILES = ("print", "screen")
MANIFEST = "manifest.json"
# A panel may end this close below its floor before it counts as spilled (rounding of layout).
OVERFLOW_TOLERANCE_MM = 0.3
# Body type sizes tried, as a fraction of the design size, before a cell fails for overflow.
FIT_STEPS = (1.0, 0.97, 0.94, 0.91, 0.88, 0.85)


@dataclass(frozen=True)
class Output:
    clinic: str
    locale: str
    brochure: str
    layout: str
    profile: str
    path: str
    pages: int
    sha256: str
    untranslated: int
    fit: float = 1.0
    warnings: tuple[str, ...] = ()
    inputs: str = ""


@dataclass(frozen=True)
class Failure:
    job: str  # the cell's name, or what else failed (the manifest)
    message: str
    profile: str = ""

    @property
    def label(self) -> str:
        return f"{self.job} ({self.profile})" if self.profile else self.job


@dataclass
class BuildResult:
    out_dir: Path
    outputs: list[Output] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    untranslated: dict[str, int] = field(default_factory=dict)
    # locale -> (finished messages, messages in the template, errors), per catalog in the run
    completeness: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    skipped: int = 0  # cells whose inputs did not change since they were built
    removed: list[str] = field(default_factory=list)  # PDFs of cells that no longer exist

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class Selection:
    clinics: tuple[str, ...] = ()
    locales: tuple[str, ...] = ()
    brochures: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()


def plan_jobs(project: Project, selection: Selection) -> list[Job]:
    """Every selected cell; unknown names in the selection are errors with suggestions."""
    profiles = selection.profiles or PROFILES
    errors = [
        *_unknown("profile", selection.profiles, PROFILES),
        *_unknown("clinic", selection.clinics, project.clinics),
        *_unknown("locale", selection.locales, (*project.locales, *PSEUDO_LOCALES)),
        *_unknown("brochure", selection.brochures, project.brochures),
    ]
    if errors:
        raise InputError("; ".join(errors))
    jobs = []
    for slug, clinic in sorted(project.clinics.items()):
        if selection.clinics and slug not in selection.clinics:
            continue
        # Pseudo-locales are for checking layouts: asked for by name, they apply to every clinic.
        pseudo = tuple(locale for locale in selection.locales if is_pseudo(locale))
        for locale in (*clinic.locales, *pseudo):
            if selection.locales and locale not in selection.locales:
                continue
            for brochure_id, brochure in sorted(project.brochures.items()):
                if selection.brochures and brochure_id not in selection.brochures:
                    continue
                jobs.extend(Job(brochure, clinic, locale, profile) for profile in profiles)
    if not jobs:
        raise InputError("nothing to build: no clinic offers the selected locale and brochure "
                         "(see the `locales` of each brochures/clinics/*.yaml)")
    return jobs


def _unknown(kind: str, wanted: Iterable[str], known: Iterable[str]) -> list[str]:
    known = sorted(known)
    return [f"unknown {kind} {name!r}; {suggest(name, known, 'known')}"
            for name in wanted if name not in known]


def document_date(job: Job, root: Path) -> str:
    """The date written into a PDF: SOURCE_DATE_EPOCH when set (reproducible-builds.org),
    otherwise the newest change among the cell's own inputs, so a rebuild of unchanged inputs
    gives the same bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch.isdigit():
        inputs = [root / job.brochure.path, root / job.clinic.path]
        if job.locale != SOURCE_LOCALE and not is_pseudo(job.locale):
            inputs.append(root / catalog_path(job.locale))
        epoch = str(max(int(path.stat().st_mtime) for path in inputs if path.exists()))
    moment = datetime.fromtimestamp(int(epoch), tz=UTC)
    return moment.isoformat(timespec="seconds")


def output_path(job: Job) -> Path:
    """Where a cell's PDF goes, relative to the output folder (slug and locale are validated)."""
    return Path(job.clinic.slug) / f"{job.brochure.id}-{job.locale}-{job.profile}.pdf"


def build(project: Project, out_dir: Path, selection: Selection = Selection(), *,
          allow_incomplete: bool = False, force: bool = False, workers: int = 1,
          keep_html: bool = False,
          on_cell: Callable[[Job, Output | Failure, int, int], None] | None = None
          ) -> BuildResult:
    """Build the selected cells; a failing cell is reported and the others still build.

    A cell whose inputs hash is unchanged since its PDF was built is skipped (unless `force`).
    A cell whose brochure uses untranslated or fuzzy messages fails, unless `allow_incomplete`:
    then English fills the gaps and every page carries a DRAFT TRANSLATION mark. With more
    than one worker, cells render in parallel processes that keep their WeasyPrint state warm.
    """
    jobs = plan_jobs(project, selection)
    out_dir = out_dir.resolve()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder: {exc.strerror}; choose another "
                         "with --out", Location(out_dir)) from None
    result = BuildResult(out_dir)
    with build_lock(out_dir):
        # Temporary files of a build that was killed mid-write; under the lock no other build
        # can be writing, so they are leftovers, never someone's work in progress.
        for leftover in out_dir.rglob(".*.part"):
            leftover.unlink(missing_ok=True)
        manifest = _read_manifest(out_dir)
        hasher = InputsHasher(project.root, allow_incomplete)
        todo = []
        for job in jobs:
            inputs = hasher.cell(job)
            entry = manifest.get((job.clinic.slug, job.locale, job.brochure.id, job.profile))
            if not force and entry and entry.get("inputs") == inputs and _intact(out_dir, entry):
                result.skipped += 1
            else:
                todo.append((job, inputs))
        untranslated: dict[str, set] = {}
        try:
            for done, (job, outcome, missing) in enumerate(
                    _run(project.root, out_dir, todo, allow_incomplete, workers, keep_html),
                    start=1):
                (result.outputs if isinstance(outcome, Output) else result.failures).append(
                    outcome)
                untranslated.setdefault(job.locale, set()).update(missing)
                if on_cell:
                    on_cell(job, outcome, done, len(todo))
        finally:
            # Written even when the run is interrupted, so it always lists what is on disk.
            planned = {(j.clinic.slug, j.locale, j.brochure.id, j.profile) for j in jobs}
            try:
                result.removed = _update_manifest(out_dir, result.outputs, planned, selection)
            except BrochureError as error:  # reported with the cells' own failures
                result.failures.append(Failure("manifest", str(error)))
    result.untranslated = {locale: len(missing) for locale, missing in untranslated.items()
                           if locale != SOURCE_LOCALE}
    locales = sorted({job.locale for job in jobs if job.locale != SOURCE_LOCALE
                      and not is_pseudo(job.locale)})
    template = read_template(project.root) if locales else None
    for locale in locales:
        report = check(project.root, locale, template)
        result.completeness[locale] = (report.translated, report.total, len(report.errors))
    return result


@contextmanager
def build_lock(out_dir: Path) -> Iterator[None]:
    """One build at a time per output folder: a second one stops with a clear message."""
    import fcntl

    path = out_dir / ".build.lock"
    try:
        handle = path.open("w")
    except OSError as exc:
        raise write_error(exc, out_dir) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError("another build is writing to this output folder; wait for it to "
                             "finish, or build into another folder with --out",
                             Location(path)) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _intact(out_dir: Path, entry: dict) -> bool:
    pdf = out_dir / entry["path"]
    try:
        return hashlib.sha256(pdf.read_bytes()).hexdigest() == entry.get("sha256")
    except OSError:
        return False


def _run(root: Path, out_dir: Path, todo: list, allow_incomplete: bool, workers: int,
         keep_html: bool = False):
    """(job, outcome, missing messages) for every cell, in one process or several.

    The profiles of one clinic, locale and brochure go to the same worker as one task: they
    lay out the same text in the same panels, so the second starts from the type size the
    first was fitted to instead of searching again.
    """
    groups: dict[tuple, list] = {}
    for job, inputs in todo:
        groups.setdefault((job.clinic.slug, job.locale, job.brochure.id), []).append(
            (job, inputs))
    # Biggest layouts first, so the build does not end waiting on one long task (panel count
    # stands for the amount of text).
    tasks = sorted(groups.values(), key=lambda task: -len(
        LAYOUTS[task[0][0].brochure.layout].content_panels))
    if not tasks:
        return  # nothing changed: WeasyPrint is not even imported
    if workers <= 1 or len(tasks) <= 1:
        state = _WorkerState(root, out_dir, allow_incomplete, keep_html)
        for task in tasks:
            yield from state.cells(task)
        return
    import multiprocessing

    context = multiprocessing.get_context("fork")
    pool = context.Pool(min(workers, len(tasks)), initializer=_worker_init,
                        initargs=(root, out_dir, allow_incomplete, keep_html))
    try:
        names = [[(job.clinic.slug, job.locale, job.brochure.id, job.profile, inputs)
                  for job, inputs in task] for task in tasks]
        for index, results in pool.imap_unordered(_worker_task, enumerate(names)):
            for (job, _), (outcome, missing) in zip(tasks[index], results, strict=True):
                yield job, outcome, missing
        pool.close()
    except BaseException:
        pool.terminate()  # Ctrl-C: stop the workers; finished files are complete (atomic)
        raise
    finally:
        pool.join()


class _WorkerState:
    """What one process keeps warm across cells: fonts, parsed CSS, templates, catalogs."""

    def __init__(self, root: Path, out_dir: Path, allow_incomplete: bool, keep_html: bool):
        from .pdf import Renderer  # WeasyPrint loads slowly; only rendering needs it
        from .project import load_project

        self.project = load_project(root)
        self.out_dir = out_dir
        self.allow_incomplete = allow_incomplete
        self.keep_html = out_dir / "html" if keep_html else None
        self.renderer = Renderer(self.project.root)
        self.environment = jinja_environment(self.project.root / "templates")
        self.catalogs: dict[str, Translations | BrochureError] = {}

    def cells(self, task: list) -> Iterator[tuple[Job, Output | Failure, set]]:
        """The profiles of one cell, each starting from the type size the previous fitted."""
        fit = FIT_STEPS[0]
        for job, inputs in task:
            outcome, missing = self.cell(job, inputs, fit)
            if isinstance(outcome, Output):
                fit = outcome.fit
            yield job, outcome, missing

    def cell(self, job: Job, inputs: str, fit_from: float = FIT_STEPS[0]
             ) -> tuple[Output | Failure, set]:
        from .pdf import panel_fits

        translations = None
        try:
            translations = _catalog(self.catalogs, self.project.root, job.locale).fresh()
            output = _build_cell(job, self.out_dir, self.renderer, self.environment,
                                 translations, self.allow_incomplete, panel_fits,
                                 self.keep_html, fit_from)
            return replace(output, inputs=inputs), translations.missing
        except BrochureError as error:
            return Failure(job.name, str(error), job.profile), set()
        except Exception as exc:  # A bug must not stop the other cells or show a traceback.
            return Failure(job.name, f"{job.name}: unexpected {type(exc).__name__}: {exc} "
                                     "(this is a bug in the brochure tool; please report it)",
                           job.profile), set()


_WORKER: _WorkerState | None = None


def _worker_init(root: Path, out_dir: Path, allow_incomplete: bool, keep_html: bool) -> None:
    global _WORKER
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    _WORKER = _WorkerState(root, out_dir, allow_incomplete, keep_html)


def _worker_task(task):
    index, cells = task
    project = _WORKER.project
    jobs = [(Job(project.brochures[brochure_id], project.clinics[slug], locale, profile), inputs)
            for slug, locale, brochure_id, profile, inputs in cells]
    return index, [(outcome, missing) for _, outcome, missing in _WORKER.cells(jobs)]


def _catalog(catalogs: dict, root: Path, locale: str) -> Translations:
    """A locale's translations, loaded once per build; a refused catalog fails every cell."""
    if locale not in catalogs:
        try:
            catalogs[locale] = load_translations(root, locale)
        except BrochureError as error:
            catalogs[locale] = error
    if isinstance(catalogs[locale], BrochureError):
        raise catalogs[locale]
    return catalogs[locale]


def _build_cell(job, out_dir, renderer, environment, translations, allow_incomplete,
                panel_fits, keep_html: Path | None = None,
                fit_from: float = FIT_STEPS[0]) -> Output:
    layout = LAYOUTS[job.brochure.layout]
    localized = translate(job.brochure, translations)
    info = locale_info(job.locale)
    date = document_date(job, project_root(environment))
    rendered = render_html(environment, job, localized, translations, info, document_date=date)
    if translations.missing:
        if not allow_incomplete:
            raise RenderError(
                f"{job.name}: {len(translations.missing)} message(s) of this brochure are "
                f"untranslated or fuzzy in {catalog_path(job.locale)}; list them with "
                f"`ims-brochure i18n stats {job.locale} --missing`, or build with "
                "--allow-incomplete to print a marked draft")
        rendered = render_html(environment, job, localized, translations, info, draft=True,
                               document_date=date)
    _check_glyphs(job, rendered.html, localized)
    # Long translations are fitted before they fail: the body type steps down as a whole (every
    # panel keeps one size) to a floor below which print stops being comfortable to read.
    # A cell's second profile starts at the size its first one needed (`fit_from`).
    for fit in [step for step in FIT_STEPS if step <= fit_from] or FIT_STEPS[-1:]:
        theme_css = rendered.theme.css(fit)
        document = renderer.layout(job.name, rendered.html, ["base.css", layout.stylesheet],
                                   theme_css, job.profile, job.clinic.branding.cmyk_profile)
        spilled = [f for f in panel_fits(document) if f.overflow_mm > OVERFLOW_TOLERANCE_MM]
        if not spilled and len(document.pages) == layout.pages:
            break
    if len(document.pages) != layout.pages:
        raise RenderError(f"{job.name}: the {layout.name} has {len(document.pages)} pages "
                          f"instead of {layout.pages}; text spilled past the last panel")
    if spilled:
        raise RenderError(f"{job.name}: text does not fit, even with the type reduced to "
                          f"{FIT_STEPS[-1]:.0%}: " + "; ".join(
            f"panel {fit.name} (page {fit.page}) " + (
                "runs off the page" if math.isinf(fit.overflow_mm)
                else f"runs {fit.overflow_mm:.1f} mm too long")
            for fit in spilled) + "; shorten the text of that panel")
    identifier = hashlib.sha256((rendered.html + theme_css).encode()).hexdigest()[:32].encode()
    if keep_html:  # for the benchmark: the same documents, for the `weasyprint` command
        stem = keep_html / output_path(job).with_suffix("")
        write_atomic(stem.with_suffix(".html"), rendered.html.encode())
        write_atomic(stem.with_suffix(".css"), theme_css.encode())
    bleed = PAPERS[job.clinic.paper_for(layout)].bleed_mm if job.profile == "print" else 0.0
    data = renderer.write(job.name, document, bleed, identifier, job.profile)
    relative = output_path(job)
    # Preflight the finished bytes before they get their final name.
    warnings = write_atomic(out_dir / relative, data, check=lambda path: _preflight(
        job, path, expected_for(job)))
    return Output(job.clinic.slug, job.locale, job.brochure.id, layout.name, job.profile,
                  relative.as_posix(), len(document.pages), hashlib.sha256(data).hexdigest(),
                  len(translations.missing), fit, tuple(warnings or ()))


def expected_for(job: Job) -> Expected:
    """What the cell's PDF must measure, from the layout, the paper and the profile."""
    layout = LAYOUTS[job.brochure.layout]
    paper = PAPERS[job.clinic.paper_for(layout)]
    width, height = (paper.height_mm, paper.width_mm) if layout.landscape \
        else (paper.width_mm, paper.height_mm)
    bleed = paper.bleed_mm if job.profile == "print" else 0.0
    return Expected(width * PT_PER_MM, height * PT_PER_MM, bleed * PT_PER_MM, layout.pages,
                    job.profile)


def _preflight(job: Job, path: Path, expected: Expected) -> list[str]:
    findings = preflight_pdf(path, expected)
    errors = [f for f in findings if f.level == "error"]
    if errors:
        raise RenderError(f"{job.name} ({job.profile}): preflight failed: "
                          + "; ".join(str(f) for f in errors))
    return [str(f) for f in findings]


def _check_glyphs(job: Job, html: str, localized) -> None:
    """Every character the page prints must be in one of the fonts its script uses."""
    from html import unescape

    from .assets import font_characters
    from .render import font_stack

    text = unescape(re.sub(r"<[^>]+>", " ", html.split("<body", 1)[-1]))
    families = (*font_stack(job.locale), "Noto Sans")
    missing = missing_glyphs([text], families)
    brand = job.clinic.branding
    for font in filter(None, (brand.body_font, brand.heading_font)):
        missing -= font_characters(font)
    if not missing:
        return
    sample = ", ".join(f"{char!r} (U+{ord(char):04X})" for char in sorted(missing)[:5])
    where = sorted({message.key for message in localized.messages()
                    if any(char in message.text for char in missing)})
    source = f" in {', '.join(where[:3])} ({catalog_path(job.locale)})" if where else ""
    raise RenderError(f"{job.name}: no font for {sample}{source}; these would print as empty "
                      "boxes. Fix the text, or add a font that has them")


def check_outputs(project: Project, out_dir: Path) -> list[tuple[dict, list]]:
    """Preflight every PDF listed in the output folder's manifest, against what its cell must
    measure; a PDF listed but missing, or of an unknown cell, is a finding too."""
    from .preflight import Finding

    path = out_dir / MANIFEST
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"no readable manifest ({exc}); build first", Location(path)) from None
    results = []
    for entry in entries if isinstance(entries, list) else []:
        clinic = project.clinics.get(entry.get("clinic"))
        brochure = project.brochures.get(entry.get("brochure"))
        pdf = out_dir / str(entry.get("path", ""))
        if clinic is None or brochure is None or entry.get("profile") not in PROFILES:
            results.append((entry, [Finding("structure", "warning",
                                            "this cell is no longer in the project")]))
        elif not pdf.is_file():
            results.append((entry, [Finding("structure", "error", "the PDF is missing")]))
        else:
            job = Job(brochure, clinic, entry["locale"], entry["profile"])
            results.append((entry, preflight_pdf(pdf, expected_for(job))))
    return results


def _read_manifest(out_dir: Path) -> dict[tuple, dict]:
    """Well-formed manifest entries whose PDF is still there, by cell."""
    path = out_dir / MANIFEST
    entries: dict[tuple, dict] = {}
    if path.is_file():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = []  # A damaged manifest is rebuilt from this run's outputs.
        for entry in old if isinstance(old, list) else []:
            if (isinstance(entry, dict) and all(isinstance(entry.get(key), str) for key in
                                                ("clinic", "locale", "brochure", "profile", "path"))
                    and (out_dir / entry["path"]).is_file()):
                entries[_cell_key(entry)] = entry
    return entries


def _update_manifest(out_dir: Path, outputs: list[Output], planned: set | None = None,
                     selection: Selection | None = None) -> list[str]:
    """Merge this run's outputs into manifest.json, keeping entries of cells not rebuilt.

    Cells within the build's selection that are no longer planned (a removed clinic, locale
    or brochure) leave the manifest and their PDFs are deleted; returns what was removed.
    """
    entries = _read_manifest(out_dir)
    for output in outputs:
        entry = {key: value for key, value in output.__dict__.items()
                 if key not in ("untranslated", "fit", "warnings")}
        entries[_cell_key(entry)] = entry
    removed = []
    if planned is not None and selection is not None:
        filters = (selection.clinics, selection.locales, selection.brochures, selection.profiles)

        def in_scope(key: tuple) -> bool:
            return all(not wanted or part in wanted for part, wanted in zip(key, filters,
                                                                               strict=True))
        for key in [key for key in entries if key not in planned and in_scope(key)]:
            stale = out_dir / entries.pop(key)["path"]
            if stale.is_relative_to(out_dir):
                stale.unlink(missing_ok=True)
                removed.append(stale.relative_to(out_dir).as_posix())
    ordered = [entries[key] for key in sorted(entries)]
    write_atomic(out_dir / MANIFEST,
                 (json.dumps(ordered, indent=2, ensure_ascii=False) + "\n").encode())
    return removed


def _cell_key(entry: dict) -> tuple:
    return entry["clinic"], entry["locale"], entry["brochure"], entry["profile"]
