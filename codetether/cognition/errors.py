"""Cognition's failures: each names what to change, and the routes map them to HTTP statuses."""

from ..errors import CodetetherError


class CognitionError(CodetetherError):
    status = 400


class CognitionDisabled(CognitionError):
    status = 503


class PersonaNotFound(CognitionError):
    status = 404


class PolicyRefused(CognitionError):
    """A spawn beyond the parent's depth or branching limits, or onto a reaped persona."""

    status = 409
