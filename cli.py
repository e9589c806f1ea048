"""ims-brochure: print-ready IMS patient brochures for every clinic and language.

A thin click layer: it parses options, calls one brochurekit function, and maps errors to exit
codes (0 done, 1 some cells failed, 2 bad input or usage). Engine imports are lazy so that
`--help` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

BUILD_HELP = """Build brochures for every clinic x locale x brochure (or the selected ones).

Each PDF is written to OUT/<clinic>/<brochure>-<locale>-<profile>.pdf (a draft ends in
-DRAFT.pdf) and every cell is recorded in OUT/manifest.json with its status: built, draft,
failed or stale. Cells that fail are named in the summary, their earlier PDF is moved to
OUT/outdated/, and the others are still built.
"""

EXTRACT_HELP = """Rebuild locales/brochures.pot from brochures/*.yaml and templates/.

The file is left untouched when no message changed, so git shows no churn."""

INIT_HELP = """Start a catalog for a new LOCALE (Babel's form: es, fr_CA, zh_Hant).

Creates locales/LOCALE/LC_MESSAGES/brochures.po from the template; the locale then belongs to
the project and clinics can list it."""

UPDATE_HELP = """Merge brochures.pot into the catalogs (all, or the LOCALES given).

A message whose English changed keeps its translation, marked fuzzy, with the old English
shown as #| msgid so the translator sees what changed. Removed messages become obsolete (#~)."""

COMPILE_HELP = """Compile catalogs to .mo (only those whose content changed).

A catalog that fails `i18n check` is not compiled and the build will not use it."""

CHECK_HELP = """Check catalogs for everything that would print wrong.

Placeholders renamed, dropped, added or broken; markup the source does not have; duplicate
messages; unterminated strings; wrong charset or a byte-order mark; a Plural-Forms header
that does not fit the language; a header marked fuzzy. Errors exit 1; warnings (such as a
heading much longer than its source) exit 0."""

STATS_HELP = "How complete each catalog is: translated, fuzzy, untranslated, last translator."

PSEUDO_HELP = """Write the pseudo-locales en_XA (accented, 40% longer, bracketed) and ar_XB
(English forced right to left) for looking at layouts before translations exist."""


class Context:
    def __init__(self, project: Path, quiet: bool = False, verbose: bool = False):
        self.project = project
        self.quiet = quiet
        self.verbose = verbose


def _fail(error) -> None:
    from brochurekit.characters import printable  # a file name could hold an ESC

    click.echo(printable(f"error: {error}"), err=True)
    sys.exit(2)


def _version() -> str:
    """The installed package's version, or pyproject.toml's when run from a checkout."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ims-brochures")
    except PackageNotFoundError:
        import tomllib

        with (Path(__file__).parent / "pyproject.toml").open("rb") as handle:
            return tomllib.load(handle)["project"]["version"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=_version(), prog_name="ims-brochure",
                      message="%(prog)s %(version)s")
@click.option("--project", "project", type=click.Path(file_okay=False, path_type=Path),
              default=Path("."), show_default="the current folder",
              help="The brochure project folder to work on.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors and the final result.")
@click.option("-v", "--verbose", is_flag=True, help="Print every step (a line per cell).")
@click.pass_context
def commands(ctx: click.Context, project: Path, quiet: bool, verbose: bool) -> None:
    """Make print-ready IMS patient brochures for every clinic and language."""
    ctx.obj = Context(project, quiet=quiet, verbose=verbose)


# Worker processes of a build (and of serve's first build); a machine shared with other work
# sets them once in the environment.
JOBS = {"type": click.IntRange(1, 64), "default": None, "envvar": "IMS_BROCHURE_JOBS",
        "show_envvar": True, "help": "Worker processes [default: the number of cores]."}


@commands.command(help=BUILD_HELP)
@click.option("--clinic", "clinics", multiple=True, metavar="SLUG", help="Only this clinic.")
@click.option("--locale", "locales", multiple=True, metavar="LOCALE", help="Only this locale.")
@click.option("--brochure", "brochures", multiple=True, metavar="ID",
              help="Only this brochure.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Output folder [default: PROJECT/out].")
@click.option("--profile", "profiles", multiple=True, type=click.Choice(["print", "screen"]),
              help="print: PDF/X-4 for the press (bleed, crop marks, CMYK); screen: tagged "
                   "PDF/UA with live links. Default: both.")
@click.option("--force", is_flag=True, help="Rebuild every cell, even unchanged ones.")
@click.option("--keep-html", is_flag=True,
              help="Also keep each cell's HTML and theme CSS in OUT/html (for the benchmark).")
@click.option("--jobs", "workers", **JOBS)
@click.option("--allow-incomplete", is_flag=True,
              help="Build cells whose translation is incomplete as drafts: English fills the "
                   "gaps, every page is marked DRAFT TRANSLATION and the file ends in -DRAFT.pdf.")
@click.option("--cell-time-limit", "time_limit", type=click.FloatRange(0.1, 86400),
              default=120, show_default=True, metavar="SECONDS",
              help="A cell still rendering after this long fails, and the build goes on.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the result as JSON (format ims-brochure/build, version 1): every "
                   "selected cell with its status, path, fit, warnings and failure.")
@click.option("-q", "--quiet", is_flag=True, help="Print only failures and the summary.")
@click.option("-v", "--verbose", is_flag=True, help="A line per cell, even on a terminal.")
@click.pass_obj
def build(obj: Context, clinics, locales, brochures, profiles, out_dir, force, keep_html,
          workers, allow_incomplete, time_limit, as_json, quiet, verbose) -> None:
    import os
    import time

    from brochurekit.build import Selection
    from brochurekit.build import build as run_build
    from brochurekit.characters import printable
    from brochurekit.project import load_project

    project = _call(load_project, obj.project)
    out = out_dir if out_dir is not None else project.root / "out"
    started = time.monotonic()
    quiet, verbose = quiet or obj.quiet or as_json, verbose or obj.verbose
    tty = sys.stdout.isatty() and not verbose

    def report(job, outcome, done, total):
        if quiet:
            return
        built = hasattr(outcome, "sha256")
        note = f", body type fitted to {outcome.fit:.0%}" if built and outcome.fit < 1 else ""
        note += ", DRAFT" if built and outcome.draft else ""
        line = f"{'ok  ' if built else 'FAIL'} {job.name} ({job.profile}{note})"
        if tty:  # one live progress line: bar, cells done, current cell, elapsed, estimate
            elapsed = time.monotonic() - started
            left = elapsed / done * (total - done)
            filled = round(20 * done / total)
            bar = "#" * filled + "." * (20 - filled)
            click.echo(f"\r\033[K[{bar}] {done}/{total} {line}  {elapsed:.0f} s, "
                       f"~{left:.0f} s left", nl=done == total)
            if not built:
                click.echo()
        else:
            click.echo(line)
        for warning in outcome.warnings if built else ():
            click.echo(f"     {warning}")

    result = _call(lambda: run_build(project, out, Selection(clinics, locales, brochures, profiles),
                                     allow_incomplete=allow_incomplete, force=force,
                                     keep_html=keep_html, cell_time_limit=time_limit,
                                     workers=workers or os.cpu_count() or 1, on_cell=report))
    seconds = time.monotonic() - started
    if as_json:
        _echo_build_json(project, result, Selection(clinics, locales, brochures, profiles),
                         seconds)
        sys.exit(0 if result.ok else 1)
    click.echo(f"\n{len(result.outputs)} built, {result.skipped} unchanged (skipped), "
               f"{len(result.failures)} failed in {seconds:.1f} s -> {result.out_dir}")
    for removed in result.removed:
        click.echo(f"  removed {removed} (its cell no longer exists)")
    if result.withdrawn:
        click.echo(f"  moved {len(result.withdrawn)} earlier PDF(s) of the failed cells to "
                   f"{result.out_dir / 'outdated'}: made from other inputs, they are not current")
    if result.completeness:
        click.echo("catalogs: " + ", ".join(
            f"{locale} refused ({errors} error(s))" if errors
            else f"{locale} {100 * done / total:.0f}% ({done}/{total})"
            for locale, (done, total, errors) in result.completeness.items()))
    for locale, count in sorted(result.untranslated.items()):
        if count and allow_incomplete:
            click.echo(f"  {locale}: {count} message(s) printed in English, marked DRAFT")
    # One line per cause: a refused catalog or stylesheet fails many cells the same way.
    causes: dict[str, list] = {}
    for failure in result.failures:
        causes.setdefault(failure.message, []).append(failure)
    for message, failures in causes.items():
        named = all(message.startswith(failure.job) for failure in failures)
        cells = ", ".join(failure.label for failure in failures)
        click.echo(printable(f"  failed: {message}" + ("" if named else f" [{cells}]")),
                   err=True)
    sys.exit(0 if result.ok else 1)


def _echo_json(kind: str, body: dict) -> None:
    """A JSON document of this program: its format and version first, then the body."""
    import json

    from brochurekit.characters import json_safe

    click.echo(json_safe(json.dumps({"format": f"ims-brochure/{kind}", "version": 1, **body},
                                    indent=2, ensure_ascii=False)))


def _echo_build_json(project, result, selection, seconds: float) -> None:
    """The build's result as JSON: every selected cell as the manifest now lists it."""
    from brochurekit.build import cell_statuses, plan_jobs

    planned = {(job.clinic.slug, job.locale, job.brochure.id, job.profile)
               for job in plan_jobs(project, selection)}
    cells = [{"clinic": entry.get("clinic"), "locale": entry.get("locale"),
              "brochure": entry.get("brochure"), "profile": entry.get("profile"),
              "status": status, "path": entry.get("path"), "fit": entry.get("fit"),
              "warnings": entry.get("warnings", []), "failure": entry.get("reason")}
             for entry, status, _ in cell_statuses(project, result.out_dir)
             if (entry.get("clinic"), entry.get("locale"), entry.get("brochure"),
                 entry.get("profile")) in planned]
    _echo_json("build", {"out": str(result.out_dir), "built": len(result.outputs),
                         "skipped": result.skipped, "failed": len(result.failures),
                         "seconds": round(seconds, 1), "cells": cells})


@commands.command(name="check")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Output folder to check [default: PROJECT/out].")
@click.option("--json", "as_json", is_flag=True, help="Print the cells and findings as JSON.")
@click.pass_obj
def check_command(obj: Context, out_dir: Path | None, as_json: bool) -> None:
    """Check every cell of the output folder: its status (failed and stale cells are errors,
    drafts are named) and a preflight of its PDF: page boxes and bleed, fonts embedded and
    subset, image resolution, colour (no RGB in print files) and file structure (qpdf).
    Exit 1 on errors."""
    import json

    from brochurekit.build import check_outputs
    from brochurekit.characters import json_safe, printable
    from brochurekit.project import load_project

    project = _call(load_project, obj.project)
    results = _call(check_outputs, project, out_dir or project.root / "out")
    errors = sum(f.level == "error" for _, _, findings in results for f in findings)
    if as_json:
        click.echo(json_safe(json.dumps([
            {"clinic": entry.get("clinic"), "locale": entry.get("locale"),
             "brochure": entry.get("brochure"), "profile": entry.get("profile"),
             "path": entry.get("path"), "status": status, "reason": entry.get("reason"),
             "findings": [{"rule": f.rule, "level": f.level, "page": f.page,
                           "message": f.message} for f in findings]}
            for entry, status, findings in results], indent=2, ensure_ascii=False)))
    else:  # manifest entries are data from disk: never let one drive the terminal
        for entry, _, findings in results:
            for finding in findings:
                click.echo(printable(f"{entry.get('clinic')}/{entry.get('locale')}/"
                                     f"{entry.get('brochure')} ({entry.get('profile')}): "
                                     f"{finding}"), err=finding.level == "error")
        counts = {}
        for _, status, _ in results:
            counts[status] = counts.get(status, 0) + 1
        click.echo(f"{len(results)} cell(s) checked ("
                   + ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
                   + f"), {errors} error(s)")
    sys.exit(1 if errors else 0)


@commands.command(name="proof")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Output folder [default: PROJECT/out].")
@click.pass_obj
def proof_command(obj: Context, out_dir: Path | None) -> None:
    """Write OUT/proof/index.html: a thumbnail of every page of every cell, with its status,
    fit and findings, and OUT/proof/LOCALE.html: every message of a language with where it
    prints. Open them from disk; nothing is fetched."""
    from brochurekit.project import load_project
    from brochurekit.proof import write_proof

    project = _call(load_project, obj.project)
    result = _call(write_proof, project, out_dir or project.root / "out")
    click.echo(f"{result.index} ({result.images_made} images made, {result.images_reused} "
               f"reused; translator views: "
               + ", ".join(page.name for page in result.locale_pages) + ")")


@commands.command(name="serve")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Output folder [default: PROJECT/out].")
@click.option("--clinic", "clinics", multiple=True, help="Only this clinic (repeatable).")
@click.option("--locale", "locales", multiple=True, help="Only this language (repeatable).")
@click.option("--jobs", "workers", **JOBS)
@click.pass_obj
def serve_command(obj: Context, port: int, out_dir: Path | None, clinics: tuple[str, ...],
                  locales: tuple[str, ...], workers: int | None) -> None:
    """Serve the proof pages on 127.0.0.1 only, and rebuild as you save: brochures, clinics,
    catalogs, templates and styles are watched; only the cells a change can touch are built
    again (a catalog edit: its language, and only the brochures whose messages changed), and
    the open page reloads itself. A save that breaks something shows its message in the page."""
    from brochurekit.build import Selection
    from brochurekit.project import load_project
    from brochurekit.serve import serve

    project = _call(load_project, obj.project)
    _call(serve, project.root, out_dir or project.root / "out", port,
          lambda line: click.echo(line, err=True), Selection(clinics, locales), None, workers)


@commands.command(name="bundle")
@click.option("--clinic", "slug", required=True, help="The clinic whose print files to bundle.")
@click.option("--out", "target", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The zip to write [default: OUT/bundles/CLINIC-print.zip].")
@click.option("--from", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Output folder the PDFs are in [default: PROJECT/out].")
@click.pass_obj
def bundle_command(obj: Context, slug: str, target: Path | None, out_dir: Path | None) -> None:
    """Zip what a print shop needs for one clinic: its print PDFs (only final, current ones:
    a draft, failed or stale cell stops the bundle), a job sheet (paper, trim, bleed, folds,
    press condition, quantities to fill in), the preflight report and SHA256SUMS."""
    from brochurekit.bundle import write_bundle
    from brochurekit.project import load_project

    project = _call(load_project, obj.project)
    bundle = _call(write_bundle, project, out_dir or project.root / "out", slug, target)
    click.echo(f"{bundle.path}: {len(bundle.pdfs)} print files, job sheet, preflight report, "
               "SHA256SUMS")


@commands.group()
def i18n() -> None:
    """Translation catalogs (locales/)."""


@i18n.command(help=EXTRACT_HELP)
@click.pass_obj
def extract(obj: Context) -> None:
    from brochurekit.catalogs import write_pot

    path, changed = _call(write_pot, obj.project.resolve())
    click.echo(f"{'updated' if changed else 'unchanged'}: {path}")


@i18n.command(help=INIT_HELP)
@click.argument("locale")
@click.pass_obj
def init(obj: Context, locale: str) -> None:
    from brochurekit.catalogs import init_catalog

    path = _call(init_catalog, obj.project.resolve(), locale)
    click.echo(f"created {path}\nadd {locale} to the `locales` of the clinics that offer it")


@i18n.command(help=UPDATE_HELP)
@click.argument("locales", nargs=-1)
@click.pass_obj
def update(obj: Context, locales: tuple[str, ...]) -> None:
    from brochurekit.catalogs import read_template, selected_locales, update_catalog

    root = obj.project.resolve()
    template = _call(read_template, root)
    for locale in _call(selected_locales, root, locales):
        result = _call(update_catalog, root, locale, template)
        click.echo(f"{locale}: {result.added} new, {result.changed} changed (marked fuzzy), "
                   f"{result.obsolete} obsolete")


@i18n.command(name="compile", help=COMPILE_HELP)
@click.argument("locales", nargs=-1)
@click.pass_obj
def compile_(obj: Context, locales: tuple[str, ...]) -> None:
    from brochurekit.catalogs import check, compile_catalog, read_template, selected_locales

    root = obj.project.resolve()
    template = _call(read_template, root)
    failed = False
    for locale in _call(selected_locales, root, locales):
        report = check(root, locale, template)
        if report.errors:
            failed = True
            click.echo(f"{locale}: not compiled, {len(report.errors)} error(s); the build will "
                       f"not use this catalog (see `ims-brochure i18n check {locale}`)", err=True)
            continue
        path, written = _call(compile_catalog, root, locale)
        click.echo(f"{locale}: {'compiled' if written else 'up to date'} ({path.name})")
    sys.exit(1 if failed else 0)


@i18n.command(help=CHECK_HELP)
@click.argument("locales", nargs=-1)
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON (format ims-brochure/i18n-check, version 1).")
@click.pass_obj
def check(obj: Context, locales: tuple[str, ...], as_json: bool) -> None:
    from brochurekit.catalogs import check as check_locale
    from brochurekit.catalogs import read_template, selected_locales

    root = obj.project.resolve()
    template = _call(read_template, root)
    errors = 0
    if as_json:
        reports = [check_locale(root, locale, template)
                   for locale in _call(selected_locales, root, locales)]
        _echo_json("i18n-check", {"catalogs": [
            {"locale": report.locale, "path": str(report.path),
             "errors": len(report.errors),
             "untranslated_or_fuzzy": len(report.untranslated) + report.fuzzy,
             "findings": [{"level": finding.level, "file": str(finding.where.path),
                           "line": finding.where.line, "message": finding.message}
                          for finding in report.findings]} for report in reports]})
        sys.exit(1 if any(report.errors for report in reports) else 0)
    for locale in _call(selected_locales, root, locales):
        report = check_locale(root, locale, template)
        for finding in report.findings:
            click.echo(str(finding), err=finding.level == "error")
        errors += len(report.errors)
        pending = len(report.untranslated) + report.fuzzy
        state = f"{len(report.errors)} error(s)" if report.errors else "ok"
        extra = f", {pending} message(s) untranslated or fuzzy" if pending else ""
        click.echo(f"{locale}: {state}{extra}")
    sys.exit(1 if errors else 0)


@i18n.command(help=STATS_HELP)
@click.argument("locales", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
@click.option("--missing", is_flag=True, help="List untranslated and fuzzy messages.")
@click.pass_obj
def stats(obj: Context, locales: tuple[str, ...], as_json: bool, missing: bool) -> None:
    import json

    from brochurekit.catalogs import check as check_locale
    from brochurekit.catalogs import read_template, selected_locales, source_report

    root = obj.project.resolve()
    template = _call(read_template, root)
    reports = [check_locale(root, locale, template)
               for locale in _call(selected_locales, root, tuple(set(locales) - {"en"}))
               if not locales or locale in locales]
    if not locales or "en" in locales:
        reports.insert(0, source_report(template))
    if as_json:
        click.echo(json.dumps([{
            "locale": r.locale, "translated": r.translated, "fuzzy": r.fuzzy,
            "untranslated": r.total - r.translated - r.fuzzy, "total": r.total,
            "percent": r.percent, "last_translator": r.last_translator,
        } for r in reports], indent=2, ensure_ascii=False))
        return
    click.echo(f"{'locale':<9}{'translated':>11}{'fuzzy':>7}{'untranslated':>14}{'done':>8}"
               "  last translator")
    for r in reports:
        click.echo(f"{r.locale:<9}{r.translated:>11}{r.fuzzy:>7}"
                   f"{r.total - r.translated - r.fuzzy:>14}{r.percent:>7.1f}%  "
                   f"{r.last_translator}")
        if missing:
            for label, entries in (("untranslated", r.untranslated), ("fuzzy", r.fuzzy_entries)):
                for entry in entries:
                    click.echo(f"  {r.path}:{entry.line}: {label}: {entry.msgid[:70]}")


@i18n.command(help=PSEUDO_HELP)
@click.pass_obj
def pseudo(obj: Context) -> None:
    from brochurekit.catalogs import write_pseudo_catalogs

    for path in _call(write_pseudo_catalogs, obj.project.resolve()):
        click.echo(f"wrote {path}")
    click.echo("build them with: ims-brochure build --locale en_XA --locale ar_XB")


@commands.group()
def clinic() -> None:
    """Set up a clinic and its branding without editing YAML."""


@clinic.command(name="new")
@click.argument("slug")
@click.option("--name", required=True, help="The clinic's name as printed.")
@click.option("--copy-from", metavar="SLUG", help="Start from another clinic's settings.")
@click.pass_obj
def clinic_new(obj: Context, slug: str, name: str, copy_from: str | None) -> None:
    """Create brochures/clinics/SLUG.yaml (SLUG: lowercase letters, digits, hyphens)."""
    from brochurekit.clinicfiles import new_clinic

    result = _call(new_clinic, obj.project.resolve(), slug, name, copy_from)
    click.echo(f"created {result.path}")


@clinic.command(name="set")
@click.argument("slug")
@click.argument("key")
@click.argument("value")
@click.pass_obj
def clinic_set(obj: Context, slug: str, key: str, value: str) -> None:
    """Set KEY to VALUE. Keys: name, colors.primary, colors.accent, contact.phone,
    contact.email, contact.website, contact.booking_url, address ("line; line"), country,
    hours ("Mon-Fri 08:00-18:00; Sat 09:00-13:00"), locales ("en, fr_CA"), paper (letter or
    a4), price ("95 CAD"), practitioners ("Name, credential; ..."), welcome.<locale>."""
    from brochurekit.clinicfiles import set_value

    result = _call(set_value, obj.project.resolve(), slug, key, value)
    click.echo(f"{slug}: {key} set")
    _warn(result.warnings)


@clinic.command(name="unset")
@click.argument("slug")
@click.argument("key")
@click.pass_obj
def clinic_unset(obj: Context, slug: str, key: str) -> None:
    """Remove KEY from the clinic's settings."""
    from brochurekit.clinicfiles import unset_value

    _call(unset_value, obj.project.resolve(), slug, key)
    click.echo(f"{slug}: {key} removed")


@clinic.command(name="logo")
@click.argument("slug")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_obj
def clinic_logo(obj: Context, slug: str, file: Path) -> None:
    """Check FILE (SVG, PNG or JPEG) and make it the clinic's logo."""
    from brochurekit.clinicfiles import set_logo

    result = _call(set_logo, obj.project.resolve(), slug, file)
    click.echo(f"{slug}: logo set ({result.clinic.branding.logo.name})")
    _warn(result.warnings)


@clinic.command(name="photo")
@click.argument("slug")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_obj
def clinic_photo(obj: Context, slug: str, file: Path) -> None:
    """Check FILE (JPEG or PNG) and put it on the tri-fold's cover."""
    from brochurekit.clinicfiles import set_photo

    result = _call(set_photo, obj.project.resolve(), slug, file)
    click.echo(f"{slug}: photo set ({result.clinic.branding.photo.name}); the tri-fold's cover "
               "shows it, cropped to fill its box")
    _warn(result.warnings)


@clinic.command(name="font")
@click.argument("slug")
@click.option("--heading", type=click.Path(path_type=Path), help="Font for headings.")
@click.option("--body", type=click.Path(path_type=Path), help="Font for text.")
@click.pass_obj
def clinic_font(obj: Context, slug: str, heading: Path | None, body: Path | None) -> None:
    """Check brand fonts (TTF/OTF) against the clinic's languages and use them."""
    from brochurekit.clinicfiles import set_fonts

    result = _call(set_fonts, obj.project.resolve(), slug, heading, body)
    click.echo(f"{slug}: fonts set")
    _warn(result.warnings)


@clinic.command(name="show")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
@click.pass_obj
def clinic_show(obj: Context, slug: str, as_json: bool) -> None:
    """Show a clinic's settings as the brochures will print them."""
    import json

    from brochurekit.clinicfiles import describe

    info = _call(describe, obj.project.resolve(), slug)
    if as_json:
        click.echo(json.dumps(info, indent=2, ensure_ascii=False))
        return
    for key, value in info.items():
        if isinstance(value, list):
            value = "; ".join(str(item) for item in value) or "-"
        click.echo(f"{key:<14} {value if value not in (None, '') else '-'}")


@clinic.command(name="list")
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON (format ims-brochure/clinics, version 1).")
@click.pass_obj
def clinic_list(obj: Context, as_json: bool) -> None:
    """List the clinics with their languages."""
    from brochurekit.project import load_project

    project = _call(load_project, obj.project)
    if as_json:
        _echo_json("clinics", {"clinics": [
            {"slug": slug, "name": info.name, "locales": list(info.locales)}
            for slug, info in sorted(project.clinics.items())]})
        return
    for slug, info in sorted(project.clinics.items()):
        click.echo(f"{slug:<16} {info.name}  [{', '.join(info.locales)}]")


@clinic.command(name="validate")
@click.argument("slug", required=False)
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON (format ims-brochure/validate, version 1).")
@click.pass_obj
def clinic_validate(obj: Context, slug: str | None, as_json: bool) -> None:
    """Check one clinic (or all); exit 1 when anything is wrong."""
    from brochurekit.clinicfiles import validate

    problems, notes = _call(validate, obj.project.resolve(), slug)
    if as_json:
        _echo_json("validate", {"problems": [str(problem) for problem in problems],
                                "notes": [str(note) for note in notes]})
        sys.exit(1 if problems else 0)
    for note in notes:
        click.echo(f"note: {note}")
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    click.echo("ok" if not problems else f"{len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


@clinic.command(name="remove")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def clinic_remove(obj: Context, slug: str, yes: bool) -> None:
    """Delete a clinic's settings and its assets folder."""
    from brochurekit.clinicfiles import existing_clinic, remove_clinic

    root = obj.project.resolve()
    _call(existing_clinic, root, slug)
    try:
        confirmed = yes or click.confirm(f"Remove clinic {slug} and its logo and fonts?")
    except click.Abort:  # end of input: nobody there to answer
        _fail("no answer to the question (the input is closed or empty), so nothing was "
              "removed; pass --yes to remove without asking")
    if not confirmed:
        click.echo("nothing removed")
        return
    click.echo(f"removed {_call(remove_clinic, root, slug)}")


@clinic.command(name="preview")
@click.argument("slug")
@click.option("--locale", "locales", multiple=True, metavar="LOCALE",
              help="Only this language (default: all of the clinic's).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder for the images [default: PROJECT/out/preview].")
@click.pass_obj
def clinic_preview(obj: Context, slug: str, locales: tuple[str, ...], out_dir: Path | None
                   ) -> None:
    """Render the clinic's brochures and write PNG images of their pages."""
    from brochurekit.clinicfiles import preview

    root = obj.project.resolve()
    images, failures = _call(preview, root, slug, locales, out_dir or root / "out" / "preview")
    for image in images:
        click.echo(f"wrote {image}")
    for failure in failures:
        click.echo(f"failed: {failure}", err=True)
    sys.exit(1 if failures else 0)


def _warn(warnings) -> None:
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


def _call(function, *args):
    """Run one engine function; a user error becomes a message and exit status 2."""
    from brochurekit.errors import BrochureError

    try:
        return function(*args)
    except BrochureError as error:
        _fail(error)
    except (MemoryError, RecursionError, OSError, RuntimeError, ValueError, TypeError,
            AttributeError, KeyError, IndexError, NameError, ImportError) as error:
        # A fault of this program, not of the input: said in one line, never as a traceback.
        click.echo(f"error: unexpected {type(error).__name__}: {error} (a bug in ims-brochure; "
                   "please report it with the command you ran)", err=True)
        sys.exit(70)
    except KeyboardInterrupt as stop:  # caught here: click would say "Aborted!" and exit 1
        # Published files are complete: every write is atomic, and the manifest is written.
        click.echo("\ninterrupted; every PDF in the output folder is complete and listed in "
                   "its manifest", err=True)
        sys.exit(143 if isinstance(stop, Terminated) else 130)


class Terminated(KeyboardInterrupt):
    """SIGTERM (a `kill`, a CI timeout, a logout), handled like Ctrl-C."""


def _terminate(signum, frame) -> None:
    raise Terminated


def _standard_streams() -> None:
    """Make the three standard streams safe to use whatever the caller gave us: a closed one
    becomes /dev/null (so no file we open later takes its number and receives a tool's
    output), and text that the terminal's encoding cannot show is escaped, never an error."""
    import os

    for number, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        try:
            os.fstat(number)
        except OSError:
            spare = os.open(os.devnull, os.O_RDWR)
            if spare != number:
                os.dup2(spare, number)
                os.close(spare)
        stream = getattr(sys, name)
        if stream is None:  # the stream lives as long as the process
            stream = open(number, "r" if number == 0 else "w", closefd=False)  # noqa: SIM115
            setattr(sys, name, stream)
        if number and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def _plain_warnings() -> None:
    """Warnings from the engine as one line each, in the same style as errors."""
    import warnings

    warnings.formatwarning = lambda message, *args, **kwargs: f"warning: {message}\n"


def main() -> None:
    """Entry point. Ctrl-C and SIGTERM are answered in `_call`: click catches them before they
    get here."""
    import signal

    _standard_streams()
    _plain_warnings()
    signal.signal(signal.SIGTERM, _terminate)
    try:
        commands(prog_name="ims-brochure")
    except BrokenPipeError:  # `| head` stopped reading: the rest of the output has nowhere to go
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)


if __name__ == "__main__":
    main()
