"""How much of each message's text reads back from the built screen PDFs (issue 16).

Run from the project folder after a build:  .venv/bin/python bench/readback.py [OUT]
For every screen PDF of a real locale it takes the words of the brochure's own messages in
that locale's catalog (typeset as printed, placeholders dropped) and counts how many appear
among the words pdftotext and MuPDF read back from the PDF. It prints one line per locale
and tool (worst PDF)
and asserts nothing. Chinese has no spaces: there each stretch of a message between its
placeholders must read back whole, line breaks aside.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from babel.messages.pofile import read_po  # noqa: E402

from brochurekit.catalogs import catalog_path, is_pseudo  # noqa: E402
from brochurekit.typography import typeset  # noqa: E402

# Direction marks are not text; pdftotext wraps each run of another direction in embedding
# marks, which separate it from the word beside it as a space would.
_MARKS = {**dict.fromkeys(map(ord, "\u200e\u200f\u2066\u2067\u2068\u2069\u2060")),
          **dict.fromkeys(map(ord, "\u202a\u202b\u202c"), " ")}


def words(text: str) -> list[str]:
    text = re.sub(r"%\(\w+\)s", " ", text).translate(_MARKS).replace("\u00a0", " ")
    return [w for w in re.split(r"[\s.,;:!?()«»“”\"،؛؟。，、；：！？（）]+", text) if w]


def messages_of(catalog, brochure: str) -> list[str]:
    """The translations of a brochure's own messages."""
    return [message.string for message in catalog
            if message.context and message.context.startswith(brochure + "/")
            and isinstance(message.string, str) and message.string]


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "out"
    cells = json.loads((out / "manifest.json").read_text())
    worst: dict[tuple[str, str], tuple[float, str]] = defaultdict(lambda: (1.0, ""))
    catalogs = {}
    for cell in cells:
        locale = cell["locale"]
        if cell["profile"] != "screen" or locale == "en" or is_pseudo(locale) \
                or cell.get("status") != "built":
            continue
        if locale not in catalogs:
            with (ROOT / catalog_path(locale)).open("rb") as handle:
                catalogs[locale] = read_po(handle)
        expected = [word for message in messages_of(catalogs[locale], cell["brochure"])
                    for word in words(typeset(message, locale))]
        for tool, read in READERS.items():
            printed = read(out / cell["path"])
            if locale.startswith("zh"):
                # Chinese has no spaces and breaks lines anywhere: each stretch of a message
                # between its placeholders must read back whole, line breaks aside.
                flat = re.sub(r"\s+", "", printed.translate(_MARKS))
                pieces = [re.sub(r"\s+", "", piece.translate(_MARKS))
                          for message in messages_of(catalogs[locale], cell["brochure"])
                          for piece in re.split(r"%\(\w+\)s", typeset(message, locale))]
                pieces = [piece for piece in pieces if piece]
                share = sum(piece in flat for piece in pieces) / len(pieces)
            else:
                found = set(words(printed))
                share = sum(word in found for word in expected) / len(expected)
            if share <= worst[locale, tool][0]:
                worst[locale, tool] = (share, cell["path"])
    for (locale, tool), (share, path) in sorted(worst.items()):
        unit = "message text" if locale.startswith("zh") else "message words"
        print(f"{locale:8} {tool:9} {share:7.1%} of {unit} read back (worst: {path})")


def _pdftotext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def _mupdf(pdf: Path) -> str:
    import pymupdf

    with pymupdf.open(pdf) as document:
        return "\n".join(page.get_text() for page in document)


READERS = {"pdftotext": _pdftotext, "MuPDF": _mupdf}


if __name__ == "__main__":
    main()
