"""Local-server discovery: with no provider configured, a loopback OpenAI-compatible server is used."""

import asyncio
import json
import socket

import pytest
from aiohttp import web

from codetether.providers.discovery import discover, probe
from tests.agent.test_run_e2e import run_cli
from tests.fakes.llm import Reply
from tests.fakes.ollama import FakeOllama


@pytest.fixture
async def ollama():
    server = await FakeOllama(["nomic-embed-text:latest", "qwen2.5-coder:7b", "llama3.2:3b"]).start()
    yield server
    await server.stop()


@pytest.fixture
async def impostor():
    """Something else on a usual port: a web app that answers /v1/models with HTML."""

    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<html>hello</html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/v1/models", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    await runner.cleanup()


def closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


async def test_probe_and_order(ollama, impostor):
    assert await asyncio.to_thread(probe, ollama.url, 2.0) == ollama.models
    assert await asyncio.to_thread(probe, impostor, 2.0) is None
    assert await asyncio.to_thread(probe, closed_port(), 2.0) is None
    servers = {"vllm": closed_port(), "lm-studio": impostor, "ollama": ollama.url}
    found = await asyncio.to_thread(discover, servers, 2.0)
    assert found is not None and (found.name, found.url, found.label) == ("ollama", ollama.url, "Ollama")
    assert found.model == "qwen2.5-coder:7b"  # an embedding model is never the default
    assert found.base_url == f"{ollama.url}/v1"


async def test_only_loopback_is_probed(ollama):
    assert await asyncio.to_thread(discover, {"far": "http://192.0.2.1:11434"}, 0.2) is None
    assert await asyncio.to_thread(discover, {}, 0.2) is None


async def _run(*args, cwd, env=None):
    return await run_cli(*args, cwd=cwd, env=env, timeout=120)


async def test_run_uses_a_local_ollama(ollama, config_file, tmp_path):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(f'[discovery]\nservers = {{ vllm = "{closed_port()}", ollama = "{ollama.url}" }}\n')
    ollama.script(Reply(text="Hello from the local model."))
    code, out, err = await _run("run", "--format", "json", "--no-tools", "say hello", cwd=tmp_path)
    assert code == 0, err
    assert json.loads(out)["text"] == "Hello from the local model."
    assert err.strip().splitlines() == [
        f"note: no provider configured: using the local Ollama server at {ollama.url}, model qwen2.5-coder:7b "
        "(pass --model ollama/MODEL for another of its 3 models)"
    ]
    (request,) = ollama.requests
    assert request.path == "/v1/chat/completions" and request.body["model"] == "qwen2.5-coder:7b"


async def test_a_chosen_provider_is_never_replaced(ollama, config_file, tmp_path):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(f'[discovery]\nservers = {{ ollama = "{ollama.url}" }}\n')
    env = {"CODETETHER_DEFAULT_MODEL": "gemma-3-270m", "CODETETHER_LLAMA_MODEL_PATH": str(tmp_path / "none.gguf")}
    code, _, err = await _run("run", "--no-tools", "hi", cwd=tmp_path, env=env)
    assert ollama.model_requests == 0  # the user named the embedded model: nothing was probed
    assert code != 0 and "none.gguf does not exist" in err


async def test_discovery_off_falls_back_to_the_embedded_model(ollama, config_file, tmp_path):
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(f'[discovery]\nenabled = false\nservers = {{ ollama = "{ollama.url}" }}\n')
    env = {"CODETETHER_LLAMA_MODEL_PATH": str(tmp_path / "none.gguf")}
    code, _, err = await _run("run", "--no-tools", "hi", cwd=tmp_path, env=env)
    assert ollama.model_requests == 0 and code != 0  # the embedded model was tried (and its file is missing)
    assert "270M demonstration model" in err and "local server (Ollama, llama-server, LM Studio or vLLM)" in err
