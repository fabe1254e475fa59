"""The A2A protocol messages, generated at build time from ``proto/a2a/`` (see setup.py).

``v1()`` returns the ``lf.a2a.v1`` module (spec 1.0), ``v0_3()`` the ``a2a.v1`` module (spec
0.3). Both live in a private descriptor pool (``_pool.POOL``) so they coexist with the
a2a-sdk's registrations of the same packages. Nothing is imported until first use.
"""

import importlib
from types import ModuleType

from codetether.errors import CodetetherError

__all__ = ["StubsMissingError", "v0_3", "v1"]


class StubsMissingError(CodetetherError, ImportError):
    """The generated ``*_pb2`` modules are not there (a checkout that was never built)."""


def v1() -> ModuleType:
    """The A2A spec 1.0 messages and service descriptor (protobuf package ``lf.a2a.v1``)."""
    return _load("v1_pb2")


def v0_3() -> ModuleType:
    """The A2A spec 0.3 messages and service descriptor (protobuf package ``a2a.v1``)."""
    return _load("v0_3_pb2")


def _load(name: str) -> ModuleType:
    qualified = f"{__name__}.{name}"
    try:
        return importlib.import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name != qualified:
            raise
        raise StubsMissingError(
            "the A2A protocol stubs were not generated",
            "reinstall with `pip install -e .`, or run `python setup.py build_a2a_protos`",
        ) from None
