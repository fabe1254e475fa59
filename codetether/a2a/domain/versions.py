"""Which A2A spec version a request speaks (the ``A2A-Version`` service parameter, spec 1.0 §3.6)."""

from . import errors

V1 = "1.0"
V03 = "0.3"
SUPPORTED = (V1, V03)
HEADER = "A2A-Version"


def negotiate(value: str | None) -> str:
    """The version to serve: ``1.0`` when asked for, ``0.3`` when the parameter is absent (as 0.3
    clients never send it); anything else is the spec's VersionNotSupportedError."""
    if value is None or not value.strip():
        return V03
    parts = value.strip().split(".")
    try:
        major, minor = int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        major, minor = -1, -1
    version = f"{major}.{minor}"
    if version not in SUPPORTED:
        raise errors.VersionNotSupportedError(
            f"A2A version {value.strip()!r} is not supported; this agent speaks {' and '.join(SUPPORTED)}",
            metadata={"supportedVersions": ",".join(SUPPORTED)},
        )
    return version
