"""`sudo -l -U <user>` parsing and the comparison with declared sudo rules."""

import pytest
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import sudo_list
from runas_report_env import SUDO_NONE, SUDO_NW

SUDO_CASES = [
    (
        "(ALL) NOPASSWD: /usr/bin/ip, /usr/bin/ping",
        [(("ALL", None), {"NOPASSWD"}, ["/usr/bin/ip", "/usr/bin/ping"])],
    ),
    ("(ALL : ALL) ALL", [(("ALL", "ALL"), set(), ["ALL"])]),
    (
        "(root) NOPASSWD: SETENV: /usr/bin/systemctl status x",
        [(("root", None), {"NOPASSWD", "SETENV"}, ["/usr/bin/systemctl status x"])],
    ),
    ("(root) /bin/echo a\\, b", [(("root", None), set(), ["/bin/echo a, b"])]),
]


@pytest.mark.parametrize(("line", "expected"), SUDO_CASES, ids=[c[0] for c in SUDO_CASES])
def test_parse_sudo_list(line, expected):
    text = f"User x may run the following commands on h:\n    {line}\n"
    got = [(e["runas"], e["tags"], e["commands"]) for e in sudo_list.parse_sudo_list(text)]
    assert got == expected


def test_sudo_entries_outside_the_commands_section_are_ignored():
    assert sudo_list.parse_sudo_list(SUDO_NONE) == []
    text = "Matching Defaults entries for x on h:\n    (ALL) ALL\n"
    assert sudo_list.parse_sudo_list(text) == []


NW = {"group": "NetworkAdmins", "runas": "ALL", "nopasswd": True, "commands": ["NW_CMDS"]}
RULE_CASES = [
    ("alias-expanded-by-sudo", SUDO_NW, NW, {"NW_CMDS": ["ip", "ping", "ss"]}, []),
    (
        "alias-shown-by-name",
        "User b may run the following commands on h:\n    (ALL) NOPASSWD: NW_CMDS\n",
        NW,
        {"NW_CMDS": ["ip"]},
        [],
    ),
    ("alias-member-missing", SUDO_NW, NW, {"NW_CMDS": ["ip", "tcpdump"]}, ["NW_CMDS"]),
    (
        "password-asked-for-a-nopasswd-rule",
        SUDO_NW.replace("NOPASSWD: ", ""),
        NW,
        {"NW_CMDS": ["ip"]},
        ["NW_CMDS"],
    ),
    (
        "resolved-path-counts",
        "User b may run the following commands on h:\n    (root) /bin/ip addr\n",
        {"group": "G", "runas": "root", "commands": ["/usr/sbin/ip addr"]},
        {},
        [],
    ),
    (
        "other-arguments-do-not",
        "User b may run the following commands on h:\n    (root) /bin/ip addr\n",
        {"group": "G", "runas": "root", "commands": ["/usr/sbin/ip route"]},
        {},
        ["/usr/sbin/ip route"],
    ),
]


@pytest.mark.parametrize("case", RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_missing_sudo_rules(case):
    _id, text, rule, aliases, missing = case
    got = sudo_list.missing_sudo_rules(sudo_list.parse_sudo_list(text), [rule], aliases)
    assert [c for m in got for c in m["missing"]] == missing


def test_a_rule_is_described_as_sudo_prints_it():
    rule = dict(NW, runas="ALL:ALL")
    got = sudo_list.describe_rule(rule, {"NW_CMDS": ["ip", "ss"]})
    assert got == "(ALL : ALL) NOPASSWD: ip, ss for NetworkAdmins"


EXTRA_CASES = [
    (
        "exactly-as-declared",
        "User a may run the following commands on h:\n    (ALL) NOPASSWD: ALL\n",
        [{"user": "a", "runas": "ALL", "nopasswd": True, "commands": ["ALL"]}],
        [],
    ),
    (
        "password-rule-where-nopasswd-was-given",
        "User a may run the following commands on h:\n    (ALL) ALL\n",
        [{"user": "a", "runas": "ALL", "nopasswd": True, "commands": ["ALL"]}],
        ["(ALL) ALL"],
    ),
    (
        "agent-rule-on-top-of-the-declared-one",
        "User a may run the following commands on h:\n    (root) /usr/bin/id\n"
        "    (ALL) NOPASSWD: ALL\n",
        [{"user": "a", "runas": "root", "commands": ["/usr/bin/id"]}],
        ["(ALL) NOPASSWD: ALL"],
    ),
    (
        "alias-resolved-to-paths",
        "User a may run the following commands on h:\n    (ALL) NOPASSWD: /usr/bin/ip, /bin/ss\n",
        [{"user": "a", "runas": "ALL", "nopasswd": True, "commands": ["NW"]}],
        [],
    ),
    (
        "all-where-one-command-was-given",
        "User a may run the following commands on h:\n    (root) ALL\n",
        [{"user": "a", "runas": "root", "commands": ["/usr/bin/id"]}],
        ["(root) ALL"],
    ),
    ("nothing-given-nothing-allowed", "User a is not allowed to run sudo on h.\n", [], []),
    (
        "nothing-given-something-allowed",
        "User a may run the following commands on h:\n    (ALL : ALL) ALL\n",
        [],
        ["(ALL : ALL) ALL"],
    ),
]


@pytest.mark.parametrize("case", EXTRA_CASES, ids=[c[0] for c in EXTRA_CASES])
def test_extra_sudo_entries(case):
    _id, text, rules, extra = case
    got = sudo_list.extra_sudo_entries(sudo_list.parse_sudo_list(text), rules, {"NW": ["ip", "ss"]})
    assert got == extra


def test_a_user_rule_is_described_with_its_account():
    rule = {"user": "ansible-automation", "runas": "ALL", "nopasswd": True, "commands": ["ALL"]}
    assert sudo_list.describe_rule(rule, {}) == "(ALL) NOPASSWD: ALL for user ansible-automation"


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("User a is not allowed to run sudo on h.\n", True),  # sudo, rc 0
        # sudo-rs 0.2.5, rc 1, on stderr
        ("sudo-rs: Sorry, user root is not allowed to execute 'list' as a on h.example.test.\n",
         True),
        ("User a may run the following commands on h:\n    (ALL) ALL\n", False),
        ("sudo: unable to resolve host h\n", False),
        ("", False),
    ],
)  # fmt: skip
def test_allows_nothing_reads_sudo_and_sudo_rs(said, expected):
    assert sudo_list.allows_nothing(said) is expected
