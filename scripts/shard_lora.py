"""Replicated or sharded: what each process holds, measured, for LoRA on the same model and data.

Launch it on N processes (``torchrun --nproc_per_node 2 scripts/shard_lora.py --output-dir D``).
It trains the same LoRA adapter twice, a few steps each, with the same batches:

- ``replicated``: PyTorch's DistributedDataParallel. Every process holds the whole model and
  the whole optimizer state; the gradients are averaged across processes after each backward.
- ``sharded``: PyTorch's FSDP2 (``torch.distributed.fsdp.fully_shard``, what accelerate and the
  Trainer use with ``fsdp_version: 2``): each transformer block, then the whole model, is
  split across the processes. A process keeps 1/N of every parameter, of every gradient and
  of the optimizer state, and gathers a block's full weights only while that block computes.

Each process writes ``<output-dir>/<mode>-process-<rank>.json`` with its rank, the world size,
the losses and the bytes it holds. On GPUs the Trainer does the sharded variant for you (the
FSDP launch configs in configs/accelerate/); accelerate engages FSDP only on accelerators,
which is why this script calls PyTorch directly: it runs on CPUs over gloo as well.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="Hub id or folder (default: the embedded tiny Bloom)")
    parser.add_argument("--dataset", default="act_as", help="a course dataset (data/) with act/prompt columns")
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=4, help="examples per process per step")
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--lora-r", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=96)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--use-cpu", action="store_true", help="CPU processes over gloo even where GPUs are present")
    return parser.parse_args(argv)


def local_bytes(tensor) -> int:
    """Bytes this process stores for ``tensor``: its own shard when the tensor is sharded (a DTensor)."""
    tensor = tensor.to_local() if hasattr(tensor, "to_local") else tensor
    return tensor.numel() * tensor.element_size()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    import torch.distributed as dist
    import transformers
    from peft import LoraConfig, TaskType, get_peft_model
    from torch.distributed.fsdp import fully_shard
    from torch.nn.parallel import DistributedDataParallel
    from transformers import AutoModelForCausalLM, AutoTokenizer, DataCollatorForSeq2Seq

    from course_utils.data import load_course_dataset
    from course_utils.tiny import tiny_model_path

    transformers.logging.set_verbosity_error()
    backend = "nccl" if torch.cuda.is_available() and not args.use_cpu else "gloo"
    dist.init_process_group(backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if backend == "nccl" else "cpu")
    model_name = args.model or str(tiny_model_path("bloom"))
    tokenizer = AutoTokenizer.from_pretrained(model_name)
    collate = DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=-100)
    rows = load_course_dataset(args.dataset)["train"]

    def batch(step: int) -> dict:  # global batch `step`, this process's share of it
        start = (step * world + rank) * args.batch_size
        features = []
        for row in rows.select(range(start, start + args.batch_size)):
            prompt_ids = tokenizer(f"Topic: {row['act']}\nText:")["input_ids"]
            text_ids = tokenizer(" " + row["prompt"] + tokenizer.eos_token)["input_ids"]
            ids = (prompt_ids + text_ids)[: args.max_length]
            labels = ([-100] * len(prompt_ids) + text_ids)[: args.max_length]
            features.append({"input_ids": ids, "attention_mask": [1] * len(ids), "labels": labels})
        return {k: v.to(device) for k, v in collate(features).items()}

    for mode in ("replicated", "sharded"):
        transformers.set_seed(args.seed)  # the same LoRA initialisation in both modes, on every process
        model = AutoModelForCausalLM.from_pretrained(model_name, dtype=torch.float32).to(device)
        lora = LoraConfig(
            r=args.lora_r,
            lora_alpha=2 * args.lora_r,
            lora_dropout=0.0,
            target_modules=["query_key_value"],
            task_type=TaskType.CAUSAL_LM,
        )
        model = get_peft_model(model, lora)
        if mode == "replicated":
            wrapped = DistributedDataParallel(model)
        else:
            for block in model.base_model.model.transformer.h:  # each block its own shard unit
                fully_shard(block)
            wrapped = fully_shard(model)
        trainable = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(trainable, lr=args.learning_rate)
        losses = []
        for step in range(args.steps):
            loss = wrapped(**batch(step)).loss
            loss.backward()
            gradient_bytes = sum(local_bytes(p.grad) for p in trainable if p.grad is not None)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            mean_loss = loss.detach().clone()
            dist.all_reduce(mean_loss)  # the mean of the processes' losses (each a mean over its own tokens)
            losses.append(mean_loss.item() / world)
        report = {
            "mode": mode,
            "rank": rank,
            "world_size": world,
            "backend": backend,
            "losses": losses,
            "parameter_bytes": sum(local_bytes(p) for p in model.parameters()),
            "trainable_parameter_bytes": sum(local_bytes(p) for p in trainable),
            "gradient_bytes": gradient_bytes,
            "optimizer_state_bytes": sum(
                local_bytes(v) for state in optimizer.state.values() for v in state.values() if v.dim() > 0
            ),
        }
        (args.output_dir / f"{mode}-process-{rank}.json").write_text(json.dumps(report))
        del wrapped, model, optimizer
    dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
