"""Hostile or malformed sudo input is rejected by the role with its message, and the sudoers
file already on the host stays byte-identical."""

import os
from pathlib import Path

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
