"""Measure memory and speed of a training step: full fine-tuning vs LoRA vs QLoRA vs prompt tuning.

    python benchmarks/bench_memory.py                 # bloomz-560m's shape, random weights
    python benchmarks/bench_memory.py --quick         # a ~70 M parameter Bloom, about a minute
    python benchmarks/bench_memory.py --config path/to/config.json --seq-len 512

Each method runs in its own process, so one method's memory cannot leak into the next
and one that runs out of memory does not stop the others. Per method: the weights'
footprint, the peak memory of a training step (peak allocated on CUDA; peak RSS on CPU)
minus the idle process's own memory (stated), seconds per step (median after a warm-up),
tokens per second, trainable parameters, and the estimate of
``course_utils.memory.estimate_training_memory`` beside the measurement.

Results: ``outputs/bench/results.json`` (one entry per method) and ``results.png``.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

METHODS = {  # name -> (estimator method, gradient checkpointing)
    "full": ("full", False),
    "lora": ("lora", False),
    "lora_gc": ("lora", True),
    "qlora": ("qlora", True),
    "qlora_lean": ("qlora_lean", True),
    "prompt_tuning": ("prompt_tuning", False),
}
DEFAULT_METHODS = list(METHODS)
QUICK_SHAPE = {"hidden_size": 256, "n_layer": 4, "n_head": 4}  # keeps Bloom's 250,880-token vocabulary


def bench_config(config_path: str, quick: bool):
    """The architecture to benchmark (shrunk for --quick)."""
    from course_utils.params import load_config

    config = load_config(config_path)
    if quick:
        for key, value in QUICK_SHAPE.items():
            setattr(config, key, value)
    return config


def random_model_dir(config, cache: Path, weights_dtype: str = "float32") -> Path:
    """Random weights of the architecture saved once, so every method loads the same model.

    ``weights_dtype`` is how they are stored: bfloat16 halves the disk and the memory needed to
    write them (bloom-7b1: 14 GB instead of 28). Each method then loads them in its own dtype.
    The tensors are drawn one at a time and written in shards of about 2 GB, so writing needs
    one shard's memory, not the model's: weights ~ N(0, initializer_range), norms' weights 1,
    biases 0 (their values change no figure measured here).
    """
    import hashlib
    import json as json_

    import torch
    from safetensors.torch import save_file

    from course_utils.params import model_on_meta

    key = hashlib.sha256((config.to_json_string() + weights_dtype).encode()).hexdigest()[:10]
    folder = cache / f"random-{key}"
    if (folder / "config.json").is_file():  # written last: a folder without it is incomplete
        return folder
    print(f"writing random weights ({weights_dtype}) to {folder} (once) ...", flush=True)
    folder.mkdir(parents=True, exist_ok=True)
    dtype = getattr(torch, weights_dtype)
    meta = model_on_meta(config)
    saved = set(meta.state_dict())
    tensors = [(n, t) for n, t in [*meta.named_parameters(), *meta.named_buffers()] if n in saved]  # tied: once
    shards, size = [[]], 0
    for name, tensor in tensors:
        nbytes = tensor.numel() * dtype.itemsize
        if shards[-1] and size + nbytes > 2e9:
            shards.append([])
            size = 0
        shards[-1].append((name, tensor.shape))
        size += nbytes
    std = getattr(config, "initializer_range", 0.02)
    generator = torch.Generator().manual_seed(0)
    weight_map = {}
    for i, shard in enumerate(shards, 1):
        filename = f"model-{i:05d}-of-{len(shards):05d}.safetensors"
        values = {}
        for name, shape in shard:
            if name.endswith("bias"):
                values[name] = torch.zeros(shape, dtype=dtype)
            elif len(shape) == 1:  # a norm's scale
                values[name] = torch.ones(shape, dtype=dtype)
            else:
                values[name] = (torch.randn(shape, generator=generator) * std).to(dtype)
            weight_map[name] = filename
        save_file(values, folder / filename, metadata={"format": "pt"})
        del values
    total = sum(t.numel() for _, t in tensors) * dtype.itemsize
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    (folder / "model.safetensors.index.json").write_text(json_.dumps(index, indent=2))
    config = copy.deepcopy(config)
    config.dtype = dtype
    config.save_pretrained(folder)
    return folder


def own_copies(model) -> None:
    """Give every tensor that is not 4-bit a copy of its own, off the checkpoint file.

    On a CPU, transformers maps the checkpoint's files into memory and keeps a tensor loaded in
    its stored dtype as a view of that mapping; one such tensor per file keeps the whole file
    mapped, and every page read while quantizing the other weights stays counted in the
    process's resident memory (bloom-7b1's lean recipe: 16.5 GB where its tensors take 4.8).
    Those pages are the kernel's file cache, not the model's memory, and a GPU holds copies
    anyway: so every method gets copies, and the measurement counts tensors alone.
    """
    seen = set()
    for module in model.modules():
        for tensor in [*module.parameters(recurse=False), *module.buffers(recurse=False)]:
            if id(tensor) in seen or type(tensor).__name__ == "Params4bit":
                continue
            seen.add(id(tensor))
            tensor.data = tensor.data.clone()


def worker(args: argparse.Namespace) -> dict:
    """One method, in this process: load, prepare, warm up, measure."""
    import torch
    from peft import (
        LoraConfig,
        PromptTuningConfig,
        TaskType,
        get_peft_model,
        prepare_model_for_kbit_training,
    )
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    from course_utils.memory import PeakMemory, estimate_training_memory, free_memory, model_footprint, rss_bytes
    from course_utils.models import compute_dtype, cpu_has_fast_bf16, disable_cpu_4bit_repacking, quantization_config

    torch.manual_seed(0)
    method = args.worker
    est_method, checkpointing = METHODS[method]
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if method == "qlora_lean" and device == "cpu" and not cpu_has_fast_bf16():
        # its 16-bit compute would run through PyTorch's generic bfloat16 code, tens of times slower
        return {"method": method, "status": "skipped: no fast bfloat16 on this CPU (no AVX-512); run it on a GPU"}
    idle = torch.cuda.memory_allocated() if device == "cuda" else rss_bytes()

    # the lean recipe's 16-bit dtype: the GPU's compute dtype (float16 on a T4), bfloat16 on a CPU
    half = compute_dtype() if device == "cuda" else torch.bfloat16
    if method == "qlora":
        model = AutoModelForCausalLM.from_pretrained(
            args.model_dir, quantization_config=quantization_config("4bit"), device_map=device
        )
        disable_cpu_4bit_repacking(model)
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=True)
    elif method == "qlora_lean":  # notebook 03's lean recipe: what is not 4-bit stays 16-bit, but the norms
        bnb_config = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=half
        )
        model = AutoModelForCausalLM.from_pretrained(
            args.model_dir, quantization_config=bnb_config, dtype=half, device_map=device
        )
        disable_cpu_4bit_repacking(model)
        model.requires_grad_(False)
        for module in model.modules():
            if "Norm" in type(module).__name__:
                module.float()
        model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    else:
        model = AutoModelForCausalLM.from_pretrained(args.model_dir, dtype=torch.float32).to(device)
    if device == "cpu":
        own_copies(model)
    footprint = model_footprint(model)
    if method in ("lora", "lora_gc", "qlora", "qlora_lean"):
        model = get_peft_model(model, LoraConfig(r=8, target_modules=["query_key_value"], task_type=TaskType.CAUSAL_LM))
    elif method == "prompt_tuning":
        model = get_peft_model(model, PromptTuningConfig(task_type=TaskType.CAUSAL_LM, num_virtual_tokens=20))
    if checkpointing and method not in ("qlora", "qlora_lean"):
        model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    model.config.use_cache = False
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(trainable, lr=1e-5)
    ids = torch.randint(0, model.config.vocab_size, (args.batch_size, args.seq_len), device=device)

    def step() -> float:
        start = time.perf_counter()
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optim.step()
        optim.zero_grad(set_to_none=True)
        if device == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start

    step()  # warm-up: allocates the optimizer state
    free_memory()  # loading (4-bit quantization above all) leaves freed heap pages in RSS
    ready = torch.cuda.memory_allocated() if device == "cuda" else rss_bytes()
    with PeakMemory(device=device) as mem:
        times = [step() for _ in range(args.steps)]
    estimate = estimate_training_memory(
        args.config_path if not args.quick else bench_config(args.config_path, True),
        est_method,
        batch_size=args.batch_size,
        seq_len=args.seq_len,
        gradient_checkpointing=checkpointing,
        compute_dtype=half if method == "qlora_lean" else None,
    )
    seconds = statistics.median(times)
    return {
        "method": method,
        "status": "ok",
        "device": device,
        "memory_method": mem.method,
        "idle_baseline_bytes": idle,
        "measured_peak_bytes": mem.peak_bytes - idle,
        "estimated_peak_bytes": estimate.total_bytes,
        "estimate": estimate.as_dict(),
        "footprint_bytes": footprint,
        "ready_bytes": ready - idle,
        "seconds_per_step": seconds,
        "tokens_per_second": args.batch_size * args.seq_len / seconds,
        "trainable_params": sum(p.numel() for p in trainable),
    }


def run_method(method: str, args: argparse.Namespace, model_dir: Path) -> dict:
    """Run one method in a child process; an out-of-memory kill is reported, not raised."""
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        method,
        "--model-dir",
        str(model_dir),
        "--config",
        args.config,
        "--seq-len",
        str(args.seq_len),
        "--batch-size",
        str(args.batch_size),
        "--steps",
        str(args.steps),
    ]
    if args.quick:
        cmd.append("--quick")
    # glibc keeps freed buffers under its (growing) mmap threshold in its heap, still resident: the
    # activations freed in the backward pass then count again under the gradients and the
    # optimizer's temporaries. A fixed threshold of 128 KiB gives every tensor larger than that
    # pages of its own, returned when it is freed, so the resident memory follows the live tensors,
    # as CUDA's allocated memory does (full fine-tuning at sequence 512: 10,539 MiB with it,
    # 11,795 without; steps about 20% slower). It does nothing on a GPU.
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "MALLOC_MMAP_THRESHOLD_": os.environ.get("MALLOC_MMAP_THRESHOLD_", "131072"),
    }
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode == 0 and lines:
        return json.loads(lines[-1])
    oom = proc.returncode in (-9, 137) or "out of memory" in proc.stderr.lower() or "MemoryError" in proc.stderr
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"method": method, "status": "out of memory" if oom else f"failed: {tail[:160]}"}


COLUMNS = {  # heading -> width in the printed table (the first column is left-aligned)
    "method": 14,
    "trainable": 13,
    "footprint": 11,
    "measured": 11,
    "estimate": 11,
    "est/meas": 9,
    "s/step": 9,
    "tok/s": 9,
    "memory vs full": 15,
}


def table_rows(results: list[dict]) -> list[list[str]]:
    """Each method's cells (MiB, ratios against full fine-tuning), or its name and status if it did not run."""
    full = next((r for r in results if r["method"] == "full" and r["status"] == "ok"), None)
    mib = 2**20
    rows = []
    for r in results:
        if r["status"] != "ok":
            rows.append([r["method"], r["status"]])
            continue
        rows.append(
            [
                r["method"],
                f"{r['trainable_params']:,}",
                f"{r['footprint_bytes'] / mib:,.0f}",
                f"{r['measured_peak_bytes'] / mib:,.0f}",
                f"{r['estimated_peak_bytes'] / mib:,.0f}",
                f"{r['estimated_peak_bytes'] / r['measured_peak_bytes']:.2f}",
                f"{r['seconds_per_step']:.2f}",
                f"{r['tokens_per_second']:.0f}",
                f"{r['measured_peak_bytes'] / full['measured_peak_bytes']:.2f}x" if full else "n/a",
            ]
        )
    return rows


def format_table(results: list[dict]) -> str:
    """A readable table with ratios against full fine-tuning."""
    widths = list(COLUMNS.values())
    head = f"{'method':<{widths[0]}}" + "".join(f"{name:>{w}}" for name, w in list(COLUMNS.items())[1:])
    lines = [head + "   (MiB)", "-" * len(head)]
    for row in table_rows(results):
        if len(row) == 2:  # did not run: the status says why
            lines.append(f"{row[0]:<{widths[0]}}{row[1]}")
        else:
            cells = "".join(f"{cell:>{w}}" for cell, w in zip(row[1:], widths[1:], strict=True))
            lines.append(f"{row[0]:<{widths[0]}}{cells}")
    ok = [r for r in results if r["status"] == "ok"]
    if ok:
        lines.append(
            f"\nmeasured = {ok[0]['memory_method']} during {ok[0]['device']} training steps minus the idle "
            f"process ({ok[0]['idle_baseline_bytes'] / 2**20:,.0f} MiB, subtracted)"
        )
    return "\n".join(lines)


def format_markdown(results: list[dict]) -> str:
    """The same table in Markdown, as benchmarks/README.md records it (MiB)."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|---|" + "---:|" * (len(COLUMNS) - 1)]
    for row in table_rows(results):
        cells = row + [""] * (len(COLUMNS) - len(row))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(results: list[dict], path: Path) -> None:
    """Bar chart: measured and estimated peak per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [r for r in results if r["status"] == "ok"]
    x = range(len(ok))
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.bar([i - 0.2 for i in x], [r["measured_peak_bytes"] / 2**30 for r in ok], 0.4, label="measured")
    ax.bar([i + 0.2 for i in x], [r["estimated_peak_bytes"] / 2**30 for r in ok], 0.4, label="estimated")
    ax.set_xticks(list(x), [r["method"] for r in ok])
    ax.set_ylabel("peak memory of a step (GiB)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> int:
    from course_utils.paths import real_config_path, repo_root

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(real_config_path("bigscience/bloomz-560m")))
    parser.add_argument("--quick", action="store_true", help="a ~70 M parameter Bloom instead")
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--steps", type=int, default=3, help="measured steps after one warm-up")
    parser.add_argument("--methods", default=",".join(DEFAULT_METHODS), help=f"any of {', '.join(METHODS)}")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--weights-dtype",
        default="float32",
        choices=["float32", "bfloat16"],
        help="how the random weights are stored (bfloat16 for a model too big for memory in float32)",
    )
    parser.add_argument("--cache", type=Path, default=None, help="where the random weights are kept (default: --out)")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.config_path = args.config
    if args.worker:
        print(json.dumps(worker(args)), flush=True)
        return 0

    out = (args.out or repo_root() / "outputs" / "bench").resolve()
    out.mkdir(parents=True, exist_ok=True)
    config = bench_config(args.config, args.quick)
    model_dir = random_model_dir(config, (args.cache or out).resolve(), args.weights_dtype)
    print(
        f"{config.model_type}, hidden {config.hidden_size}, {config.n_layer} layers, vocab {config.vocab_size}; "
        f"batch {args.batch_size} x {args.seq_len} tokens",
        flush=True,
    )
    results = []
    for method in args.methods.split(","):
        start = time.perf_counter()
        print(f"  {method} ...", end=" ", flush=True)
        results.append(run_method(method, args, model_dir))
        print(f"{results[-1]['status']} ({time.perf_counter() - start:.0f} s)", flush=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    (out / "results.md").write_text(format_markdown(results) + "\n")
    plot(results, out / "results.png")
    print()
    print(format_table(results))
    print(f"\nresults: {out / 'results.json'} (and results.md, the table in Markdown)")
    return 0 if all(r["status"] == "ok" or r["status"].startswith("skipped") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
