"""apply_patch in both formats; glob, grep, list_dir and codesearch over a real tree with .gitignore."""

import pytest

UNIFIED = """\
--- a/app.py
+++ b/app.py
@@ -1,3 +1,3 @@
 def main():
-    print("hi")
+    print("hello")
     return 0
--- /dev/null
+++ b/notes.txt
@@ -0,0 +1,2 @@
+first
+second
--- a/old.txt
+++ /dev/null
@@ -1 +0,0 @@
-bye
"""

BEGIN = """\
*** Begin Patch
*** Update File: app.py
@@ def main():
-    print("hi")
+    print("hey")
*** Add File: docs/readme.md
+# Title
*** Delete File: old.txt
*** Update File: lib.py
*** Move to: pkg/lib.py
@@
-X = 1
+X = 2
*** End Patch
"""


@pytest.fixture
async def patched_tree(tools, workspace):
    (workspace / "app.py").write_text('def main():\n    print("hi")\n    return 0\n')
    (workspace / "old.txt").write_text("bye\n")
    (workspace / "lib.py").write_text("X = 1\n")
    for name in ("app.py", "old.txt", "lib.py"):
        await tools.ok("read_file", file_path=name)
    return workspace


async def test_unified_diff(tools, patched_tree):
    out = await tools.ok("apply_patch", patch=UNIFIED)
    assert "M app.py" in out and "A notes.txt" in out and "D old.txt" in out
    assert 'print("hello")' in (patched_tree / "app.py").read_text()
    assert (patched_tree / "notes.txt").read_text() == "first\nsecond\n"
    assert not (patched_tree / "old.txt").exists()


async def test_begin_patch_format_with_move(tools, patched_tree):
    out = await tools.ok("apply_patch", patch=BEGIN)
    assert "R lib.py -> pkg/lib.py" in out
    assert (patched_tree / "app.py").read_text() == 'def main():\n    print("hey")\n    return 0\n'
    assert (patched_tree / "docs/readme.md").read_text() == "# Title\n"
    assert (patched_tree / "pkg/lib.py").read_text() == "X = 2\n" and not (patched_tree / "lib.py").exists()


async def test_patch_that_does_not_apply_writes_nothing(tools, patched_tree):
    bad = UNIFIED.replace('-    print("hi")', '-    print("nope")')
    out = await tools.error("apply_patch", patch=bad)
    assert "does not apply to app.py" in out
    assert (patched_tree / "old.txt").exists() and not (patched_tree / "notes.txt").exists()


async def test_patch_tolerates_whitespace_drift(tools, patched_tree):
    drifted = UNIFIED.split("--- /dev/null")[0].replace('-    print("hi")', '-  print("hi")  ')
    await tools.ok("apply_patch", patch=drifted)
    assert 'print("hello")' in (patched_tree / "app.py").read_text()


async def test_garbage_patch(tools):
    assert "neither a unified diff" in await tools.error("apply_patch", patch="just some words")
    assert "End Patch" in await tools.error("apply_patch", patch="*** Begin Patch\n*** Add File: x\n+y\n")


@pytest.fixture
def tree(workspace):
    (workspace / ".gitignore").write_text("build/\n*.log\n")
    (workspace / "src" / "pkg").mkdir(parents=True)
    (workspace / "src" / "pkg" / "core.py").write_text(
        "class Engine:\n    def start(self):\n        return 'Engine started'\n\n\ndef make():\n    return Engine()\n"
    )
    (workspace / "src" / "app.py").write_text(
        "from pkg.core import Engine\n\n# Engine is configured here\nE = Engine()\n"
    )
    (workspace / "web").mkdir()
    (workspace / "web" / "ui.ts").write_text("export class Engine {}\nconst e = new Engine();\n")
    (workspace / "build").mkdir()
    (workspace / "build" / "core.py").write_text("class Engine: pass\n")
    (workspace / "debug.log").write_text("Engine crashed\n")
    return workspace


async def test_glob_honours_gitignore(tools, tree):
    out = await tools.ok("glob", pattern="**/*.py")
    assert "src/pkg/core.py" in out and "src/app.py" in out and "build/" not in out
    assert "no files match" in await tools.ok("glob", pattern="*.rs")


async def test_grep(tools, tree):
    out = await tools.ok("grep", pattern="Engine\\(", include="*.py")
    assert "src/app.py:4:E = Engine()" in out and "build" not in out and "debug.log" not in out
    assert "src/pkg/core.py:1:" in await tools.ok("grep", pattern="class engine", case_insensitive=True)
    assert "src/pkg/core.py:1:class Engine" in await tools.ok("grep", pattern="class", path="src/pkg/core.py")
    assert "no matches" in await tools.ok("grep", pattern="zebra")
    assert "grep failed" in await tools.error("grep", pattern="(unclosed")


async def test_list_dir(tools, tree):
    out = await tools.ok("list_dir", ignore=["*.ts"])
    assert "src/" in out and "core.py" in out and "build/" not in out and "ui.ts" not in out


async def test_codesearch_tells_definitions_from_references(tools, tree):
    out = await tools.ok("codesearch", query="Engine")
    definitions, _, rest = out.partition("references")
    assert "src/pkg/core.py:1  class Engine:" in definitions and "web/ui.ts:1  export class Engine {}" in definitions
    assert "src/app.py:4  E = Engine()" in rest and "web/ui.ts:2" in rest
    assert "src/app.py:3" not in out  # the comment mention is not a reference
    assert "build/core.py" not in out
    assert "no symbol named" in await tools.ok("codesearch", query="Nonexistent")


async def test_removed_sql_comment_is_not_a_file_header(tools, workspace):
    (workspace / "q.sql").write_text("-- old comment\nSELECT 1;\nSELECT 2;\n")
    await tools.ok("read_file", file_path="q.sql")
    patch = (
        "--- a/q.sql\n+++ b/q.sql\n@@ -1,3 +1,3 @@\n"
        "--- old comment\n+-- new comment\n SELECT 1;\n-SELECT 2;\n+SELECT 3;\n"
    )
    await tools.ok("apply_patch", patch=patch)
    assert (workspace / "q.sql").read_text() == "-- new comment\nSELECT 1;\nSELECT 3;\n"


async def test_overlapping_tolerant_matches_do_not_eat_the_file(tools, workspace):
    (workspace / "o.txt").write_text("  a\n  a\n  a\n")
    await tools.ok("read_file", file_path="o.txt")
    await tools.ok("edit", file_path="o.txt", old_string="a\na", new_string="X", replace_all=True)
    assert (workspace / "o.txt").read_text() == "X\n  a\n"
