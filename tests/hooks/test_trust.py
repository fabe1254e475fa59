"""A repository's hooks run only once the user trusted its codetether.toml; a bad [hooks] is a config error."""

import json

import pytest

from codetether.config import load_config
from codetether.config.trust import trust
from codetether.errors import ConfigError
from codetether.runtime import AgentSpec, Runtime
from tests.fakes.llm import Reply


def project_hook(repo, marker) -> None:
    (repo / "codetether.toml").write_text(f"[[hooks.user_prompt]]\ncommand = {json.dumps(f'touch {marker}')}\n")


async def test_an_untrusted_repositorys_hook_does_not_run(hooked, tmp_path):
    marker = tmp_path / "project-hook-ran"
    project_hook(hooked.repo, marker)
    hooked.llm.script(Reply(text="ok"))
    assert (await hooked.run()).status == "submitted"
    assert not marker.exists()


async def test_a_trusted_repositorys_hook_runs_beside_the_users(hooked, tmp_path):
    marker, users = tmp_path / "project-hook-ran", tmp_path / "user-hook-ran"
    project_hook(hooked.repo, marker)
    trust(hooked.repo)
    hooked.add("user_prompt", f"touch {users}")  # the project's hooks add to the user's, never replace them
    hooked.llm.script(Reply(text="ok"))
    await hooked.run()
    assert marker.exists() and users.exists()


async def test_a_trusted_file_edited_afterwards_is_untrusted_again(hooked, tmp_path):
    project_hook(hooked.repo, tmp_path / "first")
    trust(hooked.repo)
    marker = tmp_path / "after-the-edit"
    project_hook(hooked.repo, marker)
    hooked.llm.script(Reply(text="ok"))
    await hooked.run()
    assert not marker.exists()


def test_an_unknown_hook_event_names_the_valid_ones(hooked):
    hooked.hooks.append('[[hooks.before_tool]]\ncommand = "true"')
    hooked.write_config()
    with pytest.raises(ConfigError, match="unknown hook event `hooks.before_tool`") as caught:
        load_config(cwd=hooked.repo)
    assert "pre_tool" in caught.value.hint


def test_a_hook_without_a_command_is_refused(hooked):
    hooked.hooks.append("[[hooks.stop]]\ntimeout = 5")
    hooked.write_config()
    with pytest.raises(ConfigError, match="hooks.stop"):
        load_config(cwd=hooked.repo)


async def test_a_matcher_that_is_not_a_regex_is_a_config_error(hooked):
    hooked.add("pre_tool", "true", matcher="edit(")
    hooked.write_config()
    async with Runtime(load_config(cwd=hooked.repo)) as runtime:
        with pytest.raises(ConfigError, match="not a valid regular expression"):
            runtime.agent(AgentSpec(workspace=str(hooked.repo), model="fake/fake-large", plugins=False))
