"""Run the course's notebooks headlessly with papermill, on the tiny profile or the rehearsal.

    python -m course_utils.runner                        # every notebook, in order, tiny profile
    python -m course_utils.runner --only 00              # the notebooks whose name starts with 00
    python -m course_utils.runner --profile rehearsal    # Colab defaults on random-weight real shapes
    python -m course_utils.runner --jobs 1               # one notebook at a time (the tiny default: 2)

Each notebook gets its profile's parameters and its own ``OUTPUT_DIR``; the executed copy
is saved next to its outputs, and ``summary.json`` lists every notebook with its status,
seconds, peak memory of its kernel and the ``metrics.json`` it wrote. Exits non-zero if
any notebook failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from course_utils.exercises import solved_copy
from course_utils.paths import repo_root
from course_utils.profiles import PROFILES, TINY_SECONDS, profile_parameters

KERNEL_NAME = "course-llm"  # installed into the venv by `make setup`


def kernel_name() -> str:
    """The course kernel if `make setup` installed it, else this interpreter's default."""
    from jupyter_client.kernelspec import KernelSpecManager

    return KERNEL_NAME if KERNEL_NAME in KernelSpecManager().find_kernel_specs() else "python3"


def quiet_kernel_manager(log_path: Path | None = None) -> type:
    """The kernel manager the runner starts kernels with: nothing of the kernel's own on the console.

    Over TCP, ipykernel warns at every start that its traffic is not encrypted; over IPC
    sockets (files only this user can reach) there is nothing to warn about, so kernels use
    IPC where the OS has it (Windows has not: TCP there, as Jupyter does by default). The
    kernel's own log (its stderr: start-up notes, an interrupt at shutdown, a crash) goes to
    ``log_path`` instead of the console; the cells' output is in the notebook either way.
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum

    class QuietKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc" if os.name == "posix" else "tcp", config=True)
        socket_dir = None

        async def start_kernel(self, **kw):
            if self.transport == "ipc" and self.socket_dir is None:
                # sockets in a folder of their own: kernels started side by side (--jobs) never pick the same name
                self.socket_dir = tempfile.mkdtemp(prefix="course-kernel-")
                self.ip = os.path.join(self.socket_dir, "ipc")
            if log_path is None:
                return await super().start_kernel(**kw)
            with open(log_path, "ab") as log:  # the kernel process keeps its own copy of the handle
                kw.setdefault("stderr", log)
                return await super().start_kernel(**kw)

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            if self.socket_dir is not None and not restart:
                shutil.rmtree(self.socket_dir, ignore_errors=True)
                self.socket_dir = None

        cleanup_resources = _async_cleanup_resources

    return QuietKernelManager


def notebook_paths() -> list[Path]:
    """Every notebook in notebooks/, in course order (by file name)."""
    return sorted((repo_root() / "notebooks").glob("[0-9]*.ipynb"))


# Text that must not appear in an executed notebook's outputs: library warnings, deprecation
# notices, tracebacks, ANSI colour codes (load reports), failed loads, text progress bars.
NOISE = re.compile(r"Warning|Traceback|\x1b\[|Failed to load|deprecated|\d+/\d+ \[\d+:\d+<", re.I)


def noisy_outputs(executed: dict) -> list[str]:
    """The outputs of an executed notebook that hold warning or traceback text (first line of each)."""
    found = []
    for cell in executed["cells"]:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"error: {out.get('ename')}: {out.get('evalue', '')}"[:160])
                continue
            text = out.get("text", "") or out.get("data", {}).get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else str(text)
            hit = NOISE.search(text)
            if hit:
                line = next(line for line in text.splitlines() if NOISE.search(line))
                found.append(line.strip()[:160])
    return found


def remove_checkpoints(folder: Path) -> list[Path]:
    """Delete the Trainer checkpoints (``checkpoint-<step>`` folders) a previous run left in ``folder``.

    A notebook resumes from its newest checkpoint when rerun (a learner's disconnect); a
    course run must start from scratch instead, or a checkpoint of an older run would stand in
    for training. Returns the folders removed.
    """
    found = [p for p in Path(folder).rglob("checkpoint-*") if (p / "trainer_state.json").is_file()]
    for checkpoint in found:
        shutil.rmtree(checkpoint)
    return found


def execute_notebook(
    path: Path, output_dir: Path, parameters: dict[str, Any] | None = None, solutions: bool = False
) -> dict[str, Any]:
    """Execute one notebook; return the metrics.json it wrote into ``output_dir``.

    Every run starts from scratch (:func:`remove_checkpoints`). The executed copy is written to
    ``output_dir/<name>.ipynb``; whatever the kernel process
    itself printed (not the cells' output) to ``output_dir/kernel.log``, kept only when not
    empty. With ``solutions``, the
    exercises are answered first with the wrong answers, then with the solutions of
    ``solutions/<name>.py`` (see :mod:`course_utils.exercises`). Raises papermill's
    ``PapermillExecutionError`` if a cell fails.
    """
    import papermill as pm

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no loading and saving bars between the outputs
    output_dir = Path(output_dir).resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    remove_checkpoints(output_dir)
    params = {**(parameters or {}), "OUTPUT_DIR": str(output_dir)}
    with solved_copy(path, output_dir) if solutions else contextlib.nullcontext(path) as source:
        pm.execute_notebook(
            str(source),
            str(output_dir / path.name),
            parameters=params,
            kernel_name=kernel_name(),
            cwd=str(path.parent),
            progress_bar=False,
            log_output=False,
            kernel_manager_class=quiet_kernel_manager(output_dir / "kernel.log"),
            shutdown_kernel="immediate",
        )
    kernel_log = output_dir / "kernel.log"
    if kernel_log.is_file() and not kernel_log.stat().st_size:
        kernel_log.unlink()
    metrics_file = output_dir / "metrics.json"
    if not metrics_file.is_file():
        raise FileNotFoundError(f"{path.name} ran but wrote no {metrics_file}.")
    return json.loads(metrics_file.read_text())


def _first_line(err: BaseException) -> str:
    text = getattr(err, "evalue", None) or str(err)
    name = getattr(err, "ename", None) or type(err).__name__
    return f"{name}: {text.strip().splitlines()[0] if text.strip() else ''}"[:200]


class KernelPeak:
    """Context manager: the peak resident memory of this process's children (the kernel), sampled."""

    def __init__(self, interval_s: float = 0.2) -> None:
        self.interval_s, self.peak_bytes = interval_s, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:  # the child ended between listing and reading
                    pass
            self.peak_bytes = max(self.peak_bytes, total)
            self._stop.wait(self.interval_s)

    def __enter__(self) -> KernelPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def profile_environment(profile: str) -> dict[str, str]:
    """Environment variables the kernels need for ``profile`` (built on first use)."""
    if profile != "rehearsal":
        print("Preparing the embedded tiny models (built once, then cached) ...", flush=True)
        return {}
    from course_utils.rehearsal import rehearsal_environment

    print("Preparing the rehearsal's stand-in models and datasets (built once, then cached) ...", flush=True)
    return rehearsal_environment()


@contextlib.contextmanager
def environment(variables: dict[str, str]):
    """Set environment variables inside the block (the kernels inherit them), then restore them."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_one(
    path: Path, out_dir: Path, params: dict[str, Any] | Exception, solutions: bool, env: dict[str, str]
) -> dict[str, Any]:
    """Execute one notebook, timed, with its kernel's peak memory; return its summary entry (never raises)."""
    start = time.perf_counter()
    entry: dict[str, Any] = {"name": path.stem}
    peak = KernelPeak()
    try:
        if isinstance(params, Exception):
            raise params
        with peak, environment(env):
            entry["metrics"] = execute_notebook(path, out_dir / path.stem, params, solutions)
        entry["status"] = "ok"
        executed = json.loads((out_dir / path.stem / path.name).read_text())
        entry["noisy_outputs"] = noisy_outputs(executed)
    except Exception as err:  # one failed notebook must not stop the others
        entry["status"], entry["error"], entry["metrics"] = "failed", _first_line(err), None
    entry["seconds"] = round(time.perf_counter() - start, 1)
    entry["peak_gib"] = round(peak.peak_bytes / 2**30, 2)
    return entry


def _report(entry: dict[str, Any]) -> None:
    note = "" if entry["status"] == "ok" else f"  {entry['error']}"
    if entry.get("noisy_outputs"):
        note += f"  {len(entry['noisy_outputs'])} outputs with warning text, e.g. {entry['noisy_outputs'][0]!r}"
    print(f"      {entry['status']} in {entry['seconds']} s, kernel peak {entry['peak_gib']} GiB{note}", flush=True)


def longest_first(paths: list[Path], seconds: dict[str, float]) -> list[Path]:
    """The order to start notebooks in when several run at a time: the longest (by ``seconds``) first.

    Notebooks without a figure come first, in course order (a new notebook may be long). With
    the longest started first, the last notebooks to start are short ones, which fill in beside
    the long ones instead of running alone at the end.
    """
    return sorted(paths, key=lambda p: -seconds.get(p.stem, math.inf))


def run_course(
    out_dir: Path, only: str | None = None, profile: str = "tiny", solutions: bool = False, jobs: int = 1
) -> list[dict[str, Any]]:
    """Run the notebooks on ``profile``, printing progress; return the summary entries, in course order.

    With ``solutions`` the exercises are answered (instructors' copies; see ``execute_notebook``).
    With ``jobs`` > 1, that many notebooks run at a time, each in its own worker process, and
    each kernel gets an equal share of the CPU threads (``OMP_NUM_THREADS``, unless it is set
    already): a kernel spends much of its time in one thread (imports, Python between tensor
    operations), so two kernels on two cores finish the course sooner than one after the
    other, while each notebook alone takes longer. On the tiny profile they start longest first
    (``TINY_SECONDS``); the summary is in course order all the same.
    """
    paths = [p for p in notebook_paths() if only is None or p.stem.startswith(only)]
    if not paths:
        raise SystemExit(f"No notebook matches {only!r} in {repo_root() / 'notebooks'}.")
    env = profile_environment(profile)
    params: dict[str, Any] = {}
    for path in paths:
        try:
            params[path.stem] = profile_parameters(path.stem, profile)
        except Exception as err:
            params[path.stem] = err
    jobs = max(1, min(jobs, len(paths)))
    if jobs == 1:
        summary = []
        for i, path in enumerate(paths, 1):
            print(f"[{i}/{len(paths)}] {path.stem} ...", flush=True)
            summary.append(run_one(path, out_dir, params[path.stem], solutions, env))
            _report(summary[-1])
        return summary
    threads = os.environ.get("OMP_NUM_THREADS") or str(max(1, (os.cpu_count() or 1) // jobs))
    env = {**env, "OMP_NUM_THREADS": threads}
    print(f"{len(paths)} notebooks, {jobs} at a time, {threads} CPU thread(s) each ...", flush=True)
    by_name = {}
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter per worker: no state copied from this one
    seconds = TINY_SECONDS if profile == "tiny" else {}
    with ProcessPoolExecutor(max_workers=jobs, mp_context=spawn) as pool:
        futures = [
            pool.submit(run_one, path, out_dir, params[path.stem], solutions, env)
            for path in longest_first(paths, seconds)
        ]
        for done, future in enumerate(as_completed(futures), 1):
            entry = future.result()
            print(f"[{done}/{len(paths)}] {entry['name']}", flush=True)
            _report(entry)
            by_name[entry["name"]] = {**entry, "jobs": jobs}
    return [by_name[path.stem] for path in paths]


def format_table(summary: list[dict[str, Any]]) -> str:
    """A plain-text table: notebook, status, seconds, kernel peak memory, number of metrics."""
    width = max(len(e["name"]) for e in summary)
    lines = [f"{'notebook':<{width}}  status  seconds  peak GiB  metrics", "-" * (width + 36)]
    for e in summary:
        n = len(e["metrics"]) if e["metrics"] else 0
        peak = f"{e['peak_gib']:>8.2f}" if e.get("peak_gib") is not None else f"{'-':>8}"
        lines.append(f"{e['name']:<{width}}  {e['status']:<6}  {e['seconds']:>7.1f}  {peak}  {n:>7}")
    lines.append(
        f"{'total':<{width}}  {sum(e['status'] == 'ok' for e in summary)}/{len(summary)} ok"
        f" {sum(e['seconds'] for e in summary):>7.1f}"
    )
    jobs = max((e.get("jobs", 1) for e in summary), default=1)
    if jobs > 1:
        lines.append(f"({jobs} notebooks at a time: each one's seconds are its own, while it shared the CPU)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: outputs/<course|rehearsal>)")
    parser.add_argument("--only", default=None, help="run only notebooks whose name starts with this")
    parser.add_argument("--profile", choices=PROFILES, default="tiny", help="tiny (default) or rehearsal")
    parser.add_argument("--solutions", action="store_true", help="answer the exercises with solutions/<notebook>.py")
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="notebooks at a time (default: 2 on the tiny profile where there are 2 or more CPUs, else 1)",
    )
    args = parser.parse_args(argv)
    jobs = args.jobs or (min(2, os.cpu_count() or 1) if args.profile == "tiny" else 1)
    default_out = repo_root() / "outputs" / ("course" if args.profile == "tiny" else "rehearsal")
    out_dir = (args.out or default_out).resolve()
    start = time.perf_counter()
    summary = run_course(out_dir, args.only, args.profile, args.solutions, jobs)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    print()
    print(format_table(summary))
    print(f"\nsummary: {out_dir / 'summary.json'}  ({time.perf_counter() - start:.0f} s in all, wall clock)")
    return 0 if all(e["status"] == "ok" for e in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
