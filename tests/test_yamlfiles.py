"""The strict YAML reader: every scalar stays as written, and every problem names its line.

The bad YAML inputs of cases 1-8 (bad-inputs.md) are tested in test_bad_inputs.py.
"""

from __future__ import annotations

from .conftest import read_yaml_text, yaml_error


def test_every_key_path_remembers_its_line(tmp_path):
    doc = read_yaml_text(tmp_path, "name: A\ncontact:\n  phone: '1'\nlocales:\n  - en\n  - fr_CA\n")
    assert doc.line_of(("contact", "phone")) == 3
    assert doc.line_of(("locales", 1)) == 6


def test_absurd_nesting_is_a_message_not_a_crash(tmp_path):
    message = yaml_error(tmp_path, "x: " + "[" * 3000 + "]" * 3000 + "\n")
    assert "nested too deeply" in message or "invalid YAML" in message
