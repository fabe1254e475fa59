"""Provider requests through an HTTP proxy: which proxy (environment rules), and the two ways through it."""

import asyncio
import sys
import textwrap

import pytest

from codetether.config import Config
from codetether.providers import provider_settings
from codetether.providers.httpclient import HTTPClient, TransportError
from codetether.providers.proxy import proxy_for
from codetether.secrets import SecretResolver
from tests.providers.test_httpclient import NEEDS_OPENSSL, RawServer, read_request, tls_server


@pytest.mark.parametrize(
    ("url", "environ", "expected"),
    [
        ("https://api.openai.com/v1", {"HTTPS_PROXY": "http://p:3128"}, "http://p:3128"),
        ("https://api.openai.com/v1", {"https_proxy": "p:3128"}, "http://p:3128"),
        ("http://gpu.lan:8000/v1", {"HTTPS_PROXY": "http://p:3128"}, None),
        ("http://gpu.lan:8000/v1", {"ALL_PROXY": "http://p:3128"}, "http://p:3128"),
        ("https://api.openai.com/v1", {"HTTPS_PROXY": "http://p:3128", "NO_PROXY": ".openai.com"}, None),
        ("https://api.openai.com/v1", {"HTTPS_PROXY": "http://p:3128", "no_proxy": "openai.com"}, None),
        ("https://api.openai.com/v1", {"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "openai.com:8443"}, "http://p:3128"),
        ("https://api.openai.com/v1", {"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "*"}, None),
        ("http://127.0.0.1:11434/v1", {"HTTP_PROXY": "http://p:3128"}, None),
        ("http://localhost:11434/v1", {"ALL_PROXY": "http://p:3128"}, None),
    ],
)
def test_which_proxy(url, environ, expected):
    assert proxy_for(url, environ) == expected


def test_provider_settings_resolve_the_proxy_from_the_given_environment():
    environ = {"OPENAI_API_KEY": "sk-0123456789abcdef", "HTTPS_PROXY": "http://user:pw-secret-123@proxy:3128"}
    settings = provider_settings("openai", Config(), SecretResolver(environ=environ), environ)
    assert settings.proxy == "http://user:pw-secret-123@proxy:3128"


async def test_a_plain_http_request_goes_to_the_proxy_with_its_whole_url_and_credentials():
    seen = []

    async def proxy(reader, writer):
        seen.append(await read_request(reader))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nproxied")
        await writer.drain()

    http = HTTPClient(user_agent="t")
    try:
        async with RawServer(proxy) as proxy_url:
            via = proxy_url.replace("http://", "http://me:p%40ss@")
            response = await http.post("http://models.example:8000/v1/chat", data=b"{}", headers={}, connect_timeout=5,
                                       proxy=via)  # fmt: skip
            assert await response.read() == b"proxied"
    finally:
        await http.close()
    head = seen[0].decode()
    assert head.startswith("POST http://models.example:8000/v1/chat HTTP/1.1\r\n")
    assert "Host: models.example:8000\r\n" in head and "Proxy-Authorization: Basic bWU6cEBzcw==\r\n" in head


async def test_a_proxy_that_refuses_the_tunnel_is_a_clear_error():
    async def proxy(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()

    http = HTTPClient(user_agent="t")
    try:
        async with RawServer(proxy) as proxy_url:
            with pytest.raises(TransportError, match=r"refused the tunnel to api.example:443 \(407\)"):
                await http.post("https://api.example/v1", data=b"", headers={}, connect_timeout=5, proxy=proxy_url)
    finally:
        await http.close()


@NEEDS_OPENSSL
async def test_https_goes_through_a_connect_tunnel_with_tls_to_the_target_inside(tmp_path):
    tunnels = []

    def tunnel_to(target_port: int):
        async def proxy(reader, writer):
            line = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n", 1)[0]
            tunnels.append(line)
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", target_port)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()

            async def pipe(source, sink):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
                sink.close()

            await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer), return_exceptions=True)

        return proxy

    script = textwrap.dedent("""
        import asyncio, sys
        from codetether.providers.httpclient import HTTPClient
        async def main():
            http = HTTPClient(user_agent="t")
            response = await http.post(sys.argv[1], data=b"hi", headers={}, connect_timeout=10, proxy=sys.argv[2])
            print(response.status, (await response.read()).decode())
            await http.close()
        asyncio.run(main())
    """)
    async with (
        tls_server(tmp_path, "tunnelled ") as (target_port, cert),
        RawServer(tunnel_to(target_port)) as proxy_url,
    ):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, f"https://localhost:{target_port}/", proxy_url,
            env={"PATH": "/usr/bin:/bin", "SSL_CERT_FILE": str(cert)},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert out.decode().strip() == "200 tunnelled hi"
    assert tunnels == [f"CONNECT localhost:{target_port} HTTP/1.1".encode()]
