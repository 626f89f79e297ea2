"""tools/bench.py without a lab: statistics, targets, tables, the anchor's discovery and its
not-measured reasons, the side-by-side arithmetic on a fake lab, CPU accounting, the fleet
argument and the docs it rewrites. Nothing here times anything."""

import importlib.util
import json
import os
import stat
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("bench_tool", REPO / "tools" / "bench.py")
bench = importlib.util.module_from_spec(spec)
sys.modules["bench_tool"] = bench
spec.loader.exec_module(bench)
# Loaded by bench.py from tools/ (a directory of scripts, not a package).
report = sys.modules["bench_report"]
lab = sys.modules["bench_lab"]

RECAP = """
PLAY RECAP *********************************************************************
ssm-runas-bench-i1         : ok=10   changed=0    unreachable=0    failed=0    skipped=8
ssm-runas-bench-i2         : ok=3    changed=2    unreachable=1    failed=1    skipped=0
"""

PLAY_OUTPUT = """
TASK [ad_integration : Ensure required packages are installed] *****************
changed: [ssm-runas-bench-i2]

TASK [ad_integration : Ensure required services are enabled and started] *******
ok: [ssm-runas-bench-i2] => (item=realmd)

TASK [ad_integration : Generate /etc/realmd.conf] ******************************
changed: [ssm-runas-bench-i2]
changed: [ssm-runas-bench-i1]

RUNNING HANDLER [ad_integration : Handler for ad_integration to restart services] ***
changed: [ssm-runas-bench-i2] => (item=realmd)
changed: [ssm-runas-bench-i2] => (item=sssd)
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
        (4.0, ">= 4", True),
        (3.99, ">= 4", False),
    ],
)
def test_targets(value, target, ok):
    assert report.meets(value, target) is ok


def test_a_malformed_target_is_an_error():
    with pytest.raises(ValueError, match="'about 2'"):
        report.meets(1, "about 2")


def test_median_min_max_and_verdict():
    fig = report.Figure("x", "X", report.RATIO, "<= 2.5", samples=[3.0, 2.0, 2.4])
    assert fig.summary() == {"median": 2.4, "min": 2.0, "max": 3.0, "runs": 3}
    assert fig.verdict() == "met"
    fig.samples.append(9.0)
    assert fig.summary()["median"] == 2.7 and fig.verdict() == "MISSED"


def test_a_figure_with_a_reason_is_not_measured_even_with_samples():
    fig = report.Figure("x", "X", report.RATIO, "<= 1", samples=[0.5], reason="lab broke")
    assert not fig.measured and fig.summary() == {} and fig.verdict() == ""


def test_figures_survive_a_trip_through_json():
    fig = report.Figure("x", "X", report.COUNT, "== 1", samples=[1, 1], note="n", raw=[{"a": 1}])
    again = report.Figure.from_json(json.loads(json.dumps(fig.as_json())))
    assert again == fig


def test_recap_is_parsed_per_host():
    assert report.parse_recap(RECAP) == {
        "ssm-runas-bench-i1": {"ok": 10, "changed": 0, "unreachable": 0, "failed": 0},
        "ssm-runas-bench-i2": {"ok": 3, "changed": 2, "unreachable": 1, "failed": 1},
    }


def test_changed_tasks_and_handlers_are_listed_per_host_once_each():
    assert report.changed_tasks(PLAY_OUTPUT) == {
        "ssm-runas-bench-i2": [
            "ad_integration : Ensure required packages are installed",
            "ad_integration : Generate /etc/realmd.conf",
            "ad_integration : Handler for ad_integration to restart services",
        ],
        "ssm-runas-bench-i1": ["ad_integration : Generate /etc/realmd.conf"],
    }


def test_module_executions_are_counted_per_host_from_the_recorder():
    lines = ["i1 module", "i1 other", "i2 module", "i2 module", "garbage line here", ""]
    assert report.count_execs(lines) == {
        "i1": {"modules": 1, "execs": 2},
        "i2": {"modules": 2, "execs": 2},
    }


def test_the_podman_stand_in_records_container_and_kind_never_the_command(tmp_path):
    recorder = REPO / "tools" / "bench-podman"
    assert os.access(recorder, os.X_OK)
    execs = tmp_path / "execs"
    env = dict(os.environ, SSM_RUNAS_BENCH_EXECS=str(execs), SSM_RUNAS_BENCH_PODMAN="true")
    calls = [
        ["exec", "-i", "c1", "/bin/sh", "-c", "sudo -H -S -n -u root /bin/sh -c python3"],
        ["exec", "--workdir", "/root", "c2", "/bin/sh", "-c", "echo PLATFORM; uname"],
        ["exec", "c3", "/bin/sh", "-c", "python3 /root/.ansible/tmp/t/AnsiballZ_ping.py"],
        ["cp", "--pause=false", "a", "c1:/tmp/a"],
    ]
    for argv in calls:
        lab.subprocess.run([str(recorder), *argv], env=env, check=True)
    assert execs.read_text().splitlines() == ["c1 module", "c2 other", "c3 module"]


def job(unit, job_type, message="", result="done"):
    return json.dumps(
        {"UNIT": unit, "JOB_TYPE": job_type, "JOB_RESULT": result, "MESSAGE": message}
    )


def test_systemd_jobs_and_reloads_are_read_from_the_journal():
    lines = [
        job("sssd.service", "start", "sssd.service - SSSD was skipped because no trigger"),
        job("sssd.service", "start", "Started sssd.service"),
        # A restart: its stop half, then its start half; one restart.
        job("sssd.service", "restart", "Stopped sssd.service"),
        job("sssd.service", "start", "Started sssd.service"),
        job("sssd.service", "restart", "Stopped sssd.service"),
        job("sssd.service", "start", "Started sssd.service"),
        job("realmd.service", "stop"),
        job("homes.timer", "start"),
        job("sssd-nss.socket", "start"),
        job("x.service", "start", result="failed"),
        json.dumps({"MESSAGE": "Reloading."}),
        json.dumps({"MESSAGE": "Reloading requested from client PID 12 ('systemctl')..."}),
        json.dumps({"MESSAGE": "Reloading finished in 80 ms."}),
        "not json",
    ]
    units, reloads = lab.journal_changes(lines)
    assert units == ["sssd start", "sssd restart x2", "realmd stop", "homes.timer start"]
    assert reloads == 2


def test_cpu_accounting_covers_the_whole_process_tree():
    # A child that waits for a grandchild burning CPU: wait4 charges both to the run.
    burn = "import subprocess, sys; sys.exit(subprocess.call([sys.executable, '-c', "
    burn += "'sum(range(3_000_000))']) + 3)"
    measured = lab.run_measured([sys.executable, "-c", burn])
    assert measured.rc == 3
    assert measured.cpu > 0 and measured.seconds > 0


def test_cpu_per_host_divides_and_refuses_an_empty_run():
    assert lab.cpu_per_host(6.0, 8) == 0.75
    with pytest.raises(ValueError, match="0 hosts"):
        lab.cpu_per_host(1.0, 0)


# ---------------------------------------------------------------------------------------
# the anchor


def test_anchors_come_from_the_option_then_the_environment_then_beside_the_repo(tmp_path):
    env = {"SSM_RUNAS_ANCHORS": "/from/env"}
    assert bench.find_anchors("/opt/a", env) == Path("/opt/a")
    assert bench.find_anchors(None, env) == Path("/from/env")
    assert bench.find_anchors(None, {}, tmp_path / "repo") == tmp_path / "shared" / "anchors"
    assert bench.find_anchors(None, {"SSM_RUNAS_ANCHORS": ""}, tmp_path / "r") == (
        tmp_path / "shared" / "anchors"
    )


def test_a_missing_anchor_names_the_directory(tmp_path):
    assert bench.anchor_missing(tmp_path) == (
        f"no ad_integration in {tmp_path} (pass --anchors DIR or set $SSM_RUNAS_ANCHORS)"
    )
    (tmp_path / "ad_integration" / "tasks").mkdir(parents=True)
    assert "no ad_integration" in bench.anchor_missing(tmp_path)  # a role needs its tasks
    (tmp_path / "ad_integration" / "tasks" / "main.yml").write_text("---\n")
    assert bench.anchor_missing(tmp_path) == ""


def test_the_anchors_version_comes_from_its_changelog(tmp_path):
    role = tmp_path / "ad_integration"
    role.mkdir()
    assert bench.anchor_version(tmp_path) == ""
    (role / "CHANGELOG.md").write_text("Changelog\n=====\n\n[1.8.2] - 2026-06-24\n---\n[1.8.1]\n")
    assert bench.anchor_version(tmp_path) == "1.8.2"


def test_the_anchors_vars_file_is_private_and_holds_no_secret(tmp_path):
    play, extra = bench.write_anchor_files(tmp_path)
    assert stat.S_IMODE(extra.stat().st_mode) == 0o600
    text = extra.read_text()
    assert 'ad_integration_password: "{{ ad_join_password }}"' in text
    assert '__ad_integration_packages: ["realmd", "packagekit"]' in text
    assert "role: ad_integration" in play.read_text()
    assert "gather_facts: false" in play.read_text()


# ---------------------------------------------------------------------------------------
# the side-by-side arithmetic on a fake lab (seconds are given, not measured)

SECONDS = {"floor": 2.0, "ours-first": 40.0, "ours-rerun": 2.4, "anchor-first": 80.0}
SECONDS |= {"anchor-rerun": 13.0, "fleet-floor-3": 2.6, "fleet-floor-1": 2.0}
SECONDS |= {"fleet-rerun-3": 3.0, "fleet-rerun-1": 2.5, "fleet-first-3": 60.0}
MODULES = {"floor": 1, "ours": 1, "anchor": 12, "fleet": 1}


class FakeLab:
    def __init__(self, out, fail=""):
        self.out = out
        self.fail = fail
        self.calls = []

    def fresh_instances(self, count):
        self.calls.append(("fresh", count))
        return [f"i{n}" for n in range(1, count + 1)]

    def host_before(self, host):
        return {"host": host}

    def host_after(self, host, before):
        installed = ["adcli", "sssd"] if host == "i1" else ["packagekit", "sssd"]
        return {"installed": installed, "removed": [], "units": [], "daemon_reloads": 0}

    def floor(self, hosts, label):
        key = f"fleet-floor-{3 if len(hosts) > 1 else 1}" if label.startswith("fleet") else "floor"
        return self.run(label, key, hosts, "floor")

    def playbook(self, playbook, label, *, limit=None, env=None, extra_vars=None):
        hosts = limit or ["i1", "i2", "i3"]
        if label.startswith("fleet"):
            kind = label.split("-")[1]  # fleet-first-N, fleet-rerun-N-rR
            return self.run(label, f"fleet-{kind}-{3 if len(hosts) > 1 else 1}", hosts, "fleet")
        side, kind = label.split("-")[:2]
        assert (side == "anchor") == (extra_vars is not None)
        assert (side == "anchor") == ("ANSIBLE_ROLES_PATH" in (env or {}))
        return self.run(label, f"{side}-{kind}", hosts, side)

    def run(self, label, key, hosts, kind):
        self.calls.append(label)
        rc = 2 if self.fail and label.startswith(self.fail) else 0
        execs = {h: {"modules": MODULES[kind], "execs": MODULES[kind] + 1} for h in hosts}
        recap = {h: {"ok": 1, "changed": 0, "unreachable": 0, "failed": int(rc > 0)} for h in hosts}
        return lab.Run(label, SECONDS[key], 1.5 * len(hosts), rc, f"{label}.log", len(hosts),
                       recap, execs, {h: ["x"] for h in hosts})  # fmt: skip


def anchors_dir(tmp_path):
    (tmp_path / "anchors" / "ad_integration" / "tasks").mkdir(parents=True)
    (tmp_path / "anchors" / "ad_integration" / "tasks" / "main.yml").write_text("---\n")
    return tmp_path / "anchors"


def args_for(tmp_path, *argv):
    return bench.parse_args(["--anchors", str(anchors_dir(tmp_path)), *argv])


def test_side_by_side_figures_are_ratios_to_the_floor_and_to_ours(tmp_path):
    fake = FakeLab(tmp_path)
    args = args_for(tmp_path, "--runs", "2", "--fleet", "3")
    figures, comparisons = bench.linux_figures(fake, args)
    figs = {f.key: f for f in figures}
    assert figs["linux_rerun"].samples == [1.2, 1.2] and figs["linux_rerun"].verdict() == "met"
    assert figs["linux_first"].samples == [20.0, 20.0]
    assert figs["anchor_rerun"].samples == [6.5, 6.5]
    assert figs["anchor_vs_ours_rerun"].samples == [13.0 / 2.4] * 2
    assert figs["anchor_vs_ours_rerun"].verdict() == "met"
    assert figs["anchor_vs_ours_first"].samples == [2.0, 2.0]
    assert figs["modules_ours"].samples == [1, 1] and figs["modules_ours"].verdict() == "met"
    assert figs["modules_anchor"].samples == [12, 12]
    assert figs["cpu_ours"].samples == [1.5, 1.5]
    assert figs["fleet"].samples == [1.2, 1.2] and figs["fleet"].verdict() == "met"
    assert figs["fleet_floor"].samples == [1.3, 1.3]
    assert figs["cpu_per_host"].samples == [1.5, 1.5]
    assert figs["floor"].summary()["runs"] == 8  # before each first converge and re-run
    assert all(f.measured for f in figures), [(f.key, f.reason) for f in figures]
    # Each run gets fresh instances; who goes first alternates.
    first_of = [c for c in fake.calls if isinstance(c, str) and "-first-r" in c]
    assert first_of == ["ours-first-r1", "anchor-first-r1", "anchor-first-r2", "ours-first-r2"]
    assert fake.calls.count(("fresh", 2)) == 2 and fake.calls.count(("fresh", 3)) == 1
    assert comparisons[0]["ours"]["installed"] == ["adcli", "sssd"]
    assert comparisons[0]["anchor"]["installed"] == ["packagekit", "sssd"]


def test_without_the_anchor_ours_is_measured_and_the_anchor_says_why(tmp_path):
    fake = FakeLab(tmp_path)
    args = bench.parse_args(["--anchors", str(tmp_path / "none"), "--runs", "1", "--fleet", "2"])
    figs = {f.key: f for f in bench.linux_figures(fake, args)[0]}
    assert figs["linux_rerun"].measured and figs["fleet"].measured
    why = f"no ad_integration in {tmp_path / 'none'}"
    for key in ("anchor_first", "anchor_rerun", "modules_anchor", "anchor_vs_ours_rerun"):
        assert figs[key].reason.startswith(why), key
    assert ("fresh", 1) in fake.calls


def test_a_failing_anchor_run_leaves_ours_measured(tmp_path):
    fake = FakeLab(tmp_path, fail="anchor-first")
    figs = {f.key: f for f in bench.linux_figures(fake, args_for(tmp_path, "--runs", "1"))[0]}
    assert figs["linux_rerun"].measured
    assert figs["anchor_rerun"].reason == (
        "run 1: first converge failed (rc=2, see logs/anchor-first-r1.log)"
    )
    assert "anchor-rerun-r1" not in fake.calls


def test_a_recorder_that_miscounts_the_ping_voids_the_module_figures(tmp_path, monkeypatch):
    monkeypatch.setitem(MODULES, "floor", 2)
    figs = {f.key: f for f in bench.linux_figures(FakeLab(tmp_path), args_for(tmp_path))[0]}
    assert "saw 2 module runs for one ping" in figs["modules_ours"].reason
    assert figs["linux_rerun"].measured


def test_linux_figures_without_the_roles_are_not_measured(monkeypatch, tmp_path):
    monkeypatch.setattr(bench, "role_missing", lambda role: f"role {role} is not here")

    class NoLab:
        def __getattr__(self, name):
            raise AssertionError(f"touched the lab ({name}) although a role is missing")

    figures, comparisons = bench.linux_figures(NoLab(), args_for(tmp_path))
    assert comparisons == []
    assert all(f.reason == "role ad_join is not here" and not f.measured for f in figures)


def test_sections_not_selected_say_so(tmp_path):
    args = args_for(tmp_path, "--only", "anchor", "--runs", "1")
    figs = {f.key: f for f in bench.linux_figures(FakeLab(tmp_path), args)[0]}
    assert figs["anchor_rerun"].measured
    assert figs["linux_rerun"].reason == "not selected" and figs["fleet"].reason == "not selected"
    assert figs["anchor_vs_ours_rerun"].reason == "needs both linux and anchor selected"


# ---------------------------------------------------------------------------------------
# tables, json and docs


def test_tables_show_not_measured_with_the_reason():
    figures = [
        report.Figure("a", "AWS calls", report.COUNT, "<= 12", samples=[12, 11, 12]),
        report.Figure("b", "Linux re-run / floor", report.RATIO, "<= 2.5", reason="role missing"),
    ]
    header = {"date": "2026-11-23 21:00 UTC", "machine": "m", "runs": 3}
    md = report.markdown(figures, header)
    assert "| AWS calls | 12 | 11 - 12 | 3 | <= 12 | met |" in md
    assert "| Linux re-run / floor | not measured: role missing |" in md
    text = report.text_table(figures)
    assert "not measured: role missing" in text and "MISSED" not in text


def test_the_side_by_side_table_puts_ours_beside_the_anchor():
    figures = [
        report.Figure("linux_rerun", "ours re-run", report.RATIO, "<= 1.3", samples=[1.2, 1.1]),
        report.Figure("anchor_rerun", "anchor re-run", report.RATIO, samples=[6.5]),
        report.Figure("modules_ours", "m", report.COUNT, samples=[1]),
        report.Figure("modules_anchor", "m", report.COUNT, reason="no ad_integration in /x"),
        report.Figure("fleet", "ours: re-run over 8 / over 1", report.RATIO, "<= 1.5", samples=[2]),
    ]
    table = report.side_by_side(figures)
    assert "| idempotent re-run / floor | 1.15x (1.10x - 1.20x), target <= 1.3: met | 6.50x |" in (
        table
    )
    assert "| module executions per host, re-run | 1 | not measured: no ad_integration in /x |" in (
        table
    )
    assert "| ours: re-run over 8 / over 1 | 2.00x, target <= 1.5: MISSED |" in table
    assert "first converge" not in table  # rows without figures are left out


def test_the_first_converge_comparison_lists_what_only_one_side_did():
    comp = {
        "run": 1,
        "ours": {"installed": ["adcli", "sssd"], "units": ["sssd restart"], "changed": ["a"]},
        "anchor": {"installed": ["packagekit", "sssd"], "units": [], "changed": ["b", "c"]},
    }
    md = report.first_converge_markdown([comp])
    assert "| packages installed | 2 | 2 |" in md
    assert "| installed by this side only | adcli | packagekit |" in md
    assert "| units started, restarted, stopped | sssd restart | none |" in md
    assert "| tasks and handlers that changed | a | b, c |" in md


HEADER = {
    "date": "2026-12-03 10:00 UTC",
    "machine": {"cpu": "AMD EPYC", "cores": 2, "ram_gib": 23.5, "kernel": "6.18", "python": "3"},
    "ansible_core": "2.21.5",
    "runs": 3,
    "fleet": 8,
    "seconds": 754,
}


def test_the_header_names_date_machine_core_runs_and_fleet():
    line = report.header_line(HEADER)
    assert line == (
        "Measured 2026-12-03 10:00 UTC on AMD EPYC, 2 cores, 23.5 GiB RAM, Linux 6.18; "
        "ansible-core 2.21.5; 3 runs each (median, min - max); fleet of 8; 12m34s in all."
    )


def test_docs_blocks_are_replaced_and_the_text_around_them_kept(tmp_path):
    begin, end = report.DOCS_BEGIN, report.DOCS_END
    readme = tmp_path / "README.md"
    readme.write_text(f"# X\n\n## Performance\n\nHand text.\n\n{begin}\nold\n{end}\n\nAfter.\n")
    perf = tmp_path / "performance.md"
    perf.write_text(f"# Performance\n\nProse.\n\n{begin}\n{end}\n\n## Worth knowing\n\n- a\n")
    figures = [report.Figure("linux_rerun", "ours re-run", report.RATIO, "<= 1.3", samples=[1.2])]
    data = {"header": HEADER, "figures": [f.as_json() for f in figures], "first_converge": []}
    report.write_docs(data, readme, perf)
    text = readme.read_text()
    assert text.startswith("# X\n\n## Performance\n\nHand text.\n\n") and "old" not in text
    assert text.endswith(f"{end}\n\nAfter.\n")
    assert "| idempotent re-run / floor | 1.20x, target <= 1.3: met |" in text
    assert "`make bench`" in text and "AMD EPYC" in text
    doc = perf.read_text()
    assert doc.endswith(f"{end}\n\n## Worth knowing\n\n- a\n")
    assert "## Latest figures (2026-12-03 10:00 UTC)" in doc and "| ours re-run | 1.20x |" in doc
    report.write_docs(data, readme, perf)
    assert readme.read_text() == text, "rewriting is stable"


@pytest.mark.parametrize(
    ("changes", "command"),
    [
        ({}, "`make bench`"),
        ({"sections": list(report.SECTIONS)}, "`make bench`"),
        ({"runs": 1, "fleet": 3}, "`make bench BENCH_ARGS='--runs 1 --fleet 3'`"),
        ({"sections": ["adfs", "floor"]}, "`make bench BENCH_ARGS='--only floor,adfs'`"),
    ],
)
def test_the_docs_say_how_to_reproduce_exactly_that_run(changes, command):
    assert report.reproduce_command(HEADER | changes) == command


def test_docs_without_the_markers_are_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"README.md: no generated block; put the lines"):
        report.replace_block("# no markers\n", "x", "README.md")


def test_the_repositorys_docs_carry_the_markers():
    for path in (REPO / "README.md", REPO / "docs" / "performance.md"):
        report.replace_block(path.read_text(), "x", path.name)


def test_write_docs_without_a_bench_json_says_to_run_the_bench(tmp_path, capsys):
    assert bench.main(["--write-docs", "--out", str(tmp_path)]) == 2
    assert "run `make bench` first" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------
# arguments and a run without a lab


def test_the_fleet_defaults_to_eight():
    args = bench.parse_args([])
    assert args.fleet == 8 and args.runs == 3 and args.lab == "bench"
    assert args.sections == {"floor", "linux", "anchor", "fleet", "aws", "adfs"}


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["--lab", "lab"], "main lab"),
        (["--only", "linux,gpu"], "--only gpu"),
        (["--only", "lsr"], "--only lsr"),
        (["--runs", "0"], "at least 1"),
        (["--fleet", "1"], "--fleet 1: a fleet is at least 2"),
        (["--fleet", "many"], "invalid int value"),
        (["--scale", "4,8"], "unrecognized arguments: --scale"),
    ],
)
def test_bad_arguments(capsys, argv, error):
    with pytest.raises(SystemExit):
        bench.parse_args(argv)
    assert error in capsys.readouterr().err


def test_adfs_round_trips_are_counted_on_the_fake_store():
    change, same = bench.adfs_figures(3)
    assert change.samples == [2, 2, 2] and same.samples == [1, 1, 1]
    assert change.raw[0] == {"run": 1, "reads": 1, "writes": 1}


def test_adfs_figures_without_the_fake_store_are_not_measured(monkeypatch):
    monkeypatch.setattr(bench, "REPO", REPO / "nowhere")
    change, same = bench.adfs_figures(3)
    assert not change.measured and "test_adfs_action.py is missing" in change.reason
    assert same.reason == change.reason


def test_only_adfs_writes_markdown_and_json_and_touches_no_lab(tmp_path, capsys):
    assert bench.main(["--only", "adfs", "--runs", "3", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "bench.json").read_text())
    assert [f["key"] for f in data["figures"]] == ["adfs_change", "adfs_same"]
    assert data["figures"][0]["summary"] == {"median": 2, "min": 2, "max": 2, "runs": 3}
    head = data["header"]
    assert {"cpu", "cores", "ram_gib", "kernel"} <= set(head["machine"])
    assert head["runs"] == 3 and head["fleet"] == 8 and head["ansible_core"]
    assert "| ADFS upsert without a change" in (tmp_path / "bench.md").read_text()
    assert "ADFS upsert with a change" in capsys.readouterr().out
    assert not (tmp_path / "inventory").exists()


# ------------------------------------------------------------------------- settling
def stat_line(user, nice, system, idle, iowait=0):
    """/proc/stat's first lines (irq, softirq, steal, guest, guest_nice zero)."""
    return f"cpu  {user} {nice} {system} {idle} {iowait} 0 0 0 0 0\ncpu0 1 2 3\n"


def test_busy_share_counts_iowait_as_idle():
    before = lab.cpu_times(stat_line(100, 0, 100, 800, 0))
    after = lab.cpu_times(stat_line(150, 0, 150, 850, 50))
    assert lab.busy_share(before, after) == pytest.approx(100 / 200)


def test_settling_waits_for_a_quiet_window():
    # busy 80%, then 60%, then 10% of all CPUs over each window
    readings = iter(
        [
            stat_line(0, 0, 0, 0),
            stat_line(80, 0, 0, 20),
            stat_line(140, 0, 0, 60),
            stat_line(150, 0, 0, 150),
        ]
    )
    slept = []
    waited, share = lab.wait_until_quiet(read=lambda: next(readings), sleep=slept.append)
    assert slept == [lab.QUIET_WINDOW] * 3
    assert waited == 3 * lab.QUIET_WINDOW
    assert share == pytest.approx(0.1)


def test_settling_gives_up_after_its_limit():
    busy = iter(stat_line(100 * i, 0, 0, 0) for i in range(1000))
    waited, share = lab.wait_until_quiet(read=lambda: next(busy), sleep=lambda _s: None)
    assert waited >= lab.QUIET_MAX_WAIT
    assert share == 1.0


def test_missed_targets_say_by_how_much_and_the_fleet_against_ansibles_own_floor():
    figures = [
        report.Figure(
            "linux_rerun", "ours: re-run / floor", report.RATIO, "<= 1.3", samples=[1.38]
        ),
        report.Figure("anchor_vs_ours_rerun", "anchor / ours", report.RATIO, ">= 4", samples=[4.5]),
        report.Figure("fleet", "ours: 8 / 1", report.RATIO, "<= 1.5", samples=[2.93]),
        report.Figure("fleet_floor", "floor: 8 / 1", report.RATIO, samples=[2.26]),
    ]
    lines = report.missed(figures)
    assert lines[0] == "- ours: re-run / floor: 1.38x against <= 1.3, missed by 0.08x."
    assert lines[1].startswith("- ours: 8 / 1: 2.93x against <= 1.5, missed by 1.43x.")
    assert (
        "costs 2.26x one on this machine - above the target, so no role can meet it here"
        in lines[1]
    )
    assert lines[1].endswith("ours over that: 1.30x.")
    assert len(lines) == 2  # met targets are not listed
    figures[3].samples = [1.2]
    assert "no role can meet it" not in report.missed(figures)[1]


def test_the_docs_blocks_list_the_misses_and_where_their_causes_are():
    figures = [report.Figure("fleet", "ours: 8 / 1", report.RATIO, "<= 1.5", samples=[2.0])]
    header = {"date": "2026-12-03 13:54 UTC", "machine": "a box", "runs": 1}
    readme, perf = report.docs_blocks({"header": header, "figures": [f.as_json() for f in figures]})
    assert "Targets missed (the causes, measured task by task: [docs/performance.md]" in readme
    assert "- ours: 8 / 1: 2.00x against <= 1.5, missed by 0.50x." in readme
    assert "Targets missed (the causes, measured task by task: Worth knowing, below):" in perf
    figures[0].samples = [1.4]
    readme, _perf = report.docs_blocks(
        {"header": header, "figures": [f.as_json() for f in figures]}
    )
    assert "Targets missed" not in readme
