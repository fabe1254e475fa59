"""read_file, write_file, edit, multiedit: their results and every failure path."""

import os

from .conftest import Harness

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


async def test_read_file_numbers_and_pages(tools, workspace):
    (workspace / "a.txt").write_text("".join(f"line {i}\n" for i in range(1, 11)))
    out = await tools.ok("read_file", file_path="a.txt", offset=3, limit=2)
    assert out.splitlines()[:2] == ["     3\tline 3", "     4\tline 4"]
    assert "use offset=5 to read on" in out


async def test_read_file_truncates_long_lines(tools, workspace):
    (workspace / "wide.txt").write_text("x" * 5000 + "\n")
    assert "line truncated, 3000 more characters" in await tools.ok("read_file", file_path="wide.txt")


async def test_read_file_refuses_binary_and_images(tools, workspace):
    (workspace / "blob.bin").write_bytes(b"\x00\x01\x02" * 100)
    (workspace / "pic.png").write_bytes(PNG)
    assert "binary file" in await tools.error("read_file", file_path="blob.bin")
    assert "image tool" in await tools.error("read_file", file_path="pic.png")


async def test_read_file_missing_suggests_names(tools, workspace):
    (workspace / "config.yaml").write_text("a: 1\n")
    out = await tools.error("read_file", file_path="config.yml")
    assert "does not exist" in out and "config.yaml" in out
    assert "is a directory" in await tools.error("read_file", file_path=".")


async def test_paths_outside_the_workspace_are_refused_unless_a_rule_allows(workspace, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("secret\n")
    harness = Harness(workspace)
    assert "permission denied" in await harness.error("read_file", file_path=str(outside))
    assert "permission denied" in await harness.error("read_file", file_path="../outside.txt")
    allowed = Harness(workspace, rules={"external_directory": {f"{tmp_path}/*": "allow"}})
    assert "secret" in await allowed.ok("read_file", file_path=str(outside))


async def test_write_file_creates_and_requires_read_before_overwrite(tools, workspace):
    assert "created" in await tools.ok("write_file", file_path="pkg/new.py", content="x = 1\n")
    assert (workspace / "pkg/new.py").read_text() == "x = 1\n"
    (workspace / "old.py").write_text("old\n")
    assert "has not been read" in await tools.error("write_file", file_path="old.py", content="new\n")
    await tools.ok("read_file", file_path="old.py")
    assert "overwrote" in await tools.ok("write_file", file_path="old.py", content="new\n")


async def test_edit_exact_unique(tools, workspace):
    (workspace / "m.py").write_text("a = 1\nb = 2\n")
    await tools.ok("read_file", file_path="m.py")
    assert "1 replacement" in await tools.ok("edit", file_path="m.py", old_string="b = 2", new_string="b = 3")
    assert (workspace / "m.py").read_text() == "a = 1\nb = 3\n"


async def test_edit_ambiguous_then_replace_all(tools, workspace):
    (workspace / "m.py").write_text("x = 0\nx = 0\n")
    await tools.ok("read_file", file_path="m.py")
    out = await tools.error("edit", file_path="m.py", old_string="x = 0", new_string="x = 1")
    assert "occurs 2 times" in out and "lines 1, 2" in out
    await tools.ok("edit", file_path="m.py", old_string="x = 0", new_string="x = 1", replace_all=True)
    assert (workspace / "m.py").read_text() == "x = 1\nx = 1\n"


async def test_edit_whitespace_tolerant_match(tools, workspace):
    (workspace / "f.py").write_text("def f():\n    if x:\n        return 1\n")
    await tools.ok("read_file", file_path="f.py")
    out = await tools.ok(
        "edit", file_path="f.py", old_string="if x:\n  return 1", new_string="    if y:\n        return 2"
    )
    assert "whitespace-tolerant" in out
    assert (workspace / "f.py").read_text() == "def f():\n    if y:\n        return 2\n"


async def test_edit_not_found_returns_closest_candidate(tools, workspace):
    (workspace / "g.py").write_text("def greet(name):\n    return 'hello ' + name\n")
    await tools.ok("read_file", file_path="g.py")
    out = await tools.error("edit", file_path="g.py", old_string="return 'helo ' + nam", new_string="x")
    assert "not found" in out and "closest text" in out and "return 'hello ' + name" in out


async def test_edit_refuses_stale_and_unread_files(tools, workspace):
    path = workspace / "s.py"
    path.write_text("v = 1\n")
    assert "has not been read" in await tools.error("edit", file_path="s.py", old_string="v = 1", new_string="v = 2")
    await tools.ok("read_file", file_path="s.py")
    path.write_text("v = 1  # changed by someone else\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000))
    assert "changed on disk" in await tools.error("edit", file_path="s.py", old_string="v = 1", new_string="v = 2")


async def test_edit_rejects_identical_and_empty(tools, workspace):
    (workspace / "i.py").write_text("a\n")
    await tools.ok("read_file", file_path="i.py")
    assert "identical" in await tools.error("edit", file_path="i.py", old_string="a", new_string="a")
    assert "empty" in await tools.error("edit", file_path="i.py", old_string="", new_string="b")


async def test_multiedit_is_atomic_across_files(tools, workspace):
    (workspace / "one.py").write_text("one = 1\n")
    (workspace / "two.py").write_text("two = 2\n")
    await tools.ok("read_file", file_path="one.py")
    await tools.ok("read_file", file_path="two.py")
    out = await tools.error(
        "multiedit",
        edits=[
            {"file_path": "one.py", "old_string": "one = 1", "new_string": "one = 10"},
            {"file_path": "two.py", "old_string": "missing", "new_string": "x"},
        ],
    )
    assert "edit 2 of 2 failed, nothing was written" in out
    assert (workspace / "one.py").read_text() == "one = 1\n"
    await tools.ok(
        "multiedit",
        edits=[
            {"file_path": "one.py", "old_string": "one = 1", "new_string": "one = 10"},
            {"file_path": "two.py", "old_string": "two = 2", "new_string": "two = 20"},
            {"file_path": "one.py", "old_string": "one = 10", "new_string": "one = 100"},
        ],
    )
    assert (workspace / "one.py").read_text() == "one = 100\n" and (workspace / "two.py").read_text() == "two = 20\n"
