"""Push webhook guards: malformed URLs, the connect-time resolver check, secrets kept out of logs."""

import pytest

from codetether.a2a.domain import errors
from codetether.a2a.server.push import PushNotifier, _public, _PublicOnlyResolver, _shown


@pytest.mark.parametrize("url", ["http://example.com:99999/x", "http://[::1/x", "http://h:0x/", "ftp://example.com/"])
async def test_malformed_urls_are_invalid_params(url):
    with pytest.raises(errors.InvalidParamsError):
        await PushNotifier(None).check_url(url)


async def test_the_connect_time_resolver_refuses_private_answers():
    # What aiohttp asks when it connects: a name checked public at registration that now resolves to
    # loopback (DNS rebinding) is refused here, on the address actually dialled.
    resolver = _PublicOnlyResolver()
    try:
        with pytest.raises(OSError, match="non-public"):
            await resolver.resolve("localhost", 80)
    finally:
        await resolver.close()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "169.254.169.254",
        "::1",
        "::ffff:10.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::",
        "::7f00:1",
    ],
)
def test_addresses_that_hide_a_private_ipv4_are_not_public(address):
    assert not _public(address)


def test_logged_urls_drop_userinfo_and_query():
    assert _shown("https://user:secret@hooks.example:8443/in?token=abc") == "https://hooks.example:8443/in"
