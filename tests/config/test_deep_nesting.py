"""A config file nested past tomllib's recursion is a clean config error, not an internal error (exit 70)."""

import pytest

from codetether.config import load_config
from codetether.errors import ConfigError

DEEP_ARRAY = "[default]\nprovider = " + "[" * 3000 + "]" * 3000 + "\n"
DEEP_TABLE = "[default]\nprovider = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n"


@pytest.mark.parametrize("text", [DEEP_ARRAY, DEEP_TABLE], ids=["arrays", "inline-tables"])
def test_a_deeply_nested_config_file_is_a_config_error(config_file, text):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(text)
    with pytest.raises(ConfigError, match="nested too deeply") as caught:
        load_config()
    assert str(config_file) in str(caught.value)


def test_the_cli_reports_a_deeply_nested_config_file_without_an_internal_error(config_file, cli):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(DEEP_ARRAY)
    result = cli("config")
    assert result.code not in (0, 70), result
    assert "nested too deeply" in result.stderr and "internal error" not in result.stderr
