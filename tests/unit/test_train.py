"""Generation helpers: padding restored, only new text returned, batching changes nothing."""

import pytest

from course_utils.models import load_model_and_tokenizer
from course_utils.tiny import tiny_model_path
from course_utils.train import generate, logits_of


def test_generate_returns_only_the_continuation_for_both_architectures():
    bloom, tok = load_model_and_tokenizer(tiny_model_path("bloom"))
    prompts = ["I want you to act as a", "The capital of France"]
    out = generate(bloom, tok, prompts, max_new_tokens=8)
    assert len(out) == 2 and not any(o.startswith(p) for o, p in zip(out, prompts, strict=True))
    single = generate(bloom, tok, prompts[:1], max_new_tokens=8)
    assert single[0] == out[0]  # left padding in a batch changes nothing
    assert generate(bloom, tok, prompts, max_new_tokens=8, batch_size=1) == out  # so neither does batching
    t5, t5_tok = load_model_and_tokenizer(tiny_model_path("t5"), task="seq2seq")
    assert all(isinstance(o, str) for o in generate(t5, t5_tok, prompts, max_new_tokens=8))
    logits = logits_of(bloom, tok, prompts)
    assert logits.shape[0] == 2 and logits.shape[-1] == bloom.config.vocab_size


def test_padding_side_is_restored_even_after_an_error():
    from course_utils.train import padding_side

    _, tok = load_model_and_tokenizer(tiny_model_path("bloom"))
    before = tok.padding_side
    with pytest.raises(RuntimeError), padding_side(tok, "right" if before == "left" else "left"):
        assert tok.padding_side != before
        raise RuntimeError("boom")
    assert tok.padding_side == before


def _two_step_run(output_dir, **changed):
    """Train a tiny LoRA for two steps, a checkpoint after each; return the arguments it used."""
    from datasets import Dataset
    from peft import LoraConfig, get_peft_model
    from transformers import Trainer, TrainingArguments

    model, tok = load_model_and_tokenizer(tiny_model_path("bloom"))
    model = get_peft_model(model, LoraConfig(r=2, target_modules=["query_key_value"], task_type="CAUSAL_LM"))
    ids = tok("a short line to learn")["input_ids"]
    data = Dataset.from_list([{"input_ids": ids, "attention_mask": [1] * len(ids), "labels": ids}] * 4)
    settings = dict(
        output_dir=str(output_dir),
        max_steps=2,
        save_steps=1,
        learning_rate=1e-3,
        report_to="none",
        use_cpu=True,
        disable_tqdm=True,
        per_device_train_batch_size=2,
    )
    args = TrainingArguments(**settings)
    Trainer(model=model, args=args, train_dataset=data).train()
    return settings


def test_resume_point_finds_the_newest_checkpoint_and_refuses_one_of_other_settings(tmp_path, capsys):
    from transformers import TrainingArguments

    from course_utils.checks import CourseInputError
    from course_utils.train import resume_point

    assert resume_point(TrainingArguments(output_dir=str(tmp_path / "none"), report_to="none")) is None
    settings = _two_step_run(tmp_path / "run")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["checkpoint-1", "checkpoint-2"]
    capsys.readouterr()
    assert resume_point(TrainingArguments(**settings)) == str(tmp_path / "run" / "checkpoint-2")
    assert capsys.readouterr().out == f"resuming from {tmp_path / 'run' / 'checkpoint-2'} (step 2 of 2)\n"
    # how often it logs, evaluates or saves does not change what the run learns: it resumes
    assert resume_point(TrainingArguments(**{**settings, "logging_steps": 7, "save_steps": 2})).endswith("checkpoint-2")
    # a changed learning rate would be silently replaced by the old run's weights: one line, the fix in it
    with pytest.raises(CourseInputError) as raised:
        resume_point(TrainingArguments(**{**settings, "learning_rate": 3e-3}))
    message = str(raised.value)
    assert "\n" not in message and "learning_rate 0.001 -> 0.003" in message and "delete that folder" in message


def test_note_replaced_speaks_only_when_a_save_would_replace_weights(tmp_path, capsys):
    from course_utils.train import note_replaced

    note_replaced(tmp_path / "adapter")  # nothing there yet: silent
    (tmp_path / "adapter").mkdir()
    (tmp_path / "adapter" / "adapter_config.json").write_text("{}")
    note_replaced(tmp_path / "adapter")  # a config alone holds no weights: silent
    assert capsys.readouterr().out == ""
    (tmp_path / "adapter" / "quotes").mkdir()
    (tmp_path / "adapter" / "quotes" / "adapter_model.safetensors").write_bytes(b"x")  # a second adapter's folder
    note_replaced(tmp_path / "adapter")
    (tmp_path / "head.pt").write_bytes(b"x")
    note_replaced(tmp_path / "head.pt")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(line.startswith("replacing what an earlier run saved in ") for line in lines)
    assert str(tmp_path / "adapter") in lines[0] and str(tmp_path / "head.pt") in lines[1]
