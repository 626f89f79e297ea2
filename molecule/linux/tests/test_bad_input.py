"""Hostile or malformed sudo input is rejected by the role with its message, and the sudoers
file already on the host stays byte-identical."""

import os
from pathlib import Path

import lab_hosts
import pytest
from conftest import ansible_playbook, container_run

PLAYBOOK = str(Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]) / "bad_input.yml")


def rule(**overrides):
    return [
        dict(
            {"group": "NetworkAdmins", "runas": "ALL", "nopasswd": True, "commands": ["NW_CMDS"]},
            **overrides,
        )
    ]


CASES = [
    (
        "comma-injects-ALL",
        {"ad_sudoers_rules": rule(group="Domain Admins,ALL")},
        'ad_sudoers_rules[0].group "Domain Admins,ALL" contains ","',
    ),
    (
        "newline-injects-a-rule",
        {"ad_sudoers_rules": rule(group="x\nALL ALL=(ALL) NOPASSWD: ALL")},
        "contains a newline",
    ),
    ("group-ALL", {"ad_sudoers_rules": rule(group="ALL")}, "reserved word ALL"),
    ("empty-group", {"ad_sudoers_rules": rule(group="")}, "is empty"),
    ("percent-prefix", {"ad_sudoers_rules": rule(group="%wheel")}, "the '%' is added for you"),
    ("runas-list", {"ad_sudoers_rules": rule(runas="root,ALL")}, "ad_sudoers_rules[0].runas"),
    (
        "dotdot-path",
        {"ad_sudoers_rules": rule(commands=["/usr/bin/../bin/sh"])},
        "is not a normalized absolute path",
    ),
    ("directory-path", {"ad_sudoers_rules": rule(commands=["/usr/bin/"])}, "ends with '/'"),
    ("wildcard-path", {"ad_sudoers_rules": rule(commands=["/usr/bin/*"])}, "wildcards"),
    ("negated-command", {"ad_sudoers_rules": rule(commands=["!sh"])}, "negated commands"),
    (
        "undefined-alias",
        {"ad_sudoers_rules": rule(commands=["NOPE_CMDS"])},
        "is not defined in ad_sudoers_command_aliases",
    ),
    (
        "lowercase-alias",
        {"ad_sudoers_command_aliases": {"nw": ["ip"]}},
        "must match [A-Z][A-Z0-9_]*",
    ),
    ("reserved-alias", {"ad_sudoers_command_aliases": {"ALL": ["ip"]}}, "reserved word"),
    (
        "quote-argument",
        {"ad_sudoers_rules": rule(commands=['/usr/bin/ip "a b"'])},
        'only a lone ""',
    ),
    # Caught by the role's argument spec before the role's own checks.
    (
        "nopasswd-not-bool",
        {"ad_sudoers_rules": rule(nopasswd="maybe")},
        "argument 'nopasswd' is of type str",
    ),
    ("domain-injection", {"ad_sudoers_domain": "example.test ALL"}, "is not a DNS domain name"),
    ("unknown-key", {"ad_sudoers_rules": rule(setenv=True)}, "ad_sudoers_rules.setenv. Supported"),
]


@pytest.fixture(scope="module")
def sudoers_sha(first_host):
    def sha():
        res = container_run(first_host, ["sha256sum", "/etc/sudoers.d/ssm-runas"])
        assert res.returncode == 0, res.stderr
        return res.stdout.split()[0]

    return sha


@pytest.mark.parametrize(("case", "extra", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_rejected_and_file_unchanged(first_host, sudoers_sha, case, extra, message):
    before = sudoers_sha()
    res = ansible_playbook("--limit", first_host, PLAYBOOK, extra_vars=extra)
    out = res.stdout + res.stderr
    assert res.returncode != 0, f"{case} was accepted:\n{out[-2000:]}"
    assert message in out.replace("\\n", "\n").replace('\\"', '"'), out[-3000:]
    assert sudoers_sha() == before


# What sudo-rs 0.2.5 cannot read (plugins/module_utils/sudoers_sudo_rs.py): refused on the host
# whose sudo is sudo-rs, before anything is written; the same input is fine where sudo runs.
SUDO_RS_CASES = [
    (
        "qualified-group-name",
        {"ad_sudoers_fully_qualified": True},
        'ad_sudoers_rules[1].group "NetworkAdmins" is written %NetworkAdmins@example.test, '
        "which sudo-rs 0.2.5 (the sudo on this host) cannot read",
    ),
    (
        "group-with-a-space",
        {"ad_sudoers_rules": rule(group="Help Desk")},
        "its names take only letters, digits, '.', '-' and '_', not \" \"",
    ),
    ("sudoedit", {"ad_sudoers_rules": rule(commands=["sudoedit /etc/hosts"])}, "has no sudoedit"),
]


@pytest.mark.parametrize(
    ("case", "extra", "message"), SUDO_RS_CASES, ids=[c[0] for c in SUDO_RS_CASES]
)
def test_what_sudo_rs_cannot_read_is_refused_there_only(case, extra, message):
    rs_hosts = lab_hosts.inventory()["sudo_rs"]["hosts"]
    sudo_host = next(h.backend.name for h in lab_hosts.hosts() if h.backend.name not in rs_hosts)
    for host in rs_hosts:
        before = container_run(host, ["sha256sum", "/etc/sudoers.d/ssm-runas"]).stdout
        res = ansible_playbook("--limit", host, PLAYBOOK, extra_vars=extra)
        out = (res.stdout + res.stderr).replace("\\n", "\n").replace('\\"', '"')
        assert res.returncode != 0, f"{case} was accepted on {host}:\n{out[-2000:]}"
        assert message in out, out[-3000:]
        assert container_run(host, ["sha256sum", "/etc/sudoers.d/ssm-runas"]).stdout == before
    # Where sudo reads the rules, the input is valid (check mode: nothing is written).
    res = ansible_playbook("--limit", sudo_host, PLAYBOOK, "--check", extra_vars=extra)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
