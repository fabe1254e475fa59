"""Build the optional native core (ctcore/) next to the pure-Python package.

Extensions are optional to *build*: where no compiler (or no Cython) is available the
install goes on with the pure-Python twins and prints one clear warning. Set
CODETETHER_REQUIRE_EXTENSIONS=1 to turn that warning into a build failure (CI and wheel
builds do, so a wheel never silently ships without its native core).

Every build also generates the A2A protocol stubs from proto/a2a/ (BuildA2AProtos).
"""

import os
import sys
import tempfile
from pathlib import Path

from setuptools import Command, setup
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


class BuildA2AProtos(Command):
    """Generate codetether/a2a/pb/*_pb2.py from proto/a2a/ with grpcio-tools.

    The stubs are build output (gitignored), so every build makes them: wheels, sdists'
    wheels and ``pip install -e .`` (a ``build`` sub-command runs in all three). They are
    written into the source tree, where editable installs import them and build_py picks
    them up for wheels. Each one is rewritten to register into the private descriptor pool
    of codetether/a2a/pb/_pool.py: the a2a-sdk puts the same protobuf packages into the
    default pool, and a second registration there fails with "duplicate symbol".
    """

    description = "generate the A2A protocol stubs"
    user_options = []
    editable_mode = False
    STUBS = {"v1": "proto/a2a/v1/a2a.proto", "v0_3": "proto/a2a/v0_3/a2a.proto"}
    OUT = Path("codetether/a2a/pb")

    def initialize_options(self):
        pass

    def finalize_options(self):
        pass

    def get_source_files(self):  # puts the .proto files in the sdist
        return list(self.STUBS.values())

    def get_outputs(self):  # written in place; build_py ships them like any module
        return []

    def get_output_mapping(self):
        return {}

    def run(self):
        try:
            import grpc_tools
            from grpc_tools import protoc
        except ImportError as exc:
            raise SystemExit(f"codetether: grpcio-tools is needed to build the A2A stubs ({exc})") from exc
        include = Path(grpc_tools.__file__).parent / "_proto"  # the well-known types
        with tempfile.TemporaryDirectory() as tmp:
            args = ["protoc", "-Iproto", f"-I{include}", f"--python_out={tmp}", f"--pyi_out={tmp}"]
            if protoc.main([*args, *(src.removeprefix("proto/") for src in self.STUBS.values())]) != 0:
                raise SystemExit("codetether: protoc failed on proto/a2a/")
            for name, src in self.STUBS.items():
                generated = Path(tmp, src.removeprefix("proto/")).with_name("a2a_pb2.py")
                protoc_module = src.removeprefix("proto/").removesuffix(".proto").replace("/", ".") + "_pb2"
                stub = _private_pool_stub(generated.read_text(), protoc_module, f"codetether.a2a.pb.{name}_pb2")
                self._write(self.OUT / f"{name}_pb2.py", stub)
                self._write(self.OUT / f"{name}_pb2.pyi", generated.with_suffix(".pyi").read_text())

    def _write(self, path, text):
        if not path.exists() or path.read_text() != text:  # leave mtimes alone when nothing changed
            path.write_text(text)
            self.announce(f"generated {path}", level=2)


def _private_pool_stub(source, protoc_module, module):
    """Point protoc's output at codetether.a2a.pb._pool instead of the default pool."""
    edits = [
        ("from google.protobuf import descriptor_pool as _descriptor_pool\n", "from . import _pool\n"),
        ("_descriptor_pool.Default().AddSerializedFile(", "_pool.POOL.AddSerializedFile("),
        (
            f"_builder.BuildTopDescriptorsAndMessages(DESCRIPTOR, {protoc_module!r}, _globals)",
            f"_pool.build_messages(DESCRIPTOR, {module!r}, _globals)",
        ),
    ]
    for old, new in edits:
        if source.count(old) != 1:  # a new protoc changed its output: fail loudly, not silently
            raise SystemExit(f"codetether: unexpected protoc output for {module}: {old.strip()!r}")
        source = source.replace(old, new)
    return source


class CompileBytecode(Command):
    """Byte-compile the package in place for editable installs.

    pip compiles a wheel's modules when it installs them, but an editable install imports the
    source tree, and where PYTHONDONTWRITEBYTECODE is set (these machines set it) nothing ever
    writes the .pyc files: every start would recompile ~200 modules (~70 ms before the first
    model request). Python still reads .pyc files under that variable, and recompiles a module
    whose source changed since, so compiling once here is always safe.
    """

    description = "byte-compile codetether/ and ctcore/ in place (editable installs)"
    user_options = []
    editable_mode = False

    def initialize_options(self):
        pass

    def finalize_options(self):
        pass

    def get_outputs(self):
        return []

    def get_output_mapping(self):
        return {}

    def run(self):
        if not self.editable_mode:
            return  # a wheel's modules are compiled by the installer
        import compileall

        for package in ("codetether", "ctcore"):
            compileall.compile_dir(package, quiet=1)


class ScratchBuild(build):
    """Keep setuptools' scratch files out of build/, which holds our packaging recipes."""

    sub_commands = [("build_a2a_protos", None), *build.sub_commands, ("compile_bytecode", None)]

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
    cmdclass={
        "build_ext": OptionalBuildExt,
        "build": ScratchBuild,
        "build_a2a_protos": BuildA2AProtos,
        "compile_bytecode": CompileBytecode,
    },
)
