"""The agent card in each spec version's shape, validated against that version's JSON Schema
(reference/a2a: 1.0's forbids fields it does not define), with absolute URLs for every interface."""

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import jsonschema
import pytest
from referencing import Registry, Resource

from codetether.a2a.client import decode as client_decode
from codetether.a2a.client.card import choose_endpoint
from codetether.a2a.domain.store import SQLiteTaskStore
from codetether.a2a.server.card import card_v03, card_v1
from codetether.config.schema import A2ASection
from codetether.errors import UsageError
from codetether.security.audit import AuditLog
from codetether.security.auth import TokenAuth
from codetether.server.peer import Peer
from tests.a2a.drivers import TOKEN
from tests.a2a.executors import ScriptedExecutor

REFERENCE = Path(__file__).parent / "spec_schemas"  # the spec's own schemas, vendored unmodified
V1_ONLY = {"supportedInterfaces", "securityRequirements"}
V03_ONLY = {"url", "preferredTransport", "additionalInterfaces", "protocolVersion", "security"}


def _validator(version: str) -> jsonschema.protocols.Validator:
    bundle = json.loads((REFERENCE / f"a2a-v{version}.schema.json").read_text())
    definitions = bundle["definitions"]
    if version == "1.0":  # 1.0's definitions $ref each other by file name: lf.a2a.v1.AgentInterface.jsonschema.json
        registry = Registry().with_resources(
            (f"{package}.{title.replace(' ', '')}.jsonschema.json", Resource.from_contents(schema))
            for title, schema in definitions.items()
            for package in ("lf.a2a.v1", "google.protobuf")
        )
        return jsonschema.Draft202012Validator(definitions["Agent Card"], registry=registry)
    return jsonschema.Draft7Validator({**definitions["AgentCard"], "definitions": definitions})


def assert_valid(card: dict, version: str) -> None:
    errors = sorted(_validator(version).iter_errors(card), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def interface_urls(card: dict) -> list[str]:
    if "supportedInterfaces" in card:
        return [i["url"] for i in card["supportedInterfaces"]]
    return [card["url"], *(i["url"] for i in card.get("additionalInterfaces", []))]


def assert_absolute(urls: list[str]) -> None:
    for url in urls:
        parts = urlsplit(url)
        assert parts.scheme in ("http", "https") and parts.hostname and parts.port, url


@pytest.fixture
async def peer(tmp_path):
    peer = await Peer.start(
        A2ASection(port=0, grpc_port=0),
        ScriptedExecutor(),
        TokenAuth(TOKEN),
        store=SQLiteTaskStore(tmp_path / "tasks.sqlite3"),
        audit=AuditLog(tmp_path / "audit"),
    )
    yield peer
    await peer.stop()


async def _get(url: str, headers: dict | None = None) -> tuple[int, Any, dict]:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers or {}) as response:
        return response.status, response.headers.copy(), await response.json()


async def _rpc(base: str, method: str, version: str | None) -> dict:
    headers = {"Authorization": f"Bearer {TOKEN}", **({"A2A-Version": version} if version else {})}
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": {}}
    async with aiohttp.ClientSession() as session, session.post(base + "/", json=body, headers=headers) as response:
        reply = await response.json()
    assert "result" in reply, reply
    return reply["result"]


async def test_public_card_is_a_valid_1_0_card_by_default_and_when_asked(peer):
    base = peer.addresses.http_url
    for headers in (None, {"A2A-Version": "1.0"}):
        status, response_headers, card = await _get(base + "/.well-known/agent-card.json", headers)
        assert status == 200
        assert_valid(card, "1.0")
        assert not V03_ONLY & card.keys()
        assert card["securitySchemes"] == {
            "bearer": {
                "httpAuthSecurityScheme": card_v1(peer.handler.card)["securitySchemes"]["bearer"][
                    "httpAuthSecurityScheme"
                ]
            }
        }
        assert response_headers["Vary"] == "A2A-Version"


async def test_public_card_is_a_valid_0_3_card_for_a_0_3_client_and_at_the_legacy_path(peer):
    base = peer.addresses.http_url
    asked = await _get(base + "/.well-known/agent-card.json", {"A2A-Version": "0.3"})
    by_query = await _get(base + "/.well-known/agent-card.json?A2A-Version=0.3")
    legacy = await _get(base + "/.well-known/agent.json")
    for status, _, card in (asked, by_query, legacy):
        assert status == 200
        assert_valid(card, "0.3.0")
        assert not V1_ONLY & card.keys()
        assert card["securitySchemes"]["bearer"] == {
            "type": "http",
            "scheme": "bearer",
            "description": "the server's token (CODETETHER_AUTH_TOKEN)",
        }
        assert card["security"] == [{"bearer": []}]
        assert card["preferredTransport"] == "JSONRPC" and card["url"] == base + "/"
        assert card["supportsAuthenticatedExtendedCard"] is True
        assert {i["transport"] for i in card["additionalInterfaces"]} == {"JSONRPC", "HTTP+JSON", "GRPC"}
    assert asked[2] == legacy[2]
    assert asked[1]["ETag"] != (await _get(base + "/.well-known/agent-card.json"))[1]["ETag"]


async def test_public_card_refuses_an_unsupported_version(peer):
    status, _, body = await _get(peer.addresses.http_url + "/.well-known/agent-card.json", {"A2A-Version": "2.0"})
    assert status == 400 and body["supportedVersions"] == ["1.0", "0.3"]


async def test_extended_card_is_valid_in_the_shape_of_the_version_asked(peer):
    base = peer.addresses.http_url
    v1 = await _rpc(base, "GetExtendedAgentCard", "1.0")
    assert_valid(v1, "1.0")
    assert not V03_ONLY & v1.keys()
    v03 = await _rpc(base, "agent/getAuthenticatedExtendedCard", None)
    assert_valid(v03, "0.3.0")
    assert not V1_ONLY & v03.keys()
    assert any(skill["id"].startswith("tool.") for skill in v03["skills"])


async def test_every_interface_url_is_absolute_in_both_shapes(peer):
    grpc_port = int(peer.addresses.grpc_address.rsplit(":", 1)[1])
    for version, headers in (("1.0", None), ("0.3", {"A2A-Version": "0.3"})):
        _, _, card = await _get(peer.addresses.http_url + "/.well-known/agent-card.json", headers)
        urls = interface_urls(card)
        assert_absolute(urls)
        assert f"http://127.0.0.1:{grpc_port}" in urls, (version, urls)


async def test_cards_name_the_configured_public_url_for_every_interface(tmp_path):
    peer = await Peer.start(
        A2ASection(port=0, grpc_port=0, public_url="https://agent.example.com/"),
        ScriptedExecutor(),
        TokenAuth(TOKEN),
        store=SQLiteTaskStore(tmp_path / "tasks.sqlite3"),
        audit=AuditLog(tmp_path / "audit"),
    )
    try:
        grpc_port = peer.addresses.grpc_address.rsplit(":", 1)[1]
        v1, v03 = card_v1(peer.handler.card), card_v03(peer.handler.card)
    finally:
        await peer.stop()
    assert_valid(v1, "1.0")
    assert_valid(v03, "0.3.0")
    for card in (v1, v03):
        urls = interface_urls(card)
        assert set(urls) == {
            "https://agent.example.com/",
            "https://agent.example.com/a2a/rest",
            f"https://agent.example.com:{grpc_port}",
        }
    assert v03["url"] == "https://agent.example.com/"


async def test_a_public_url_that_is_not_absolute_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="public_url"):
        await Peer.start(
            A2ASection(port=0, grpc_port=0, public_url="agent.example.com"),
            ScriptedExecutor(),
            TokenAuth(TOKEN),
            store=SQLiteTaskStore(tmp_path / "tasks.sqlite3"),
            audit=AuditLog(tmp_path / "audit"),
        )


async def test_our_client_reads_both_card_shapes_to_the_same_interfaces(peer):
    base = peer.addresses.http_url
    for headers in (None, {"A2A-Version": "0.3"}):
        _, _, data = await _get(base + "/.well-known/agent-card.json", headers)
        card = client_decode.card(data, "the card")
        assert choose_endpoint(card, "jsonrpc", "0.3").url == base + "/"
        assert choose_endpoint(card, "grpc", "0.3").url == "http://" + peer.addresses.grpc_address
