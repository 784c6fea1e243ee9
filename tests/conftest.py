"""Shared fixtures: a disposable copy of the project in a temp git repo, tiny params, offline guard."""
from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tasks.testing.projects import TINY_PARAMS, copy_project, edit_params


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any connection from the test process to a non-loopback address fails the test."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1")) \
                and self.family in (socket.AF_INET, socket.AF_INET6):
            raise AssertionError(f"test tried to reach the network: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def tiny_project(tmp_path) -> Path:
    """A copy of the project with tiny params, committed in its own git repo."""
    project = copy_project(tmp_path / "project")
    edit_params(project, TINY_PARAMS)
    return project
