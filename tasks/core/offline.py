"""The environment that keeps every tool tunesmith starts offline and quiet (no telemetry, no Hub
downloads): one list, tasks/core/offline.env, which the Makefile exports and the tests and
benchmarks pass to what they start."""
from pathlib import Path

OFFLINE_ENV = dict(line.split("=", 1) for line in (Path(__file__).with_name("offline.env")).read_text().split()
                   if "=" in line)
