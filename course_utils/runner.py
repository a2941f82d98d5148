"""Run the course's notebooks headlessly with papermill, on the tiny profile.

    python -m course_utils.runner                 # every notebook, in order
    python -m course_utils.runner --only 00       # the notebooks whose name starts with 00

Each notebook gets its tiny-profile parameters and its own ``OUTPUT_DIR``; the executed
copy is saved next to its outputs, and ``summary.json`` lists every notebook with its
status, seconds and the ``metrics.json`` it wrote. Exits non-zero if any notebook failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from course_utils.paths import repo_root
from course_utils.profiles import tiny_parameters

KERNEL_NAME = "course-llm"  # installed into the venv by `make setup`


def kernel_name() -> str:
    """The course kernel if `make setup` installed it, else this interpreter's default."""
    from jupyter_client.kernelspec import KernelSpecManager

    return KERNEL_NAME if KERNEL_NAME in KernelSpecManager().find_kernel_specs() else "python3"


def notebook_paths() -> list[Path]:
    """Every notebook in notebooks/, in course order (by file name)."""
    return sorted((repo_root() / "notebooks").glob("[0-9]*.ipynb"))


def execute_notebook(path: Path, output_dir: Path, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    """Execute one notebook; return the metrics.json it wrote into ``output_dir``.

    The executed copy is written to ``output_dir/<name>.ipynb``. Raises papermill's
    ``PapermillExecutionError`` if a cell fails.
    """
    import papermill as pm

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    output_dir = Path(output_dir).resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    params = {**(parameters or {}), "OUTPUT_DIR": str(output_dir)}
    pm.execute_notebook(
        str(path),
        str(output_dir / path.name),
        parameters=params,
        kernel_name=kernel_name(),
        cwd=str(path.parent),
        progress_bar=False,
        log_output=False,
    )
    metrics_file = output_dir / "metrics.json"
    if not metrics_file.is_file():
        raise FileNotFoundError(f"{path.name} ran but wrote no {metrics_file}.")
    return json.loads(metrics_file.read_text())


def _first_line(err: BaseException) -> str:
    text = getattr(err, "evalue", None) or str(err)
    name = getattr(err, "ename", None) or type(err).__name__
    return f"{name}: {text.strip().splitlines()[0] if text.strip() else ''}"[:200]


def run_course(out_dir: Path, only: str | None = None) -> list[dict[str, Any]]:
    """Run the notebooks in order, printing progress; return the summary entries."""
    paths = [p for p in notebook_paths() if only is None or p.stem.startswith(only)]
    if not paths:
        raise SystemExit(f"No notebook matches {only!r} in {repo_root() / 'notebooks'}.")
    print("Preparing the embedded tiny models (built once, then cached) ...", flush=True)
    params: dict[str, Any] = {}
    for path in paths:
        try:
            params[path.stem] = tiny_parameters(path.stem)
        except Exception as err:
            params[path.stem] = err
    summary = []
    for i, path in enumerate(paths, 1):
        print(f"[{i}/{len(paths)}] {path.stem} ...", flush=True)
        start = time.perf_counter()
        entry: dict[str, Any] = {"name": path.stem}
        try:
            if isinstance(params[path.stem], Exception):
                raise params[path.stem]
            entry["metrics"] = execute_notebook(path, out_dir / path.stem, params[path.stem])
            entry["status"] = "ok"
        except Exception as err:  # one failed notebook must not stop the others
            entry["status"], entry["error"], entry["metrics"] = "failed", _first_line(err), None
        entry["seconds"] = round(time.perf_counter() - start, 1)
        note = "" if entry["status"] == "ok" else f"  {entry['error']}"
        print(f"      {entry['status']} in {entry['seconds']} s{note}", flush=True)
        summary.append(entry)
    return summary


def format_table(summary: list[dict[str, Any]]) -> str:
    """A plain-text table: notebook, status, seconds, number of metrics."""
    width = max(len(e["name"]) for e in summary)
    lines = [f"{'notebook':<{width}}  status  seconds  metrics", "-" * (width + 26)]
    for e in summary:
        n = len(e["metrics"]) if e["metrics"] else 0
        lines.append(f"{e['name']:<{width}}  {e['status']:<6}  {e['seconds']:>7.1f}  {n:>7}")
    lines.append(
        f"{'total':<{width}}  {sum(e['status'] == 'ok' for e in summary)}/{len(summary)} ok"
        f" {sum(e['seconds'] for e in summary):>7.1f}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: outputs/course)")
    parser.add_argument("--only", default=None, help="run only notebooks whose name starts with this")
    args = parser.parse_args(argv)
    out_dir = (args.out or repo_root() / "outputs" / "course").resolve()
    start = time.perf_counter()
    summary = run_course(out_dir, args.only)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    print()
    print(format_table(summary))
    print(f"\nsummary: {out_dir / 'summary.json'}  ({time.perf_counter() - start:.0f} s in all)")
    return 0 if all(e["status"] == "ok" for e in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
