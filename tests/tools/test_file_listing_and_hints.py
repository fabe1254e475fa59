"""glob and grep keep out of .git even for "match everything" patterns; refusals say what would allow a path."""

import re
import tomllib

from .conftest import Harness


async def test_glob_star_star_does_not_list_git_internals(tools, workspace):
    (workspace / "src").mkdir()
    (workspace / "src" / "a.py").write_text("x = 1\n")
    for pattern in ("**/*", "**", "*"):
        listed = (await tools.ok("glob", pattern=pattern)).splitlines()
        assert "src/a.py" in listed
        assert not [line for line in listed if ".git/" in line or line == ".git"], (pattern, listed)


async def test_grep_with_an_include_of_everything_does_not_search_git(tools, workspace):
    (workspace / "a.txt").write_text("needle\n")
    (workspace / ".git" / "needle-note").write_text("needle\n")
    out = await tools.ok("grep", pattern="needle", include="**")
    assert "a.txt:1:needle" in out and ".git" not in out


async def test_refusing_an_outside_path_gives_the_rule_that_allows_it(workspace, tmp_path):
    outside = tmp_path / "elsewhere" / "notes.txt"
    outside.parent.mkdir()
    outside.write_text("outside\n")
    out = await Harness(workspace).error("read_file", file_path=str(outside))
    assert f"permission denied: {outside} is outside the workspace {workspace}" in out
    assert "--access-mode" not in out  # no access mode allows an outside path
    table = re.search(r"(\[permissions\.external_directory\] .* = \"allow\")", out)
    assert table, out
    rules = tomllib.loads(table.group(1).replace("] ", "]\n"))["permissions"]
    assert rules == {"external_directory": {f"{outside.parent}/*": "allow"}}
    assert "outside" in await Harness(workspace, rules=rules).ok("read_file", file_path=str(outside))
