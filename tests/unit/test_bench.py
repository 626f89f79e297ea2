"""tools/bench.py without a lab: statistics, targets, tables, recap parsing, and figures whose
prerequisite is missing reported as "not measured: <reason>" instead of crashing."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("bench_tool", REPO / "tools" / "bench.py")
bench = importlib.util.module_from_spec(spec)
sys.modules["bench_tool"] = bench
spec.loader.exec_module(bench)

RECAP = """
PLAY RECAP *********************************************************************
ssm-runas-bench-i1         : ok=10   changed=0    unreachable=0    failed=0    skipped=8
ssm-runas-bench-i2         : ok=3    changed=2    unreachable=1    failed=1    skipped=0
"""


@pytest.mark.parametrize(
    ("value", "target", "ok"),
    [
        (2.5, "<= 2.5", True),
        (2.51, "<= 2.5", False),
        (0, "== 0", True),
        (1, "== 0", False),
        (12, "<= 12", True),
        (13, "<=12", False),
        (1.9, "< 2", True),
    ],
)
def test_targets(value, target, ok):
    assert bench.meets(value, target) is ok


def test_a_malformed_target_is_an_error():
    with pytest.raises(ValueError, match="'about 2'"):
        bench.meets(1, "about 2")


def test_median_min_max_and_verdict():
    fig = bench.Figure("x", "X", "x floor", "<= 2.5", samples=[3.0, 2.0, 2.4])
    assert fig.summary() == {"median": 2.4, "min": 2.0, "max": 3.0, "runs": 3}
    assert fig.verdict() == "met"
    fig.samples.append(9.0)
    assert fig.summary()["median"] == 2.7 and fig.verdict() == "MISSED"


def test_recap_is_parsed_per_host():
    assert bench.parse_recap(RECAP) == {
        "ssm-runas-bench-i1": {"ok": 10, "changed": 0, "unreachable": 0, "failed": 0},
        "ssm-runas-bench-i2": {"ok": 3, "changed": 2, "unreachable": 1, "failed": 1},
    }


def test_tables_show_not_measured_with_the_reason():
    figures = [
        bench.Figure("a", "AWS calls", "calls", "<= 12", samples=[12, 11, 12]),
        bench.Figure("b", "Linux re-run / floor", "x floor", "<= 2.5", reason="role missing"),
    ]
    header = {"date": "2026-11-23 21:00 UTC", "machine": "m", "runs": 3}
    md = bench.markdown(figures, header)
    assert "| AWS calls | 12 | 11 - 12 | 3 | <= 12 | met |" in md
    assert "| Linux re-run / floor | not measured: role missing |" in md
    text = bench.text_table(figures)
    assert "not measured: role missing" in text and "MISSED" not in text


def test_linux_figures_without_the_roles_are_not_measured(monkeypatch):
    monkeypatch.setattr(bench, "role_missing", lambda role: f"role {role} is not here")

    class NoLab:
        def __getattr__(self, name):
            raise AssertionError(f"touched the lab ({name}) although a role is missing")

    figures = bench.linux_figures(NoLab(), 3, [4, 8], {"floor", "linux", "scale"})
    assert [f.key for f in figures] == [
        "floor",
        "linux_first",
        "linux_rerun",
        "scale_4",
        "scale_8",
    ]
    assert all(f.reason == "role ad_join is not here" and not f.measured for f in figures)


def test_adfs_round_trips_are_counted_on_the_fake_store():
    change, same = bench.adfs_figures(3)
    assert change.samples == [2, 2, 2] and same.samples == [1, 1, 1]
    assert change.raw[0] == {"run": 1, "reads": 1, "writes": 1}


def test_adfs_figures_without_the_fake_store_are_not_measured(monkeypatch):
    monkeypatch.setattr(bench, "REPO", REPO / "nowhere")
    change, same = bench.adfs_figures(3)
    assert not change.measured and "test_adfs_action.py is missing" in change.reason
    assert same.reason == change.reason


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["--lab", "lab"], "main lab"),
        (["--only", "linux,gpu"], "--only gpu"),
        (["--runs", "0"], "at least 1"),
    ],
)
def test_bad_arguments(capsys, argv, error):
    with pytest.raises(SystemExit):
        bench.parse_args(argv)
    assert error in capsys.readouterr().err


def test_only_adfs_writes_markdown_and_json_and_touches_no_lab(tmp_path, capsys):
    assert bench.main(["--only", "adfs", "--runs", "3", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "bench.json").read_text())
    assert [f["key"] for f in data["figures"]] == ["adfs_change", "adfs_same"]
    assert data["figures"][0]["summary"] == {"median": 2, "min": 2, "max": 2, "runs": 3}
    assert "| ADFS upsert without a change" in (tmp_path / "bench.md").read_text()
    assert "ADFS upsert with a change" in capsys.readouterr().out
    assert not (tmp_path / "inventory").exists()
