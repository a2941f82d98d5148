"""make test-latest: the course against the newest releases of the libraries it teaches.

Builds ``.venv-latest`` (torch held at the pinned build, as ``make setup`` does), installs
the newest transformers, peft, trl, bitsandbytes, accelerate and datasets with everything
else at its pin, then runs the unit tests and two notebooks on the tiny profile. Prints, per
package, the pinned and the newest version, then pass or fail for each part, and writes the
same to ``outputs/test-latest.json``. Not part of ``make test``: it needs fresh releases
from PyPI. When it passes, bump the pins in requirements.txt (the one file; the notebooks'
Colab cells repeat the course pins, and tests/unit/test_repo.py says where they differ).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv-latest"
WATCHED = ["transformers", "peft", "trl", "bitsandbytes", "accelerate", "datasets"]
# their own dependencies follow them: a newest transformers may need a newer tokenizers
FOLLOWERS = ["tokenizers", "safetensors", "huggingface_hub"]
NOTEBOOK_TESTS = ["tests/notebooks/test_00_environment_check.py", "tests/notebooks/test_02_lora_bloom.py"]


def pins() -> dict[str, str]:
    """Package -> pinned version, from requirements.txt."""
    found = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s#]+)", line)
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def run(*command: str, **kw) -> subprocess.CompletedProcess:
    print("$", " ".join(command), flush=True)
    return subprocess.run(command, cwd=ROOT, text=True, **kw)


def build(python: Path, pinned: dict[str, str]) -> None:
    if not python.is_file():
        run(sys.executable, "-m", "venv", str(VENV), check=True)
    constraint = VENV / "torch-constraint.txt"
    constraint.write_text(f"torch=={pinned['torch']}\n")
    unpinned = {name.lower().replace("_", "-") for name in WATCHED + FOLLOWERS}
    rest = VENV / "requirements-rest.txt"
    rest.write_text(
        "".join(f"{name}=={version}\n" for name, version in pinned.items() if name not in unpinned | {"torch"})
    )
    pip = [str(python), "-m", "pip", "install", "-q"]
    run(*pip, "--upgrade", "pip", check=True)
    run(*pip, "-r", str(constraint), check=True)
    run(*pip, "--upgrade", "-r", str(rest), *WATCHED, "-c", str(constraint), check=True)
    run(*pip, "--no-deps", "-e", ".", check=True)
    run(
        str(python),
        "-m",
        "ipykernel",
        "install",
        "--sys-prefix",
        "--name",
        "course-llm",
        check=True,
        stdout=subprocess.DEVNULL,
    )


def installed(python: Path, names: list[str]) -> dict[str, str]:
    code = "import importlib.metadata as m, json, sys; print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    done = run(str(python), "-c", code, *names, capture_output=True, check=True)
    return json.loads(done.stdout)


def main() -> int:
    python = VENV / "bin" / "python"
    pinned = pins()
    build(python, pinned)
    versions = installed(python, WATCHED + FOLLOWERS)
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "PATH": f"{VENV / 'bin'}:{os.environ.get('PATH', '')}",
    }
    parts = {}
    for part, paths in [("unit tests", ["tests/unit"]), ("notebooks 00 and 02", NOTEBOOK_TESTS)]:
        start = time.time()
        done = run(str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *paths, capture_output=True, env=env)
        summary = (done.stdout.strip().splitlines() or ["no output"])[-1]
        parts[part] = {"passed": done.returncode == 0, "summary": summary, "seconds": round(time.time() - start)}
        if done.returncode:
            print(done.stdout[-3000:])
    print(f"\n{'package':<16}{'pinned':>12}{'newest':>12}")
    for name in WATCHED + FOLLOWERS:
        key = name.lower().replace("_", "-")
        mark = "" if pinned.get(key) == versions[name] else "  <- differs"
        print(f"{name:<16}{pinned.get(key, '-'):>12}{versions[name]:>12}{mark}")
    for part, result in parts.items():
        print(f"{part:<22}{'pass' if result['passed'] else 'FAIL'}  ({result['summary']}, {result['seconds']} s)")
    record = {
        "date": time.strftime("%Y-%m-%d"),
        "pinned": {n: pinned.get(n.lower().replace("_", "-")) for n in versions},
        "newest": versions,
        "parts": parts,
    }
    (ROOT / "outputs").mkdir(exist_ok=True)
    (ROOT / "outputs" / "test-latest.json").write_text(json.dumps(record, indent=2))
    return 0 if all(r["passed"] for r in parts.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
