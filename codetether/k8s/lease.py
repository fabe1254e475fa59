"""A ``coordination.k8s.io/v1`` Lease around every change, so two replicas never make it twice.

Acquiring reads the Lease and writes it back with the read ``resourceVersion``: if another replica
wrote in between, the API server answers 409 and we read again, so exactly one writer wins each
round. A Lease whose holder stopped renewing for ``leaseDurationSeconds`` is free to take. The holder
renews it every third of its duration while the change runs and clears the holder when done. The
calls are the official client's (blocking), so they run on a thread.
"""

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from .errors import K8sError, from_api

if TYPE_CHECKING:
    from kubernetes.client import ApiClient, V1Lease

log = logging.getLogger(__name__)

HOLDER_ANNOTATION = "codetether.run/lease-holder"
OPERATION_ANNOTATION = "codetether.run/operation"
MAX_ROUNDS = 8  # conflicts in a row before giving up: only as many replicas as race at once


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class LeaseGuard:
    """The Lease ``name`` in ``namespace``, taken by ``holder`` (this pod's name)."""

    def __init__(self, api: "ApiClient", namespace: str, name: str, holder: str, seconds: int) -> None:
        from kubernetes.client import CoordinationV1Api

        self._api = CoordinationV1Api(api)
        self.namespace = namespace
        self.name = name
        self.holder = holder
        self.seconds = seconds

    # --- blocking calls (run on a thread) ----------------------------------------------------------
    def try_acquire(self, operation: str) -> bool:
        """True when this holder now holds the Lease; False when another live holder does."""
        from kubernetes.client import V1Lease, V1LeaseSpec, V1ObjectMeta
        from kubernetes.client.exceptions import ApiException

        for _ in range(MAX_ROUNDS):
            now = _now()
            try:
                lease = self._api.read_namespaced_lease(self.name, self.namespace)
            except ApiException as exc:
                if exc.status != 404:
                    raise from_api(exc, f"reading Lease {self.name}") from exc
                body = V1Lease(
                    metadata=V1ObjectMeta(name=self.name, annotations=self._annotations(operation)),
                    spec=V1LeaseSpec(
                        holder_identity=self.holder,
                        lease_duration_seconds=self.seconds,
                        acquire_time=now,
                        renew_time=now,
                        lease_transitions=0,
                    ),
                )
                try:
                    self._api.create_namespaced_lease(self.namespace, body)
                    return True
                except ApiException as create_exc:
                    if create_exc.status != 409:  # 409: another replica created it first; read theirs
                        raise from_api(create_exc, f"creating Lease {self.name}") from create_exc
                    continue
            if self._held_by_other(lease, now):
                return False
            spec = lease.spec
            if spec.holder_identity != self.holder:
                spec.lease_transitions = (spec.lease_transitions or 0) + 1
                spec.acquire_time = now
            spec.holder_identity = self.holder
            spec.renew_time = now
            spec.lease_duration_seconds = self.seconds
            lease.metadata.annotations = {**(lease.metadata.annotations or {}), **self._annotations(operation)}
            if self._replace(lease, f"taking Lease {self.name}"):
                return True
        return False

    def renew(self) -> bool:
        """Push the expiry on; False when the Lease is no longer ours."""
        for _ in range(MAX_ROUNDS):
            lease = self._read()
            if lease is None or lease.spec.holder_identity != self.holder:
                return False
            lease.spec.renew_time = _now()
            if self._replace(lease, f"renewing Lease {self.name}"):
                return True
        return False

    def release(self) -> None:
        """Clear the holder so the next change need not wait for the Lease to expire."""
        for _ in range(MAX_ROUNDS):
            lease = self._read()
            if lease is None or lease.spec.holder_identity != self.holder:
                return
            lease.spec.holder_identity = None
            lease.spec.renew_time = None
            if self._replace(lease, f"releasing Lease {self.name}"):
                return

    def _read(self) -> "V1Lease | None":
        from kubernetes.client.exceptions import ApiException

        try:
            return self._api.read_namespaced_lease(self.name, self.namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise from_api(exc, f"reading Lease {self.name}") from exc

    def _replace(self, lease: "V1Lease", doing: str) -> bool:
        """Write ``lease`` at the version it was read at; False on a 409 conflict (read again)."""
        from kubernetes.client.exceptions import ApiException

        try:
            self._api.replace_namespaced_lease(self.name, self.namespace, lease)
            return True
        except ApiException as exc:
            if exc.status == 409:
                return False
            raise from_api(exc, doing) from exc

    def _held_by_other(self, lease: "V1Lease", now: dt.datetime) -> bool:
        spec = lease.spec
        if not spec.holder_identity or spec.holder_identity == self.holder:
            return False
        if spec.renew_time is None:
            return False
        expires = spec.renew_time + dt.timedelta(seconds=spec.lease_duration_seconds or self.seconds)
        return expires > now

    def _annotations(self, operation: str) -> dict[str, str]:
        return {HOLDER_ANNOTATION: self.holder, OPERATION_ANNOTATION: operation}

    # --- async use ---------------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def hold(self, operation: str) -> AsyncIterator[bool]:
        """``async with guard.hold("scale") as held:``; ``held`` False means another replica is at it."""
        held = await asyncio.to_thread(self.try_acquire, operation)
        if not held:
            yield False
            return
        renewer = asyncio.create_task(self._renew_loop(), name=f"lease-renew-{self.name}")
        try:
            yield True
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            try:
                await asyncio.to_thread(self.release)
            except K8sError as exc:  # it expires on its own; the change itself is done
                log.warning("%s", exc)

    async def _renew_loop(self) -> None:
        while True:
            await asyncio.sleep(self.seconds / 3)
            try:
                if not await asyncio.to_thread(self.renew):
                    log.warning("Lease %s was taken over while %s held it", self.name, self.holder)
                    return
            except K8sError as exc:
                log.warning("%s", exc)
