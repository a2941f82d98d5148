"""The launch configs for real hardware: read by accelerate exactly as `accelerate launch` reads them."""

import pytest
from accelerate.commands.config.config_args import load_config_from_file
from accelerate.commands.launch import _validate_launch_command, launch_command_parser

from course_utils.paths import repo_root

CONFIGS = sorted((repo_root() / "configs" / "accelerate").glob("*.yaml"))
EXPECTED = {  # file: (what `accelerate launch` turns on, ZeRO stage)
    "ddp_multi_gpu.yaml": ("multi_gpu", None),
    "fsdp_qlora.yaml": ("use_fsdp", None),
    "deepspeed_zero2.yaml": ("use_deepspeed", 2),
    "deepspeed_zero3.yaml": ("use_deepspeed", 3),
}


def test_every_expected_config_is_kept():
    assert sorted(p.name for p in CONFIGS) == sorted(EXPECTED)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_accelerate_parses_the_config_and_knows_every_option_in_it(path):
    config = load_config_from_file(str(path))  # raises on an unknown top-level key
    parser = launch_command_parser()
    args = parser.parse_args(["--config_file", str(path), "scripts/train_lora.py", "--output-dir", "x"])
    args, _, _ = _validate_launch_command(args)
    switch, stage = EXPECTED[path.name]
    assert getattr(args, switch) is True and args.num_processes == config.num_processes == 2
    assert args.zero_stage == stage
    known = {action.dest for action in parser._actions}  # accelerate keeps unknown nested keys silently
    nested = {**(config.fsdp_config or {}), **(config.deepspeed_config or {})}
    assert not [key for key in nested if key not in known], "a misspelt option would be ignored"
