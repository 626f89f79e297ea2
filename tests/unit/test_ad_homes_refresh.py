"""The homes refresher: its configuration, units, script and one pass on fakes, and how the
ad_homes module installs, updates and removes it (paths in a temporary directory)."""

import grp
import io
import json
import os
import pwd
import re
import shlex
import shutil
import stat
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

import pytest
from ansible.module_utils import _internal
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args
from ansible_collections.federated.ssm_runas.plugins.module_utils import ad_homes
from ansible_collections.federated.ssm_runas.plugins.module_utils import (
    ad_homes_refresh as refresher,
)
from ansible_collections.federated.ssm_runas.plugins.modules import ad_homes as ad_homes_module

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "plugins/module_utils/ad_homes.py"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the refresher's files are root:root")

Group = namedtuple("Group", "gr_name gr_mem")
Passwd = namedtuple("Passwd", "pw_name pw_uid pw_gid")
# Members need a uid other than 0 (the refresher skips root); as root, any uid can own a home.
UID, GID = (os.getuid(), os.getgid()) if os.getuid() else (1796401106, 1796400513)
# Odd names as SSSD gives them: spaces, dots, quotes, an apostrophe.
GROUPS = ["NetworkAdmins@example.test", "Help Desk@example.test", "o'brien's team@example.test"]


def config_for(tmp_path, groups=GROUPS, missing_groups="fail"):
    skel = tmp_path / "skel"
    skel.mkdir(exist_ok=True)
    (skel / ".bashrc").write_text("# skel\n")
    (tmp_path / "home").mkdir(exist_ok=True)
    text = refresher.render_config(
        groups,
        str(tmp_path / "home"),
        str(skel),
        str(tmp_path / "state" / "ad_homes.json"),
        missing_groups,
    )
    path = tmp_path / "ad_homes_refresh.json"
    path.write_text(text)
    return path


# ------------------------------------------------------------------------- configuration
def test_the_script_accepts_exactly_what_the_module_writes(tmp_path):
    path = config_for(tmp_path)
    config = ad_homes.load_refresh_config(str(path))
    assert config["groups"] == GROUPS
    assert config["base"] == str(tmp_path / "home")
    assert sorted(config) == sorted(ad_homes.REFRESH_KEYS)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"extra": 1}, "expected the keys"),
        ({"groups": "NetworkAdmins"}, "groups must be a list"),
        ({"groups": [""]}, "groups must be a list"),
        ({"base": "home"}, "base must be an absolute path"),
        ({"state_file": None}, "state_file must be an absolute path"),
        ({"missing_groups": "ignore"}, "missing_groups must be fail or warn"),
    ],
)
def test_the_script_refuses_another_configuration(tmp_path, change, message):
    path = config_for(tmp_path)
    data = json.loads(path.read_text())
    data.update(change)
    path.write_text(json.dumps(data))
    with pytest.raises(ad_homes.HomesError, match=message):
        ad_homes.load_refresh_config(str(path))


def test_a_configuration_without_a_key_is_refused(tmp_path):
    path = config_for(tmp_path)
    data = json.loads(path.read_text())
    del data["skel"]
    path.write_text(json.dumps(data))
    with pytest.raises(ad_homes.HomesError, match="expected the keys"):
        ad_homes.load_refresh_config(str(path))


# ------------------------------------------------------------------------- unit files
ODD = refresher.Paths(
    script='/opt/my tools/50%_"done"/ad_homes.py',
    config="/etc/x%i/refresh config.json",
    unit_dir="/etc/systemd/system",
)


def unit_values(text, key):
    return [line.split("=", 1)[1] for line in text.splitlines() if line.startswith(key + "=")]


def systemd_words(line):
    """ExecStart words as systemd reads them: shell-like quotes, then '%%' is '%'."""
    return [word.replace("%%", "%") for word in shlex.split(line)]


@pytest.mark.parametrize("paths", [refresher.PATHS, ODD])
def test_the_service_runs_the_script_on_its_configuration(paths):
    text = refresher.render_service("/usr/bin/python3", paths)
    (exec_start,) = unit_values(text, "ExecStart")
    assert systemd_words(exec_start) == ["/usr/bin/python3", "-I", "-S", paths.script, paths.config]
    assert unit_values(text, "Type") == ["oneshot"]
    (condition,) = unit_values(text, "ConditionPathExists")
    assert condition.replace("%%", "%") == paths.config
    assert unit_values(text, "SyslogIdentifier") == [refresher.UNIT]


def test_a_path_with_a_line_break_is_refused():
    with pytest.raises(ValueError, match="cannot hold"):
        refresher.render_service("/usr/bin/python3", ODD._replace(config="/etc/a\nb.json"))


@pytest.mark.parametrize("interval", [10, 300, 86400])
def test_the_timer_fires_every_interval_from_its_start(interval):
    text = refresher.render_timer(interval)
    assert unit_values(text, "OnActiveSec") == [str(interval)]
    assert unit_values(text, "OnUnitActiveSec") == [str(interval)]
    assert unit_values(text, "WantedBy") == ["timers.target"]


@pytest.mark.parametrize("interval", [9, 0, -300, True, 300.0, "300"])
def test_the_timer_refuses_other_intervals(interval):
    with pytest.raises(ValueError, match="at least 10"):
        refresher.render_timer(interval)


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze (Debian systemd) missing")
def test_systemd_accepts_both_units(tmp_path):
    paths = refresher.Paths(
        script=str(tmp_path / "ad_homes.py"),
        config=str(tmp_path / "c.json"),
        unit_dir=str(tmp_path),
    )
    service, timer = refresher.unit_paths(paths)
    Path(service).write_text(refresher.render_service(sys.executable, paths))
    Path(timer).write_text(refresher.render_timer(300))
    done = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", "--man=no", timer, service],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    # The check can fail: a wrong key is reported.
    Path(timer).write_text(refresher.render_timer(300).replace("OnActiveSec", "OnActiveSecs"))
    done = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", "--man=no", timer],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert "OnActiveSecs" in done.stderr


def test_a_stable_interpreter_name_is_preferred():
    links = {
        "/usr/bin/python3": "/usr/bin/python3.13",
        "/usr/bin/python3.13": "/usr/bin/python3.13",
    }

    def realpath(path):
        return links.get(path, path)

    assert refresher.interpreter("/usr/bin/python3.13", realpath=realpath) == "/usr/bin/python3"
    assert refresher.interpreter("/opt/py/bin/python3", realpath=realpath) == "/opt/py/bin/python3"


# ------------------------------------------------------------------------- the script
def test_the_script_is_the_module_utils_file_itself():
    text = refresher.script_text()
    assert text.endswith(SOURCE.read_text() + refresher.ENTRY)
    assert text.splitlines()[0].startswith("# Installed by the federated.ssm_runas.ad_homes")


@pytest.mark.parametrize(("missing_groups", "rc"), [("warn", 0), ("fail", 1)])
def test_the_script_runs_alone_on_the_standard_library(tmp_path, missing_groups, rc):
    """As the service runs it: -I -S, so nothing from Ansible or site-packages is importable."""
    script = tmp_path / "ad_homes.py"
    script.write_text(refresher.script_text())
    config = config_for(tmp_path, groups=["no-such-group-4b1d"], missing_groups=missing_groups)
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(script), str(config)],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/nonexistent"},  # no sss_cache: nothing to invalidate
    )
    assert done.returncode == rc, done.stdout + done.stderr
    assert "group no-such-group-4b1d does not resolve" in done.stdout
    assert done.stderr == ""


class FakeHost:
    """NSS, sss_cache and the journal for refresh_main: who is in which group, what ran."""

    def __init__(self, groups):
        self.groups = groups
        self.user_lookups = []
        self.commands = []

    def getgrnam(self, name):
        return Group(name, self.groups[name])

    def getpwnam(self, name):
        self.user_lookups.append(name)
        if name == "root":
            return Passwd("root", 0, 0)
        return Passwd(name, UID, GID)

    def command(self, argv):
        self.commands.append(argv)
        return 0, ""


@pytest.fixture
def host(monkeypatch):
    fake = FakeHost(
        {
            "NetworkAdmins@example.test": ["bob@example.test", "root"],
            "Help Desk@example.test": ["erin@example.test", "bob@example.test"],
            "o'brien's team@example.test": [],
        }
    )
    monkeypatch.setattr(grp, "getgrnam", fake.getgrnam)
    monkeypatch.setattr(pwd, "getpwnam", fake.getpwnam)
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/sbin/" + name)
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    return fake


def test_a_pass_creates_the_missing_homes_records_and_logs_them(tmp_path, host, capsys):
    config = config_for(tmp_path)
    home = tmp_path / "home"
    (home / "erin@example.test").mkdir()  # made by hand: not touched, not recorded
    assert ad_homes.refresh_main([str(config)], host.command, sys.stdout) == 0
    # Only the configured groups are invalidated, one call each.
    assert host.commands == [["/usr/sbin/sss_cache", "-g", g] for g in GROUPS]
    bob = home / "bob@example.test"
    assert stat.S_IMODE(bob.stat().st_mode) == 0o700
    assert (bob / ".bashrc").read_text() == "# skel\n"
    assert not (home / "root").exists()  # the agent refuses uid 0, so no home either
    state = json.loads((tmp_path / "state/ad_homes.json").read_text())
    assert state == {"homes": {str(bob): UID}}
    assert stat.S_IMODE((tmp_path / "state/ad_homes.json").stat().st_mode) == 0o600
    assert capsys.readouterr().out == (
        f"created {bob} for bob@example.test (uid {UID}, gid {GID})\n"
    )


def test_a_pass_with_nothing_to_do_looks_no_user_up_and_says_nothing(tmp_path, host, capsys):
    config = config_for(tmp_path)
    assert ad_homes.refresh_main([str(config)], host.command, sys.stdout) == 0
    capsys.readouterr()
    before = (tmp_path / "state/ad_homes.json").read_bytes()
    host.user_lookups.clear()
    assert ad_homes.refresh_main([str(config)], host.command, sys.stdout) == 0
    assert host.user_lookups == ["root"]  # the only member without a home
    assert capsys.readouterr().out == ""
    assert (tmp_path / "state/ad_homes.json").read_bytes() == before


def test_the_state_file_keeps_what_the_module_recorded(tmp_path, host):
    config = config_for(tmp_path)
    state = tmp_path / "state/ad_homes.json"
    state.parent.mkdir()
    state.write_text(json.dumps({"homes": {"/home/alice@example.test": 1234}}))
    assert ad_homes.refresh_main([str(config)], host.command, sys.stdout) == 0
    assert json.loads(state.read_text())["homes"] == {
        "/home/alice@example.test": 1234,
        str(tmp_path / "home/bob@example.test"): UID,
        str(tmp_path / "home/erin@example.test"): UID,
    }


def test_a_missing_group_fails_the_pass_after_the_others_are_done(
    tmp_path, host, capsys, monkeypatch
):
    config = config_for(tmp_path, groups=[*GROUPS, "Gone@example.test"])
    monkeypatch.setenv("JOURNAL_STREAM", "8:1234")  # as systemd sets it for the journal
    assert ad_homes.refresh_main([str(config)], host.command, sys.stdout) == 1
    out = capsys.readouterr().out.splitlines()
    # Priorities for the journal: warning for the group, info for the home.
    assert out == [
        "<4>group Gone@example.test does not resolve (getent group): no homes for its members",
        *(
            f"<6>created {tmp_path / 'home' / name} for {name} (uid {UID}, gid {GID})"
            for name in ("bob@example.test", "erin@example.test")
        ),
    ]


@pytest.mark.parametrize(
    ("argv", "rc", "said"),
    [
        ([], 2, "usage: ad_homes.py <config.json>"),
        (["/nonexistent/refresh.json"], 1, "ad_homes refresh failed: [Errno 2]"),
    ],
)
def test_the_script_explains_a_wrong_call(host, capsys, argv, rc, said):
    assert ad_homes.refresh_main(argv, host.command, sys.stdout) == rc
    assert said in capsys.readouterr().out


def test_a_home_made_meanwhile_is_left_to_its_maker(tmp_path, host, monkeypatch, capsys):
    """The module and a pass may run at once: the one that waited for the lock skips it."""
    config = config_for(tmp_path)
    bob = tmp_path / "home/bob@example.test"
    real_lock = ad_homes.manifest_lock

    def lock_then_module_creates(path):
        bob.mkdir()
        return real_lock(path)

    monkeypatch.setattr(ad_homes, "manifest_lock", lock_then_module_creates)
    assert ad_homes.refresh_main([str(config)], host.command, sys.stdout) == 0
    erin = tmp_path / "home/erin@example.test"
    assert json.loads((tmp_path / "state/ad_homes.json").read_text()) == {"homes": {str(erin): UID}}
    assert capsys.readouterr().out.startswith(f"created {erin} for erin")


# ------------------------------------------------------------------------- the module
class FakeSystemd:
    """The timer's state as systemctl would report it, and the calls that change it."""

    def __init__(self, running=True):
        self.running = running
        self.enabled = self.active = False
        self.calls = []
        self.queries = 0

    def timer_state(self):
        self.queries += 1
        return self.enabled, self.active

    def call(self, *args):
        self.calls.append(" ".join(args))
        if args == ("enable", refresher.TIMER):
            self.enabled = True
        elif args in (("start", refresher.TIMER), ("restart", refresher.TIMER)):
            self.active = True
        elif args == ("disable", "--now", refresher.TIMER):
            self.enabled = self.active = False
        return ""


@pytest.fixture
def installed(tmp_path, monkeypatch, host):
    """The module with the refresher's paths under tmp_path and a fake systemd."""
    paths = refresher.Paths(
        script=str(tmp_path / "libexec/federated-ssm-runas/ad_homes.py"),
        config=str(tmp_path / "etc/federated-ssm-runas/ad_homes_refresh.json"),
        unit_dir=str(tmp_path / "systemd"),
    )
    os.makedirs(paths.unit_dir)
    systemd = FakeSystemd()
    monkeypatch.setattr(refresher, "PATHS", paths)
    monkeypatch.setattr(refresher, "Systemd", lambda module: systemd)
    (tmp_path / "home").mkdir()
    args = {
        "groups": ["NetworkAdmins", "Help Desk"],
        "domain": "example.test",
        "base": str(tmp_path / "home"),
        "skel": str(tmp_path / "no-skel"),
        "state_file": str(tmp_path / "state/ad_homes.json"),
        "refresh_cache": False,
        "refresh_timer": True,
        "refresh_interval": 300,
    }
    return paths, systemd, args


def run_module(args, capsys, check=False):
    saved = _internal.is_controller
    _internal.is_controller = False  # warnings go into the result, as on a target
    try:
        with patch_module_args(dict(args, _ansible_check_mode=check)), pytest.raises(SystemExit):
            ad_homes_module.main()
    finally:
        _internal.is_controller = saved
    return json.loads(capsys.readouterr().out)


def files_of(paths):
    service, timer = refresher.unit_paths(paths)
    return [paths.script, paths.config, service, timer]


@needs_root
def test_module_check_apply_check_apply(installed, capsys):
    paths, systemd, args = installed
    check = run_module(args, capsys, check=True)
    assert check["changed"] is True
    assert check["refresh_changes"] == [
        *("created " + p for p in files_of(paths)),
        "systemctl daemon-reload",
        "systemctl enable " + refresher.TIMER,
        "systemctl start " + refresher.TIMER,
    ]
    assert [d["after_header"] for d in check["diff"][1:]] == files_of(paths)  # homes first
    assert not any(os.path.exists(p) for p in files_of(paths))
    assert systemd.calls == []

    apply = run_module(args, capsys)
    assert apply["refresh_changes"] == check["refresh_changes"]
    assert systemd.calls == [
        "daemon-reload",
        "enable " + refresher.TIMER,
        "start " + refresher.TIMER,
    ]
    for path in files_of(paths):
        info = os.lstat(path)
        assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o644, 0, 0), path
    config = ad_homes.load_refresh_config(paths.config)
    assert config["groups"] == ["NetworkAdmins@example.test", "Help Desk@example.test"]
    assert config["state_file"] == args["state_file"]
    assert Path(paths.script).read_text() == refresher.script_text()

    assert run_module(args, capsys, check=True)["changed"] is False
    again = run_module(args, capsys)
    assert (again["changed"], again["refresh_changes"], "diff" in again) == (False, [], False)
    assert len(systemd.calls) == 3  # the units are not touched again


@needs_root
def test_a_new_interval_restarts_the_timer_and_a_new_script_restarts_nothing(installed, capsys):
    paths, systemd, args = installed
    run_module(args, capsys)
    systemd.calls.clear()
    _service, timer = refresher.unit_paths(paths)
    changed = run_module(dict(args, refresh_interval=60), capsys)
    assert changed["refresh_changes"] == [
        "updated " + timer,
        "systemctl daemon-reload",
        "systemctl restart " + refresher.TIMER,
    ]
    assert "OnUnitActiveSec=60\n" in Path(timer).read_text()
    assert systemd.calls == ["daemon-reload", "restart " + refresher.TIMER]

    systemd.calls.clear()
    Path(paths.script).write_text("# an older collection's script\n")
    os.chmod(paths.script, 0o600)
    changed = run_module(dict(args, refresh_interval=60), capsys)
    assert changed["refresh_changes"] == ["updated " + paths.script]
    assert changed["diff"][0]["before"] == "# an older collection's script\n"
    assert stat.S_IMODE(os.lstat(paths.script).st_mode) == 0o644
    assert systemd.calls == []  # the next pass reads the new script


@needs_root
def test_turning_the_refresher_off_removes_it_once(installed, capsys, tmp_path):
    paths, systemd, args = installed
    run_module(args, capsys)
    systemd.calls.clear()
    off = dict(args, refresh_timer=False)
    check = run_module(off, capsys, check=True)
    assert check["changed"] is True
    assert all(os.path.exists(p) for p in files_of(paths))
    removed = run_module(off, capsys)
    assert removed["refresh_changes"] == check["refresh_changes"]
    assert systemd.calls == [
        "disable --now " + refresher.TIMER,
        "stop " + refresher.SERVICE,
        "daemon-reload",
    ]
    assert not any(os.path.exists(p) for p in files_of(paths))
    assert not (tmp_path / "libexec/federated-ssm-runas").exists()  # its own directory, emptied
    assert (tmp_path / "home/bob@example.test").is_dir()  # homes stay
    queries = systemd.queries
    assert run_module(off, capsys)["changed"] is False
    assert systemd.queries == queries  # nothing installed: no systemctl call at all


@needs_root
def test_no_groups_means_no_refresher(installed, capsys):
    paths, _systemd, args = installed
    run_module(args, capsys)
    result = run_module(dict(args, groups=[]), capsys)
    assert "removed " + paths.script in result["refresh_changes"]


@needs_root
@pytest.mark.parametrize(("remove_homes", "homes_left"), [(False, True), (True, False)])
def test_state_absent_removes_the_refresher_and_the_homes_only_if_asked(
    installed, capsys, tmp_path, remove_homes, homes_left
):
    paths, systemd, args = installed
    run_module(args, capsys)
    absent = {
        "state": "absent",
        "remove_homes": remove_homes,
        "state_file": args["state_file"],
    }
    result = run_module(absent, capsys)
    assert result["changed"] is True
    assert not any(os.path.exists(p) for p in files_of(paths))
    assert (systemd.enabled, systemd.active) == (False, False)
    assert (tmp_path / "home/bob@example.test").exists() is homes_left
    assert run_module(absent, capsys)["changed"] is False


@needs_root
def test_check_mode_before_the_join_configures_the_refresher_without_lookups(
    installed, capsys, monkeypatch
):
    paths, _systemd, args = installed

    def no_lookups(name):
        raise AssertionError(f"looked up {name} before the join")

    monkeypatch.setattr(grp, "getgrnam", no_lookups)
    result = run_module(dict(args, resolve_members=False), capsys, check=True)
    assert result["members"] == {}
    assert "created " + paths.config in result["refresh_changes"]
    config_diff = next(d for d in result["diff"] if d["after_header"] == paths.config)
    assert json.loads(config_diff["after"])["groups"] == [
        "NetworkAdmins@example.test",
        "Help Desk@example.test",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"refresh_interval": 9}, "refresh_interval 9: give at least 10 seconds"),
        (
            {"refresh_interval": 5, "var_names": {"refresh_interval": "my_homes_every"}},
            "ad_homes: my_homes_every 5: give at least 10 seconds",
        ),
        ({"running": False}, "needs systemd .* set refresh_timer=false"),
    ],
)
def test_the_module_refuses_before_writing(installed, capsys, change, message):
    paths, systemd, args = installed
    systemd.running = change.pop("running", True)
    result = run_module(dict(args, **change), capsys)
    assert result["failed"] is True
    assert re.search(message, result["msg"])
    assert not any(os.path.exists(p) for p in files_of(paths))
    assert os.listdir(args["base"]) == []  # no home either


def test_systemd_reads_the_timer_state_in_one_call(monkeypatch):
    with patch_module_args({}):
        module = AnsibleModule(argument_spec={})
    calls = []

    def run_command(argv):
        calls.append(argv)
        return 0, "UnitFileState=enabled\nActiveState=inactive\n", ""

    monkeypatch.setattr(module, "run_command", run_command)
    monkeypatch.setattr(module, "get_bin_path", lambda name: "/usr/bin/" + name)
    monkeypatch.setattr(os.path, "isdir", lambda path: path == "/run/systemd/system")
    systemd = refresher.Systemd(module)
    assert systemd.timer_state() == (True, False)
    assert calls == [
        [
            "/usr/bin/systemctl",
            "show",
            "--property=UnitFileState",
            "--property=ActiveState",
            refresher.TIMER,
        ]
    ]


def test_a_failing_cache_invalidation_is_logged_for_debugging_only(tmp_path, host, monkeypatch):
    """sss_cache fails for a group it never cached: the pass goes on, the journal gets debug."""
    config = config_for(tmp_path)
    monkeypatch.setenv("JOURNAL_STREAM", "8:1234")
    out = io.StringIO()

    def command(argv):
        host.commands.append(argv)
        return 2, "No cache object matched the specified search\n"

    assert ad_homes.refresh_main([str(config)], command, out) == 0
    lines = out.getvalue().splitlines()
    said = "rc=2 No cache object matched the specified search"
    assert lines[0] == f"<7>/usr/sbin/sss_cache -g {GROUPS[0]}: {said}"
    assert (tmp_path / "home/bob@example.test").is_dir()
