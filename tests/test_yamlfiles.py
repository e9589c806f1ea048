"""The strict YAML reader: every scalar stays as written, and every problem names its line."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from brochurekit.errors import InputError
from brochurekit.yamlfiles import read_yaml


def read(tmp_path: Path, text: str | bytes):
    path = tmp_path / "clinic.yaml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return read_yaml(path)


def error_of(tmp_path: Path, text: str | bytes) -> str:
    with pytest.raises(InputError) as caught:
        read(tmp_path, text)
    return str(caught.value)


def test_norway_and_no_stay_strings(tmp_path):
    doc = read(tmp_path, "country: NO\nlocales: [no, en]\n")
    assert doc.data == {"country": "NO", "locales": ["no", "en"]}


def test_leading_zeros_and_times_stay_as_written(tmp_path):
    doc = read(tmp_path, "postal_code: 01234\nopens: 12:30\n")
    assert doc.data == {"postal_code": "01234", "opens": "12:30"}


def test_unquoted_hex_colour_reads_as_empty_text_not_a_default(tmp_path):
    # '#' starts a comment, so the value is empty; the schema then says "quote it".
    doc = read(tmp_path, "primary: #ff0000\n")
    assert doc.data == {"primary": ""}


def test_duplicate_key_names_both_lines(tmp_path):
    message = error_of(tmp_path, "name: A\nphone: '1'\nname: B\n")
    assert "clinic.yaml:3" in message
    assert "'name' is given twice (lines 1 and 3)" in message


def test_tab_indentation_gives_line_and_column(tmp_path):
    message = error_of(tmp_path, "contact:\n\tphone: '1'\n")
    assert "clinic.yaml:2" in message and "column" in message


def test_second_document_is_refused(tmp_path):
    message = error_of(tmp_path, "name: A\n---\nname: B\n")
    assert "clinic.yaml:3" in message and "more than one YAML document" in message


def test_bad_utf8_names_the_line(tmp_path):
    message = error_of(tmp_path, b"name: A\nphone: \xff\xfe\n")
    assert "clinic.yaml:2" in message and "UTF-8" in message


def test_python_tags_are_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "ran"
    message = error_of(tmp_path, f"x: !!python/object/apply:os.system ['touch {marker}']\n")
    assert "tag" in message and "not allowed" in message
    assert not marker.exists()


def test_alias_bomb_is_refused_before_expansion(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 12):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 9)}]")
    started = time.monotonic()
    message = error_of(tmp_path, "\n".join(lines) + "\n")
    assert time.monotonic() - started < 2
    assert "aliases" in message and "clinic.yaml:2" in message


def test_every_key_path_remembers_its_line(tmp_path):
    doc = read(tmp_path, "name: A\ncontact:\n  phone: '1'\nlocales:\n  - en\n  - fr_CA\n")
    assert doc.line_of(("contact", "phone")) == 3
    assert doc.line_of(("locales", 1)) == 6


def test_empty_file_is_refused(tmp_path):
    assert "the file is empty" in error_of(tmp_path, "")


def test_control_character_is_a_located_message(tmp_path):
    message = error_of(tmp_path, "name: A\nphone: Ce\x07dar\n")
    assert "clinic.yaml:2" in message and "not allowed" in message


def test_absurd_nesting_is_a_message_not_a_crash(tmp_path):
    message = error_of(tmp_path, "x: " + "[" * 3000 + "]" * 3000 + "\n")
    assert "nested too deeply" in message or "invalid YAML" in message
