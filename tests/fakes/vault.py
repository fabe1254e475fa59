"""A loopback HashiCorp Vault that implements the KV v2 and auth paths CodeTether calls.

Status codes and bodies follow Vault's HTTP API: 403 ``permission denied`` for a bad or
revoked token, 404 ``{"errors": []}`` for a missing secret, 503 ``Vault is sealed`` while
sealed, 400 ``invalid role name`` for an unknown Kubernetes role.
"""

import json
import secrets
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class FakeVault:
    def __init__(self, mount: str = "secret") -> None:
        self.mount = mount
        self.sealed = False
        self.tokens: set[str] = set()
        self.roles: dict[str, str] = {}  # role -> accepted service-account JWT
        self.kv: dict[str, dict] = {}
        self.requests: list[tuple[str, str]] = []
        self.logins = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def addr(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeVault":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def issue_token(self) -> str:
        token = "hvs." + secrets.token_urlsafe(24)
        self.tokens.add(token)
        return token

    def revoke_all(self) -> None:
        """Every issued token expires at once (as at the end of a lease)."""
        self.tokens.clear()

    def put(self, path: str, data: dict) -> None:
        self.kv[path] = data

    def _handler(self):
        vault = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _send(self, status: int, body: dict | None = None) -> None:
                payload = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _body(self) -> dict:
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"{}")

            def _route(self, method: str) -> None:
                url = urlsplit(self.path)
                path = url.path
                vault.requests.append((method, path))
                if path == "/v1/sys/health":
                    body = {"initialized": True, "sealed": vault.sealed, "standby": False, "version": "1.17.0"}
                    return self._send(503 if vault.sealed else 200, body)
                if vault.sealed:
                    return self._send(503, {"errors": ["Vault is sealed"]})
                if path == "/v1/auth/kubernetes/login" and method == "POST":
                    return self._login(self._body())
                if self.headers.get("X-Vault-Token") not in vault.tokens:
                    return self._send(403, {"errors": ["permission denied"]})
                data_prefix = f"/v1/{vault.mount}/data/"
                meta_prefix = f"/v1/{vault.mount}/metadata/"
                if path.startswith(data_prefix) and method == "GET":
                    return self._read(path[len(data_prefix) :])
                listing = method == "LIST" or parse_qs(url.query).get("list") == ["true"]
                if path.startswith(meta_prefix) and listing:
                    return self._list(path[len(meta_prefix) :].strip("/"))
                return self._send(404, {"errors": []})

            def _login(self, body: dict) -> None:
                role = body.get("role")
                if role not in vault.roles:
                    return self._send(400, {"errors": [f'invalid role name "{role}"']})
                if body.get("jwt") != vault.roles[role]:
                    return self._send(403, {"errors": ["permission denied"]})
                vault.logins += 1
                token = vault.issue_token()
                auth = {"client_token": token, "policies": ["default", "codetether"], "lease_duration": 3600}
                self._send(200, {"request_id": str(uuid.uuid4()), "auth": {**auth, "renewable": True}, "data": None})

            def _read(self, secret_path: str) -> None:
                if secret_path not in vault.kv:
                    return self._send(404, {"errors": []})
                created = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
                metadata = {"created_time": created, "deletion_time": "", "destroyed": False, "version": 1}
                self._send(
                    200,
                    {
                        "request_id": str(uuid.uuid4()),
                        "lease_id": "",
                        "renewable": False,
                        "lease_duration": 0,
                        "data": {"data": vault.kv[secret_path], "metadata": metadata},
                        "wrap_info": None,
                        "warnings": None,
                        "auth": None,
                    },
                )

            def _list(self, prefix: str) -> None:
                keys = sorted({p[len(prefix) + 1 :].split("/")[0] for p in vault.kv if p.startswith(prefix + "/")})
                if not keys:
                    return self._send(404, {"errors": []})
                self._send(200, {"request_id": str(uuid.uuid4()), "data": {"keys": keys}})

            def do_GET(self):
                self._route("GET")

            def do_POST(self):
                self._route("POST")

            def do_LIST(self):
                self._route("LIST")

        return Handler
