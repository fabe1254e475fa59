"""The hash-chained audit log: verification, tampering, torn lines, kill -9 under load, rotation."""

import json
import os
import signal
import subprocess
import sys

from codetether.security.audit import AuditLog, AuditQuery, log_files, query, verify


def test_chain_verifies_and_queries(tmp_path):
    log = AuditLog(tmp_path)
    first = log.append("user", "tool.bash", "ls", "ok", duration_ms=3)
    second = log.append("agent", "tool.edit", "a.py", "denied")
    assert second.prev_hash == first.hash and second.seq == 2
    result = verify(tmp_path)
    assert result.ok and result.records == 2
    assert [r.action for r in query(AuditQuery(outcome="denied"), tmp_path)] == ["tool.edit"]
    assert [r.seq for r in query(AuditQuery(after=1), tmp_path)] == [2]
    assert [r.seq for r in query(AuditQuery(action="tool."), tmp_path)] == [1, 2]


def test_tampering_is_detected_at_the_right_line(tmp_path):
    log = AuditLog(tmp_path)
    for i in range(5):
        log.append("user", "api.call", f"/r/{i}")
    path = tmp_path / "audit.jsonl"
    lines = path.read_text().splitlines()
    altered = json.loads(lines[2])
    altered["outcome"] = "denied"
    path.write_text("\n".join([*lines[:2], json.dumps(altered), *lines[3:]]) + "\n")
    result = verify(tmp_path)
    assert not result.ok and result.line == 3 and "altered" in result.problem
    path.write_text("\n".join([*lines[:2], *lines[3:]]) + "\n")  # a record removed
    result = verify(tmp_path)
    assert not result.ok and result.line == 3 and "removed" in result.problem


def test_torn_final_line_is_reported_then_repaired(tmp_path):
    log = AuditLog(tmp_path)
    log.append("user", "a")
    with open(tmp_path / "audit.jsonl", "ab") as fh:
        fh.write(b'{"seq": 2, "ts": 1.0, "act')
    result = verify(tmp_path)
    assert not result.ok and "torn final line" in result.problem
    log.append("user", "b")
    assert verify(tmp_path).ok
    actions = [r.action for r in query(AuditQuery(), tmp_path)]
    assert actions == ["a", "audit.repair", "b"]


def test_rotation_keeps_the_chain(tmp_path):
    log = AuditLog(tmp_path, max_bytes=2000)
    for i in range(40):
        log.append("user", "api.call", f"/resource/{i}", detail="x" * 50)
    assert len(log_files(tmp_path)) > 3
    result = verify(tmp_path)
    assert result.ok and result.records == 40 and result.files == len(log_files(tmp_path))
    rotated = log_files(tmp_path)[0]
    rotated.write_text(rotated.read_text().replace("/resource/0", "/resource/X"))
    assert not verify(tmp_path).ok


WRITER = """
import sys
from pathlib import Path
from codetether.security.audit import AuditLog
log = AuditLog(Path(sys.argv[1]), max_bytes=20000)
i = 0
while True:
    record = log.append(sys.argv[2], "load", str(i), detail="y" * 40)
    print(record.seq, flush=True)  # acknowledged: fsynced before append returned
    i += 1
"""


ACKED_BEFORE_KILL = 15


def test_kill_9_under_concurrent_writers_loses_nothing_acknowledged(tmp_path):
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), f"w{n}"], stdout=subprocess.PIPE, text=True)
        for n in range(3)
    ]
    acknowledged = set()
    for proc in writers:  # kill only once every writer is mid-stream, with records acknowledged
        acknowledged |= {int(proc.stdout.readline()) for _ in range(ACKED_BEFORE_KILL)}
    for proc in writers:
        proc.send_signal(signal.SIGKILL)
    for proc in writers:
        out, _ = proc.communicate()
        acknowledged |= {int(line) for line in out.split()}
    assert len(acknowledged) >= 3 * ACKED_BEFORE_KILL
    AuditLog(tmp_path).append("checker", "after-crash")  # repairs a torn tail if a kill left one
    result = verify(tmp_path)
    assert result.ok, result
    stored = {r.seq for r in query(AuditQuery(limit=10**9), tmp_path)}
    assert acknowledged <= stored
    assert os.stat(tmp_path / "audit.jsonl").st_mode & 0o077 == 0


async def test_agent_tool_calls_are_audited(tmp_path, config_file):
    import asyncio

    from tests.agent.test_run_e2e import configure, run_cli
    from tests.fakes.llm import Call, FakeLLM, Reply

    server = await FakeLLM().start()
    try:
        configure(config_file, server)
        repo = tmp_path / "r"
        repo.mkdir()
        (repo / "a.txt").write_text("hello\n")
        server.script(
            Reply(calls=[Call("read_file", {"file_path": "a.txt"}), Call("bash", {"command": "echo hi"})]),
            Reply(text="done"),
        )
        code, _, err = await run_cli("run", "--model", "fake/fake-large", "--format", "jsonl", "go", cwd=repo)
        assert code == 0, err
        code, tail, _ = await run_cli("audit", "tail", "--json", cwd=repo)
        records = [json.loads(line) for line in tail.splitlines()]
        actions = {r["action"]: r for r in records}
        assert actions["session.start"]["actor"].startswith("session:ses_")
        assert actions["tool.read_file"]["outcome"] == "ok"
        assert actions["tool.bash"]["outcome"] == "denied" and actions["tool.bash"]["resource"] == "echo hi"
        code, out, _ = await run_cli("audit", "verify", cwd=repo)
        assert code == 0 and "audit chain intact: 3 records" in out
        code, out, _ = await run_cli("audit", "query", "--outcome", "denied", cwd=repo)
        assert "tool.bash" in out and "tool.read_file" not in out
        await asyncio.sleep(0)
    finally:
        await server.stop()


def test_group_commits_interleaved_with_another_writer_keep_one_chain(tmp_path):
    from codetether.security.audit import AuditEntry

    ours, theirs = AuditLog(tmp_path), AuditLog(tmp_path)  # two writers, as two processes would be
    for round_number in range(5):
        ours.append_many(
            [AuditEntry(actor="server", action="api.call", resource=f"/{round_number}/{i}") for i in range(3)]
        )
        theirs.append("cli", "tool.bash", f"round {round_number}")
    records = query(AuditQuery(limit=100), tmp_path)
    assert [r.seq for r in records] == list(range(1, 21))
    assert [r.actor for r in records[:4]] == ["server", "server", "server", "cli"]
    assert verify(tmp_path).ok


async def test_audit_writer_queues_then_flushes_in_order(tmp_path):
    from codetether.security.audit_writer import AuditWriter

    writer = AuditWriter(AuditLog(tmp_path))
    for i in range(250):
        writer.record(f"http:127.0.0.1:{i}", "api.call", f"/r/{i}", "ok", detail="200")
    await writer.flush()
    records = query(AuditQuery(limit=1000), tmp_path)
    assert [r.resource for r in records] == [f"/r/{i}" for i in range(250)]
    assert all(r.ts > 0 for r in records)
    writer.record("http:x", "api.call", "/last")
    await writer.close()  # close flushes what is still queued
    assert query(AuditQuery(after=250), tmp_path)[0].resource == "/last"
    assert verify(tmp_path).ok


def test_a_damaged_last_record_is_a_clear_error_and_stray_files_are_ignored(tmp_path):
    from codetether.security.audit import AuditCorrupt

    log = AuditLog(tmp_path)
    log.append("user", "a")
    (tmp_path / "audit-backup.jsonl").write_text("not a rotated file\n")
    (tmp_path / "audit-3.jsonl").write_text("")  # an empty rotated file
    assert [p.name for p in log_files(tmp_path)] == ["audit-3.jsonl", "audit.jsonl"]
    with open(tmp_path / "audit.jsonl", "a") as fh:
        fh.write('{"not": "an audit record"}\n')
    fresh = AuditLog(tmp_path)
    try:
        fresh.append("user", "b")
    except AuditCorrupt as exc:
        assert "audit verify" in str(exc)
    else:
        raise AssertionError("appended after a damaged record")


async def test_the_audit_writer_survives_a_damaged_log(tmp_path):
    import asyncio

    from codetether.security.audit_writer import AuditWriter

    (tmp_path / "audit.jsonl").write_text('{"not": "an audit record"}\n')
    writer = AuditWriter(AuditLog(tmp_path))
    writer.record("http:x", "api.call", "/r")
    await asyncio.wait_for(writer.flush(), 5)  # dropped with a loud log, never wedged
    writer.record("http:x", "api.call", "/r2")
    await asyncio.wait_for(writer.close(), 5)


def test_a_record_over_64_kib_does_not_stop_later_writers(tmp_path):
    big = "x" * (200 * 1024)
    AuditLog(tmp_path).append("agent", "tool.bash", big)
    # a fresh writer (another process, a restart) has to find the chain's end behind the big record
    after = AuditLog(tmp_path).append("agent", "tool.bash", "ls")
    assert after.seq == 2
    with open(tmp_path / "audit.jsonl", "ab") as fh:
        fh.write(b'{"seq": 3, "torn by a kill')
    repaired = AuditLog(tmp_path).append("agent", "tool.bash", big)  # torn line after a big record
    assert repaired.seq == 4
    AuditLog(tmp_path).append("agent", "tool.bash", "pwd")
    result = verify(tmp_path)
    assert result.ok and result.records == 5
    assert [r.action for r in query(AuditQuery(limit=10), tmp_path)][2] == "audit.repair"
