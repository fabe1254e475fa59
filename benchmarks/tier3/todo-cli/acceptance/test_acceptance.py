import subprocess
import sys

import pytest
from todo.store import TodoStore


def cli(path, *args):
    return subprocess.run([sys.executable, "-m", "todo", "--file", str(path), *args], capture_output=True, text=True)


def test_store(tmp_path):
    store = TodoStore(tmp_path / "t.json")
    assert store.add("a") == 1 and store.add("b") == 2
    store.done(1)
    again = TodoStore(tmp_path / "t.json")
    assert [(i["id"], i["text"], i["done"]) for i in again.items()] == [(1, "a", True), (2, "b", False)]
    with pytest.raises(KeyError):
        again.done(9)


def test_cli(tmp_path):
    path = tmp_path / "t.json"
    assert cli(path, "add", "milk").returncode == 0
    assert cli(path, "add", "eggs").returncode == 0
    assert cli(path, "done", "1").returncode == 0
    assert cli(path, "list").stdout.splitlines() == ["[x] 1 milk", "[ ] 2 eggs"]
    assert cli(path, "list", "--pending").stdout.splitlines() == ["[ ] 2 eggs"]
    bad = cli(path, "done", "7")
    assert bad.returncode == 1 and bad.stderr.strip()
