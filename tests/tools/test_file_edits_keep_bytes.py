"""Editing a file changes only the edited text: other bytes, line endings and the final newline stay."""

import os

LATIN1_TAIL = "é à ü".encode("latin-1")  # not UTF-8


def _mixed_file() -> bytes:
    """Valid UTF-8 for the first 8 KiB (what binary sniffing reads), then latin-1 bytes."""
    head = b"".join(b"line %05d\n" % n for n in range(1000))  # 11 000 bytes
    return head + b"target = 1\n" + b"# " + LATIN1_TAIL + b"\n" + b"\xff\xfe stray\n"


async def test_edit_keeps_non_utf8_bytes_after_the_first_8k(tools, workspace):
    path = workspace / "legacy.py"
    path.write_bytes(_mixed_file())
    await tools.ok("read_file", file_path="legacy.py")
    await tools.ok("edit", file_path="legacy.py", old_string="target = 1", new_string="target = 2")
    assert path.read_bytes() == _mixed_file().replace(b"target = 1", b"target = 2")


async def test_multiedit_and_apply_patch_keep_non_utf8_bytes(tools, workspace):
    path = workspace / "legacy.py"
    path.write_bytes(_mixed_file())
    await tools.ok("read_file", file_path="legacy.py")
    await tools.ok("multiedit", edits=[{"file_path": "legacy.py", "old_string": "target = 1", "new_string": "t = 2"}])
    patch = "*** Begin Patch\n*** Update File: legacy.py\n-t = 2\n+t = 3\n*** End Patch"
    await tools.ok("apply_patch", patch=patch)
    assert path.read_bytes() == _mixed_file().replace(b"target = 1", b"t = 3")


async def test_an_edit_spanning_undecodable_bytes_fails_with_readable_text(tools, workspace):
    path = workspace / "legacy.py"
    path.write_bytes(_mixed_file())
    shown = await tools.ok("read_file", file_path="legacy.py", offset=1002, limit=1)
    assert "\N{REPLACEMENT CHARACTER}" in shown
    out = await tools.error("edit", file_path="legacy.py", old_string=shown.split("\t", 1)[1], new_string="# x")
    assert "was not found" in out and "bytes that are not UTF-8" in out
    assert path.read_bytes() == _mixed_file()


async def test_edit_keeps_crlf_line_endings_and_a_missing_final_newline(tools, workspace):
    path = workspace / "win.txt"
    path.write_bytes(b"first\r\nsecond\r\nthird")
    await tools.ok("read_file", file_path="win.txt")
    await tools.ok("edit", file_path="win.txt", old_string="second\nthird", new_string="2nd\nthird\nfourth")
    assert path.read_bytes() == b"first\r\n2nd\r\nthird\r\nfourth"


async def test_multiedit_and_apply_patch_keep_crlf(tools, workspace):
    path = workspace / "win.txt"
    path.write_bytes(b"a\r\nb\r\nc\r\n")
    await tools.ok("read_file", file_path="win.txt")
    await tools.ok("multiedit", edits=[{"file_path": "win.txt", "old_string": "b\n", "new_string": "b\nb2\n"}])
    assert path.read_bytes() == b"a\r\nb\r\nb2\r\nc\r\n"
    patch = "--- a/win.txt\n+++ b/win.txt\n@@ -3,2 +3,2 @@\n b2\n-c\n+C\n"
    await tools.ok("apply_patch", patch=patch)
    assert path.read_bytes() == b"a\r\nb\r\nb2\r\nC\r\n"


async def test_write_file_over_a_crlf_file_keeps_crlf_and_a_new_file_is_written_as_sent(tools, workspace):
    path = workspace / "win.txt"
    path.write_bytes(b"old\r\n")
    await tools.ok("read_file", file_path="win.txt")
    await tools.ok("write_file", file_path="win.txt", content="new\nlines\n")
    assert path.read_bytes() == b"new\r\nlines\r\n"
    await tools.ok("write_file", file_path="unix.txt", content="a\nb\n")
    assert (workspace / "unix.txt").read_bytes() == b"a\nb\n"


async def test_a_file_with_mixed_line_endings_keeps_the_ones_not_edited(tools, workspace):
    path = workspace / "mixed.txt"
    path.write_bytes(b"a\r\nb\nc\r\n")
    await tools.ok("read_file", file_path="mixed.txt")
    await tools.ok("edit", file_path="mixed.txt", old_string="b", new_string="B")
    assert path.read_bytes() == b"a\r\nB\nc\r\n"


async def test_same_size_rewrite_with_the_old_mtime_is_seen_as_a_change(tools, workspace):
    path = workspace / "m.py"
    path.write_text("x = 1\n")
    await tools.ok("read_file", file_path="m.py")
    before = path.stat()
    path.write_text("y = 1\n")  # same size; then the old time put back (cp -p, rsync -t, git checkout)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    out = await tools.error("edit", file_path="m.py", old_string="y = 1", new_string="y = 2")
    assert "changed on disk since it was last read" in out
    assert path.read_text() == "y = 1\n"


async def test_a_touched_file_with_the_same_content_is_still_fresh(tools, workspace):
    path = workspace / "m.py"
    path.write_text("x = 1\n")
    await tools.ok("read_file", file_path="m.py")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    await tools.ok("edit", file_path="m.py", old_string="x = 1", new_string="x = 2")
    assert path.read_text() == "x = 2\n"


async def test_an_edit_after_the_agents_own_write_needs_no_new_read(tools, workspace):
    path = workspace / "m.py"
    path.write_text("x = 1\n")
    await tools.ok("read_file", file_path="m.py")
    await tools.ok("edit", file_path="m.py", old_string="x = 1", new_string="x = 2")
    await tools.ok("edit", file_path="m.py", old_string="x = 2", new_string="x = 3")
    assert path.read_text() == "x = 3\n"
