"""What a PRD makes Ralph do on the machine by itself, as permission requests.

Ralph runs the PRD's quality checks and shell verification steps with ``bash -c`` and requests its
URL steps without going through any agent's tools, so no permission rule or access mode sees them.
A PRD is a file the model can write, so whoever starts a run on someone's behalf (the ``ralph`` tool,
a worker's ralph-mode task) must put each of these before the policy first: otherwise writing
``prd.json`` (an edit, allowed silently in ``approve`` mode) then running it turns into any shell
command at all.
"""

from ..security.permissions import PermissionRequest
from .prd import Prd, ShellStep, UrlStep


def requests(prd: Prd) -> list[PermissionRequest]:
    """Each distinct command (as the ``bash`` tool's request) and URL step (``network``) of ``prd``, in run order."""
    found: list[PermissionRequest] = []
    for _, command in prd.quality_checks.items():
        found.append(PermissionRequest("bash", command, "execute"))
    for story in prd.user_stories:
        for step in story.verification_steps:
            if isinstance(step, ShellStep):
                found.append(PermissionRequest("bash", step.command, "execute"))
            elif isinstance(step, UrlStep):
                found.append(PermissionRequest("ralph", f"{step.method} {step.url}", "network"))
    return list(dict.fromkeys(found))
