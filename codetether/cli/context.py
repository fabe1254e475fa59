"""State shared by every subcommand of one invocation: flags, and the config loaded once."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import UsageError
from . import output

if TYPE_CHECKING:
    from ..config import LoadedConfig


@dataclass
class AppContext:
    debug: bool = False
    overrides: dict[str, str] = field(default_factory=dict)
    _loaded: "LoadedConfig | None" = None

    @classmethod
    def from_flags(cls, *, debug: bool, overrides: tuple[str, ...]) -> "AppContext":
        parsed: dict[str, str] = {}
        for item in overrides:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise UsageError(f"-o {item!r} is not KEY=VALUE", "for example: -o default.model=gpt-5")
            parsed[key.strip()] = value.strip()
        return cls(debug=debug, overrides=parsed)

    def config(self) -> "LoadedConfig":
        """The effective config, loaded on first use; says once when a project file is being ignored."""
        if self._loaded is None:
            from ..config import load_config
            from ..config.trust import TrustState

            self._loaded = load_config(overrides=self.overrides)
            state = self._loaded.project_state
            if state is TrustState.UNTRUSTED:
                output.notice(
                    f"{self._loaded.project_file} is not applied: it is not trusted "
                    "(review it, then run `codetether config project trust`)"
                )
            elif state is TrustState.CHANGED:
                output.warn(
                    f"{self._loaded.project_file} changed since you trusted it and is not applied "
                    "(review it, then run `codetether config project trust` again)"
                )
        return self._loaded

    def announce_crash_reports(self) -> None:
        from ..telemetry.crash import take_unannounced

        try:
            reports = take_unannounced()
        except OSError:
            return
        for path in reports:
            output.notice(
                f"codetether crashed last time; a redacted report is at {path} "
                "(attach it to a bug report to send it, or delete it with `codetether crash delete`)"
            )
