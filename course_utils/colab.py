"""The Colab setup cell and badge of every notebook, generated from one place.

The repository URL lives here (``REPO_SLUG``) and the versions in ``requirements.txt``;
every notebook's badge and first code cell are copies written by

    python -m course_utils.colab          # rewrite the badges and setup cells of notebooks/

and a test fails when a notebook's copy differs. The setup cell runs only in Colab. It
clones the course first and stops with one line (what to change, or where to upload the
folder) when that fails, so nothing is installed half-way; then it installs the pinned
packages without replacing Colab's own CUDA build of torch.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from course_utils.paths import repo_root

REPO_SLUG = "fine-tuning-course/llm-fine-tuning-course"
REPO_URL = f"https://github.com/{REPO_SLUG}"
COLAB_DIR = "/content/course"
# What the notebooks import that Colab does not bring (or brings at other versions).
COLAB_PACKAGES = (
    "transformers",
    "peft",
    "trl",
    "bitsandbytes",
    "accelerate",
    "datasets",
    "evaluate",
    "rouge_score",
    "sacrebleu",
)

SETUP_TEMPLATE = """# Colab only: fetch the course, install the pinned packages and course_utils. Elsewhere this
# cell does nothing (offline, `make setup` has installed everything already).
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    import torch

    # Where the course comes from: change COURSE_REPO for a fork or a copy that lives elsewhere,
    # or upload the course folder to COURSE_DIR instead of cloning.
    COURSE_REPO = "{repo_url}"
    COURSE_DIR = "{colab_dir}"
    PINS = [
{pins}
    ]

    class SetupError(Exception):
        def _render_traceback_(self):  # IPython shows this one line instead of a traceback
            return [f"Setup stopped: {{self}}"]

    def run(*command):
        done = subprocess.run(command, capture_output=True, text=True)
        return done.returncode, (done.stderr.strip().splitlines() or ["no message"])[-1]

    if not os.path.isdir(os.path.join(COURSE_DIR, "course_utils")):
        code, last = run("git", "clone", "--depth", "1", "-q", COURSE_REPO, COURSE_DIR)
        if code:
            raise SetupError(
                f"cannot clone {{COURSE_REPO}} ({{last}}). Set COURSE_REPO in this cell to the course's Git URL, "
                f"or upload the course folder to {{COURSE_DIR}}; then run this cell again."
            )
    with open("/tmp/keep-torch.txt", "w") as fh:  # pip may not replace Colab's own CUDA build of torch
        fh.write(f"torch=={{torch.__version__}}\\n")
    for step in (["-c", "/tmp/keep-torch.txt", *PINS], ["--no-deps", COURSE_DIR]):
        code, last = run(sys.executable, "-m", "pip", "install", "-q", *step)
        if code:
            raise SetupError(f"pip install {{step[-1]}} failed ({{last}}); run this cell again or restart the runtime.")
    os.environ["COURSE_ROOT"] = COURSE_DIR  # where course_utils finds data/
    print("Colab setup done: course in", COURSE_DIR)"""

BADGE_PATTERN = re.compile(r"https://colab\.research\.google\.com/github/[^)\s]+")


def requirement_pins(path: Path | None = None) -> dict[str, str]:
    """Package name (lower case) -> exact version, from requirements.txt."""
    pins = {}
    for line in (path or repo_root() / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def setup_cell_source() -> str:
    """The setup cell every notebook starts with, with today's URL and pins."""
    pins = requirement_pins()
    lines = "\n".join(f'        "{name}=={pins[name.lower()]}",' for name in COLAB_PACKAGES)
    return SETUP_TEMPLATE.format(repo_url=REPO_URL, colab_dir=COLAB_DIR, pins=lines)


def badge_url(notebook: Path) -> str:
    """The "Open in Colab" address of a notebook of this repository."""
    return f"https://colab.research.google.com/github/{REPO_SLUG}/blob/main/notebooks/{notebook.name}"


def sync_notebook(path: Path) -> bool:
    """Rewrite a notebook's badge and setup cell from this module; return True if it changed."""
    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    title = nb["cells"][0]
    title["source"] = BADGE_PATTERN.sub(badge_url(path), "".join(title["source"])).splitlines(keepends=True)
    (setup,) = [c for c in nb["cells"] if "colab-setup" in c.get("metadata", {}).get("tags", [])]
    setup["source"] = setup_cell_source().splitlines(keepends=True)
    new = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def output_folder(output_dir: str | Path, drive_dir: str | Path | None = None) -> Path:
    """A notebook's output folder, created: ``output_dir``, or in Colab with ``drive_dir`` set, on Google Drive.

    Colab wipes the runtime's disk when a session ends. With ``drive_dir`` (for example
    "/content/drive/MyDrive/course") the checkpoints, adapters and figures go to
    ``drive_dir/<name of output_dir>`` instead, and Drive is mounted (Colab asks for access
    once). Elsewhere, or with ``drive_dir`` None, it is ``output_dir`` itself.
    """
    folder = Path(output_dir)
    if drive_dir and "google.colab" in sys.modules:
        from google.colab import drive

        drive.mount("/content/drive")
        folder = Path(drive_dir) / folder.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def main() -> int:
    from course_utils.runner import notebook_paths

    changed = [p.name for p in notebook_paths() if sync_notebook(p)]
    print(f"updated {len(changed)} notebook(s): {', '.join(changed) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
