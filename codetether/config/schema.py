"""The config schema: one msgspec Struct per TOML section, every field described.

Credentials are deliberately absent: keys come from Vault, the keystore or the environment
(see ``codetether.secrets``), never from a file that may be committed or shared.
"""

from typing import Annotated, Literal, get_args, get_origin

import msgspec

ProviderKind = Literal["openai", "anthropic", "google", "bedrock", "llama-cpp"]
# auto, dark, light, plus the original CodeTether's names so its documented config keeps loading.
Theme = Literal["auto", "dark", "light", "default", "marketing", "solarized-dark", "solarized-light"]
PermissionAction = Literal["allow", "deny", "ask"]


# 32 bytes in standard base64: a wrong paste is refused when the config is read, not when a plugin is checked.
PublicKey = Annotated[
    str, msgspec.Meta(pattern=r"^[A-Za-z0-9+/]{43}=$", description="a base64 Ed25519 public key (32 bytes)")
]


class _Section(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=False):
    pass


class DefaultSection(_Section):
    """Which model the agent uses when a command names none."""

    provider: Annotated[str, msgspec.Meta(description="provider name, e.g. openai, anthropic, llama-cpp")] = "llama-cpp"
    model: Annotated[str, msgspec.Meta(description="model id within that provider")] = "gemma-3-270m"


class UISection(_Section):
    """Terminal appearance and the TUI's keys."""

    theme: Annotated[
        Theme, msgspec.Meta(description="auto, dark, light, default, marketing, solarized-dark or solarized-light")
    ] = "auto"
    keys: Annotated[
        dict[str, str | list[str]],
        msgspec.Meta(
            description='TUI key bindings: action -> key or keys, e.g. model = "f3" or swarm = ["ctrl s", "f2"] '
            "(see docs/tui.md for the actions)"
        ),
    ] = {}


class SessionSection(_Section):
    """Session persistence."""

    auto_save: Annotated[bool, msgspec.Meta(description="save every session so it can be resumed")] = True


# The providers that need no [providers.NAME] section, with their wire protocol (their URLs and
# default models live in providers.registry). A section that only adjusts one of them (a timeout,
# a header) may leave out `kind`; any other provider's section must name it.
BUILTIN_PROVIDER_KINDS: dict[str, ProviderKind] = {
    "openai": "openai",
    "openrouter": "openai",
    "moonshotai": "openai",
    "zai": "openai",
    "stepfun": "openai",
    "github-copilot": "openai",
    "anthropic": "anthropic",
    "google": "google",
    "bedrock": "bedrock",
    "llama-cpp": "llama-cpp",
}


class ProviderSection(_Section):
    """A provider defined or adjusted by the user (e.g. a local vLLM or Ollama server)."""

    kind: (
        Annotated[
            ProviderKind,
            msgspec.Meta(
                description="wire protocol: openai, anthropic, google, bedrock, llama-cpp (built-ins know theirs)"
            ),
        ]
        | None
    ) = None
    base_url: Annotated[str | None, msgspec.Meta(description="API root, e.g. http://127.0.0.1:11434/v1")] = None
    models: Annotated[list[str], msgspec.Meta(description="model ids offered by this provider")] = []
    headers: Annotated[dict[str, str], msgspec.Meta(description="extra HTTP headers sent with every request")] = {}
    # Limits of one request; unset means the built-in default (codetether.providers.timing, RetryPolicy).
    connect_timeout: Annotated[float, msgspec.Meta(gt=0, description="seconds to connect (default 10)")] | None = None
    first_byte_timeout: (
        Annotated[float, msgspec.Meta(gt=0, description="seconds until the answer starts (default 120)")] | None
    ) = None
    idle_timeout: (
        Annotated[float, msgspec.Meta(gt=0, description="seconds of silence between stream chunks (default 90)")] | None
    ) = None
    retry_budget: (
        Annotated[float, msgspec.Meta(gt=0, description="seconds all attempts and waits may take (default 180)")] | None
    ) = None
    max_retries: Annotated[int, msgspec.Meta(ge=0, description="retries of a failed request (default 4)")] | None = None


class ToolRouterSection(_Section):
    """The local tool-call router: a small GGUF model that turns a reply describing tool use into calls.

    Calls written out in the reply (``<tool_call>`` blocks, fenced JSON, ``name(args)``) are always
    taken; the model runs only when ``enabled``. Env: ``CODETETHER_TOOL_ROUTER_<KEY>``.
    """

    enabled: Annotated[bool, msgspec.Meta(description="run the local router model on text-only replies")] = False
    model_path: Annotated[
        str | None,
        msgspec.Meta(
            description="GGUF file (default: the model `codetether models pull functiongemma` fetched, "
            "else the embedded Gemma 3 270M)"
        ),
    ] = None
    tokenizer_path: Annotated[
        str | None, msgspec.Meta(description="ignored: a GGUF file carries its own tokenizer (kept for the original)")
    ] = None
    arch: Annotated[
        str, msgspec.Meta(description="architecture, picks the chat markers when the GGUF has no chat template")
    ] = "gemma3"
    device: Annotated[Literal["auto", "cpu", "cuda"], msgspec.Meta(description="auto, cpu or cuda")] = "auto"
    max_tokens: Annotated[int, msgspec.Meta(ge=16, le=4096, description="most tokens of one routed call")] = 256
    temperature: Annotated[float, msgspec.Meta(ge=0, le=2, description="sampling temperature of the router")] = 0.1


# Where the usual local servers listen by default: Ollama, llama.cpp's llama-server, LM Studio, vLLM.
LOCAL_SERVERS = {
    "ollama": "http://127.0.0.1:11434",
    "llama-server": "http://127.0.0.1:8080",
    "lm-studio": "http://127.0.0.1:1234",
    "vllm": "http://127.0.0.1:8000",
}


class DiscoverySection(_Section):
    """Local OpenAI-compatible servers tried when no provider is configured, before the embedded model."""

    enabled: Annotated[bool, msgspec.Meta(description="probe the servers below when no provider is configured")] = True
    servers: Annotated[
        dict[str, str], msgspec.Meta(description="name -> loopback URL probed with GET /v1/models, in this order")
    ] = msgspec.field(default_factory=lambda: dict(LOCAL_SERVERS))
    timeout: Annotated[float, msgspec.Meta(gt=0, le=10, description="seconds each probe may take")] = 0.3


class AgentSection(_Section):
    """How the agent loop runs."""

    access_mode: Annotated[
        Literal["ask", "approve", "full"], msgspec.Meta(description="ask, approve (edits allowed) or full")
    ] = "ask"
    max_steps: Annotated[int, msgspec.Meta(ge=1, description="most model turns in one run")] = 50
    subagent_max_steps: Annotated[int, msgspec.Meta(ge=1, description="most model turns of a `task` sub-agent")] = 30
    context_window: (
        Annotated[int, msgspec.Meta(ge=256, description="tokens; overrides the model catalog for compaction")] | None
    ) = None
    pass_env: Annotated[
        list[str],
        msgspec.Meta(
            description="environment variables (names or globs) that tool processes get even when they look like "
            "secrets (*_API_KEY, *_TOKEN, *_SECRET, *_PASSWORD, VAULT_*, AWS_*); all other such variables are withheld"
        ),
    ] = []
    lsp_project_code: Annotated[
        bool,
        msgspec.Meta(
            description="let the lsp tool's language servers run the project's code where they can be stopped from it "
            "(rust-analyzer build scripts, proc macros, check on save); starting a server always needs permission"
        ),
    ] = False


class WebSearchSection(_Section):
    """The search backend behind the websearch tool (none unless configured)."""

    backend: Annotated[Literal["none", "searxng", "brave"], msgspec.Meta(description="none, searxng or brave")] = "none"
    url: Annotated[str | None, msgspec.Meta(description="SearXNG base URL, e.g. http://127.0.0.1:8888")] = None


class SandboxSection(_Section):
    """Running the bash tool under the sandbox (plugins always run under their own policy)."""

    bash: Annotated[bool, msgspec.Meta(description="run bash tool commands in the sandbox")] = False
    max_memory_mb: Annotated[int, msgspec.Meta(ge=16, description="address-space limit per command")] = 2048
    max_cpu_seconds: Annotated[int, msgspec.Meta(ge=1, description="CPU time limit per command")] = 300
    max_processes: Annotated[int, msgspec.Meta(ge=1, description="process limit per command")] = 128
    max_file_size_mb: Annotated[int, msgspec.Meta(ge=1, description="largest file a command may write")] = 1024
    network: Annotated[Literal["deny", "allow"], msgspec.Meta(description="deny or allow")] = "deny"


class PluginsSection(_Section):
    """Which publishers are trusted, and the most any plugin may ask of the sandbox."""

    trusted_keys: Annotated[
        dict[str, PublicKey], msgspec.Meta(description="publisher name -> base64 Ed25519 public key")
    ] = {}
    max_memory_mb: Annotated[int, msgspec.Meta(ge=16, description="largest memory limit a plugin may ask for")] = 512
    max_cpu_seconds: Annotated[int, msgspec.Meta(ge=1, description="largest CPU limit a plugin may ask for")] = 30
    max_wall_seconds: Annotated[float, msgspec.Meta(gt=0, description="longest run a plugin may ask for")] = 60.0
    max_processes: Annotated[int, msgspec.Meta(ge=1, description="most processes a plugin may ask for")] = 32
    max_file_size_mb: Annotated[int, msgspec.Meta(ge=1, description="largest file a plugin may ask to write")] = 64
    network: Annotated[Literal["deny", "allow"], msgspec.Meta(description="whether any plugin may use the network")] = (
        "deny"
    )


class TelemetrySection(_Section):
    """Opt-in diagnostics; nothing is ever sent anywhere by CodeTether itself."""

    crash_reporting: Annotated[bool, msgspec.Meta(description="write a redacted report when codetether crashes")] = (
        False
    )


class A2ASection(_Section):
    """`codetether serve`: the A2A peer (JSON-RPC + REST on HTTP, gRPC)."""

    host: Annotated[str, msgspec.Meta(description="address the HTTP and gRPC servers listen on")] = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=0, le=65535, description="HTTP port (JSON-RPC, REST, agent card)")] = 4096
    grpc_port: Annotated[
        int, msgspec.Meta(ge=0, le=65535, description="gRPC port; CODETETHER_GRPC_PORT overrides it")
    ] = 50051
    public_url: Annotated[
        str, msgspec.Meta(description="URL clients reach the HTTP server at, for the agent card; empty: derived")
    ] = ""
    name: Annotated[str, msgspec.Meta(description="agent name shown in the agent card")] = "CodeTether"
    max_body_bytes: Annotated[int, msgspec.Meta(ge=1024, description="largest request body accepted")] = 4 * 1024 * 1024
    push_notifications: Annotated[bool, msgspec.Meta(description="accept push-notification webhooks")] = True
    allow_private_push_urls: Annotated[
        bool,
        msgspec.Meta(description="allow webhooks on loopback/private addresses (SSRF risk: trusted networks only)"),
    ] = False
    push_attempts: Annotated[int, msgspec.Meta(ge=1, le=20, description="delivery attempts per push update")] = 5
    card_max_age: Annotated[
        int, msgspec.Meta(ge=0, description="Cache-Control max-age of the agent card (seconds)")
    ] = 300
    header_timeout: Annotated[
        float,
        msgspec.Meta(gt=0, description="seconds a client has to send a request's headers; slower ones are cut off"),
    ] = 30.0


class WorkerSection(_Section):
    """Worker mode: the queue `codetether serve` keeps for `codetether worker` fleets."""

    lease_seconds: Annotated[
        float,
        msgspec.Meta(gt=0, description="a claimed task is claimable again this long after its worker's last heartbeat"),
    ] = 90.0
    heartbeat_seconds: Annotated[float, msgspec.Meta(gt=0, description="how often workers are asked to heartbeat")] = (
        30.0
    )
    replay_events: Annotated[
        int, msgspec.Meta(ge=1, description="task-stream events kept for workers resuming with Last-Event-ID")
    ] = 1000
    forget_after_seconds: Annotated[
        float,
        msgspec.Meta(
            gt=0, description="a worker record is deleted this long after its last heartbeat (it re-registers if back)"
        ),
    ] = 3600.0


class K8sSection(_Section):
    """Kubernetes self-management (`/v1/k8s/*`, the reconcile loop); idle unless a cluster is reachable."""

    namespace: Annotated[
        str, msgspec.Meta(description="namespace; empty: the service account's namespace, else default")
    ] = ""
    deployment_name: Annotated[
        str, msgspec.Meta(description="the Deployment this server runs in; CODETETHER_DEPLOYMENT_NAME also sets it")
    ] = "codetether"
    pod_name: Annotated[
        str, msgspec.Meta(description="this replica's pod; empty: CODETETHER_POD_NAME, then HOSTNAME")
    ] = ""
    lease_seconds: Annotated[
        int, msgspec.Meta(ge=6, le=3600, description="how long the coordination Lease guarding a change is held")
    ] = 30
    reconcile: Annotated[
        Literal["auto", "on", "off"],
        msgspec.Meta(description="the reconcile loop: auto runs it only inside a cluster (not from a kubeconfig)"),
    ] = "auto"
    reconcile_seconds: Annotated[float, msgspec.Meta(ge=1, description="seconds between two reconcile passes")] = 30.0
    unready_seconds: Annotated[
        float, msgspec.Meta(ge=1, description="a pod not Ready for this long triggers a rolling restart")
    ] = 180.0
    image: Annotated[str, msgspec.Meta(description="image of sub-agent pods and generated manifests")] = (
        "ghcr.io/rileyseaburg/codetether-agent:latest"
    )


class StoreSection(_Section):
    """Where `codetether serve` keeps tasks and the worker queue: embedded SQLite, or PostgreSQL shared by replicas."""

    url: Annotated[
        str,
        msgspec.Meta(description="empty: SQLite in the data dir; postgresql://USER:PASSWORD@HOST/DB: shared"),
    ] = ""
    replica_timeout: Annotated[
        float, msgspec.Meta(ge=3, description="seconds of silence after which a replica counts as dead")
    ] = 10.0


class CognitionSection(_Section):
    """The persona think loop behind `/v1/cognition/*` and `/v1/swarm/personas*` (served by `codetether serve`)."""

    enabled: Annotated[bool, msgspec.Meta(description="offer the cognition routes at all")] = True
    auto_start: Annotated[bool, msgspec.Meta(description="start thinking when `serve` starts")] = False
    loop_interval_ms: Annotated[int, msgspec.Meta(ge=100, description="milliseconds between two ticks")] = 2000
    max_events: Annotated[int, msgspec.Meta(ge=10, description="thought events kept in memory")] = 2000
    max_snapshots: Annotated[int, msgspec.Meta(ge=1, description="memory snapshots kept in memory")] = 128
    model: Annotated[str, msgspec.Meta(description="provider/model the personas think on; empty: [default]")] = ""


HookEvent = Literal["session_start", "user_prompt", "pre_tool", "post_tool", "pre_compact", "stop", "subagent_stop"]


class HookSection(_Section):
    """One hook: a command run on an event, given the event as JSON on stdin (see docs/hooks.md)."""

    command: Annotated[
        str | list[str],
        msgspec.Meta(description="a shell command (run by /bin/sh -c) or an argv list run as is"),
    ]
    matcher: Annotated[
        str,
        msgspec.Meta(
            description="pre_tool/post_tool: tool names it runs for, a regex (`bash`, `edit|write_file`); "
            "empty or * for every tool"
        ),
    ] = ""
    timeout: Annotated[float, msgspec.Meta(gt=0, description="seconds before the hook is killed")] = 30.0


class McpServerSection(_Section):
    """One MCP server: a command spoken to over stdio, or a streamable-HTTP ``url`` (see docs/mcp.md)."""

    command: Annotated[str | None, msgspec.Meta(description="stdio: the program that runs the server")] = None
    args: Annotated[list[str], msgspec.Meta(description="stdio: its arguments")] = []
    env: Annotated[
        dict[str, str],
        msgspec.Meta(description="stdio: extra environment variables; ${VAR} takes VAR from codetether's environment"),
    ] = {}
    cwd: Annotated[str | None, msgspec.Meta(description="stdio: the directory it starts in")] = None
    url: Annotated[
        str | None, msgspec.Meta(description="streamable HTTP: the endpoint, e.g. http://127.0.0.1:8000/mcp")
    ] = None
    headers: Annotated[
        dict[str, str],
        msgspec.Meta(description="streamable HTTP: headers sent with every request; ${VAR} as in env"),
    ] = {}
    enabled: Annotated[bool, msgspec.Meta(description="false: keep the entry but never start the server")] = True
    timeout: Annotated[float, msgspec.Meta(gt=0, description="seconds a tool call may take")] = 60.0
    startup_timeout: Annotated[
        float, msgspec.Meta(gt=0, description="seconds to start, connect and list its tools")
    ] = 30.0


class Config(_Section):
    """The effective configuration after layering (defaults < user < trusted project < env < flags)."""

    default: DefaultSection = msgspec.field(default_factory=DefaultSection)
    ui: UISection = msgspec.field(default_factory=UISection)
    session: SessionSection = msgspec.field(default_factory=SessionSection)
    providers: dict[str, ProviderSection] = {}
    telemetry: TelemetrySection = msgspec.field(default_factory=TelemetrySection)
    agent: AgentSection = msgspec.field(default_factory=AgentSection)
    websearch: WebSearchSection = msgspec.field(default_factory=WebSearchSection)
    sandbox: SandboxSection = msgspec.field(default_factory=SandboxSection)
    plugins: PluginsSection = msgspec.field(default_factory=PluginsSection)
    a2a: A2ASection = msgspec.field(default_factory=A2ASection)
    k8s: K8sSection = msgspec.field(default_factory=K8sSection)
    store: StoreSection = msgspec.field(default_factory=StoreSection)
    worker: WorkerSection = msgspec.field(default_factory=WorkerSection)
    cognition: CognitionSection = msgspec.field(default_factory=CognitionSection)
    permissions: dict[str, dict[str, PermissionAction]] = {}
    mcp: dict[str, McpServerSection] = {}
    hooks: dict[HookEvent, list[HookSection]] = {}
    tool_router: ToolRouterSection = msgspec.field(default_factory=ToolRouterSection)
    discovery: DiscoverySection = msgspec.field(default_factory=DiscoverySection)


# Sections whose fields are plain scalars: these can be set from env vars and flags.
SCALAR_SECTIONS: dict[str, type[_Section]] = {
    "default": DefaultSection,
    "ui": UISection,
    "session": SessionSection,
    "telemetry": TelemetrySection,
    "agent": AgentSection,
    "websearch": WebSearchSection,
    "sandbox": SandboxSection,
    "plugins": PluginsSection,
    "a2a": A2ASection,
    "k8s": K8sSection,
    "store": StoreSection,
    "worker": WorkerSection,
    "cognition": CognitionSection,
    "tool_router": ToolRouterSection,
    "discovery": DiscoverySection,
}

# Keys that look like credentials: refused in config files with a pointer to `codetether auth`.
CREDENTIAL_KEYS = frozenset({"api_key", "apikey", "key", "token", "secret", "password", "access_key", "secret_key"})


def section_fields(section: type[_Section]) -> dict[str, type]:
    """Field name -> Python annotation (what msgspec.convert validates against)."""
    return {name: hint for name, hint in section.__annotations__.items() if not name.startswith("_")}


def _keys(prefix: str, section: type[_Section]) -> list[str]:
    """``prefix.field`` per field, and ``prefix.field.NAME`` for a map-valued one (one entry each)."""
    keys = []
    for field, hint in section_fields(section).items():
        keys.append(f"{prefix}.{field}")
        if get_origin(get_args(hint)[0] if get_origin(hint) is Annotated else hint) is dict:
            keys.append(f"{prefix}.{field}.NAME")
    return keys


def valid_keys() -> list[str]:
    """Every dotted key a user may set, for error messages and ``config --set``."""
    keys = [key for name, section in SCALAR_SECTIONS.items() for key in _keys(name, section)]
    keys += _keys("providers.NAME", ProviderSection)
    keys += _keys("mcp.NAME", McpServerSection)
    keys.append("permissions.TOOL.PATTERN")
    return keys
