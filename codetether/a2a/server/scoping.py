"""Which tasks a caller may see: its own (the admin: all), in the tenant it names.

Every operation on an existing task looks it up through :func:`owned_task`, so no path reads or
changes another principal's task, and none tells whether it exists.
"""

from ..domain import errors
from ..domain.context import CallContext
from ..domain.store import TaskStore
from ..domain.types import Task
from .runs import Run


def owned_task(
    runs: dict[str, Run], store: TaskStore, task_id: str, call: CallContext, tenant: str
) -> tuple[Task, str, str]:
    """The task with its owner and tenant, if ``call``'s principal may see it in ``tenant``. Another
    principal's task is "not found", exactly like a missing one: its existence is not disclosed. A task
    in flight here is read from its run (newer than the store); a pending one does not exist yet."""
    run = runs.get(task_id)
    if run is not None and not run.pending:
        task, owner, task_tenant = run.task, run.owner, run.tenant
    else:
        task = store.get(task_id) if task_id else None
        owner, task_tenant = (store.ownership(task_id) or ("", "")) if task is not None else ("", "")
    if task is None or not call.principal.owns(owner) or task_tenant != tenant:
        raise errors.TaskNotFoundError(f"task {task_id!r} not found", metadata={"taskId": task_id})
    return task, owner, task_tenant
