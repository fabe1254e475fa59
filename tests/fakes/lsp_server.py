"""A language server that only answers requests with empty results, for tests of how it is started.

``python lsp_server.py ENV_JSON [PID_FILE]``: writes its environment to ENV_JSON; with PID_FILE it also
starts a ``sleep 300`` child (as real servers start helpers, e.g. tsserver) and writes that pid there.
Both happen before it answers ``initialize``, so they are done once the client's ``start`` returns.
With ``FAKE_LSP_MESSAGES`` set to a path, it appends every message it receives there, one JSON per line.
"""

import json
import os
import subprocess
import sys


def main() -> None:
    with open(sys.argv[1], "w") as f:
        json.dump(dict(os.environ), f)
    if len(sys.argv) > 2:
        helper = subprocess.Popen(["sleep", "300"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        with open(sys.argv[2], "w") as f:
            f.write(str(helper.pid))
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        headers = {}
        while line := stdin.readline().strip():
            key, _, value = line.decode().partition(":")
            headers[key.lower()] = value.strip()
        if not headers:
            return  # end of input: the client is gone
        message = json.loads(stdin.read(int(headers["content-length"])))
        if os.environ.get("FAKE_LSP_MESSAGES"):
            with open(os.environ["FAKE_LSP_MESSAGES"], "a") as f:
                f.write(json.dumps(message) + "\n")
        if "id" in message:
            body = json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": {"capabilities": {}}}).encode()
            stdout.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            stdout.flush()
        if message.get("method") == "exit":
            return


if __name__ == "__main__":
    main()
