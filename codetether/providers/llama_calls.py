"""Schema-valid tool calls from a small local GGUF model (llama-cpp-python).

A 270M model cannot be trusted to write JSON, let alone JSON that fits a tool's schema, so it is not
asked to: its output is constrained by a llama.cpp grammar built from the offered tools' JSON
schemas (one ``{"name": ..., "arguments": ...}`` object, the arguments fitting that tool), and the
result is validated against the schema again. The embedded ``llama-cpp`` provider and the tool-call
router (``codetether.router``) both call tools through :class:`ToolCaller`.

The prompt is the tool list and a few worked examples, then the text to act on. The tool list does
not change within a session, so its KV state is computed once and kept (``save_state``/``load_state``):
a call then evaluates only the text and the answer, not the ~1,000-token prefix.
"""

import copy
import json
import threading
import uuid
from collections import OrderedDict
from functools import lru_cache
from typing import Any

from .types import ToolCall, ToolSpec

MAX_TEXT_CHARS = 2000  # the text a call is made from: the tail of a long reply is the part that says what to do
MAX_STRING_CHARS = 200  # a grammar-bound string longer than this is a small model repeating itself
MAX_STATES = 4  # cached tool-list prefixes (KV states are a few MB each)
TOP_K = 64  # candidates checked against the grammar before the whole vocabulary is

INSTRUCTIONS = "You turn a request into one tool call. Tools:\n"
ANSWER_FORMAT = 'Answer with one JSON object {"name": TOOL, "arguments": {...}}.\n\n'


# Worked examples, each shown only when its tool is offered with a schema it fits. They teach the
# format and the habit of a real agent (look around, read, search, run); they name no task of the user.
EXAMPLES: list[tuple[str, str, dict[str, Any]]] = [
    ("Let me open README.md to see how the project starts.", "read_file", {"file_path": "README.md"}),
    ("I'll search the code for the word TODO.", "grep", {"pattern": "TODO"}),
    ("Let me look around the project first.", "list_dir", {"path": "."}),
    ("Run the test suite.", "bash", {"command": "python -m pytest -q"}),
    ("Find every Python file.", "glob", {"pattern": "**/*.py"}),
]


def signature(spec: ToolSpec) -> str:
    """One line per tool: ``- name(arg: type, opt?: type): first line of the description``."""
    props = spec.parameters.get("properties") or {}
    required = set(spec.parameters.get("required") or [])
    args = ", ".join(f"{name}{'' if name in required else '?'}: {_type_name(schema)}" for name, schema in props.items())
    first = (spec.description or "").strip().splitlines()[0:1]
    return f"- {spec.name}({args}): {first[0][:100] if first else ''}"


def _type_name(schema: Any) -> str:
    if not isinstance(schema, dict):
        return "any"
    if "enum" in schema:
        return "|".join(json.dumps(v) for v in schema["enum"][:6])
    kind = schema.get("type", "any")
    return "|".join(kind) if isinstance(kind, list) else str(kind)


def _capped(schema: Any) -> Any:
    """``schema`` with a length limit on free strings, so a looping model ends inside the token budget."""
    schema = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "string" and "enum" not in node and "const" not in node:
                node["maxLength"] = min(node.get("maxLength", MAX_STRING_CHARS), MAX_STRING_CHARS)
            node.pop("default", None)  # defaults are not constraints; the converter need not see them
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def call_schema(specs: list[ToolSpec]) -> dict[str, Any]:
    """One JSON schema for "a call of one of these tools": a oneOf over tools, the name fixed per branch."""
    branches = [
        {
            "type": "object",
            "properties": {"name": {"const": spec.name}, "arguments": _capped(spec.parameters)},
            "required": ["name", "arguments"],
            "additionalProperties": False,
        }
        for spec in specs
    ]
    return {"oneOf": branches}


@lru_cache(maxsize=16)
def _grammar(schema_json: str) -> Any:
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_json_schema(schema_json, verbose=False)


def grammar_for(specs: list[ToolSpec]) -> Any:
    """The llama.cpp grammar (GBNF) of :func:`call_schema`, built once per tool list."""
    return _grammar(json.dumps(call_schema(specs)))  # key order kept: the grammar writes "name" first


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Any:
    import jsonschema

    schema = json.loads(schema_json)
    return jsonschema.validators.validator_for(schema)(schema)


def check_call(specs: list[ToolSpec], name: Any, arguments: Any) -> ToolCall | None:
    """A :class:`ToolCall` when ``name`` is an offered tool and ``arguments`` fit its schema; else None."""
    spec = next((s for s in specs if s.name == name), None)
    if spec is None or not isinstance(arguments, dict):
        return None
    if not _validator(json.dumps(spec.parameters, sort_keys=True)).is_valid(arguments):
        return None
    return ToolCall(id=f"call_{uuid.uuid4().hex[:16]}", name=spec.name, arguments=json.dumps(arguments))


def parse_call(specs: list[ToolSpec], text: str) -> ToolCall | None:
    """The call in a model's grammar-bound answer, validated; None when it is cut off or does not fit."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    return check_call(specs, value.get("name"), value.get("arguments"))


def prompt_prefix(specs: list[ToolSpec]) -> str:
    """The instructions, tool list and worked examples: everything before the text, the same all session."""
    lines = [INSTRUCTIONS, "\n".join(signature(s) for s in specs), "\n\n", ANSWER_FORMAT]
    for request, name, arguments in EXAMPLES:
        if check_call(specs, name, arguments) is not None:
            call = json.dumps({"name": name, "arguments": arguments})
            lines.append(f"Request: {request}\nCall: {call}\n\n")
    lines.append("Request:")  # the text follows after a space, tokenized with it as in the examples
    return "".join(lines)


class ChatWrap:
    """How the model's chat template opens a user turn and hands over to the model.

    Read from the GGUF's ``tokenizer.chat_template`` when it has one (rendered around a marker), else
    chosen by architecture: Gemma's turn markers for gemma*, ChatML for the rest.
    """

    MARK = "\x00CODETETHER\x00"

    def __init__(self, opening: str, closing: str) -> None:
        self.opening = opening
        self.closing = closing

    @classmethod
    def for_model(cls, llm: Any, arch: str | None = None) -> "ChatWrap":
        metadata = getattr(llm, "metadata", {}) or {}
        template = metadata.get("tokenizer.chat_template")
        if template:
            wrap = cls._from_template(llm, template)
            if wrap is not None:
                return wrap
        arch = (arch or metadata.get("general.architecture") or "").lower()
        if arch.startswith("gemma"):
            return cls("<start_of_turn>user\n", "<end_of_turn>\n<start_of_turn>model\n")
        return cls("<|im_start|>user\n", "<|im_end|>\n<|im_start|>assistant\n")

    @classmethod
    def _from_template(cls, llm: Any, template: str) -> "ChatWrap | None":
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        def piece(token_id: int) -> str:
            return llm.detokenize([token_id], special=True).decode("utf-8", "replace") if token_id >= 0 else ""

        try:
            eos, bos = piece(llm.token_eos()), piece(llm.token_bos())
            formatter = Jinja2ChatFormatter(template, eos_token=eos, bos_token=bos)
            prompt = formatter(messages=[{"role": "user", "content": cls.MARK}]).prompt
        except Exception:  # a template this renderer cannot run (custom Jinja extensions): use the architecture's
            return None
        opening, mark, closing = prompt.partition(cls.MARK)
        return cls(opening, closing) if mark else None


class ToolCaller:
    """Grammar-bound tool calls from one loaded model, with the tool-list prefix's KV state kept.

    ``lock`` is the model's own lock (a llama.cpp context is not re-entrant); the provider and the
    router share the model when they load the same file, so their turns interleave safely and the
    prefix is restored from its saved state after the other has used the context.
    """

    def __init__(self, llm: Any, lock: threading.Lock, *, arch: str | None = None, cache_prefix: bool = True):
        self.llm = llm
        self.lock = lock
        self.wrap = ChatWrap.for_model(llm, arch)
        self.cache_prefix = cache_prefix
        self._states: OrderedDict[str, Any] = OrderedDict()
        self._tokens: dict[str, list[int]] = {}
        self.last_usage: dict[str, int] = {}  # llama-cpp-python's usage of the latest call (prompt/completion)

    def call(self, specs: list[ToolSpec], text: str, *, max_tokens: int = 256, temperature: float = 0.1):
        """One schema-valid call for ``text``, or None when the model's answer does not fit any tool."""
        if not specs:
            return None
        prefix = self.wrap.opening + prompt_prefix(specs)
        # The answer continues the worked examples' pattern inside the user turn ("Request: ...\nCall: {...}"):
        # a base model follows a pattern far better than an instruction.
        suffix = " " + text.strip()[-MAX_TEXT_CHARS:] + "\nCall: "
        grammar = grammar_for(specs)
        with self.lock:
            head = self._prefix_tokens(prefix)
            tail = self.llm.tokenize(suffix.encode(), add_bos=False, special=True)
            if len(head) + len(tail) + max_tokens > self.llm.n_ctx():
                return None  # too many tools for this context: no call rather than a truncated prompt
            self._restore(prefix, head)
            text, produced = self._decode(head + tail, grammar, max_tokens, temperature)
            self.last_usage = {"prompt_tokens": len(head) + len(tail), "completion_tokens": produced}
        return parse_call(specs, text)

    def _decode(self, prompt: list[int], grammar: Any, max_tokens: int, temperature: float) -> tuple[str, int]:
        """Grammar-bound decoding that checks only the model's top candidates against the grammar.

        llama-cpp-python's sampler runs the repetition penalty and the grammar over the whole vocabulary
        at every step: Gemma's has 262,144 entries, which costs more than the 270M model's forward pass.
        The grammar's verdict on the best TOP_K candidates is the same for the token chosen, so those are
        checked first and the whole vocabulary only when none of them fits.
        """
        import ctypes

        import llama_cpp
        import numpy as np

        llm = self.llm
        common = 0
        for held, wanted in zip(llm.input_ids[: llm.n_tokens], prompt[:-1], strict=False):
            if held != wanted:
                break
            common += 1
        llm.n_tokens = common  # eval() drops the KV cells past this point before it evaluates the rest
        llm.eval(prompt[common:])
        vocab = llama_cpp.llama_model_get_vocab(llm._model.model)
        sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar._grammar.encode(), grammar._root.encode())
        if not sampler:
            raise RuntimeError("llama.cpp rejected the tool-call grammar")
        n_vocab = llm.n_vocab()
        rng = np.random.default_rng()
        produced: list[int] = []
        try:
            for _ in range(max_tokens):
                logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1), shape=(n_vocab,))
                token = self._pick(sampler, logits, TOP_K, temperature, rng)
                if token is None:
                    token = self._pick(sampler, logits, n_vocab, temperature, rng)
                if token is None or llama_cpp.llama_vocab_is_eog(vocab, token):
                    break
                llama_cpp.llama_sampler_accept(sampler, ctypes.c_int32(token))
                produced.append(token)
                if self._complete(produced):
                    break
                llm.eval([token])
        finally:
            llama_cpp.llama_sampler_free(sampler)
        return llm.detokenize(produced).decode("utf-8", "replace"), len(produced)

    def _complete(self, produced: list[int]) -> bool:
        """The answer is one JSON object: once it closes, the grammar allows nothing but the end."""
        text = self.llm.detokenize(produced[-1:]).decode("utf-8", "replace")
        if "}" not in text:
            return False
        try:
            json.loads(self.llm.detokenize(produced).decode("utf-8", "replace"))
        except ValueError:
            return False
        return True

    @staticmethod
    def _pick(sampler: Any, logits: Any, k: int, temperature: float, rng: Any) -> int | None:
        """The best (or, above temperature 0, a sampled) token among the top ``k`` that the grammar allows."""
        import ctypes

        import llama_cpp
        import numpy as np

        ids = np.argpartition(logits, -k)[-k:] if k < len(logits) else np.arange(len(logits))
        data = (llama_cpp.llama_token_data * len(ids))()
        for slot, token in zip(data, ids.tolist(), strict=True):
            slot.id, slot.logit, slot.p = token, float(logits[token]), 0.0
        candidates = llama_cpp.llama_token_data_array(data=data, size=len(ids), selected=-1, sorted=False)
        llama_cpp.llama_sampler_apply(sampler, ctypes.byref(candidates))
        allowed = [(slot.logit, slot.id) for slot in data if slot.logit != float("-inf")]
        if not allowed:
            return None
        if temperature <= 0:
            return max(allowed)[1]
        scores = np.array([logit for logit, _ in allowed]) / temperature
        weights = np.exp(scores - scores.max())
        return allowed[int(rng.choice(len(allowed), p=weights / weights.sum()))][1]

    def _prefix_tokens(self, prefix: str) -> list[int]:
        tokens = self._tokens.get(prefix)
        if tokens is None:
            add_bos = not self.wrap.opening.startswith(self._bos_text())
            tokens = self._tokens[prefix] = self.llm.tokenize(prefix.encode(), add_bos=add_bos, special=True)
        return tokens

    def _bos_text(self) -> str:
        bos = self.llm.token_bos()
        return self.llm.detokenize([bos], special=True).decode("utf-8", "replace") if bos >= 0 else "\x00"

    def _restore(self, key: str, tokens: list[int]) -> None:
        """Make the context hold ``tokens`` as its prefix, from the live context, a saved state or afresh."""
        llm = self.llm
        if not self.cache_prefix:
            llm.reset()  # nothing reused: the whole prompt is evaluated (the baseline bench/router.py measures)
            return
        n = len(tokens)
        state = self._states.get(key)
        if state is not None and llm.n_tokens >= n and list(llm.input_ids[:n]) == tokens:
            self._states.move_to_end(key)
            return  # the live context already starts with the prefix: generate() reuses it
        if state is not None:
            self._load_state(state)
            self._states.move_to_end(key)
            return
        llm.reset()
        llm.eval(tokens)
        self._states[key] = self._save_state(tokens)
        while len(self._states) > MAX_STATES:
            self._states.popitem(last=False)

    # llama-cpp-python's own save_state/load_state also copy and scan its n_batch x n_vocab score table
    # (0.5 GB for Gemma's 262k vocabulary: seconds per restore). The prefix needs only the context's KV
    # state and the tokens it holds; the next call always evaluates at least one new token, whose
    # logits are what sampling reads.
    def _save_state(self, tokens: list[int]) -> tuple[Any, int, list[int]]:
        import ctypes

        import llama_cpp

        ctx = self.llm._ctx.ctx
        size = llama_cpp.llama_state_get_size(ctx)
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_get_data(ctx, buffer, size)
        return buffer, written, list(tokens)

    def _load_state(self, state: tuple[Any, int, list[int]]) -> None:
        import llama_cpp

        buffer, size, tokens = state
        if llama_cpp.llama_state_set_data(self.llm._ctx.ctx, buffer, size) != size:
            raise RuntimeError("llama.cpp could not restore the saved prefix state")
        self.llm.input_ids[: len(tokens)] = tokens
        self.llm.n_tokens = len(tokens)
