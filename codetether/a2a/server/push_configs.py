"""The handler's push notification config operations (spec 1.0 §3.1.7-3.1.10).

A part of :class:`~.handler.RequestHandler`, kept apart because it only stores configs for the
caller's own tasks: the deliveries themselves are :mod:`.push`'s.
"""

import uuid
from collections.abc import Callable

import msgspec

from ..domain import errors
from ..domain.context import LOCAL_CALL, CallContext
from ..domain.store import TaskStore
from ..domain.types import (
    DeletePushConfigRequest,
    GetPushConfigRequest,
    ListPushConfigsRequest,
    ListPushConfigsResponse,
    PushConfig,
    Task,
)
from .push import PushNotifier


class PushConfigMethods:
    """Push config operations; the class mixing them in provides ``push``, ``store`` and ``_load``."""

    push: PushNotifier | None
    store: TaskStore
    _load: Callable[[str, CallContext, str], Task]  # the caller's own task, or TaskNotFoundError

    def _require_push(self) -> PushNotifier:
        if self.push is None:
            raise errors.PushNotificationNotSupportedError("push notifications are turned off on this server")
        return self.push

    def _store_push(self, config: PushConfig, version: str) -> PushConfig:
        config = msgspec.structs.replace(config, id=config.id or str(uuid.uuid4()))
        self.store.put_push_config(config, version)
        return config

    async def on_create_push_config(
        self, config: PushConfig, version: str = "1.0", *, call: CallContext = LOCAL_CALL
    ) -> PushConfig:
        push = self._require_push()
        self._load(config.task_id, call, config.tenant)
        if not config.url:
            raise errors.InvalidParamsError("url: a push notification config needs the webhook URL")
        await push.check_url(config.url)
        return self._store_push(config, version)

    async def on_get_push_config(self, request: GetPushConfigRequest, *, call: CallContext = LOCAL_CALL) -> PushConfig:
        self._require_push()
        self._load(request.task_id, call, request.tenant)
        config = self.store.get_push_config(request.task_id, request.id)
        if config is None:
            raise errors.TaskNotFoundError(
                f"task {request.task_id} has no push notification config {request.id!r}",
                metadata={"taskId": request.task_id, "configId": request.id},
            )
        return config

    async def on_list_push_configs(
        self, request: ListPushConfigsRequest, *, call: CallContext = LOCAL_CALL
    ) -> ListPushConfigsResponse:
        self._require_push()
        self._load(request.task_id, call, request.tenant)
        return ListPushConfigsResponse(configs=self.store.list_push_configs(request.task_id))

    async def on_delete_push_config(self, request: DeletePushConfigRequest, *, call: CallContext = LOCAL_CALL) -> None:
        """Idempotent (spec 1.0 §3.1.10): deleting a config the task no longer has succeeds, so a client
        retrying a delete whose reply it lost is not told the delete failed. An unknown task still fails."""
        self._require_push()
        self._load(request.task_id, call, request.tenant)
        self.store.delete_push_config(request.task_id, request.id)
