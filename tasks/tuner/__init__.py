"""The LoRA trainer's library: base models (SmolLM2 from its wheel, the tiny self-built model), token batches, the training loop around mlx-lm, and the BLAS thread setting made at install time."""
