"""What the SQLite and PostgreSQL task stores share: the group commit of task rows and the listing.

Saves made while the event loop runs are encoded at once into rows and written together in one
transaction ``GROUP_COMMIT_SECONDS`` later; reads flush first; :meth:`GroupCommitStore.committed`
returns once every save so far is written (what a reply to a client waits for). A listing pages by
``(updated_ns, id)``, newest first, with an opaque token naming the last row a page ended at. Each
store supplies only its SQL dialect's placeholder and how it runs a transaction.
"""

import asyncio
import base64
import logging
import time
from abc import ABC, abstractmethod

import msgspec

from .errors import InvalidParamsError
from .types import PushConfig, Task, TaskState

log = logging.getLogger(__name__)

# Saves gather this long before one transaction writes them all: under load a commit then carries
# the tasks of several requests (a transaction costs tens of microseconds of the event loop's time);
# replies wait for it, so this is also the most it adds to a reply's latency.
GROUP_COMMIT_SECONDS = 0.001

DEFAULT_PAGE_SIZE = 50
_INT64 = (-(2**63), 2**63 - 1)  # both databases' INTEGER/BIGINT range


class TaskPage(msgspec.Struct):
    tasks: list[Task]
    next_page_token: str
    total_size: int


def encode_token(updated_ns: int, task_id: str) -> str:
    return base64.urlsafe_b64encode(f"{updated_ns}:{task_id}".encode()).decode().rstrip("=")


def decode_token(token: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        updated_ns, _, task_id = raw.partition(":")
        if not 0 <= int(updated_ns) < 2**63:  # SQLite's INTEGER range; we only issue positive ones
            raise ValueError("out of range")
        return int(updated_ns), task_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidParamsError(f"pageToken {token!r} is not a token this server issued") from exc


class GroupCommitStore(ABC):
    """The part of a task store that is the same on every database (see the module docstring).

    A pending row is ``(id, context_id, state, updated_ns, body, owner, tenant)``, the tasks table's
    columns in order.
    """

    _mark = "?"  # the SQL dialect's parameter placeholder

    def __init__(self) -> None:
        self._encode = msgspec.json.Encoder().encode
        self._task = msgspec.json.Decoder(Task).decode
        self._config = msgspec.json.Decoder(PushConfig).decode
        self._last_ns = 0
        self._pending: dict[str, tuple] = {}
        self._flush_scheduled = False
        self._waiters: list[asyncio.Future] = []  # replies waiting for the pending saves to commit

    @abstractmethod
    def _write(self, rows: list[tuple]) -> None:
        """Upsert ``rows`` in one transaction (owner and tenant are kept from the first insert)."""

    @abstractmethod
    def _stored_ownership(self, task_id: str) -> tuple[str, str] | None:
        """``(owner, tenant)`` of the stored task, or None."""

    @abstractmethod
    def _count_and_page(
        self, count_sql: str, count_args: list, page_sql: str, page_args: list
    ) -> tuple[int, list[tuple]]:
        """The listing's total and its page rows ``(updated_ns, id, body)``."""

    @abstractmethod
    def _write_error(self) -> type[Exception]:
        """The database driver's error: a failed group commit is logged and retried, not raised."""

    def _now_ns(self) -> int:
        # Strictly increasing, so two saves in the same clock tick still order (and page) correctly.
        self._last_ns = max(time.time_ns(), self._last_ns + 1)
        return self._last_ns

    def ownership(self, task_id: str) -> tuple[str, str] | None:
        pending = self._pending.get(task_id)
        if pending is not None and (pending[5] or pending[6]):
            return pending[5], pending[6]
        row = self._stored_ownership(task_id)
        if row is None and pending is not None:
            return pending[5], pending[6]
        return row

    def save(self, task: Task, owner: str = "", tenant: str = "") -> None:
        earlier = self._pending.get(task.id)
        if earlier is not None and not (owner or tenant):  # a later save in the same batch keeps the owner
            owner, tenant = earlier[5], earlier[6]
        row = (task.id, task.context_id, task.status.state.value, self._now_ns(), self._encode(task), owner, tenant)
        self._pending[task.id] = row
        if self._flush_scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._flush_scheduled = True
        loop.call_later(GROUP_COMMIT_SECONDS, self._flush_soon)

    def _flush_soon(self) -> None:
        try:
            self.flush()
        except self._write_error() as exc:  # the rows are back in _pending: the next save or read retries them
            log.error("could not write %d task(s) to the task store (will retry): %s", len(self._pending), exc)
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:  # their replies must not claim what is not on disk
                if not waiter.done():
                    waiter.set_exception(exc)

    async def committed(self) -> None:
        if not self._pending:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        await waiter

    def flush(self) -> None:
        """Write every pending save in one transaction."""
        self._flush_scheduled = False
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        try:
            self._write(list(pending.values()))
        except BaseException:
            self._pending = {**pending, **self._pending}  # keep them; saves made since are newer and win
            raise
        if not self._pending:
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    def list_tasks(
        self,
        *,
        context_id: str = "",
        state: TaskState | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_token: str = "",
        updated_after: float | None = None,
        owner: str | None = None,
        tenant: str | None = "",
    ) -> TaskPage:
        mark = self._mark
        where, args = ([], []) if tenant is None else ([f"tenant = {mark}"], [tenant])
        if owner is not None:
            where.append(f"owner = {mark}")
            args.append(owner)
        if context_id:
            where.append(f"context_id = {mark}")
            args.append(context_id)
        if state is not None and state is not TaskState.UNSPECIFIED:
            where.append(f"state = {mark}")
            args.append(state.value)
        if updated_after is not None:
            where.append(f"updated_ns > {mark}")
            args.append(min(max(int(updated_after * 1e9), _INT64[0]), _INT64[1]))
        self.flush()
        count_sql = "SELECT COUNT(*) FROM tasks" + (" WHERE " + " AND ".join(where) if where else "")
        count_args = list(args)
        if page_token:
            cursor_ns, cursor_id = decode_token(page_token)
            where.append(f"(updated_ns < {mark} OR (updated_ns = {mark} AND id < {mark}))")
            args += [cursor_ns, cursor_ns, cursor_id]
        page_sql = (
            "SELECT updated_ns, id, body FROM tasks"
            + (" WHERE " + " AND ".join(where) if where else "")
            + f" ORDER BY updated_ns DESC, id DESC LIMIT {mark}"
        )
        total, rows = self._count_and_page(count_sql, count_args, page_sql, [*args, page_size + 1])
        more = len(rows) > page_size
        rows = rows[:page_size]
        token = encode_token(rows[-1][0], rows[-1][1]) if more else ""
        return TaskPage([self._task(row[2]) for row in rows], token, total)
