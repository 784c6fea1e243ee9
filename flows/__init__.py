"""Prefect flows: orchestration only; stage logic lives in tasks/."""
