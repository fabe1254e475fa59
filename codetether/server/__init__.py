"""Network adapters (aiohttp JSON-RPC/SSE/REST, grpc.aio): translate requests to core calls and back."""
