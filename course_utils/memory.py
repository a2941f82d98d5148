"""Measure memory: a model's footprint, and the peak of a block of work.

On CUDA the peak is PyTorch's peak *allocated* memory; on a CPU it is the process's peak
resident memory (RSS), measured from a reset high-water mark on Linux and by sampling
elsewhere. Both report the baseline at the start, so the work's own share is
``peak - baseline``.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import torch

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def model_footprint(model: torch.nn.Module) -> int:
    """Bytes taken by a model's parameters and buffers (tied weights counted once)."""
    seen, total = set(), 0
    for tensor in [*model.parameters(), *model.buffers()]:
        if tensor.data_ptr() in seen or tensor.device.type == "meta":
            continue
        seen.add(tensor.data_ptr())
        total += tensor.numel() * tensor.element_size()
    return total


def folder_bytes(path: str | Path) -> int:
    """Total size of the files under a folder (an adapter, a checkpoint)."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def rss_bytes() -> int:
    """Resident memory of this process now."""
    return psutil.Process().memory_info().rss


def _reset_rss_peak() -> bool:
    try:
        _CLEAR_REFS.write_text("5")  # Linux: reset VmHWM, the peak RSS, to the current RSS
        return True
    except OSError:
        return False


def _rss_peak() -> int:
    return int(re.search(r"VmHWM:\s+(\d+) kB", _STATUS.read_text()).group(1)) * 1024


@dataclass
class PeakMemory:
    """Context manager: peak memory of the block it wraps.

    Example:
        >>> with PeakMemory() as mem:
        ...     loss = model(**batch).loss; loss.backward()
        >>> mem.delta_bytes  # peak during the block minus memory in use before it

    Attributes:
        device: "cuda" or "cpu".
        method: "cuda peak allocated", "cpu peak RSS" or "cpu sampled RSS".
        baseline_bytes: memory in use when the block started.
        peak_bytes: highest memory in use during the block.
    """

    device: str = "cuda" if torch.cuda.is_available() else "cpu"
    method: str = ""
    baseline_bytes: int = 0
    peak_bytes: int = 0
    interval_s: float = 0.002

    def __enter__(self) -> PeakMemory:
        if self.device == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.method, self.baseline_bytes = "cuda peak allocated", torch.cuda.memory_allocated()
            return self
        self.baseline_bytes = rss_bytes()
        if _reset_rss_peak():
            self.method = "cpu peak RSS"
        else:
            self.method, self._stop = "cpu sampled RSS", threading.Event()
            self._sampled = self.baseline_bytes
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._sampled = max(self._sampled, rss_bytes())
            time.sleep(self.interval_s)

    def __exit__(self, *exc) -> None:
        if self.device == "cuda":
            torch.cuda.synchronize()
            self.peak_bytes = torch.cuda.max_memory_allocated()
        elif self.method == "cpu peak RSS":
            self.peak_bytes = _rss_peak()
        else:
            self._stop.set()
            self._thread.join()
            self.peak_bytes = max(self._sampled, rss_bytes())

    @property
    def delta_bytes(self) -> int:
        """Peak during the block minus the baseline."""
        return max(0, self.peak_bytes - self.baseline_bytes)

    def as_dict(self) -> dict:
        """Figures for metrics.json."""
        return {
            "device": self.device,
            "method": self.method,
            "baseline_bytes": self.baseline_bytes,
            "peak_bytes": self.peak_bytes,
            "delta_bytes": self.delta_bytes,
        }
