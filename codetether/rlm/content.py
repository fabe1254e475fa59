"""The content an RLM run reads: files, literal text or stdin, checked before any model is asked."""

from collections.abc import Callable
from pathlib import Path

from ..errors import UsageError

BINARY_SNIFF = 8192  # bytes checked for a NUL byte


def _read_file(raw: str, cwd: Path) -> str:
    path = Path(raw).expanduser()
    path = path if path.is_absolute() else cwd / path
    if not path.exists():
        raise UsageError(f"no such file: {raw}", "check the path given with -f")
    if path.is_dir():
        raise UsageError(f"{raw} is a directory", "give files with -f, one per flag")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {raw}: {exc.strerror or exc}", "check its permissions") from exc
    if b"\0" in data[:BINARY_SNIFF]:
        raise UsageError(f"{raw} looks like a binary file", "the RLM reads text: logs, code, transcripts, documents")
    return data.decode("utf-8", errors="replace")


def load_content(files: list[str], content: str | None, cwd: Path, read_stdin: Callable[[], str]) -> tuple[str, str]:
    """(text, label) from ``-f`` files (joined, each after a ``==> path <==`` line) or ``--content``
    (``-`` reads stdin). Exactly one source; the text must not be blank."""
    if files and content is not None:
        raise UsageError("give the content with -f or with --content, not both")
    if not files and content is None:
        raise UsageError("no content given", "pass -f FILE (repeatable) or --content TEXT (--content - reads stdin)")
    if files:
        texts = [_read_file(raw, cwd) for raw in files]
        if len(files) == 1:
            text, label = texts[0], files[0]
        else:  # one text, each file after a header line, so line numbers still say where a match is
            parts = [
                f"==> {raw} <==\n{body}" + ("" if body.endswith("\n") else "\n")
                for raw, body in zip(files, texts, strict=True)
            ]
            text, label = "".join(parts), f"{len(files)} files"
    else:
        text, label = (read_stdin(), "stdin") if content == "-" else (content or "", "--content")
    if not text.strip():
        raise UsageError(f"the content ({label}) is empty", "give a file or text with something in it")
    return text, label
