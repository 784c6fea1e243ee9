"""Using the tuned model: `make chat` (use/chat.py) and `make serve-model` (use/serve.py)."""
