"""A session that lives only in memory: for sub-queries (an RLM's, a router's) nobody resumes."""

import datetime as dt
from pathlib import Path

from ..providers.types import Message, Usage
from .session_file import first_line_title, new_session_id
from .session_records import MetaRecord


class MemorySession:
    """The :class:`~codetether.agent.session.Session` protocol with no file: nothing is ever written."""

    def __init__(self, meta: MetaRecord, messages: list[Message] | None = None) -> None:
        self.meta = meta
        self.messages: list[Message] = messages or []
        self.usage = Usage()
        self._committed = len(self.messages)

    @property
    def id(self) -> str:
        return self.meta.id

    @classmethod
    def create(cls, cwd: Path, model: str, *, system: str | None = None) -> "MemorySession":
        meta = MetaRecord(
            id=new_session_id().replace("ses_", "mem_", 1),
            cwd=str(cwd),
            created=dt.datetime.now(dt.UTC).isoformat(),
            model=model,
        )
        return cls(meta, [Message.system(system)] if system else [])

    def add(self, *messages: Message) -> None:
        self.messages.extend(messages)
        self._commit()

    def add_pending(self, *messages: Message) -> None:
        self.messages.extend(messages)

    def discard_pending(self) -> None:
        del self.messages[self._committed :]

    def add_usage(self, usage: Usage, model: str) -> None:
        self.usage = self.usage + usage
        self._commit()

    def checkpoint(self, messages: list[Message]) -> None:
        pending = self.messages[self._committed :]
        self.messages = list(messages)
        keep = len(pending) if pending and self.messages[-len(pending) :] == pending else 0
        self._committed = len(self.messages) - keep

    async def flush(self) -> None:
        return None

    def _commit(self) -> None:
        self._committed = len(self.messages)
        if not self.meta.title:
            self.meta.title = first_line_title(self.messages)
