"""Prepare a lesson to run by hand in Jupyter: one notebook with a profile's parameters injected.

    python -m course_utils.lesson 02               # -> lessons/02_lora_bloom.ipynb, tiny profile, not executed
    python -m course_utils.lesson 02 --solutions   # the same with the exercises' solutions filled in
    python -m course_utils.lesson --lab            # JupyterLab on the course folder (what `make lab` runs)
    make lesson N=02                               # the first line, after `make setup`

papermill writes the copy without running it (its ``prepare_only`` mode): the profile's
values go into an ``injected-parameters`` cell right after the ``parameters`` cell, exactly
as when the runner executes the notebook; the copy names the course kernel, so Jupyter
opens it on the course's environment. The
original in ``notebooks/`` is never changed. Offline, the tiny profile's models are built
(once) before the copy is written, so the copy points at folders that exist.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

from course_utils.exercises import solved_copy
from course_utils.paths import repo_root
from course_utils.profiles import PROFILES, profile_parameters
from course_utils.runner import kernel_name, notebook_paths


def find_notebook(prefix: str) -> Path:
    """The one notebook of ``notebooks/`` whose name starts with ``prefix`` (``"02"``, ``"02_lora"``)."""
    matches = [p for p in notebook_paths() if p.stem.startswith(str(prefix))]
    if len(matches) != 1:
        names = ", ".join(p.stem for p in notebook_paths())
        found = "no notebook" if not matches else f"{len(matches)} notebooks"
        raise ValueError(f"N={prefix!r} matches {found}; give the start of one name: {names}.")
    return matches[0]


def prepare_lesson(
    prefix: str,
    out_dir: Path | None = None,
    profile: str = "tiny",
    solutions: bool = False,
    results_dir: Path | None = None,
) -> Path:
    """Write an unexecuted copy of one notebook with ``profile``'s parameters; return its path.

    Args:
        prefix: the start of the notebook's name, e.g. ``"02"``.
        out_dir: where the copy goes (default ``<course>/lessons``).
        profile: ``"tiny"`` (embedded models, offline) or ``"rehearsal"``.
        solutions: fill every exercise's answer cell with its solution (an instructor's copy).
        results_dir: the lesson's ``OUTPUT_DIR``, where its figures, adapters and metrics.json
            go (default ``<course>/outputs/lessons/<notebook>``).
    """
    import papermill as pm

    path = find_notebook(prefix)
    out_dir = Path(out_dir or repo_root() / "lessons").resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    results_dir = Path(results_dir or repo_root() / "outputs" / "lessons" / path.stem).resolve()
    parameters = {**profile_parameters(path.stem, profile), "OUTPUT_DIR": str(results_dir)}
    target = out_dir / (f"{path.stem}.solutions.ipynb" if solutions else path.name)
    with solved_copy(path, out_dir, with_wrong=False) if solutions else contextlib.nullcontext(path) as source:
        pm.execute_notebook(
            str(source),
            str(target),
            parameters=parameters,
            prepare_only=True,
            kernel_name=kernel_name(),
            progress_bar=False,
            log_output=False,
        )
    # papermill records the kernel only when it executes; Jupyter opens the copy on this one
    prepared = json.loads(target.read_text())
    prepared["metadata"]["kernelspec"] = kernelspec()
    target.write_text(json.dumps(prepared, indent=1, ensure_ascii=False) + "\n")
    return target


def kernelspec() -> dict[str, str]:
    """The notebook metadata naming the course kernel (or the default one, before `make setup`)."""
    from jupyter_client.kernelspec import KernelSpecManager

    name = kernel_name()
    spec = KernelSpecManager().get_kernel_spec(name)
    return {"name": name, "display_name": spec.display_name, "language": spec.language}


def lab_command(root: Path | None = None, *extra: str) -> list[str]:
    """The command line of JupyterLab on the course folder, quiet offline.

    No news feed, no update checks, no extension search on PyPI (nothing to reach offline).
    As root (a container), Jupyter refuses to start unless told it may. ``extra`` adds
    options, e.g. ``"--no-browser", "--ServerApp.port=8899"``.
    """
    root = Path(root or repo_root())
    as_root = ["--ServerApp.allow_root=True"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    lessons = ["--ServerApp.default_url=/lab/tree/lessons"] if (root / "lessons").is_dir() else []
    return [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
        *as_root,
        *lessons,
        *extra,
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", nargs="?", help="the start of the notebook's name, e.g. 02")
    parser.add_argument("--lab", action="store_true", help="start JupyterLab on the course folder instead")
    parser.add_argument("--out", type=Path, default=None, help="folder for the copy (default: lessons/)")
    parser.add_argument("--profile", choices=PROFILES, default="tiny", help="tiny (default) or rehearsal")
    parser.add_argument("--solutions", action="store_true", help="fill in the exercises' solutions")
    args = parser.parse_args(argv)
    if args.lab:
        command = lab_command()
        os.execv(command[0], command)  # JupyterLab takes over this process (Ctrl-C stops it)
    if not args.notebook:
        parser.error("give the start of a notebook's name, e.g. 02 (or --lab)")
    try:
        target = prepare_lesson(args.notebook, args.out, args.profile, args.solutions)
    except ValueError as err:
        print(f"make lesson: {err}", file=sys.stderr)
        return 2
    try:
        shown = target.relative_to(Path.cwd())
    except ValueError:
        shown = target
    print(f"lesson ready: {shown} ({args.profile} profile, kernel {kernel_name()}, not executed)")
    print("open it with `make lab`, then run the cells in order")
    return 0


if __name__ == "__main__":
    sys.exit(main())
