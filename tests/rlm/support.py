"""A 5 MB service log (far past any context window) with one incident buried in it, and CLI helpers."""

import asyncio
import json
import os
import sys
from pathlib import Path

INCIDENT_LINE = 31_337  # where the incident's ERROR record starts (1-based)
INCIDENT = [
    "2026-03-14 17:42:09,311 ERROR [pay-7] payments.gateway: charge failed for merchant M-7781 order 99120",
    "Traceback (most recent call last):",
    '  File "/srv/pay/gateway.py", line 212, in charge',
    "    token = vault.card_token(order.card_id)",
    '  File "/srv/pay/vault.py", line 88, in card_token',
    "    raise TokenExpired(card_id)",
    "pay.vault.TokenExpired: card token expired for card 4412 (rotated 2026-03-14 17:40)",
]


def big_log(size: int = 5 * 1024 * 1024) -> str:
    """Ordinary access records, one a second, with the incident at INCIDENT_LINE."""
    lines: list[str] = []
    second = 0
    total = 0
    while total < size:
        if len(lines) == INCIDENT_LINE - 1:
            lines += INCIDENT
            total += sum(len(line) + 1 for line in INCIDENT)
            continue
        second += 1
        h, m, s = 9 + second // 3600, second // 60 % 60, second % 60
        status = (200, 200, 201, 304, 404)[second % 5]
        lines.append(
            f"2026-03-14 {h:02d}:{m:02d}:{s:02d},{second % 1000:03d} INFO  [web-{second % 8}] http.access: "
            f"GET /api/orders/{second * 7919 % 100000} {status} {second % 97 + 3}ms user={second % 4099}"
        )
        total += len(lines[-1]) + 1
    return "\n".join(lines) + "\n"


def configure(config_file: Path, url: str) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(f'[providers.fake]\nkind = "openai"\nbase_url = "{url}/v1"\n')


async def run_cli(*args: str, cwd: Path, stdin: bytes | None = None, timeout: float = 120):
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codetether",
        *args,
        cwd=cwd,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(os.environ),
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
    return proc.returncode, out.decode(), err.decode()


def result_of(stdout: str) -> dict:
    return json.loads(stdout)
