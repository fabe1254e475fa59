"""Build the optional native core (ctcore/) next to the pure-Python package.

Extensions are optional to *build*: where no compiler (or no Cython) is available the
install goes on with the pure-Python twins and prints one clear warning. Set
CODETETHER_REQUIRE_EXTENSIONS=1 to turn that warning into a build failure (CI and wheel
builds do, so a wheel never silently ships without its native core).
"""

import os
import sys

from setuptools import setup
from setuptools.command.build import build
from setuptools.command.build_ext import build_ext

REQUIRE = os.environ.get("CODETETHER_REQUIRE_EXTENSIONS") == "1"
NATIVE_MODULES = ["chunker", "ringbus", "sandbox"]

WARNING = (
    "\n*** codetether: the native core (ctcore) could not be compiled: {reason}\n"
    "*** Installing with the pure-Python twins instead; everything works, hot paths run slower.\n"
    "*** Install a C compiler and the Python headers, then reinstall, to get the fast path.\n"
)


class OptionalBuildExt(build_ext):
    """build_ext that degrades to the pure-Python twins instead of failing the install."""

    def run(self):
        try:
            super().run()
        except Exception as exc:  # compiler missing, headers missing, ...
            self._degrade(exc)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:
            self._degrade(exc)

    def _degrade(self, exc):
        if REQUIRE:
            raise
        if not getattr(self, "_warned", False):
            self._warned = True
            sys.stderr.write(WARNING.format(reason=exc))


class ScratchBuild(build):
    """Keep setuptools' scratch files out of build/, which holds our packaging recipes."""

    def initialize_options(self):
        super().initialize_options()
        self.build_base = ".build"


def native_extensions():
    try:
        from Cython.Build import cythonize
    except ImportError as exc:
        if REQUIRE:
            raise
        sys.stderr.write(WARNING.format(reason=f"Cython is not installed ({exc})"))
        return []
    from setuptools import Extension

    built = []
    for name in NATIVE_MODULES:  # one at a time, so one module that fails to translate costs only itself
        try:
            built += cythonize(
                [Extension(f"ctcore._{name}_c", [f"ctcore/_{name}_c.pyx"])],
                compiler_directives={"language_level": "3", "boundscheck": False, "wraparound": False},
                build_dir=".build/cython",
                quiet=True,
            )
        except Exception as exc:
            if REQUIRE:
                raise
            sys.stderr.write(WARNING.format(reason=f"ctcore/_{name}_c.pyx did not translate ({exc})"))
    return built


setup(
    ext_modules=native_extensions(),
    cmdclass={"build_ext": OptionalBuildExt, "build": ScratchBuild},
)
