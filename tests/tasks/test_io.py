"""Atomic writes: a target is replaced whole, or left as it was."""
import pytest

from tasks.core.io import atomic_path, atomic_paths


def test_a_folder_is_replaced_whole_and_a_failed_block_changes_nothing(tmp_path):
    target = tmp_path / "set"
    target.mkdir()
    (target / "a.txt").write_text("old")
    with pytest.raises(ZeroDivisionError):
        with atomic_path(target) as tmp:
            tmp.mkdir()
            (tmp / "a.txt").write_text("new")
            1 / 0
    assert (target / "a.txt").read_text() == "old"
    with atomic_path(target) as tmp:
        tmp.mkdir()
        (tmp / "b.txt").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set"]  # no temporary folder left behind


def test_several_targets_are_replaced_together(tmp_path):
    one, two = tmp_path / "one.txt", tmp_path / "two"
    one.write_text("old")
    with atomic_paths(one, two) as (a, b):
        a.write_text("new")
        b.mkdir()
    assert one.read_text() == "new" and two.is_dir()


def test_a_block_that_writes_nothing_keeps_the_old_target(tmp_path):
    target = tmp_path / "set"
    target.mkdir()
    (target / "a.txt").write_text("old")
    with pytest.raises(RuntimeError, match="nothing was written"):
        with atomic_path(target):
            pass
    assert (target / "a.txt").read_text() == "old"
