"""Drills on a real instance of a private lab ("drill": own network, Samba DC, one instance).

- The DC is stopped while `realm join` runs: the play fails with a message, sssd.conf,
  krb5.conf and the sudoers files are as before or complete (parsed), and once the DC is back
  a plain re-run converges.
- Bad sudoers input (through the role, and straight to the module) is rejected and the sudoers
  file stays byte-identical.

Lab drills take minutes; they run in `make drills`, not in `make test`.
"""

import configparser
import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LAB = "drill"
WATCHED = ("/etc/sssd/sssd.conf", "/etc/krb5.conf", "/etc/sudoers", "/etc/sudoers.d/ssm-runas")
JOIN_PROCESSES = "realm join|adcli join"
CENSORED = "the output has been hidden"

pytestmark = pytest.mark.lab


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_tool", REPO / "tools" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_tool"] = module
    spec.loader.exec_module(module)
    return module


bench_tool = _bench_module()


def podman(*argv, check=False):
    return subprocess.run(["podman", *argv], capture_output=True, text=True, check=check)


def sh(container, script):
    return podman("exec", container, "sh", "-c", script)


@pytest.fixture(scope="module")
def lab():
    """The drill lab, reusing the benchmark's lab driver and private inventory writer."""
    if not shutil.which("podman"):
        pytest.skip("podman missing: run `make setup`")
    missing = bench_tool.role_missing("ad_join") or bench_tool.role_missing("ad_sudoers")
    if missing:
        pytest.skip(missing)
    out = REPO / ".cache" / "drills" / LAB  # kept: the logs are read and secret-scanned
    lab = bench_tool.BenchLab(LAB, out, keep=False)
    shutil.rmtree(lab.logs, ignore_errors=True)
    lab.logs.mkdir(parents=True, exist_ok=True)
    lab.clear_leftovers()
    try:
        lab.fresh_instances(1)
        lab.write_inventory()
        facts = json.loads((lab.state / "lab.json").read_text())
        lab.dc = facts["dc_container"]
        lab.instance = facts["instances"][0]
        yield lab
    finally:
        if podman("inspect", f"ssm-runas-{LAB}-dc").returncode == 0:
            podman("unpause", f"ssm-runas-{LAB}-dc")
        lab.teardown()


def snapshot(container):
    """{path: sha256 or None} of the watched files."""
    out = {}
    for path in WATCHED:
        proc = podman("exec", container, "cat", path)
        found = proc.returncode == 0
        out[path] = hashlib.sha256(proc.stdout.encode()).hexdigest() if found else None
    return out


def complete_sssd(text):
    conf = configparser.ConfigParser(interpolation=None)
    conf.read_string(text)
    domains = [d.strip() for d in conf.get("sssd", "domains").split(",")]
    return bool(domains) and all(conf.has_section(f"domain/{d}") for d in domains)


def complete_krb5(text):
    return "[libdefaults]" in text and "default_realm" in text


def wait_dc_ready(lab, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        probe = sh(lab.instance, "realm discover example.test >/dev/null 2>&1 && echo ok")
        if probe.stdout.strip() == "ok":
            return
        time.sleep(2)
    pytest.fail(f"the DC did not answer realm discovery {seconds}s after it was started")


def run_playbook(lab, playbook, label, **options):
    """(seconds, recap, rc) of a playbook run on the drill lab's inventory."""
    run = lab.playbook(playbook, label, **options)
    return run.seconds, run.recap, run.rc


def linux(lab, label, **options):
    return run_playbook(lab, REPO / "playbooks" / "linux.yml", label, **options)


def fatal_lines(lab):
    """The failure as the operator sees it: from the first error line to the recap."""
    newest = max(lab.logs.glob("[0-9]*.log"), key=lambda p: p.stat().st_mtime)
    log = newest.read_text(errors="replace").splitlines()
    start = next(
        (i for i, line in enumerate(log) if line.startswith(("fatal:", "failed:", "[ERROR]"))),
        None,
    )
    if start is None:
        return []
    end = next((i for i, line in enumerate(log) if line.startswith("PLAY RECAP")), len(log))
    return log[start:end]


def test_dc_stopped_during_join_fails_cleanly_and_a_rerun_converges(lab):
    before = snapshot(lab.instance)
    pid = podman("inspect", "--format", "{{.State.Pid}}", lab.instance).stdout.strip()
    fired = threading.Event()
    done = threading.Event()

    def stop_dc_when_join_starts():
        while not done.is_set():
            probe = subprocess.run(
                ["pgrep", "--ns", pid, "-f", JOIN_PROCESSES], capture_output=True, check=False
            )
            if probe.returncode == 0:
                podman("stop", "-t", "0", lab.dc)
                fired.set()
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=stop_dc_when_join_starts, daemon=True)
    watcher.start()
    try:
        _s, recap, rc = linux(lab, "join-dc-stopped")
    finally:
        done.set()
        watcher.join(timeout=5)
    assert fired.is_set(), f"realm join never ran while watched: {fatal_lines(lab)}"
    assert rc != 0 and recap[lab.instance]["failed"] == 1, recap
    fatal = fatal_lines(lab)
    print("failure as shown to the operator:", *fatal, sep="\n  ")
    assert fatal, "the play failed without a fatal line"

    after = snapshot(lab.instance)
    for path, digest in after.items():
        if digest == before[path]:
            continue
        text = podman("exec", lab.instance, "cat", path).stdout
        if path.endswith("sssd.conf"):
            assert complete_sssd(text), f"{path} half-written:\n{text}"
        elif path.endswith("krb5.conf"):
            assert complete_krb5(text), f"{path} half-written:\n{text}"
        else:
            check = podman("exec", lab.instance, "visudo", "-cf", path)
            assert check.returncode == 0, f"{path} does not parse: {check.stdout}{check.stderr}"

    podman("start", lab.dc, check=True)
    wait_dc_ready(lab)
    _s, recap, rc = linux(lab, "join-after-dc-back")
    assert rc == 0, fatal_lines(lab)
    ident = podman("exec", lab.instance, "id", "bob@example.test")
    assert "networkadmins@example.test" in ident.stdout, ident.stdout + ident.stderr
    assert podman("exec", lab.instance, "visudo", "-c").returncode == 0
    _s, recap, rc = linux(lab, "join-idempotent")
    assert rc == 0 and recap[lab.instance]["changed"] == 0, recap

    # The operator learns why from realm itself, and the secret stays hidden.
    assert not any(CENSORED in line for line in fatal), fatal
    assert any("realm join EXAMPLE.TEST failed" in line for line in fatal), fatal


BAD_RULES = [
    ({"group": "Domain Admins,ALL", "commands": ["ALL"]}, "contains"),
    ({"group": "NetworkAdmins", "commands": ["/bin/ip\nALL ALL=(ALL) NOPASSWD: ALL"]}, ""),
    ({"group": "NetworkAdmins", "commands": ["NO_SUCH_ALIAS"]}, "NO_SUCH_ALIAS"),
    ({"group": "NetworkAdmins", "runas": "ALL) NOPASSWD: ALL #", "commands": ["ALL"]}, ""),
]


def run_sudoers(lab, label, rules, *, direct):
    """The ad_sudoers role (direct=False) or the sudoers_file module alone (direct=True)."""
    common = {
        "domain": "example.test",
        "fully_qualified": True,
        "command_aliases": {"NW_CMDS": ["ip"]},
        "rules": rules,
    }
    if direct:
        task = {"name": "Sudoers drill", "federated.ssm_runas.sudoers_file": common}
        play = {"hosts": "ssm_instances", "gather_facts": False, "become": True, "tasks": [task]}
    else:
        role_vars = {f"ad_sudoers_{k}": v for k, v in common.items()}
        play = {
            "hosts": "ssm_instances",
            "gather_facts": False,
            "become": True,
            # The drill's rules are the role's own variables: the lab inventory's data model
            # would refuse them as disagreeing with it (as it should), so the play has none.
            "vars": {"ssm_runas": None},
            "roles": [{"role": "federated.ssm_runas.ad_sudoers", "vars": role_vars}],
        }
    playbook = lab.out / f"{label}.yml"
    playbook.write_text(json.dumps([dict(play, name="Sudoers drill")]))
    return run_playbook(lab, playbook, label)


@pytest.mark.parametrize("direct", [False, True], ids=["role", "module"])
@pytest.mark.parametrize("bad", BAD_RULES, ids=["comma", "newline", "alias", "runas"])
def test_bad_sudoers_input_leaves_the_file_byte_identical(lab, bad, direct):
    good = [{"group": "NetworkAdmins", "nopasswd": True, "runas": "ALL", "commands": ["NW_CMDS"]}]
    _s, _recap, rc = run_sudoers(lab, "sudoers-good", good, direct=False)
    assert rc == 0, fatal_lines(lab)
    before = snapshot(lab.instance)
    listing = sh(lab.instance, "ls -la --time-style=full-iso /etc/sudoers.d").stdout
    assert before["/etc/sudoers.d/ssm-runas"] is not None

    rule, needle = bad
    _s, _recap, rc = run_sudoers(lab, "sudoers-bad", [*good, rule], direct=direct)
    fatal = "\n".join(fatal_lines(lab))
    assert rc != 0, "bad sudoers input was accepted"
    assert needle in fatal, fatal
    assert snapshot(lab.instance) == before
    assert sh(lab.instance, "ls -la --time-style=full-iso /etc/sudoers.d").stdout == listing


def test_keytab_join_installs_kinit_only_then_and_needs_no_password(lab):
    """ad_join_join_method keytab: the platform's keytab_packages (kinit) go in for it alone,
    and a re-join with a keytab exported on the DC (samba-tool, outside the collection) and
    no password at all leaves the host joined with the AD users resolving."""
    if sh(lab.instance, "realm list --name-only").stdout.strip() != "example.test":
        _s, recap, rc = linux(lab, "keytab-first-join")
        assert rc == 0, fatal_lines(lab)
    assert (
        sh(lab.instance, "dpkg-query -W -f '${db:Status-Status}' krb5-user").stdout != "installed"
    )
    exported = podman(
        "exec", lab.dc, "sh", "-c",
        "rm -f /tmp/join.keytab && samba-tool domain exportkeytab /tmp/join.keytab "
        "--principal=Administrator@EXAMPLE.TEST >/dev/null && base64 -w0 /tmp/join.keytab "
        "&& rm -f /tmp/join.keytab",
    )  # fmt: skip
    assert exported.returncode == 0 and exported.stdout, exported.stderr
    placed = subprocess.run(
        ["podman", "exec", "-i", lab.instance, "sh", "-c",
         "umask 077 && base64 -d > /root/join.keytab"],
        input=exported.stdout, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert placed.returncode == 0, placed.stderr
    keytab_vars = lab.out / "keytab-vars.json"
    keytab_vars.write_text(
        json.dumps(
            {
                "ad_join_join_method": "keytab",
                "ad_join_keytab": "/root/join.keytab",
                "ad_join_password": "",  # no password reaches the join
                "ad_join_rejoin": True,
            }
        )
    )
    _s, recap, rc = linux(lab, "keytab-rejoin", extra_vars=keytab_vars)
    assert rc == 0, fatal_lines(lab)
    assert recap[lab.instance]["changed"] > 0, recap
    assert (
        sh(lab.instance, "dpkg-query -W -f '${db:Status-Status}' krb5-user").stdout == "installed"
    )
    assert sh(lab.instance, "realm list --name-only").stdout.strip() == "example.test"
    ident = podman("exec", lab.instance, "id", "bob@example.test")
    assert "networkadmins@example.test" in ident.stdout, ident.stdout + ident.stderr
    # The private credential cache is gone with the join.
    assert sh(lab.instance, "ls /tmp/tmp.* 2>/dev/null | wc -l").stdout.strip() == "0"
    keytab_vars.write_text(
        json.dumps({"ad_join_join_method": "keytab", "ad_join_keytab": "/root/join.keytab"})
    )
    _s, recap, rc = linux(lab, "keytab-idempotent", extra_vars=keytab_vars)
    assert rc == 0 and recap[lab.instance]["changed"] == 0, recap
