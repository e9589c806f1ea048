"""Build: the loop over clinic x locale x brochure cells, publishing each PDF atomically."""

from __future__ import annotations

import errno
import gc
import hashlib
import json
import math
import os
import re
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from .catalogs import (
    SOURCE_LOCALE,
    Translations,
    catalog_path,
    check,
    is_pseudo,
    load_translations,
    locale_info,
    parse_locale,
    read_template,
    translate,
)
from .clinics import CREDENTIAL_CONTEXT
from .design import load_design
from .errors import BrochureError, InputError, Location, RenderError, suggest
from .files import (
    in_place,
    linked_within,
    publish,
    temporary_glob,
    write_atomic,
    write_error,
    write_temporary,
)
from .fitting import Fitted, fit_steps, fit_to_panels
from .inputs import InputsHasher
from .layouts import LAYOUTS, PAPERS
from .preflight import PT_PER_MM, Expected, missing_glyphs, preflight_pdf
from .project import PROJECT_INPUTS, Project
from .pseudo import PSEUDO_LOCALES
from .render import Job, jinja_environment, paper_scale, press_of, render_html

PROFILES = ("print", "screen")
MANIFEST = "manifest.json"
# A cell lays out in about a second; one still rendering after this long has met a logo or a
# text that is pathologically slow to lay out, and would stall the whole build.
CELL_TIME_LIMIT_S = 120.0
# How long a worker past the limit gets to stop by itself before it is killed.
KILL_GRACE_S = 10.0
DRAFT_MARK = "-DRAFT"
# How far a pseudo-locale's body type may be scaled down (real locales stop at the floor).
PSEUDO_SMALLEST_FIT = 0.8
# Where the earlier PDF of a cell that failed is set aside: kept, but never under a name that
# passes for current.
OUTDATED = "outdated"


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
    # Each illustration's height in mm, as fitted to its panel.
    art: Mapping[str, float] = field(default_factory=dict)
    inputs: str = ""
    draft: bool = False
    temporary: str = ""  # where the worker left the checked PDF, for the build to publish
    # Where each message prints on a screen PDF (pdf.message_places), for the proof pages.
    places: Mapping[str, list] = field(default_factory=dict)


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
    withdrawn: list[str] = field(default_factory=list)  # earlier PDFs of cells that now failed

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
    # The screen file too is written from the print file's layout, made with the press profile.
    unbuilt = sorted({press.condition.identifier for job in jobs
                      if not (press := press_of(job.clinic, LAYOUTS[job.brochure.layout],
                                                "print")).profile.is_file()})
    if unbuilt:
        raise InputError(f"the press profile for {', '.join(unbuilt)} is not built yet; run "
                         "`make brochures` once (it builds the profiles with ArgyllCMS from "
                         "Debian's icc-profiles-free)")
    return jobs


def _unknown(kind: str, wanted: Iterable[str], known: Iterable[str]) -> list[str]:
    known = sorted(known)
    return [f"unknown {kind} {name!r}; {suggest(name, known, 'known')}"
            for name in wanted if name not in known]


def output_path(job: Job, draft: bool = False) -> Path:
    """Where a cell's PDF goes, relative to the output folder (slug and locale are validated).
    A draft says so in its name, so it is never taken for the final PDF."""
    return _cell_path(_key(job), draft)


def _key(job: Job) -> tuple[str, str, str, str]:
    return job.clinic.slug, job.locale, job.brochure.id, job.profile


def _cell_path(key: tuple, draft: bool = False) -> Path:
    slug, locale, brochure, profile = key
    return Path(slug) / f"{brochure}-{locale}-{profile}{DRAFT_MARK if draft else ''}.pdf"


# The parts of a cell's name, as the project validates them; a manifest entry with anything
# else was not written by a build, and no path is ever made from it.
_NAME_PART = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9])?")


def _well_formed_key(entry: dict) -> tuple | None:
    key = tuple(entry.get(part) for part in ("clinic", "locale", "brochure", "profile"))
    if all(isinstance(part, str) and _NAME_PART.fullmatch(part) for part in key) \
            and key[3] in PROFILES:
        return key
    return None


def build(project: Project, out_dir: Path, selection: Selection = Selection(), *,
          allow_incomplete: bool = False, force: bool = False, workers: int = 1,
          keep_html: bool = False, cell_time_limit: float = CELL_TIME_LIMIT_S,
          on_cell: Callable[[Job, Output | Failure, int, int], None] | None = None
          ) -> BuildResult:
    """Build the selected cells; a failing cell is reported and the others still build.

    A cell whose inputs hash is unchanged since its PDF was built is skipped (unless `force`).
    A cell whose brochure uses untranslated or fuzzy messages fails, unless `allow_incomplete`:
    then English fills the gaps and the PDF is a draft (marked on every page and in its name).
    With more than one worker, cells render in supervised processes that keep their WeasyPrint
    state warm. Every planned cell ends in the manifest as built, draft or failed.
    """
    jobs = plan_jobs(project, selection)
    out_dir = _output_folder(project, out_dir)
    result = BuildResult(out_dir)
    with build_lock(out_dir):
        _remove_temporaries(out_dir, jobs)  # of a build that was killed mid-write
        manifest = _read_manifest(out_dir)
        hasher = InputsHasher(project.root)
        todo = []
        for job in jobs:
            inputs = hasher.cell(job)
            entry = manifest.get(_key(job))
            current = entry and entry.get("inputs") == inputs and _intact(out_dir, entry) and (
                _made_as(entry) == "built"
                or (_made_as(entry) == "draft" and allow_incomplete))
            if current and not force:
                result.skipped += 1
            else:
                todo.append((job, inputs, hasher.dates.cell(job)))
        inputs_of = {_key(job): inputs for job, inputs, _ in todo}
        untranslated: dict[str, set] = {}
        finished: dict[tuple, dict] = {}
        cells = _run(project, out_dir, todo, allow_incomplete, workers, keep_html,
                     cell_time_limit)
        try:
            for done, (job, outcome, missing) in enumerate(cells, start=1):
                if isinstance(outcome, Output):
                    outcome = _publish(out_dir, job, outcome)
                if isinstance(outcome, Output):
                    result.outputs.append(outcome)
                    finished[_key(job)] = _built_entry(outcome)
                else:
                    result.failures.append(outcome)
                    earlier = manifest.get(_key(job))
                    if earlier and earlier.get("inputs") == inputs_of[_key(job)] \
                            and _intact(out_dir, earlier):
                        # Made from these same inputs (a forced rebuild that met a full disk,
                        # say): the earlier PDF is still the cell's current result.
                        finished[_key(job)] = {**earlier, "status": _made_as(earlier)}
                    else:
                        finished[_key(job)] = _failed_entry(job, outcome, inputs_of[_key(job)])
                        result.withdrawn += _set_aside(out_dir, _key(job))
                untranslated.setdefault(job.locale, set()).update(missing)
                if on_cell:
                    on_cell(job, outcome, done, len(todo))
        finally:
            # Written even when the run is interrupted, so it always lists what is on disk;
            # the workers are stopped first, so their unfinished files can go.
            cells.close()
            _remove_temporaries(out_dir, jobs)
            planned = {_key(job) for job in jobs}
            try:
                result.removed = _update_manifest(out_dir, project, hasher, finished, planned,
                                                  selection)
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


def _output_folder(project: Project, out_dir: Path) -> Path:
    """The output folder, resolved, created, and never one of the project's inputs: a build
    writing there would change its own inputs and rebuild everything every time. A folder named
    within the project must be there, not a link to elsewhere: a project could otherwise point
    its out/ at any folder of the machine and have the build write and delete there."""
    if linked_within(project.root, out_dir):
        named = Path(os.path.abspath(out_dir))
        try:
            target = named.resolve()
        except (OSError, RuntimeError):
            target = "a folder it cannot follow"
        raise InputError(f"the output folder is a link to {target}; to build there, name that "
                         "folder with --out, or remove the link", Location(named))
    out_dir = out_dir.resolve()
    inputs = [part for part in PROJECT_INPUTS
              if out_dir.is_relative_to((project.root / part).resolve())]
    if out_dir == project.root or inputs:
        what = f"inside the project's {inputs[0]}" if inputs else "the project folder itself"
        raise InputError(f"the output folder is {what}: the build would write among its own "
                         "inputs; choose a folder of its own (the default is out/) with --out",
                         Location(out_dir))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder: {exc.strerror}; choose another "
                         "with --out", Location(out_dir)) from None
    return out_dir


def _remove_temporaries(out_dir: Path, jobs: list[Job]) -> None:
    """The temporary files a killed build left for these cells and the manifest; under the
    build lock nobody else writes them. Only names this build gives its own temporary files
    are touched: anything else in the folder belongs to someone."""
    targets = [out_dir / MANIFEST]
    targets += [out_dir / output_path(job, draft) for job in jobs for draft in (False, True)]
    folders: dict[Path, list[Path]] = {}
    for target in targets:
        folders.setdefault(target.parent, []).append(target)
    for folder, names in folders.items():
        if not folder.is_dir() or not in_place(out_dir, folder.relative_to(out_dir)):
            continue
        for target in names:
            for leftover in folder.glob(temporary_glob(target)):
                if leftover.is_file() and not leftover.is_symlink():
                    leftover.unlink(missing_ok=True)


def _publish(out_dir: Path, job: Job, output: Output) -> Output | Failure:
    """The worker's checked PDF under its final name, and the cell's other name (its draft,
    or its final PDF when this is a draft) gone, so one cell has one PDF."""
    temporary, target = out_dir / output.temporary, out_dir / output.path
    if not in_place(out_dir, Path(output.path).parent):
        temporary.unlink(missing_ok=True)
        return Failure(job.name, f"{job.name}: {target.parent} is a link to another folder; "
                                 "remove it (the build makes its own folder), or build into "
                                 "another folder with --out", job.profile)
    try:
        publish(temporary, target)
    except BrochureError as error:
        return Failure(job.name, f"{job.name}: {error}", job.profile)
    _remove_cell_files(out_dir, _key(job), keep=Path(output.path))
    return replace(output, temporary="")


def _cell_files(out_dir: Path, key: tuple) -> Iterator[Path]:
    """The cell's PDFs on disk, relative: final and draft names, and copies set aside. Made
    from the validated cell name, never read from a file, never followed out of the folder."""
    for draft in (False, True):
        for relative in (_cell_path(key, draft), OUTDATED / _cell_path(key, draft)):
            path = out_dir / relative
            if path.is_file() and not path.is_symlink() and in_place(out_dir, relative.parent):
                yield relative


def _remove_cell_files(out_dir: Path, key: tuple, keep: Path | None = None) -> list[str]:
    """Delete the cell's PDFs except `keep`; returns what was deleted."""
    removed = [relative for relative in _cell_files(out_dir, key) if relative != keep]
    for relative in removed:
        (out_dir / relative).unlink(missing_ok=True)
    return [relative.as_posix() for relative in removed if relative.parts[0] != OUTDATED]


def _set_aside(out_dir: Path, key: tuple) -> list[str]:
    """Move the earlier PDF of a cell that failed to OUT/outdated/, where nobody takes it for
    current; returns where it went."""
    moved = []
    for relative in _cell_files(out_dir, key):
        if relative.parts[0] == OUTDATED:
            continue
        target = out_dir / OUTDATED / relative
        try:
            if not in_place(out_dir, (OUTDATED / relative).parent):
                raise NotADirectoryError  # outdated/ or its clinic folder is a link
            target.parent.mkdir(parents=True, exist_ok=True)
            (out_dir / relative).replace(target)
            moved.append((OUTDATED / relative).as_posix())
        except OSError:  # nowhere safe to keep it: it must not stay under its final name
            (out_dir / relative).unlink(missing_ok=True)
    return moved


def _built_entry(output: Output) -> dict:
    entry = {key: value for key, value in output.__dict__.items()
             if key not in ("untranslated", "warnings", "temporary", "draft")}
    return {**entry, "status": "draft" if output.draft else "built",
            "untranslated": output.untranslated, "warnings": list(output.warnings)}


def _failed_entry(job: Job, failure: Failure, inputs: str) -> dict:
    clinic, locale, brochure, profile = _key(job)
    return {"clinic": clinic, "locale": locale, "brochure": brochure, "profile": profile,
            "layout": LAYOUTS[job.brochure.layout].name, "path": None, "inputs": inputs,
            "status": "failed", "reason": failure.message}


@contextmanager
def build_lock(out_dir: Path) -> Iterator[None]:
    """One build at a time per output folder: a second one stops with a clear message."""
    import fcntl

    path = out_dir / ".build.lock"
    try:
        # Never through a link: opening one would create or lock a file elsewhere.
        handle = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666), "r+")
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError("the build's lock file is a link to elsewhere; remove it (the "
                             "build makes its own)", Location(path)) from None
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
    key = _well_formed_key(entry)
    if key is None or _made_as(entry) is None:
        return False
    pdf = out_dir / _cell_path(key, _made_as(entry) == "draft")
    if not pdf.is_file() or pdf.is_symlink() or \
            not in_place(out_dir, pdf.parent.relative_to(out_dir)):
        return False  # never read through a link or from a pipe put in its place
    try:
        return hashlib.sha256(pdf.read_bytes()).hexdigest() == entry.get("sha256")
    except OSError:
        return False


def _run(project: Project, out_dir: Path, todo: list, allow_incomplete: bool, workers: int,
         keep_html: bool = False, time_limit: float = CELL_TIME_LIMIT_S):
    """(job, outcome, missing messages) for every cell, in one process or several.

    The profiles of one clinic, locale and brochure go to the same worker as one task: they
    use the same fonts and images, which stay warm there.
    """
    groups: dict[tuple, list] = {}
    for job, inputs, date in todo:
        groups.setdefault((job.clinic.slug, job.locale, job.brochure.id), []).append(
            (job, inputs, date))
    # Biggest layouts first, so the build does not end waiting on one long task (panel count
    # stands for the amount of text).
    tasks = sorted(groups.values(), key=lambda task: -len(
        LAYOUTS[task[0][0].brochure.layout].content_panels))
    if not tasks:
        return  # nothing changed: WeasyPrint is not even imported
    settings = (project, out_dir, allow_incomplete, keep_html, time_limit)
    if workers <= 1 or len(tasks) <= 1:
        try:
            state = _WorkerState(*settings)
        except Exception as exc:  # every cell fails with the reason, no traceback
            yield from _failed(tasks, f"the renderer could not be started: "
                                      f"{_describe(exc)}")
            return
        for task in tasks:
            yield from state.cells(task)
        return
    # Import WeasyPrint once here rather than in every worker: forked workers share it.
    from . import pdf  # noqa: F401
    yield from _supervised(tasks, workers, settings, time_limit)


def _failed(tasks: Iterable[list], reason: str):
    for task in tasks:
        for job, _, _ in task:
            yield job, Failure(job.name, f"{job.name}: {reason}", job.profile), set()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BrochureError):
        return str(exc)
    return f"unexpected {type(exc).__name__}: {exc} (this is a bug in the brochure tool; " \
           "please report it)"


@dataclass
class _Worker:
    process: object
    ready: bool = False  # it loaded the project and asked for work
    task: int | None = None  # the index of the task it is rendering
    reported: int = 0  # cells of that task already reported
    since: float = 0.0  # when it started, then when its current cell started


def _supervised(tasks: list[list], workers: int, settings: tuple, time_limit: float):
    """Cells rendered by worker processes, each watched: a worker that dies (killed, out of
    memory) fails the cell it was rendering and is replaced; one that cannot start (or does
    not start in time) is not replaced, and the cells no started worker is left to take fail
    with the reason; one past the time limit is killed. The build always ends."""
    import multiprocessing
    from multiprocessing.connection import wait

    context = multiprocessing.get_context("fork")
    queue = deque(range(len(tasks)))
    live: dict = {}
    cannot_start: str | None = None

    def start() -> None:
        nonlocal cannot_start
        if cannot_start is not None or not queue:
            return  # a replacement would fail the same way, or there is nothing left to do
        try:
            ours, theirs = context.Pipe()
            process = context.Process(target=_worker_main, args=(theirs, os.getpid(), *settings),
                                      daemon=True)
            process.start()
        except OSError as exc:  # out of processes, memory or file descriptors
            cannot_start = f"no worker process could be started ({exc.strerror or exc})"
            return
        theirs.close()  # so that the worker's death reads as end-of-file here
        live[ours] = _Worker(process, since=time.monotonic())

    def retire(connection, kill: bool) -> _Worker:
        worker = live.pop(connection)
        if kill:
            worker.process.kill()
        worker.process.join(5)
        connection.close()
        return worker

    def unfinished(worker: _Worker, reason: str):
        if worker.task is not None:
            rest = tasks[worker.task][worker.reported:]
            worker.task = None
            yield from _failed([rest], reason)

    for _ in range(min(workers, len(tasks))):
        start()
    try:
        while live:
            now = time.monotonic()
            for connection, worker in list(live.items()):
                if now - worker.since <= time_limit + KILL_GRACE_S:
                    continue
                if worker.task is not None:
                    retire(connection, kill=True)
                    yield from unfinished(worker, f"still rendering after {time_limit:g} s, the "
                                          "time limit of one cell, so it was stopped; a logo or "
                                          "text that is very slow to lay out is the usual "
                                          "cause (raise the limit with --cell-time-limit)")
                    start()
                elif not worker.ready:
                    retire(connection, kill=True)
                    cannot_start = cannot_start or (
                        f"a worker process did not start within {time_limit + KILL_GRACE_S:g} s")
            for connection in wait(list(live), timeout=1.0):
                worker = live[connection]
                try:
                    kind, payload = connection.recv()
                except (EOFError, OSError):
                    retire(connection, kill=False)
                    how = _exit_reason(worker.process.exitcode)
                    if not worker.ready:
                        cannot_start = cannot_start or f"a worker process {how} before it " \
                                                       "could start"
                    yield from unfinished(worker, f"the worker process rendering it {how}")
                    start()
                    continue
                if kind == "cannot-start":
                    cannot_start = cannot_start or payload
                    continue  # the worker exits; its end-of-file arrives next
                if kind == "cell":
                    job = tasks[worker.task][worker.reported][0]
                    worker.reported += 1
                    worker.since = time.monotonic()
                    yield (job, *payload)
                    continue
                # "ready" or "done": a worker that started serves the rest, whatever happened
                # to the others.
                worker.ready, worker.task = True, None
                task = queue.popleft() if queue else None
                try:
                    connection.send(None if task is None else [
                        (job.clinic.slug, job.locale, job.brochure.id, job.profile, inputs, date)
                        for job, inputs, date in tasks[task]])
                except OSError:  # it died between two tasks: the task goes back to the queue
                    if task is not None:
                        queue.appendleft(task)
                    retire(connection, kill=True)
                    start()
                    continue
                if task is not None:
                    worker.task, worker.reported, worker.since = task, 0, time.monotonic()
        if queue:  # no worker is left to take them
            yield from _failed((tasks[index] for index in queue),
                               cannot_start or "no worker process was left to render it")
            queue.clear()
    finally:
        for connection in list(live):  # interrupted: stop them now
            retire(connection, kill=True)


def _exit_reason(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:  # a real-time signal has no name
            name = f"signal {-code}"
        hint = "; the system may be out of memory" if name == "SIGKILL" else ""
        return f"was killed ({name}{hint})"
    return f"stopped unexpectedly (exit status {code})"


def _die_with_parent(parent: int) -> None:
    """A worker must not outlive its build: killed with it (SIGKILL, out of memory), it would
    otherwise go on holding the output folder's lock. Linux tells a child when its parent dies;
    elsewhere the supervisor's end-of-file is the only sign."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


def _worker_main(connection, parent: int, *settings) -> None:
    """A worker process: render the tasks it is sent with warm state."""
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        try:
            state = _WorkerState(*settings)
        except Exception as exc:  # reported by the parent, not shown as a traceback
            connection.send(("cannot-start", "the renderer could not be started: "
                                             + _describe(exc)))
            return
        connection.send(("ready", None))
        while (cells := connection.recv()) is not None:
            project = state.project  # the very project the build planned from (forked)
            task = [(Job(project.brochures[brochure], project.clinics[slug], locale, profile),
                     inputs, date) for slug, locale, brochure, profile, inputs, date in cells]
            for _, outcome, missing in state.cells(task):
                connection.send(("cell", (outcome, missing)))
            connection.send(("done", None))
    except (EOFError, OSError, KeyboardInterrupt):
        pass  # the build is over or interrupted


ALARM_REPEAT_S = 0.05


class _CellTimeLimit(BaseException):
    """Raised by the alarm inside a cell that runs too long; a BaseException, so that no
    library's `except Exception` can swallow it."""


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` (main thread only, where signals are delivered)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    active = [True]

    def expire(signum, frame):
        if active[0]:
            raise _CellTimeLimit

    previous = signal.signal(signal.SIGALRM, expire)
    # The alarm repeats: one that lands inside a callback from C (Pango calls back into
    # Python) is printed and dropped there, and the next one stops the cell.
    signal.setitimer(signal.ITIMER_REAL, seconds, ALARM_REPEAT_S)
    try:
        yield
    finally:
        active[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# The cyclic collector's thresholds while rendering (Python's default: 700, 10, 10).
GC_THRESHOLDS = (10_000, 10, 10)


class _WorkerState:
    """What one process keeps warm across cells: fonts, parsed CSS, templates, catalogs."""

    def __init__(self, project: Project, out_dir: Path, allow_incomplete: bool, keep_html: bool,
                 time_limit: float = CELL_TIME_LIMIT_S):
        from .pdf import Renderer  # WeasyPrint loads slowly; only rendering needs it

        # A layout makes hundreds of thousands of small objects (boxes, styles): the cyclic
        # collector, left at every 700, spent about a twentieth of a build going over them.
        gc.set_threshold(*GC_THRESHOLDS)
        # The build's own loaded project: a forked worker shares it instead of reading the
        # files again.
        self.project = project
        self.out_dir = out_dir
        self.allow_incomplete = allow_incomplete
        self.keep_html = out_dir / "html" if keep_html else None
        self.time_limit = time_limit
        self.renderer = Renderer(self.project.root)
        self.environment = jinja_environment(self.project.root / "templates")
        self.catalogs: dict[str, Translations | BrochureError] = {}

    def cells(self, task: list) -> Iterator[tuple[Job, Output | Failure, set]]:
        """The files of one cell, on one worker: laid out once, each profile written from
        that layout."""
        layouts: dict = {}
        for job, inputs, date in task:
            outcome, missing = self.cell(job, inputs, date, layouts)
            yield job, outcome, missing

    def cell(self, job: Job, inputs: str, date: str,
             layouts: dict | None = None) -> tuple[Output | Failure, set]:
        missing: set = set()
        layouts = {} if layouts is None else layouts
        try:
            with _time_limit(self.time_limit):
                key = _key(job)[:3]
                if key not in layouts:
                    translations = _catalog(self.catalogs, self.project.root,
                                            job.locale).fresh()
                    try:
                        layouts[key] = _lay_out_cell(job, self.renderer, self.environment,
                                                     translations, self.allow_incomplete, date)
                    except BrochureError as error:  # the cell's other file fails with it
                        layouts[key] = error
                laid = layouts[key]
                if isinstance(laid, BrochureError):
                    raise laid
                missing = laid.translations.missing
                output = _write_file(job, self.out_dir, self.renderer, laid, self.keep_html)
            return replace(output, inputs=inputs), missing
        except _CellTimeLimit:
            return Failure(job.name, f"{job.name}: stopped after {self.time_limit:g} s, the time "
                                     "limit of one cell, while laying it out; a logo or text "
                                     "that is very slow to lay out is the usual cause (raise "
                                     "the limit with --cell-time-limit)", job.profile), set()
        except BrochureError as error:
            return Failure(job.name, str(error), job.profile), set()
        except Exception as exc:  # A bug must not stop the other cells or show a traceback.
            return Failure(job.name, f"{job.name}: {_describe(exc)}", job.profile), set()


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


@dataclass(frozen=True)
class LaidOut:
    """A cell laid out once for both its files: the print file's page, with the press marks
    and the bleed outside the trim (pdf.Renderer.write makes the screen file from it)."""

    rendered: object  # render.RenderedHtml; its theme is the layout's
    fitted: Fitted
    translations: Translations
    places: Mapping[str, list]  # where each message prints (pdf.message_places)


def _lay_out_cell(job, renderer, environment, translations, allow_incomplete,
                  date: str) -> LaidOut:
    from .pdf import lines_past_edges, message_places  # loads WeasyPrint

    layout = LAYOUTS[job.brochure.layout]
    localized, rendered = _render(job, environment, translations, allow_incomplete, date)
    _check_glyphs(job, rendered.html, localized)
    design = load_design(renderer.root)
    smallest = PSEUDO_SMALLEST_FIT if is_pseudo(job.locale) \
        else design.smallest_fit(layout.name, job.locale)
    fitted = _fitted(job, rendered, localized, renderer, design, smallest)
    document = fitted.document
    if len(document.pages) != layout.pages:
        raise RenderError(f"{job.name}: the {layout.name} has {len(document.pages)} pages "
                          f"instead of {layout.pages}; text spilled past the last panel")
    if fitted.spilled:
        floor = design.body_for(layout.name, job.locale) * smallest
        raise RenderError(f"{job.name}: text does not fit, even with the illustrations at "
                          f"their smallest and the body type at the floor of the type scale "
                          f"({floor:.1f} pt): " + "; ".join(
            f"panel {fit.name} (page {fit.page}) " + (
                "runs off the page" if math.isinf(fit.overflow_mm)
                else f"runs {fit.overflow_mm:.1f} mm too long")
            for fit in fitted.spilled) + "; shorten the text of that panel")
    past = lines_past_edges(document)
    if past:
        kept = [(rendered.kept_lines[part], page, mm) for part, page, mm in past]
        settings = sorted({line.setting for line, _, _ in kept})
        raise RenderError(f"{job.name}: " + "; ".join(
            f"{line.text!r} (page {page}) is {mm:.1f} mm wider than its panel"
            for line, page, mm in kept) + "; a web or e-mail address breaks only after a \"/\" "
            "or before an \"@\", and the booking address prints whole: give the clinic a shorter "
            "one (" + ", ".join(f"clinic set {job.clinic.slug} {setting} ..."
                                for setting in settings) + ")")
    return LaidOut(rendered, fitted, translations, message_places(document))


def _write_file(job: Job, out_dir: Path, renderer, laid: LaidOut,
                keep_html: Path | None = None) -> Output:
    """One profile's PDF of a laid-out cell, preflighted, under a temporary name."""
    layout = LAYOUTS[job.brochure.layout]
    rendered, fitted, translations = laid.rendered, laid.fitted, laid.translations
    theme = replace(rendered.theme, profile=job.profile)
    theme_css = theme.css(fitted.fit, fitted.art)
    identifier = hashlib.sha256((rendered.html + theme_css).encode()).hexdigest()[:32].encode()
    _refuse_links_out(out_dir, job, keep_html is not None)
    if keep_html:  # for the benchmark: the same documents, for the `weasyprint` command
        stem = keep_html / output_path(job).with_suffix("")
        write_atomic(stem.with_suffix(".html"), rendered.html.encode())
        write_atomic(stem.with_suffix(".css"), theme_css.encode())
    bleed = PAPERS[job.clinic.paper_for(layout)].bleed_mm if job.profile == "print" else 0.0
    data = renderer.write(job.name, fitted.document, bleed, identifier, job.profile,
                          theme.press, dict(rendered.links), theme.colors)
    draft = bool(translations.missing)
    relative = output_path(job, draft)
    # Preflight the finished bytes; the build gives them their final name.
    temporary, warnings = write_temporary(out_dir / relative, data, check=lambda path: _preflight(
        job, path, expected_for(job)))
    return Output(job.clinic.slug, job.locale, job.brochure.id, layout.name, job.profile,
                  relative.as_posix(), len(fitted.document.pages),
                  hashlib.sha256(data).hexdigest(), len(translations.missing), fitted.fit,
                  tuple(warnings or ()), draft=draft, art=fitted.art,
                  temporary=temporary.relative_to(out_dir).as_posix(),
                  places=laid.places if job.profile == "screen" else {})


def _render(job: Job, environment, translations, allow_incomplete: bool, date: str):
    """The cell's text in its locale, and its HTML (a marked draft when text is missing and
    the build allows it)."""
    localized = translate(job.brochure, translations)
    info = locale_info(job.locale)
    rendered = render_html(environment, job, localized, translations, info, document_date=date)
    if translations.missing:
        if not allow_incomplete:
            raise RenderError(f"{job.name}: " + missing_texts(job, translations.missing)
                              + "; or build with --allow-incomplete to print a marked draft")
        rendered = render_html(environment, job, localized, translations, info, draft=True,
                               document_date=date)
    return localized, rendered


def _fitted(job, rendered, localized, renderer, design, smallest) -> Fitted:
    """The cell laid out with its body type and drawings fitted to the panels: long
    translations are fitted before they fail, the drawings first, then the body type as a
    whole (every panel keeps one size) down to the type scale's floor."""
    layout = LAYOUTS[job.brochure.layout]
    scale = paper_scale(layout, PAPERS[job.clinic.paper_for(layout)])
    drawings = {section.illustration: (section.panel,
                                       design.art_for(section.illustration, layout.name, scale))
                for section in localized.sections if section.illustration}
    drawings.update({name: (panel, design.art_for(name, layout.name, scale))
                     for name, panel in layout.pictures})
    theme = rendered.theme

    def lay_out(fit: float, art, extra_css: str = "") -> object:
        return renderer.layout(job.name, rendered.html, list(layout.stylesheets),
                               theme.css(fit, art) + extra_css, theme.profile, theme.press)

    from .pdf import only_panels_css, panel_fits, replace_panels, resize_drawings

    def resize(document, fit: float, art, new_art) -> object | None:
        """The drawings resized in the laid-out document where that is exact; else (a drawing
        brought back or left out, say) only the panels whose drawings changed laid out again."""
        moved = resize_drawings(document, art, new_art)
        if moved is not None:
            return moved
        changed = {drawings[name][0] for name in new_art if new_art[name] != art[name]}
        if changed >= {fit.name for fit in panel_fits(document)}:
            return None  # every panel changes: the caller lays the whole out again
        fresh = lay_out(fit, new_art, "\n" + only_panels_css(changed))
        return replace_panels(document, fresh, changed)

    return fit_to_panels(lay_out, panel_fits, layout.pages, drawings, fit_steps(smallest),
                         resize)


def _refuse_links_out(out_dir: Path, job: Job, keep_html: bool) -> None:
    """Nothing is written through a link in the output folder that leads elsewhere (a clinic's
    folder linked to another disk, say): the cell fails before its first byte is written."""
    folders = [Path(job.clinic.slug)] + ([Path("html") / job.clinic.slug] if keep_html else [])
    for folder in folders:
        if not in_place(out_dir, folder):
            raise RenderError(f"{job.name}: {out_dir / folder} is a link to another folder; "
                              "remove it (the build makes its own folder), or build into "
                              "another folder with --out")


def missing_texts(job: Job, missing: set) -> str:
    """What is untranslated, named where it is fixed: the clinic's own texts in its file, the
    brochure's messages in the catalog."""
    clinic = job.clinic
    welcome = [m for m in missing if (m[0] or "").startswith(f"{clinic.path}:welcome/")]
    credentials = sorted(text for context, text in missing if context == CREDENTIAL_CONTEXT)
    messages = len(missing) - len(welcome) - len(credentials)
    parts = []
    if welcome:
        language = parse_locale(job.locale).get_display_name("en")
        parts.append(f"the clinic's welcome line (printed on the cover) has no {language} "
                     f"({job.locale}) text; add it with `ims-brochure clinic set {clinic.slug} "
                     f"welcome.{job.locale} \"...\"` (it goes under `welcome:` in "
                     f"{clinic.path})")
    if credentials:
        listed = ", ".join(repr(text) for text in credentials[:3])
        parts.append(f"the practitioner credential(s) {listed} (in {clinic.path}, key "
                     f"practitioners) have no translation in {catalog_path(job.locale)}; run "
                     f"`ims-brochure i18n extract` and `i18n update {job.locale}` if they are "
                     "new, then translate them (msgctxt \"credential\")")
    if messages:
        parts.append(f"{messages} message(s) of this brochure are untranslated or fuzzy in "
                     f"{catalog_path(job.locale)}; list them with `ims-brochure i18n stats "
                     f"{job.locale} --missing`")
    return "; ".join(parts)


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


def check_outputs(project: Project, out_dir: Path, clinic: str | None = None
                  ) -> list[tuple[dict, str, list]]:
    """Every cell the output folder's manifest lists (or one clinic's), with its status now and
    the findings:
    a failed cell (with its reason) or a stale one (inputs changed since its PDF was made) is
    an error, a draft a warning; a built PDF is preflighted against what its cell must
    measure, and a PDF listed but missing, or of an unknown cell, is a finding too."""
    from .preflight import Finding

    path = out_dir / MANIFEST
    try:
        if path.is_symlink() or not path.is_file():
            raise OSError("it is missing, or not a regular file")
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: nested absurdly
        raise InputError(f"no readable manifest ({exc}); build first", Location(path)) from None
    hasher = InputsHasher(project.root)
    results = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or (key := _well_formed_key(entry)) is None:
            results.append(({}, "unknown", [Finding("structure", "error",
                                                    "a manifest entry not written by a build")]))
            continue
        if clinic is not None and key[0] != clinic:
            continue
        job = _job(project, key)
        status = _status(entry, job, hasher)
        if job is None:
            results.append((entry, status, [Finding("structure", "warning",
                                                    "this cell is no longer in the project")]))
        elif status == "failed":
            results.append((entry, status, [Finding("build", "error", "the last build of this "
                                                    f"cell failed: {entry.get('reason')}")]))
        elif not (pdf := out_dir / _cell_path(key, _made_as(entry) == "draft")).is_file() \
                or pdf.is_symlink() or not in_place(out_dir, pdf.parent.relative_to(out_dir)):
            results.append((entry, status, [Finding("structure", "error",
                                                    "the PDF is missing")]))
        else:
            findings = []
            if status == "stale":
                findings.append(Finding("build", "error", "stale: its inputs changed since this "
                                        "PDF was made; build again"))
            elif status == "draft":
                findings.append(Finding("build", "warning", "a draft: untranslated messages "
                                        "print in English; not for the printer"))
            results.append((entry, status, findings + preflight_pdf(pdf, expected_for(job))))
    return results


def cell_statuses(project: Project, out_dir: Path) -> list[tuple[dict, str, Path | None]]:
    """Every cell of the output folder's manifest with its status now (built, draft, failed,
    stale; no preflight: see check_outputs) and its PDF, if it has one on disk."""
    hasher = InputsHasher(project.root)
    cells = []
    for key, entry in sorted(_read_manifest(out_dir).items()):
        status = _status(entry, _job(project, key), hasher)
        made = _made_as(entry)
        pdf = out_dir / _cell_path(key, made == "draft") if made else None
        if pdf is not None and (pdf.is_symlink() or not pdf.is_file()):
            pdf = None
        cells.append((entry, status, pdf))
    return cells


def _job(project: Project, key: tuple) -> Job | None:
    slug, locale, brochure, profile = key
    clinic, content = project.clinics.get(slug), project.brochures.get(brochure)
    if clinic is None or content is None or (locale not in clinic.locales
                                             and not is_pseudo(locale)):
        return None
    return Job(content, clinic, locale, profile)


def _made_as(entry: dict) -> str | None:
    """What the entry's PDF was made as, "built" or "draft" (whatever it is now: a stale draft
    is still named as a draft), or None when it has no PDF."""
    status = entry.get("status", "built")  # manifests before statuses listed built PDFs only
    if status not in ("built", "draft", "stale"):
        return None
    untranslated = entry.get("untranslated")
    return "draft" if isinstance(untranslated, int) and untranslated > 0 else "built"


def _status(entry: dict, job: Job | None, hasher: InputsHasher) -> str:
    """The cell's status now, as the manifest says it: built (a current final PDF), draft (a
    current draft: English fills untranslated messages, every page marked), failed (the last
    build failed; no PDF), or stale (its inputs changed since its PDF was made; back to built
    or draft when they are as they were)."""
    made = _made_as(entry)
    if made is None:
        return "failed"
    if job is not None and hasher.cell(job) != entry.get("inputs"):
        return "stale"
    return made


def _read_manifest(out_dir: Path) -> dict[tuple, dict]:
    """The manifest's well-formed entries, by cell (a damaged manifest reads as empty: it is
    rebuilt from this run)."""
    path = out_dir / MANIFEST
    entries: dict[tuple, dict] = {}
    if path.is_file() and not path.is_symlink():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            old = []
        for entry in old if isinstance(old, list) else []:
            if isinstance(entry, dict) and (key := _well_formed_key(entry)) is not None:
                entries[key] = entry
    return entries


def _update_manifest(out_dir: Path, project: Project, hasher: InputsHasher,
                     finished: dict[tuple, dict], planned: set, selection: Selection
                     ) -> list[str]:
    """Merge this run's cells into manifest.json, keeping entries of cells not rebuilt, each
    with its status now (a PDF whose inputs changed is stale).

    Cells within the build's selection that are no longer planned (a removed clinic, locale
    or brochure) leave the manifest and their PDFs are deleted; returns what was removed.
    """
    entries = _read_manifest(out_dir)
    entries.update(finished)
    filters = (selection.clinics, selection.locales, selection.brochures, selection.profiles)

    def in_scope(key: tuple) -> bool:
        return all(not wanted or part in wanted for part, wanted in zip(key, filters,
                                                                           strict=True))
    removed: list[str] = []
    for key in [key for key in entries if key not in planned and in_scope(key)]:
        del entries[key]
        removed += _remove_cell_files(out_dir, key)
    for key, entry in entries.items():
        if key not in finished:
            entry["status"] = _status(entry, _job(project, key), hasher)
    ordered = [entries[key] for key in sorted(entries)]
    write_atomic(out_dir / MANIFEST,
                 (json.dumps(ordered, indent=2, ensure_ascii=False) + "\n").encode())
    return removed
