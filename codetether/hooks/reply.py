"""What a hook's ending means, read the way Claude Code reads its hooks.

Exit 0: stdout may be a JSON object (``decision``/``reason``, ``systemMessage`` and a
``hookSpecificOutput`` with ``permissionDecision``, ``permissionDecisionReason``, ``updatedInput`` or
``additionalContext``); plain text on stdout is context for ``user_prompt`` and ``session_start``.
Exit 2: block, with stderr as the reason. Anything else (another exit code, a timeout, JSON that
does not parse) is a failure: reported to the user and otherwise ignored, so a broken hook never
stops the agent.
"""

from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from .process import Completed

Decision = Literal["allow", "deny", "ask", "block"]
CONTEXT_EVENTS = frozenset({"user_prompt", "session_start"})
_PERMISSION = {"allow": "allow", "deny": "deny", "ask": "ask", "approve": "allow", "block": "deny"}


@dataclass(frozen=True)
class HookReply:
    """One hook's answer. ``failure`` says why it was ignored (empty when it ran fine)."""

    decision: Decision | None = None
    reason: str = ""
    context: str = ""
    updated_input: dict[str, Any] | None = None
    message: str = ""  # systemMessage: for the user, not the model
    failure: str = ""


def _failure(done: Completed, timeout: float) -> str:
    if done.error:
        return f"could not start ({done.error})"
    if done.timed_out:
        return f"timed out after {timeout:g}s and was killed"
    detail = done.stderr.strip().splitlines()[-1:] or ["no output on stderr"]
    if done.exit_code is not None and done.exit_code < 0:
        return f"was killed by signal {-done.exit_code} ({detail[0][:300]})"
    return f"exited with code {done.exit_code} ({detail[0][:300]})"


def read_reply(event: str, done: Completed, timeout: float) -> HookReply:
    """Turn one finished hook command into its answer for ``event``."""
    if done.exit_code == 2:
        return HookReply(decision="deny" if event == "pre_tool" else "block", reason=done.stderr.strip())
    if done.exit_code != 0:
        return HookReply(failure=_failure(done, timeout))
    text = done.stdout.strip()
    if not text.startswith("{"):
        return HookReply(context=text if event in CONTEXT_EVENTS else "")
    try:
        data = msgspec.json.decode(text)
    except msgspec.DecodeError as exc:
        return HookReply(failure=f"printed output that is not valid JSON ({exc})")
    if not isinstance(data, dict):
        return HookReply(failure="printed JSON that is not an object")
    return _from_json(event, data)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _from_json(event: str, data: dict[str, Any]) -> HookReply:
    specific = data.get("hookSpecificOutput")
    specific = specific if isinstance(specific, dict) else {}
    decision: Any = None
    reason = _text(data.get("reason"))
    if event == "pre_tool":
        decision = _PERMISSION.get(specific.get("permissionDecision") or data.get("decision") or "")
        reason = _text(specific.get("permissionDecisionReason")) or reason
    elif data.get("decision") == "block":
        decision = "block"
    updated = specific.get("updatedInput")
    if updated is not None and not isinstance(updated, dict):
        return HookReply(failure="hookSpecificOutput.updatedInput must be a JSON object")
    return HookReply(
        decision=decision,
        reason=reason,
        context=_text(specific.get("additionalContext")),
        updated_input=updated if event == "pre_tool" else None,
        message=_text(data.get("systemMessage")),
    )
