"""Ralph: autonomous PRD-driven development, one user story at a time, gated by the project's own checks.

``prd`` is the ``prd.json`` schema (compatible with the original tool's files), ``validate`` reports
every problem in a PRD by JSON path, ``detect`` finds a repository's quality checks, ``loop`` runs
the stories (each in its own git worktree with a fresh agent), ``checks`` runs quality checks and
verification steps for real, and ``progress``/``state`` keep what a run learned and how it went.
"""
