"""``create-prd``: a PRD template for a feature, with quality checks that fit the repository it is in."""

import re
from pathlib import Path

from .detect import detect
from .prd import FileExistsStep, Prd, ShellStep, UserStory, now


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "feature"


def template(feature: str, project: str, root: Path) -> tuple[Prd, list[str]]:
    """The template PRD and the ecosystems whose checks it uses (empty: the checks must be filled in)."""
    checks, found = detect(root)
    stamp = now()
    first = UserStory(
        id="US-001",
        title=f"First step of {feature}",
        description="What to build and why, in a few sentences a new team member would understand.",
        acceptance_criteria=["An observable behaviour that shows the story is done", "The project's checks pass"],
        verification_steps=[],
        priority=1,
        complexity=2,
    )
    second = UserStory(
        id="US-002",
        title=f"Second step of {feature}",
        description="A story that needs the first one's work.",
        acceptance_criteria=["Another observable behaviour"],
        verification_steps=[
            ShellStep(name="example", command="git status --short", expect_output_contains=[]),
            FileExistsStep(name="readme", path="README*", glob=True),
        ],
        priority=2,
        depends_on=["US-001"],
        complexity=3,
    )
    prd = Prd(
        project=project,
        feature=feature,
        branch_name=f"feature/{slug(feature)}",
        version="1.0",
        user_stories=[first, second],
        technical_requirements=[],
        quality_checks=checks,
        created_at=stamp,
        updated_at=stamp,
    )
    return prd, found
