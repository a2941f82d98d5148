"""Train a LoRA adapter with the plain Hugging Face Trainer, and resume after an interruption.

Every argument is visible below; nothing comes from course_utils but the data loader and the
embedded tiny model (offline). Checkpoints go to ``<output-dir>/checkpoints`` every
``--save-steps`` steps; run the same command again after a crash or a disconnect and it
resumes from the last one (one line says so), with the optimizer, the scheduler, the random
state and the position in the data restored. The adapter is saved to ``<output-dir>/adapter``.

    python scripts/train_lora.py --output-dir outputs/train_lora            # tiny Bloom, offline
    python scripts/train_lora.py --model bigscience/bloomz-560m --output-dir /content/drive/MyDrive/run

Data parallel on several processes, on CPUs over gloo or on GPUs over NCCL (notebook 07):

    torchrun --nproc_per_node 2 scripts/train_lora.py --output-dir outputs/ddp --batch-size 4
    accelerate launch --config_file configs/accelerate/ddp_multi_gpu.yaml scripts/train_lora.py --output-dir ...

Each process writes ``<output-dir>/process-<rank>.json``: its rank and the world size, the
examples it trained on at each step, the logged losses, and the bytes of parameters and
optimizer state it holds.

``--die-after-step K`` kills the process (SIGKILL, not a polite exit) right after the
checkpoint of step K is written: the resume test uses it to interrupt a run for real.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="Hub id or folder (default: the embedded tiny Bloom)")
    parser.add_argument("--dataset", default="act_as", help="a course dataset (data/) with act/prompt columns")
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--max-steps", type=int, default=12)
    parser.add_argument("--save-steps", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=8, help="examples per process per step")
    parser.add_argument("--gradient-accumulation-steps", type=int, default=1)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--lora-r", type=int, default=8)
    parser.add_argument("--lora-dropout", type=float, default=0.05, help="0: runs comparable across process counts")
    parser.add_argument("--max-length", type=int, default=96)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--use-cpu", action="store_true", help="train on the CPU even where a GPU is present")
    parser.add_argument(
        "--precision", choices=["fp32", "fp16", "bf16"], default="fp32", help="fp16 on a T4 or V100, bf16 on newer GPUs"
    )
    parser.add_argument("--die-after-step", type=int, default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    import transformers
    from datasets import Dataset
    from peft import LoraConfig, TaskType, get_peft_model
    from transformers import (
        AutoModelForCausalLM,
        AutoTokenizer,
        DataCollatorForSeq2Seq,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )
    from transformers.trainer_utils import get_last_checkpoint

    from course_utils.data import load_course_dataset
    from course_utils.tiny import tiny_model_path

    transformers.logging.set_verbosity_error()
    transformers.set_seed(args.seed)  # before get_peft_model: LoRA's A matrices start random
    model_name = args.model or str(tiny_model_path("bloom"))
    tokenizer = AutoTokenizer.from_pretrained(model_name)

    def encode(row: dict) -> dict:  # the loss is on the text after the topic line only
        prompt_ids = tokenizer(f"Topic: {row['act']}\nText:")["input_ids"]
        text_ids = tokenizer(" " + row["prompt"] + tokenizer.eos_token)["input_ids"]
        ids = (prompt_ids + text_ids)[: args.max_length]
        labels = ([-100] * len(prompt_ids) + text_ids)[: args.max_length]
        return {"input_ids": ids, "attention_mask": [1] * len(ids), "labels": labels}

    data = load_course_dataset(args.dataset)
    train = Dataset.from_list([{**encode(r), "example": i} for i, r in enumerate(data["train"])])
    seen: list[list[int]] = []  # the examples of each batch this process trained on
    pad = DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=-100)

    def collate(features: list[dict]) -> dict:  # records which examples this process gets, then pads
        seen.append([f["example"] for f in features])
        return pad([{k: v for k, v in f.items() if k != "example"} for f in features])

    checkpoints = args.output_dir / "checkpoints"
    training_args = TrainingArguments(
        output_dir=str(checkpoints),
        max_steps=args.max_steps,
        per_device_train_batch_size=args.batch_size,
        gradient_accumulation_steps=args.gradient_accumulation_steps,
        remove_unused_columns=False,  # keep the "example" column for collate(), which drops it
        learning_rate=args.learning_rate,
        save_strategy="steps" if args.save_steps > 0 else "no",  # --save-steps 0: a run of seconds keeps none
        save_steps=max(args.save_steps, 1),
        save_total_limit=2,  # the last two checkpoints: one may be half-written when the process dies
        logging_steps=1,
        report_to="none",
        seed=args.seed,
        data_seed=args.seed,
        use_cpu=args.use_cpu or not torch.cuda.is_available(),
        fp16=args.precision == "fp16",
        bf16=args.precision == "bf16",
        disable_tqdm=True,
    )
    # The model after the arguments: under DeepSpeed ZeRO-3 they tell from_pretrained to build it in shards.
    model = AutoModelForCausalLM.from_pretrained(
        model_name, dtype=torch.float32
    )  # float32 weights; fp16/bf16 is autocast
    lora_config = LoraConfig(
        r=args.lora_r,
        lora_alpha=2 * args.lora_r,
        lora_dropout=args.lora_dropout,
        target_modules=["query_key_value"],
        task_type=TaskType.CAUSAL_LM,
    )
    model = get_peft_model(model, lora_config)

    class DieAfterStep(TrainerCallback):
        def on_save(self, _args, state, _control, **_):
            if args.die_after_step is not None and state.global_step >= args.die_after_step:
                os.kill(os.getpid(), signal.SIGKILL)

    trainer = Trainer(
        model=model,
        args=training_args,
        train_dataset=train,
        data_collator=collate,
        callbacks=[DieAfterStep()],
    )
    main_process = trainer.is_world_process_zero()
    last = get_last_checkpoint(str(checkpoints)) if checkpoints.is_dir() else None
    if last and main_process:
        print(f"resuming from {last} (step {int(last.rsplit('-', 1)[-1])} of {args.max_steps})", flush=True)
    result = trainer.train(resume_from_checkpoint=last)
    state = trainer.accelerator.state
    report = {
        "rank": state.process_index,
        "world_size": state.num_processes,
        "batch_size": args.batch_size,
        "gradient_accumulation_steps": args.gradient_accumulation_steps,
        "steps": trainer.state.global_step,
        # the data loader reads one batch ahead: keep the batches that were trained on
        "examples_seen": seen[: trainer.state.global_step * args.gradient_accumulation_steps],
        "losses": [e["loss"] for e in trainer.state.log_history if "loss" in e],
        "parameter_bytes": sum(p.numel() * p.element_size() for p in model.parameters()),
        "optimizer_state_bytes": sum(
            v.numel() * v.element_size()
            for per_param in trainer.optimizer.state.values()
            for v in per_param.values()
            if torch.is_tensor(v) and v.dim() > 0  # the moments; not the step counters
        ),
    }
    (args.output_dir / f"process-{report['rank']}.json").write_text(json.dumps(report))
    adapter_dir = args.output_dir / "adapter"
    if main_process and (adapter_dir / "adapter_model.safetensors").is_file():  # never replaced without a word
        saved_at = time.strftime(
            "%Y-%m-%d %H:%M", time.localtime((adapter_dir / "adapter_model.safetensors").stat().st_mtime)
        )
        print(f"replacing the adapter saved in {adapter_dir} at {saved_at}", flush=True)
    # Every process calls save_model: under FSDP or ZeRO-3 each holds a shard, and they gather the
    # adapter together; one process writes it.
    if trainer.is_fsdp_enabled:  # a sharded state dict would be written as shards, or not at all
        trainer.accelerator.state.fsdp_plugin.set_state_dict_type("FULL_STATE_DICT")
    trainer.save_model(str(adapter_dir))
    if main_process:
        print(
            f"trained to step {trainer.state.global_step}: loss {result.training_loss:.4f}; adapter in {adapter_dir}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
