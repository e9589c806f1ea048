"""Proof pages, the translator's view, live serving and the print bundle, looked at in a real
browser: Debian's Chromium, driven by Selenium through chromium-driver (nothing downloaded)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from brochurekit.project import copy_project_inputs

from .conftest import REPO, run_cli

# The clinic with the fewest languages (fr_CA, en, ar: one of them right to left).
CLINIC, LOCALE = "mont-royal", "fr_CA"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the project with one clinic's print files and its French screen files built,
    and the proof pages written."""
    root = copy_project_inputs(REPO, tmp_path_factory.mktemp("project"))
    for args in (("--profile", "print"), ("--locale", LOCALE)):
        result = run_cli("--project", str(root), "build", "--clinic", CLINIC, *args)
        assert result.returncode == 0, result.stderr
    result = run_cli("--project", str(root), "proof")
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--window-size=1280,1600", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    yield driver
    driver.quit()


def _images(browser) -> list[dict]:
    return browser.execute_script(
        "return [...document.images].map(i => ({src: i.currentSrc, width: i.naturalWidth,"
        " complete: i.complete}))")


def test_the_gallery_shows_every_page_from_local_files_and_opens_each_pdf(project, browser):
    from selenium.webdriver.common.by import By

    manifest = json.loads((project / "out" / "manifest.json").read_text())
    pages = sum(entry["pages"] for entry in manifest if entry.get("pages"))
    index = project / "out" / "proof" / "index.html"
    browser.get(index.as_uri())
    images = _images(browser)
    assert len(images) >= pages > 0
    assert all(image["src"].startswith("file://") for image in images), images[:3]
    assert all(image["complete"] and image["width"] > 0 for image in images)
    # Every cell is named with its status; a thumbnail opens its page large; a link its PDF.
    assert browser.find_elements(By.CSS_SELECTOR, ".status.built")
    first = browser.find_element(By.CSS_SELECTOR, ".cell a img")
    first.click()
    assert re.search(r"/proof/pages/[0-9a-f]+/page-1\.png$", browser.current_url)
    browser.get(index.as_uri())
    link = browser.find_element(By.LINK_TEXT, "open the PDF")
    target = link.get_attribute("href")
    link.click()
    assert target.endswith(".pdf") and Path(target.removeprefix("file://")).is_file()


def test_a_second_proof_reuses_every_image(project):
    result = run_cli("--project", str(project), "proof")
    assert result.returncode == 0, result.stderr
    assert "(0 images made," in result.stdout, result.stdout


def test_the_translator_view_shows_each_message_where_it_prints(project, browser):
    """fr_CA.html names every message of the tri-fold by its msgctxt, and shows it cropped
    from the built page at the box the layout gave it."""
    from selenium.webdriver.common.by import By

    with (project / "locales" / LOCALE / "LC_MESSAGES" / "brochures.po").open("rb") as handle:
        tri_fold = [message for message in read_po(handle)
                    if message.context and message.context.startswith("ims-overview/")]
    browser.get((project / "out" / "proof" / f"{LOCALE}.html").as_uri())
    keys = {cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "td.key")}
    named = [message for message in tri_fold if message.context in keys]
    assert len(named) >= 0.9 * len(tri_fold) and len(tri_fold) > 60
    rows = {row.find_element(By.CSS_SELECTOR, "td.key").text: row
            for row in browser.find_elements(By.CSS_SELECTOR, "tr")[1:]}
    cropped = [key for key, row in rows.items() if key.startswith("ims-overview/")
               and row.find_elements(By.CSS_SELECTOR, "td.crop img")]
    assert len(cropped) >= 0.9 * len(tri_fold), len(cropped)
    images = _images(browser)
    assert all(image["width"] > 0 for image in images)
    # The crop of a heading is a heading's shape: wider than tall.
    heading = rows["ims-overview/sections/what/heading"]
    size = heading.find_element(By.CSS_SELECTOR, "td.crop img").size
    assert size["width"] > size["height"] > 10


def test_the_print_bundle_has_what_the_printer_needs_and_refuses_what_is_not_final(project):
    result = run_cli("--project", str(project), "bundle", "--clinic", CLINIC)
    assert result.returncode == 0, result.stderr
    path = project / "out" / "bundles" / f"{CLINIC}-print.zip"
    with zipfile.ZipFile(path) as archive:
        names = {Path(name).name: archive.read(name) for name in archive.namelist()}
    pdfs = [name for name in names if name.endswith(".pdf")]
    assert pdfs and all(name.endswith("-print.pdf") for name in pdfs)  # no screen files
    sums = dict(line.split("  ")[::-1] for line in names["SHA256SUMS"].decode().splitlines())
    assert set(sums) == set(names) - {"SHA256SUMS"}
    assert all(hashlib.sha256(names[name]).hexdigest() == digest for name, digest in sums.items())
    sheet = names["JOB-SHEET.txt"].decode()
    assert "letter, 279.4 x 215.9 mm" in sheet and "bleed 1/8 in" in sheet
    assert re.search(r"two folds at [\d.]+ mm, [\d.]+ mm from the left", sheet)
    assert "CGATS" in sheet and "Quantity: ____" in sheet
    assert "no findings" in names["PREFLIGHT.txt"].decode()
    # An edited catalog makes its files stale: nothing is bundled, and the refusal says why.
    catalog = project / "locales" / LOCALE / "LC_MESSAGES" / "brochures.po"
    original = catalog.read_bytes()
    path.unlink()
    try:
        edited = original.replace('msgstr "Pendant la séance"'.encode(),
                                  'msgstr "Pendant votre séance"'.encode())
        assert edited != original
        catalog.write_bytes(edited)
        refused = run_cli("--project", str(project), "bundle", "--clinic", CLINIC)
    finally:
        catalog.write_bytes(original)
    assert refused.returncode == 2
    assert "not all final" in refused.stderr
    assert f"{LOCALE}/ims-aftercare: stale" in refused.stderr
    assert not path.exists()


def test_serve_rebuilds_an_edited_message_and_the_open_page_shows_it(tmp_path, browser):
    """With `serve` running, a saved catalog edit is in its rebuilt PDF and in the open page,
    which reloads itself; a save that breaks the catalog shows why in the page."""
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
    )
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    reloading = (NoSuchElementException, StaleElementReferenceException)
    root = copy_project_inputs(REPO, tmp_path / "project")
    server = subprocess.Popen(
        [sys.executable, str(REPO / "cli.py"), "--project", str(root), "serve", "--port", "0",
         "--clinic", CLINIC, "--locale", LOCALE], stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "IMS_BROCHURE_JOBS": "1"})
    try:
        address = re.search(r"http://127\.0\.0\.1:\d+/", server.stderr.readline()).group(0)
        assert "rebuilt" in server.stderr.readline()  # the first build is done
        browser.get(address + f"proof/{LOCALE}.html")
        manifest = root / "out" / "manifest.json"

        def shas() -> dict:
            return {entry["path"]: entry.get("sha256")
                    for entry in json.loads(manifest.read_text())}
        before = shas()
        catalog = root / "locales" / LOCALE / "LC_MESSAGES" / "brochures.po"
        text = catalog.read_text(encoding="utf-8")
        edited = text.replace('msgstr "Pendant la séance"', 'msgstr "Pendant votre séance"', 1)
        assert edited != text
        catalog.write_text(edited, encoding="utf-8")
        WebDriverWait(browser, 30, ignored_exceptions=reloading).until(
            lambda driver: "Pendant votre séance" in driver.find_element(By.TAG_NAME,
                                                                          "body").text)
        changed = {path for path, sha in shas().items() if sha != before.get(path)}
        assert f"{CLINIC}/ims-aftercare-{LOCALE}-screen.pdf" in changed
        assert all("ims-aftercare" in path for path in changed)  # only what the edit touched
        # A broken placeholder: the page says what is wrong; no traceback anywhere.
        catalog.write_text(edited.replace("%(phone)s.", "%(phon)s.", 1), encoding="utf-8")
        WebDriverWait(browser, 30, ignored_exceptions=reloading).until(
            lambda driver: "placeholder" in driver.find_element(By.ID, "serve-note").text)
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    assert "Traceback" not in errors
