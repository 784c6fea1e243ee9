"""The LoRA GGUF's layout, read back with the gguf package (llama.cpp itself loads it in
tests/test_use.py): names, shapes, alpha, and the rotary permutation of the query and key rows."""
import json

import numpy as np
import pytest

from tasks.core.io import InputError
from tasks.formats import gguf_export
from tasks.tuner.smollm2 import unpermute

CONFIG = {"model_type": "llama", "num_attention_heads": 4, "num_key_value_heads": 2}


def write_adapter(folder, weights: dict) -> None:
    import mlx.core as mx

    mx.save_safetensors(str(folder / "adapters.safetensors"), {k: mx.array(v) for k, v in weights.items()})
    (folder / "adapter_config.json").write_text(json.dumps({"fine_tune_type": "lora", "num_layers": 1,
                                                            "lora_parameters": {"rank": 2, "scale": 20.0, "dropout": 0.0}}))


def test_tensors_are_named_shaped_and_permuted_as_llama_cpp_reads_them(tmp_path):
    import gguf

    rng = np.random.default_rng(0)
    a_q, b_q = rng.normal(size=(16, 2)).astype(np.float32), rng.normal(size=(2, 16)).astype(np.float32)
    a_up, b_up = rng.normal(size=(16, 2)).astype(np.float32), rng.normal(size=(2, 40)).astype(np.float32)
    write_adapter(tmp_path, {"model.layers.3.self_attn.q_proj.lora_a": a_q, "model.layers.3.self_attn.q_proj.lora_b": b_q,
                             "model.layers.3.mlp.up_proj.lora_a": a_up, "model.layers.3.mlp.up_proj.lora_b": b_up})
    report = gguf_export.write_lora(tmp_path, CONFIG, tmp_path / "adapter.gguf")
    assert report == {"path": str(tmp_path / "adapter.gguf"), "matrices": 2, "alpha": 40.0, "rank": 2}
    reader = gguf.GGUFReader(tmp_path / "adapter.gguf")
    text = lambda key: bytes(reader.fields[key].parts[-1]).decode()  # noqa: E731
    assert (text("general.architecture"), text("general.type"), text("adapter.type")) == ("llama", "adapter", "lora")
    assert float(reader.fields["adapter.lora.alpha"].parts[-1][0]) == 40.0
    tensors = {t.name: np.array(t.data) for t in reader.tensors}
    assert sorted(tensors) == ["blk.3.attn_q.weight.lora_a", "blk.3.attn_q.weight.lora_b",
                               "blk.3.ffn_up.weight.lora_a", "blk.3.ffn_up.weight.lora_b"]
    assert np.array_equal(tensors["blk.3.ffn_up.weight.lora_a"], a_up.T)   # (rank, in)
    assert np.array_equal(tensors["blk.3.ffn_up.weight.lora_b"], b_up.T)   # (out, rank)
    assert np.array_equal(unpermute(tensors["blk.3.attn_q.weight.lora_b"], 4), b_q.T)  # rows in llama.cpp's order
    # the update llama.cpp adds, (alpha / rank) * B @ A, is mlx-lm's scale * (a @ b).T
    delta = 40.0 / 2 * tensors["blk.3.ffn_up.weight.lora_b"] @ tensors["blk.3.ffn_up.weight.lora_a"]
    assert np.allclose(delta, 20.0 * (a_up @ b_up).T, atol=1e-5)


def test_a_tensor_of_no_llama_layer_is_a_clear_error(tmp_path):
    write_adapter(tmp_path, {"model.embed_tokens.lora_a": np.zeros((4, 2), np.float32)})
    with pytest.raises(InputError, match="not a LoRA matrix of a Llama layer"):
        gguf_export.write_lora(tmp_path, CONFIG, tmp_path / "adapter.gguf")
    assert not (tmp_path / "adapter.gguf").exists()  # nothing half-written
