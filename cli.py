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

Each PDF is written to OUT/<clinic>/<brochure>-<locale>-<profile>.pdf and recorded in
OUT/manifest.json. Cells that fail are named in the summary; the others are still built.
"""

EXTRACT_HELP = "Rebuild locales/brochures.pot from brochures/*.yaml and templates/."


class Context:
    def __init__(self, project: Path):
        self.project = project


def _fail(error) -> None:
    click.echo(f"error: {error}", err=True)
    sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--project", "project", type=click.Path(file_okay=False, path_type=Path),
              default=Path("."), show_default="the current folder",
              help="The brochure project folder to work on.")
@click.pass_context
def commands(ctx: click.Context, project: Path) -> None:
    """Make print-ready IMS patient brochures for every clinic and language."""
    ctx.obj = Context(project)


@commands.command(help=BUILD_HELP)
@click.option("--clinic", "clinics", multiple=True, metavar="SLUG", help="Only this clinic.")
@click.option("--locale", "locales", multiple=True, metavar="LOCALE", help="Only this locale.")
@click.option("--brochure", "brochures", multiple=True, metavar="ID",
              help="Only this brochure.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Output folder [default: PROJECT/out].")
@click.option("--strict", is_flag=True,
              help="Fail cells whose translation is incomplete instead of printing English.")
@click.pass_obj
def build(obj: Context, clinics, locales, brochures, out_dir, strict) -> None:
    from brochurekit.build import Selection
    from brochurekit.build import build as run_build
    from brochurekit.errors import BrochureError
    from brochurekit.project import load_project

    try:
        project = load_project(obj.project)
        out = out_dir if out_dir is not None else project.root / "out"

        def report(job, outcome):
            mark = "ok  " if hasattr(outcome, "sha256") else "FAIL"
            click.echo(f"{mark} {job.name} ({job.profile})")

        result = run_build(project, out, Selection(clinics, locales, brochures), strict=strict,
                           on_cell=report)
    except BrochureError as error:
        _fail(error)
    click.echo(f"\n{len(result.outputs)} built, {len(result.failures)} failed -> {result.out_dir}")
    for locale, count in sorted(result.untranslated.items()):
        if count:
            click.echo(f"  {locale}: {count} message(s) printed in English (not yet translated)")
    for failure in result.failures:
        click.echo(f"  failed: {failure.message}", err=True)
    sys.exit(0 if result.ok else 1)


@commands.group()
def i18n() -> None:
    """Translation catalogs (locales/)."""


@i18n.command(help=EXTRACT_HELP)
@click.pass_obj
def extract(obj: Context) -> None:
    from brochurekit.catalogs import write_pot
    from brochurekit.errors import BrochureError

    try:
        path, changed = write_pot(obj.project.resolve())
    except BrochureError as error:
        _fail(error)
    click.echo(f"{'updated' if changed else 'unchanged'}: {path}")


def main() -> None:
    """Entry point: Ctrl-C ends quietly (published files are complete: writes are atomic)."""
    try:
        commands(prog_name="ims-brochure")
    except KeyboardInterrupt:
        click.echo("\ninterrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
