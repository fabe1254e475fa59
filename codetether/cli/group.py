"""The ``codetether`` click group. Subcommands are imported only when they run.

``--help`` renders from the table below, so listing commands never imports them.
"""

import importlib

import click

from .._version import __version__
from . import output
from .context import AppContext

# name -> ("module:attribute", one-line help). Add a command here only when it really works.
COMMANDS: dict[str, tuple[str, str]] = {
    "a2a": ("codetether.cli.commands.a2a:a2a", "Talk to A2A agents: read an agent card, send a message."),
    "agents": ("codetether.cli.commands.agents:agents", "List the named agents (build, plan, explore, yours)."),
    "audit": ("codetether.cli.commands.audit:audit", "Read and verify the tamper-evident audit trail."),
    "auth": ("codetether.cli.commands.auth:auth", "Store, list and remove provider credentials."),
    "benchmark": ("codetether.cli.commands.benchmark:benchmark", "Measure models on the Ralph PRD benchmark suite."),
    "config": ("codetether.cli.commands.config:config", "Show, create and change settings; trust project files."),
    "crash": ("codetether.cli.commands.crash:crash", "List, show and delete crash reports."),
    "k8s": ("codetether.cli.commands.k8s:k8s", "Kubernetes: print deployment manifests, show the deployment."),
    "models": (
        "codetether.cli.commands.models:models",
        "List models with context, limits and prices; pull the tool-call router model.",
    ),
    "mcp": ("codetether.cli.commands.mcp:mcp", "Use MCP servers' tools (list, tools, call), or serve ours."),
    "plugin": ("codetether.cli.commands.plugin:plugin", "Sign, verify, install and remove signed plugins."),
    "ralph": ("codetether.cli.commands.ralph:ralph", "Run a PRD story by story, each gated by the project's checks."),
    "rlm": ("codetether.cli.commands.rlm:rlm", "Answer a question about files or text too large for a context."),
    "run": ("codetether.cli.commands.run:run", "Run the agent on a task in the current directory."),
    "serve": ("codetether.cli.commands.serve:serve", "Serve the agent over A2A (JSON-RPC, REST and gRPC)."),
    "spawn": (
        "codetether.cli.commands.spawn:spawn",
        "Run a standalone A2A peer that finds and delegates to other peers.",
    ),
    "sessions": ("codetether.cli.commands.sessions:sessions", "List, show, export and delete saved sessions."),
    "swarm": ("codetether.cli.commands.swarm:swarm", "Split a task into subtasks run by parallel sub-agents."),
    "worker": ("codetether.cli.commands.worker:worker", "Take tasks from a `serve --queue-only` and run them here."),
    "tui": ("codetether.cli.commands.tui:tui", "Open the terminal UI (also: `codetether` alone on a terminal)."),
}


class LazyGroup(click.Group):
    """A group whose subcommands live in modules imported on first use (``table``: name -> (target, help))."""

    table: dict[str, tuple[str, str]] = COMMANDS

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.table, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in self.table:
            return None
        module_name, _, attribute = self.table[cmd_name][0].partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        self.commands[cmd_name] = command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self.table[name][1]) for name in sorted(self.table)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "-V", "--version", prog_name="codetether", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, envvar="CODETETHER_DEBUG", help="Show full tracebacks on errors.")
@click.option(
    "-o",
    "--override",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a setting for this run only, e.g. -o default.model=gpt-5.",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool, overrides: tuple[str, ...]) -> None:
    """CodeTether: an AI coding agent with first-class Agent-to-Agent support."""
    ctx.obj = AppContext.from_flags(debug=debug, overrides=overrides)
    output.configure_logging(debug)
    ctx.obj.announce_crash_reports()
    if ctx.invoked_subcommand is None:  # bare `codetether`: the TUI on a terminal, the help otherwise
        import sys

        if sys.stdin.isatty() and sys.stdout.isatty():
            from .commands.tui import launch

            launch(ctx.obj, model=None, session="new")
        else:
            click.echo(ctx.get_help())
