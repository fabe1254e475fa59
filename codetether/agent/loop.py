"""The agent loop: ask the model, run the tools it asks for, repeat until it answers.

It talks only to the ``Provider`` and ``ToolRunner`` protocols and reports through ``emit``; swarm,
Ralph, RLM and the A2A executor run this same loop. A run ends with an :class:`AgentExit`.
"""

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from ..errors import CodetetherError
from ..providers.base import Provider
from ..providers.errors import ContextLengthError
from ..providers.types import (
    Done,
    ImagePart,
    Message,
    Request,
    TextPart,
    ToolCall,
    ToolSpec,
    Usage,
    UsageEvent,
)
from ..providers.types import TextDelta as ProviderText
from ..providers.types import ThinkingDelta as ProviderThinking
from ..secrets.redaction import redact
from . import events
from .compaction import Compactor, estimate_tokens
from .exits import AgentExit, FormatError, Interrupted, LimitsExceeded, OutputLimit, Submitted
from .session import Session

if TYPE_CHECKING:
    from ..hooks import Hooks

MAX_EMPTY_REPLIES = 2
MAX_CONTINUATIONS = 3
CONTINUE_NUDGE = "Your reply was cut off at the output limit. Continue exactly where it stopped."
EMPTY_REPLY_NUDGE = "Your last reply was empty. Continue the task: call a tool, or give your final answer."
MAX_STOP_HOOK_TURNS = 3  # a stop hook that always says "go on" must not keep a run alive forever


class CallRouter(Protocol):
    """Turns a text-only reply that describes tool use into calls (``codetether.router``); [] keeps the text."""

    async def route(self, text: str, specs: list[ToolSpec]) -> list[ToolCall]: ...


class Agent:
    def __init__(
        self,
        provider: Provider,
        model: str,
        tools: Any | None,
        session: Session,
        *,
        emit: Callable[[Any], None] | None = None,
        max_steps: int = 50,
        compactor: Compactor | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        hooks: "Hooks | None" = None,
        router: CallRouter | None = None,
    ) -> None:
        self.provider = provider
        self.model = model
        self.tools = tools
        self.session = session
        self.emit = emit or (lambda event: None)
        self.max_steps = max_steps
        self.compactor = compactor
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.specs = tools.specs() if tools else []
        self._schema_chars = tools.schema_chars() if tools else 0
        self.steps = 0
        self.run_usage = Usage()
        self._last_stop = "end_turn"
        self._cut: list[str] = []
        self.hooks = hooks
        self.router = router
        self._session_started = False
        self._stop_turns = 0

    # --- the run ------------------------------------------------------------------------------------
    async def run(self, prompt: Message) -> events.Finished:
        """Add ``prompt`` and work until the model answers; never raises for the exits a run can have.

        The prompt stays pending until the model answers it, so a run that fails before that (a
        provider outage on resume) leaves the session as it was. Every ending waits for the session
        to be on disk, so what the run reports is what a resume will find.
        """
        if self.hooks is not None:
            try:
                prompt, blocked = await self._prompt_hooks(prompt)
            except asyncio.CancelledError:  # Ctrl+C while a hook ran
                return self._ended_early(Interrupted.status, None)
            if blocked is not None:
                return self._ended_early("error", blocked)
        self._stop_turns = 0
        self.session.add_pending(prompt)
        last_text = ""
        try:
            await self.session.flush()  # an unwritable sessions directory fails here, before any model call
            while True:
                if self.steps >= self.max_steps:
                    raise LimitsExceeded(last_text)
                self.steps += 1
                last_text = await self.step()
                self._check_interrupt(last_text)
        except AgentExit as exit_:
            finished = events.Finished(status=exit_.status, text=exit_.text, steps=self.steps, usage=self.run_usage)
        except asyncio.CancelledError:
            self.session.add()  # the user stopped it: keep the prompt (and whatever followed it)
            finished = events.Finished(
                status=Interrupted.status, text=last_text, steps=self.steps, usage=self.run_usage
            )
        except Exception as exc:  # provider, auth, limits (or a bug): report it as the end of the run, then raise
            self.session.discard_pending()
            with contextlib.suppress(CodetetherError):
                await self.session.flush()
            # A CodetetherError's text is already redacted; anything else may echo a secret.
            error = str(exc) if isinstance(exc, CodetetherError) else redact(f"{type(exc).__name__}: {exc}")
            self.emit(
                events.Finished(status="error", text=last_text, steps=self.steps, usage=self.run_usage, error=error)
            )
            raise
        try:
            await self.session.flush()
        except CodetetherError as exc:
            self.emit(
                events.Finished(status="error", text=last_text, steps=self.steps, usage=self.run_usage, error=str(exc))
            )
            raise
        self.emit(finished)
        return finished

    def _ended_early(self, status: str, error: str | None) -> events.Finished:
        """The run ends before its prompt was stored or sent (a hook blocked it, or Ctrl+C during one)."""
        finished = events.Finished(status=status, text="", steps=self.steps, usage=self.run_usage, error=error)
        self.emit(finished)
        return finished

    async def _prompt_hooks(self, prompt: Message) -> tuple[Message, str | None]:
        """session_start (once) and user_prompt hooks: context joins the prompt; a block ends the run."""
        assert self.hooks is not None
        context = []
        if not self._session_started:
            self._session_started = True
            context.append(await self.hooks.session_start())
        verdict = await self.hooks.user_prompt(prompt.text)
        if verdict.blocked is not None:
            return prompt, f"a user_prompt hook blocked the prompt: {verdict.blocked}"
        context.append(verdict.context)
        added = "\n".join(c for c in context if c)
        if not added:
            return prompt, None
        part = TextPart(text=f"<system-reminder>\n{added}\n</system-reminder>")
        return msgspec.structs.replace(prompt, content=[*prompt.content, part]), None

    def _check_interrupt(self, text: str) -> None:
        """End the run if this task was cancelled, even where an await swallowed the CancelledError.

        Python 3.11's ``asyncio.wait_for`` returns the inner result when it finishes in the same
        iteration as the cancel (the bash tool's command, an HTTP read), and a library may catch the
        error; ``Task.cancelling()`` still counts the request, so the next model turn never starts.
        """
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise Interrupted(text)

    async def step(self) -> str:
        """One model turn and the tools it asked for. Raises Submitted when the model is done."""
        await self._maybe_compact()
        empty = 0
        while True:
            reply = await self._ask()
            if reply.text.strip() or reply.tool_calls:
                break
            empty += 1
            if empty > MAX_EMPTY_REPLIES:
                raise FormatError("the model kept sending empty replies", "try again or use another model")
            self.session.add(Message.user(EMPTY_REPLY_NUDGE))
        self.session.add(reply)
        if not reply.tool_calls:
            if self._last_stop == "max_tokens":
                self._cut.append(reply.text)
                if len(self._cut) > MAX_CONTINUATIONS:  # every part is in the session; the answer is not whole
                    text, self._cut = "".join(self._cut), []
                    raise OutputLimit(text)
                # The answer hit the output limit mid-way: ask for the rest rather than accept half of it.
                self.session.add(Message.user(CONTINUE_NUDGE))
                return reply.text
            text, self._cut = "".join([*self._cut, reply.text]), []
            if self.hooks is not None and self._stop_turns < MAX_STOP_HOOK_TURNS:
                reason = await self.hooks.stop(text, active=self._stop_turns > 0)
                if reason is not None:
                    self._stop_turns += 1
                    self.session.add(Message.user(f"A stop hook asked you to continue before finishing:\n{reason}"))
                    return text
            raise Submitted(text)
        self._cut = []
        self._check_interrupt(reply.text)  # a cancel swallowed while the reply streamed: run no tools
        await self.session.flush()  # the calls are on disk before their effects begin
        await self._execute(reply.tool_calls)
        return reply.text

    # --- the model -----------------------------------------------------------------------------------
    def _request(self) -> Request:
        return Request(
            model=self.model,
            messages=list(self.session.messages),
            tools=self.specs,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
        )

    async def _ask(self) -> Message:
        try:
            return await self._stream_reply()
        except ContextLengthError:
            if self.compactor is None:
                raise
            await self._compact(force=True)  # the provider says it does not fit: shorten and try once more
            return await self._stream_reply()

    async def _stream_reply(self) -> Message:
        await self.session.flush()  # what the model is about to see is on disk before it answers
        text: list[str] = []
        calls: list[ToolCall] = []
        usage = Usage()
        try:
            async for event in self.provider.stream(self._request()):
                if isinstance(event, ProviderText):
                    text.append(event.text)
                    self.emit(events.TextDelta(text=event.text))
                elif isinstance(event, ProviderThinking) and event.text:
                    self.emit(events.ThinkingDelta(text=event.text))
                elif isinstance(event, UsageEvent):
                    usage = event.usage
                elif isinstance(event, Done):
                    self._last_stop = event.stop_reason
                elif hasattr(event, "call"):
                    calls.append(event.call)
        except asyncio.CancelledError:
            if text:  # keep what the user already saw
                self.session.add(Message.assistant("".join(text) + "\n[interrupted by the user]"))
            raise
        self.session.add_usage(usage, self.model)
        self.run_usage = self.run_usage + usage
        self.emit(events.UsageUpdate(step=usage, total=self.session.usage))
        reply = "".join(text)
        if not calls and self.router is not None and self.specs and reply.strip():
            calls = await self.router.route(reply, self.specs)  # a reply that only described its calls
        return Message.assistant(reply, calls)

    # --- tools ---------------------------------------------------------------------------------------
    async def _execute(self, calls: list[ToolCall]) -> None:
        done: dict[str, Message] = {}

        def started(call: ToolCall) -> None:
            self.emit(events.ToolCallStarted(call_id=call.id, name=call.name, arguments=call.arguments))

        def finished(call: ToolCall, outcome: Any) -> None:
            message = Message.tool_result(call, outcome.output, is_error=outcome.is_error)
            image = outcome.metadata.get("image")
            if image:
                message.content.append(ImagePart(media_type=image["media_type"], data=image["data"]))
            done[call.id] = message
            self.emit(
                events.ToolCallFinished(
                    call_id=call.id,
                    name=call.name,
                    output=outcome.output,
                    is_error=outcome.is_error,
                    duration_ms=outcome.duration_ms,
                )
            )

        if self.tools is None:  # --no-tools, yet the model asked for one: answer every call, then go on
            for call in calls:
                done[call.id] = Message.tool_result(call, "no tools are available in this run", is_error=True)
            self.session.add(*(done[c.id] for c in calls))
            return
        try:
            await self.tools.run_many(calls, started, finished)
        except asyncio.CancelledError:
            for call in calls:  # every call gets an answer, or the next request would be invalid
                if call.id not in done:
                    done[call.id] = Message.tool_result(
                        call, "interrupted by the user before it finished", is_error=True
                    )
            self.session.add(*(done[c.id] for c in calls))
            raise
        self.session.add(*(done[c.id] for c in calls))

    # --- context -------------------------------------------------------------------------------------
    async def _maybe_compact(self) -> None:
        if self.compactor is not None and self.compactor.over(self.session.messages, self._schema_chars):
            await self._compact(force=False)

    async def _compact(self, *, force: bool) -> None:
        if self.hooks is not None:
            await self.hooks.pre_compact("overflow" if force else "auto")
        before = estimate_tokens(self.session.messages, self._schema_chars)
        messages, summarised = await self.compactor.compact(
            self.session.messages, extra_chars=self._schema_chars, force=force
        )
        self.session.checkpoint(messages)
        after = estimate_tokens(messages, self._schema_chars)
        self.emit(events.Compacted(tokens_before=before, tokens_after=after, summarised=summarised))
