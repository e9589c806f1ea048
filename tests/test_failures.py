"""Bad cells fail clearly, alone, and leave nothing half-written behind."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po, write_po

from .conftest import REPO, run_cli

ZH_PO = Path("locales/zh_Hans/LC_MESSAGES/brochures.po")


def build(project: Path, *args: str):
    """Build the tri-fold's print PDFs (the cases here are about one brochure)."""
    return run_cli("--project", str(project), "build", "--out", str(project / "out"),
                   "--brochure", "ims-overview", "--profile", "print", *args)


def set_translation(project: Path, context: str, text: str) -> None:
    path = project / ZH_PO
    with path.open("rb") as handle:
        catalog = read_po(handle)
    next(m for m in catalog if m.context == context).string = text
    with path.open("wb") as handle:
        write_po(handle, catalog)


def test_overlong_translation_fails_only_its_cells_and_names_the_panel(project):
    set_translation(project, "ims-overview/sections/after/points/2", "很长的句子。" * 400)
    result = build(project, "--clinic", "cedar-grove")
    assert result.returncode == 1
    assert "5 built, 0 unchanged (skipped), 1 failed" in result.stdout
    assert ("cedar-grove/zh_Hans/ims-overview: text does not fit, even with the type reduced "
            "to 85%: panel back (page 1)") in result.stderr
    out = project / "out"
    assert not (out / "cedar-grove/ims-overview-zh_Hans-print.pdf").exists()
    assert (out / "cedar-grove/ims-overview-en-print.pdf").exists()
    assert not list(out.rglob("*.part"))
    assert "Traceback" not in result.stderr


def test_failed_rebuild_keeps_the_earlier_pdf(project):
    assert build(project, "--clinic", "cedar-grove", "--locale", "zh_Hans").returncode == 0
    pdf = project / "out/cedar-grove/ims-overview-zh_Hans-print.pdf"
    before = pdf.read_bytes()
    set_translation(project, "ims-overview/sections/after/points/2", "很长的句子。" * 400)
    assert build(project, "--clinic", "cedar-grove", "--locale", "zh_Hans").returncode == 1
    assert pdf.read_bytes() == before


def test_missing_translation_fails_the_cell_unless_a_draft_is_allowed(project):
    set_translation(project, "ims-overview/sections/after/heading", "")
    result = build(project, "--clinic", "cedar-grove", "--locale", "zh_Hans")
    assert result.returncode == 1
    assert ("cedar-grove/zh_Hans/ims-overview: 1 message(s) of this brochure are untranslated "
            "or fuzzy in locales/zh_Hans/LC_MESSAGES/brochures.po; list them with "
            "`ims-brochure i18n stats zh_Hans --missing`") in result.stderr
    assert not (project / "out/cedar-grove/ims-overview-zh_Hans-print.pdf").exists()
    draft = build(project, "--clinic", "cedar-grove", "--locale", "zh_Hans", "--allow-incomplete")
    assert draft.returncode == 0
    assert "zh_Hans: 1 message(s) printed in English, marked DRAFT" in draft.stdout
    pdf = project / "out/cedar-grove/ims-overview-zh_Hans-print.pdf"
    from .pdftools import text
    for page in (1, 2):
        assert "DRAFT TRANSLATION" in text(pdf, page)
    assert "After a session" in text(pdf, 1)


def edit_template(project: Path, old: str, new: str) -> None:
    path = project / "templates/partials/cover.html"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_file_outside_the_project_is_blocked(project):
    edit_template(project, '<div class="cover">',
                  '<div class="cover"><img src="file:///etc/passwd">')
    result = build(project, "--clinic", "cedar-grove", "--locale", "en")
    assert result.returncode == 1
    assert "blocked 'file:///etc/passwd': the file is outside the project" in result.stderr


def test_network_urls_are_blocked(project):
    edit_template(project, '<div class="cover">',
                  '<div class="cover"><link rel="attachment" href="http://127.0.0.1:9/x">')
    result = build(project, "--clinic", "cedar-grove", "--locale", "en")
    assert result.returncode == 1
    assert "blocked 'http://127.0.0.1:9/x'" in result.stderr


def test_any_weasyprint_warning_fails_the_cell(project):
    with (project / "styles/tri-fold.css").open("a") as stylesheet:
        stylesheet.write("\n.cover { unicode-bidi: isolate; }\n")
    result = build(project, "--clinic", "cedar-grove", "--locale", "en")
    assert result.returncode == 1
    assert "unicode-bidi" in result.stderr and "not supported" in result.stderr


def test_template_asking_for_missing_field_names_the_line(project):
    edit_template(project, "{{ brochure.tagline.text }}", "{{ brochure.slogan.text }}")
    result = build(project, "--clinic", "cedar-grove", "--locale", "en")
    assert result.returncode == 1
    assert "templates/partials/cover.html:" in result.stderr
    assert "slogan" in result.stderr


def test_template_syntax_error_names_file_and_line(project):
    edit_template(project, "{{ brochure.tagline.text }}", "{{ brochure.tagline.text }")
    lines = (project / "templates/partials/cover.html").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "brochure.tagline.text }" in text)
    result = build(project, "--clinic", "cedar-grove", "--locale", "en")
    assert result.returncode == 1
    assert (f"templates/partials/cover.html:{line}: cedar-grove/en/ims-overview: template "
            "syntax error") in result.stderr


def test_autoescape_keeps_special_characters_in_text_as_text(project):
    set_translation(project, "ims-overview/tagline", "比较：5 < 6 & 7 > 3")
    result = build(project, "--clinic", "cedar-grove", "--locale", "zh_Hans")
    assert result.returncode == 0, result.stderr
    from .pdftools import text
    assert "5 < 6 & 7 > 3" in text(project / "out/cedar-grove/ims-overview-zh_Hans-print.pdf")


def test_markup_in_a_translation_keeps_the_catalog_out(project):
    set_translation(project, "ims-overview/tagline", "<b>粗体</b>")
    result = build(project, "--clinic", "cedar-grove", "--locale", "zh_Hans")
    assert result.returncode == 1
    assert "the translation adds markup (<b>)" in result.stderr


def test_project_errors_are_listed_together_without_traceback(project):
    clinic = project / "brochures/clinics/thameside.yaml"
    clinic.write_text(clinic.read_text().replace("paper: a4", "paper: a3").replace(
        '"#7fb77e"', "#7fb77e"))
    result = build(project)
    assert result.returncode == 2
    assert "2 problems in the project" in result.stderr
    assert "brochures/clinics/thameside.yaml:5: paper: 'a3' is not one of: letter, a4" \
        in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_selection_suggests_a_name(project):
    result = build(project, "--clinic", "cedar-grov")
    assert result.returncode == 2
    assert "unknown clinic 'cedar-grov'; did you mean 'cedar-grove'?" in result.stderr


def test_unwritable_output_folder_is_a_clear_error(project):
    blocker = project / "not-a-folder"
    blocker.write_text("a file where the output folder should be")
    result = run_cli("--project", str(project), "build", "--out", str(blocker / "out"))
    assert result.returncode == 2
    assert "cannot create the output folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_translation_cannot_add_markup_to_a_template_string():
    from brochurekit.catalogs import Translations
    from brochurekit.render import jinja_environment

    environment = jinja_environment(REPO / "templates")
    translations = Translations("fr_CA", {(None, "Phone"): '<a href="https://x.example">T</a>'})
    environment.install_gettext_callables(translations.gettext, translations.ngettext,
                                          newstyle=True)
    html = environment.from_string("{% trans %}Phone{% endtrans %}").render()
    assert html == "&lt;a href=&#34;https://x.example&#34;&gt;T&lt;/a&gt;"


def test_bare_carriage_return_cannot_hide_markup_from_the_check(project):
    po = project / ZH_PO
    content = po.read_text(encoding="utf-8")
    content = content.replace('msgstr "预约评估"',
                              'msgstr "预约评估"\r# <a rel=attachment href=pyproject.toml>.</a> "')
    po.write_text(content, encoding="utf-8")
    result = build(project, "--clinic", "cedar-grove", "--locale", "zh_Hans")
    assert result.returncode == 1
    assert "the zh_Hans catalog has errors and is not used" in result.stderr
    assert not list((project / "out").rglob("*.pdf"))


def test_attachment_inside_the_project_is_refused(project):
    edit_template(project, '<div class="cover">',
                  '<div class="cover"><a rel="attachment" href="pyproject.toml">x</a>')
    result = build(project, "--clinic", "cedar-grove", "--locale", "en")
    assert result.returncode == 1
    assert "attachments are not allowed" in result.stderr


def test_cover_text_that_runs_too_long_is_caught(project):
    set_translation(project, "ims-overview/tagline", "一种治疗长期肌肉和神经疼痛的疗法。" * 30)
    result = build(project, "--clinic", "cedar-grove", "--locale", "zh_Hans")
    assert result.returncode == 1
    assert "panel front (page 1)" in result.stderr


def test_same_project_in_another_folder_gives_the_same_pdf(project, tmp_path):
    import shutil

    other = tmp_path / "elsewhere" / "copy"
    shutil.copytree(project, other)
    for root in (project, other):
        assert build(root, "--clinic", "thameside", "--locale", "en").returncode == 0
    pdf = Path("out/thameside/ims-overview-en-print.pdf")
    assert (project / pdf).read_bytes() == (other / pdf).read_bytes()


def test_damaged_manifest_entries_are_dropped_not_fatal(project):
    out = project / "out"
    out.mkdir()
    (out / "manifest.json").write_text('[{"clinic": null, "path": "x.pdf"}, 7, "text"]')
    result = build(project, "--clinic", "thameside", "--locale", "en")
    assert result.returncode == 0, result.stderr
    import json
    entries = json.loads((out / "manifest.json").read_text())
    assert [entry["clinic"] for entry in entries] == ["thameside"]
