"""What tunesmith writes for other tools: the training chat formats and templates, the dataset exports (mlx-lm, OpenAI, Mistral, typed JSONL, Hugging Face), and GGUF files for llama.cpp."""
