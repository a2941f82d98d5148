"""Notebook 07 on the tiny profile: real 2-process runs, the ZeRO accounting, sharding measured."""

import json
from pathlib import Path

NAME = "07_scaling_out"


def test_the_parallel_run_really_used_two_processes_and_split_the_data(metrics):
    ddp = metrics["data_parallel"]
    out = Path(metrics["_output_dir"])
    written = [json.loads(p.read_text()) for p in sorted((out / "2_processes").glob("process-*.json"))]
    assert [(p["rank"], p["world_size"]) for p in written] == [(0, 2), (1, 2)]  # what the processes wrote
    assert json.loads((out / "one_process" / "process-0.json").read_text())["world_size"] == 1
    assert ddp["ranks"] == [0, 1] and ddp["world_sizes"] == [2, 2] and ddp["single_world_size"] == 1
    assert ddp["steps"] == 6 and ddp["disjoint_shares"] and ddp["same_examples_as_single"]
    assert ddp["example_shares"] == [0.5, 0.5]


def test_two_processes_with_batch_b_train_like_one_with_batch_2b(metrics):
    ddp = metrics["data_parallel"]
    assert ddp["loss_tolerance"] == 1e-4 and ddp["loss_max_relative_gap"] < 1e-4
    assert len(ddp["losses_single"]) == len(ddp["losses_parallel"]) == 6
    assert ddp["losses_single"][-1] < ddp["losses_single"][0]  # it trained
    assert ddp["adapter_max_gap"] < 1e-5 * max(1.0, ddp["adapter_max_abs"])
    # data parallelism saves no memory: each process holds what the single process holds
    assert ddp["parameter_bytes"]["per_process"] == [ddp["parameter_bytes"]["single"]] * 2
    assert ddp["optimizer_state_bytes"]["per_process"] == [ddp["optimizer_state_bytes"]["single"]] * 2


def test_the_zero_accounting_reproduces_the_paper_and_shrinks_with_each_stage(metrics):
    paper = {int(k): v for k, v in metrics["zero_paper_example_gb"].items()}
    assert [round(paper[s], 1) for s in range(4)] == [120.0, 31.4, 16.6, 1.9]  # Rajbhandari et al. 2020
    assert set(metrics["per_device_gb"]) == {"full, fp32", "LoRA, fp16 weights", "QLoRA, NF4 + ckpt"}
    for plan in metrics["per_device_gb"]:
        table = {int(s): {int(n): gb for n, gb in by_n.items()} for s, by_n in metrics["per_device_gb"][plan].items()}
        assert len({table[s][1] for s in range(4)}) == 1  # one device: nothing to split
        for n in (2, 4, 8):
            assert table[0][n] >= table[1][n] >= table[2][n] > table[3][n]
        assert all(table[3][a] > table[3][b] for a, b in ((1, 2), (2, 4), (4, 8)))
    full = metrics["per_device_gb"]["full, fp32"]
    assert full["0"]["8"] > 80 > full["3"]["8"]  # Bloom-7B needs sharding on 80 GB GPUs
    assert metrics["nf4_70b_weights_bytes"] / 2 < 24e9 < metrics["nf4_70b_weights_bytes"]  # FSDP-QLoRA's two GPUs


def test_sharding_halves_what_each_process_holds(metrics):
    sharding = metrics["sharding"]
    assert sharding["ranks"] == [0, 1] and sharding["world_sizes"] == [2, 2]
    for part, ratio in sharding["ratios"].items():
        assert 0.45 <= ratio <= 0.55, part
    assert sharding["loss_max_gap"] < 1e-5


def test_gradient_accumulation_and_launch_configs(metrics):
    acc = metrics["accumulation"]
    assert acc["micro_batch_bytes"] < 0.6 * acc["big_batch_bytes"]
    configs = {row["config"]: row for row in metrics["launch_configs"]}
    assert set(configs) == {"ddp_multi_gpu.yaml", "fsdp_qlora.yaml", "deepspeed_zero2.yaml", "deepspeed_zero3.yaml"}
    assert configs["fsdp_qlora.yaml"]["engine"] == "FSDP" and configs["deepspeed_zero3.yaml"]["sharding"].endswith("3")
    assert (Path(metrics["_output_dir"]) / "zero_per_device.png").is_file()
