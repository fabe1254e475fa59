"""Who is calling: the principal an authenticator makes of a request's credential.

Every server route and every A2A handler method receives a principal, so ownership (tasks, push
configs, worker claims) and the audit log name *who* acted, not only from which address. An
authenticator turns the ``Authorization`` header into a principal or refuses it; several are chained
(the static admin token, the per-worker tokens issued at registration, and later a Kubernetes
service-account token reviewer), the first that recognises the credential wins.
"""

import hashlib
from collections.abc import Callable, Sequence
from typing import Literal, Protocol

import msgspec

PrincipalKind = Literal["admin", "worker", "service-account", "anonymous"]


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """An authenticated caller. ``id`` is stable across requests: it is what owns tasks."""

    id: str
    kind: PrincipalKind
    admin: bool = False  # sees and may act on every principal's tasks
    worker_id: str = ""  # set for a registered worker's own token

    def owns(self, owner: str) -> bool:
        """Whether this principal may see or act on something ``owner`` created."""
        return self.admin or owner == self.id


ADMIN = Principal(id="admin", kind="admin", admin=True)
# In-process callers that bypass transports (tests, the server's own recovery): treated as admin.
LOCAL = Principal(id="local", kind="admin", admin=True)


class Authenticator(Protocol):
    """Turns a request's ``Authorization`` header into a principal, or ``None`` if it does not know it."""

    def authenticate(self, authorization: str) -> Principal | None: ...


def bearer(authorization: str) -> str | None:
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def token_hash(token: str) -> str:
    """What is stored for an issued token. Tokens are 256 random bits, so one SHA-256 round is enough
    (a slow KDF protects guessable passwords, not random keys) and lookups stay O(1)."""
    return hashlib.sha256(token.encode()).hexdigest()


class StaticTokenAuthenticator:
    """The server's one configured (or generated) bearer token: the admin."""

    def __init__(self, check: Callable[[str], bool]) -> None:
        self._check = check  # TokenAuth.check: constant-time comparison of the whole header

    def authenticate(self, authorization: str) -> Principal | None:
        return ADMIN if self._check(authorization) else None


class IssuedTokenAuthenticator:
    """Tokens the server issued (to workers at registration), found by their hash."""

    def __init__(self, lookup: Callable[[str], Principal | None]) -> None:
        self._lookup = lookup  # token hash -> principal

    def authenticate(self, authorization: str) -> Principal | None:
        token = bearer(authorization)
        return self._lookup(token_hash(token)) if token else None


class ChainAuthenticator:
    """Asks each authenticator in turn; the first that recognises the credential decides."""

    def __init__(self, authenticators: Sequence[Authenticator]) -> None:
        self.authenticators = list(authenticators)

    def add(self, authenticator: Authenticator) -> None:
        self.authenticators.append(authenticator)

    def authenticate(self, authorization: str) -> Principal | None:
        for authenticator in self.authenticators:
            principal = authenticator.authenticate(authorization)
            if principal is not None:
                return principal
        return None


class _Checks(Protocol):
    def check(self, authorization: str | None) -> bool: ...


def as_authenticator(auth: "Authenticator | _Checks") -> Authenticator:
    """An authenticator from either kind of argument servers accept: an :class:`Authenticator`, or the
    static ``TokenAuth`` (whose token is then the admin's)."""
    if hasattr(auth, "authenticate"):
        return auth  # type: ignore[return-value]
    return StaticTokenAuthenticator(auth.check)  # type: ignore[union-attr]
