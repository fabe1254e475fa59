"""Every ctcore test runs once per twin: the compiled module and its pure-Python spec."""

import importlib
import os

import pytest

TWINS = ["c", "py"]


def compiled_expected() -> bool:
    """CI (and any wheel install) sets CODETETHER_EXPECT_EXTENSIONS=1: there the C twin must load."""
    return os.environ.get("CODETETHER_EXPECT_EXTENSIONS") == "1"


def load_twin(module: str, twin: str):
    try:
        return importlib.import_module(f"ctcore._{module}_{twin}")
    except ImportError as exc:
        if twin == "c" and not compiled_expected():
            pytest.skip(f"ctcore._{module}_c is not built here ({exc}); the pure twin is tested instead")
        raise


@pytest.fixture(params=TWINS, ids=["compiled", "pure"])
def chunker(request):
    return load_twin("chunker", request.param)


@pytest.fixture(params=TWINS, ids=["compiled", "pure"])
def ringbus(request):
    return load_twin("ringbus", request.param)


@pytest.fixture(params=TWINS, ids=["compiled", "pure"])
def sandbox(request):
    return load_twin("sandbox", request.param)
