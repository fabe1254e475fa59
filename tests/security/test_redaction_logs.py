"""The CLI's logging setup masks secrets in every record's traceback, a library's as well as its own."""

import subprocess
import sys

SECRET = "log-secret-4b8e2f9d1a6c"

SCRIPT = f"""
import logging
from codetether.cli.output import configure_logging
from codetether.secrets.redaction import register_secret

configure_logging(debug=False)
register_secret({SECRET!r})
for name in ("aiohttp.server", "codetether.server.jsonrpc"):
    try:
        raise RuntimeError("the upstream answer quoted " + {SECRET!r})
    except RuntimeError:
        logging.getLogger(name).error("Error handling request", exc_info=True)
"""


def test_tracebacks_logged_by_libraries_and_codetether_are_masked_on_stderr():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("Error handling request") == 2 and proc.stderr.count("Traceback") == 2
    assert SECRET not in proc.stderr and proc.stderr.count("[REDACTED]") == 2
