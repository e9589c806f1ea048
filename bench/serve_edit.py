"""Edit to rebuilt PDF under `ims-brochure serve` (issue 18).

Run from the project folder:  .venv/bin/python bench/serve_edit.py [ROUNDS]
It copies the project's inputs to a temporary folder, starts `serve` there for one clinic and
language (harbourfront, fr_CA), waits for its first build, then saves one edited fr_CA message
ROUNDS times (default 5) and prints, for each, the seconds from the save until the manifest
lists the rebuilt PDF (its sha256 changed), and the median. It asserts nothing.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from brochurekit.project import copy_project_inputs  # noqa: E402


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as scratch:
        root = copy_project_inputs(ROOT, Path(scratch) / "project")
        server = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "--project", str(root),
                                   "serve", "--port", "0", "--clinic", "harbourfront",
                                   "--locale", "fr_CA"], stderr=subprocess.PIPE, text=True)
        try:
            print(server.stderr.readline().strip())
            print("first build:", server.stderr.readline().strip())
            manifest = root / "out" / "manifest.json"
            catalog = root / "locales" / "fr_CA" / "LC_MESSAGES" / "brochures.po"
            times = []
            for number in range(rounds):
                shas = {e["path"]: e.get("sha256") for e in json.loads(manifest.read_text())}
                text = catalog.read_text(encoding="utf-8")
                new = re.sub(r'msgstr "Pendant la séance[^"]*"',
                             f'msgstr "Pendant la séance {number}"', text, count=1)
                started = time.monotonic()
                catalog.write_text(new, encoding="utf-8")
                while True:
                    try:
                        now = {e["path"]: e.get("sha256")
                               for e in json.loads(manifest.read_text())}
                    except ValueError:
                        now = shas
                    if any(sha != shas.get(path) for path, sha in now.items()):
                        break
                    time.sleep(0.02)
                times.append(time.monotonic() - started)
                print(f"edit {number + 1}: {times[-1]:.2f} s to the rebuilt PDF; serve says: "
                      + server.stderr.readline().strip())
            print(f"median {statistics.median(times):.2f} s over {rounds} edits")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
