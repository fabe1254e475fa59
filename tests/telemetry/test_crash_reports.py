"""Opt-in crash reports: written on an internal error, announced once, redacted, deletable."""

import json


def test_crash_report_lifecycle(cli, data_dir):
    assert cli("config", "--set", "telemetry.crash_reporting=true").code == 0
    crashed = cli("crash", "raise", env={"OPENAI_API_KEY": "sk-should-never-appear-0123456789"})
    assert crashed.code == 70
    assert "a redacted crash report was saved to" in crashed.stderr
    reports = list((data_dir / "crash-reports").glob("*.json"))
    assert len(reports) == 1
    report = json.loads(reports[0].read_text())
    text = reports[0].read_text()
    assert report["exceptions"][0]["type"] == "builtins.RuntimeError"
    assert any(f["function"] == "raise_command" for f in report["exceptions"][0]["frames"])
    assert "deliberate" not in text and "sk-should-never-appear" not in text and "/home" not in text
    assert report["codetether"] and report["python"]

    announced = cli("crash", "list")
    assert "codetether crashed last time" in announced.stderr and "codetether crash delete" in announced.stderr
    assert cli("crash", "list").stderr == ""  # announced once
    name = announced.stdout.strip().split("/")[-1]
    assert name in cli("crash", "show", name).stdout or cli("crash", "show", name).code == 0
    assert cli("crash", "delete").code == 0
    assert "no crash reports" in cli("crash", "list").stdout


def test_show_unknown_report(cli):
    result = cli("crash", "show", "nope")
    assert result.code == 2 and "no crash report named 'nope'" in result.stderr
