"""The PyTorch + peft side of `bench.train`: the same tiny Llama (same config, same weights from
models/base), the same LoRA (rank, scale, every linear layer), the same batches.

Needs the bench extras (`make bench` installs them): torch==2.13.0 (the CPU build) and peft.
"""
from __future__ import annotations

import json
from pathlib import Path


def load_model(model_dir: Path, rank: int, scale: float):
    """transformers' LlamaForCausalLM with models/base's weights, wrapped in a peft LoRA whose
    update is scale * x A B, as mlx-lm's (peft scales by lora_alpha / r)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from safetensors.torch import load_file
    from transformers import LlamaConfig, LlamaForCausalLM

    config = json.loads((model_dir / "config.json").read_text())
    hf_config = LlamaConfig(**{k: v for k, v in config.items() if k != "model_type"}, attn_implementation="sdpa")
    model = LlamaForCausalLM(hf_config)
    missing, unexpected = model.load_state_dict(load_file(str(model_dir / "model.safetensors")), strict=False)
    if unexpected or set(missing) - {"lm_head.weight"}:  # lm_head is tied to the embeddings
        raise SystemExit(f"weights do not fit transformers' Llama: missing {missing}, unexpected {unexpected}")
    model.tie_weights()
    lora = LoraConfig(r=rank, lora_alpha=scale * rank, lora_dropout=0.0, bias="none",
                      target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    model = get_peft_model(model, lora)
    torch.manual_seed(0)
    return model


def loss_fn(model, batch, lengths):
    """mlx-lm's default_loss in torch: cross-entropy over the unmasked span [offset, length) of each row."""
    import torch
    import torch.nn.functional as F

    inputs, targets = batch[:, :-1], batch[:, 1:]
    logits = model(input_ids=inputs).logits
    steps = torch.arange(1, targets.shape[1] + 1)
    mask = (steps >= lengths[:, 0:1]) & (steps <= lengths[:, 1:])
    ce = F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten(), reduction="none").view_as(targets)
    ntoks = mask.sum()
    return (ce * mask).sum() / ntoks, ntoks
