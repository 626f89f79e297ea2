"""Table-driven tests for plugins/module_utils/sudoers.py: validation, resolution, rendering."""

import os
import stat

import pytest
from ansible_collections.federated.ssm_runas.plugins.filter.sudoers_errors import sudoers_errors
from ansible_collections.federated.ssm_runas.plugins.module_utils import sudoers as s
from sudoers_env import HEADER, ROLE, body, exe, spec

# ------------------------------------------------------------------------------ rendering
RENDER_CASES = [
    pytest.param(
        [{"group": "SysAdmins", "runas": "ALL:ALL", "commands": ["ALL"]}],
        {},
        True,
        ["%SysAdmins@example.test ALL=(ALL:ALL) ALL"],
        id="fq-all",
    ),
    pytest.param(
        [{"group": "SysAdmins", "commands": ["ALL"]}],
        {},
        False,
        ["%SysAdmins ALL=(ALL) ALL"],
        id="bare-default-runas",
    ),
    pytest.param(
        [{"group": "NetworkAdmins", "nopasswd": True, "commands": ["NW_CMDS"]}],
        {"NW_CMDS": ["/usr/sbin/ip", "/usr/bin/ss"]},
        True,
        [
            "Cmnd_Alias NW_CMDS = /usr/sbin/ip, /usr/bin/ss",
            "%NetworkAdmins@example.test ALL=(ALL) NOPASSWD: NW_CMDS",
        ],
        id="alias-nopasswd",
    ),
    pytest.param(
        [{"group": "Help Desk", "runas": "root", "commands": ["/usr/bin/systemctl restart nginx"]}],
        {},
        True,
        ['"%Help Desk@example.test" ALL=(root) /usr/bin/systemctl restart nginx'],
        id="space-quoted-fq",
    ),
    pytest.param(
        [{"group": "Help Desk", "commands": ["ALL"]}],
        {},
        False,
        ['"%Help Desk" ALL=(ALL) ALL'],
        id="space-quoted-bare",
    ),
    pytest.param(
        [{"group": "Grüne Gruppe", "commands": ["ALL"]}],
        {},
        True,
        ['"%Grüne Gruppe@example.test" ALL=(ALL) ALL'],
        id="unicode-letters",
    ),
    pytest.param(
        [{"group": "O'Brien & Co", "commands": ["ALL"]}],
        {},
        True,
        ['"%O\'Brien & Co@example.test" ALL=(ALL) ALL'],
        id="apostrophe-ampersand",
    ),
    pytest.param(
        [{"group": "ops", "commands": ['/usr/bin/journalctl ""']}],
        {},
        True,
        ['%ops@example.test ALL=(ALL) /usr/bin/journalctl ""'],
        id="no-args-marker",
    ),
    pytest.param(
        [{"group": "ops", "commands": ["/usr/bin/foo a=b:c,d#e *x? [y] ^z !w"]}],
        {},
        True,
        [r"%ops@example.test ALL=(ALL) /usr/bin/foo a\=b\:c\,d\#e \*x\? \[y\] \^z !w"],
        id="args-escaped",
    ),
    pytest.param(
        [{"group": "ops", "commands": ["/usr/bin/foo   two  spaces"]}],
        {},
        True,
        ["%ops@example.test ALL=(ALL) /usr/bin/foo two spaces"],
        id="args-whitespace-normalized",
    ),
    pytest.param(
        [{"group": "ops", "commands": ["sudoedit /etc/hosts", "/usr/bin/id", "/usr/bin/id"]}],
        {},
        True,
        ["%ops@example.test ALL=(ALL) sudoedit /etc/hosts, /usr/bin/id"],
        id="sudoedit-and-dedupe",
    ),
    pytest.param(
        [
            {"group": "a", "commands": ["B_CMDS"]},
            {"group": "b", "runas": "root:adm", "nopasswd": False, "commands": ["A_CMDS"]},
        ],
        {"B_CMDS": ["/bin/b"], "A_CMDS": ["/bin/a"]},
        True,
        [
            "Cmnd_Alias A_CMDS = /bin/a",
            "Cmnd_Alias B_CMDS = /bin/b",
            "%a@example.test ALL=(ALL) B_CMDS",
            "%b@example.test ALL=(root:adm) A_CMDS",
        ],
        id="aliases-sorted-rules-in-order",
    ),
    pytest.param(
        [{"user": "ansible-automation", "nopasswd": True, "commands": ["ALL"]}],
        {},
        True,
        ["ansible-automation ALL=(ALL) NOPASSWD: ALL"],
        id="local-user-bare-even-when-fq",
    ),
    pytest.param(
        [
            {"group": "ops", "commands": ["/usr/bin/id"]},
            {"user": "_svc", "runas": "root", "commands": ["/usr/bin/systemctl restart nginx"]},
        ],
        {},
        False,
        ["%ops ALL=(ALL) /usr/bin/id", "_svc ALL=(root) /usr/bin/systemctl restart nginx"],
        id="group-and-user-rules",
    ),
]


@pytest.mark.parametrize(("rules", "aliases", "fq", "expected"), RENDER_CASES)
def test_render(rules, aliases, fq, expected):
    text = s.render(spec(rules, aliases, fq=fq))
    assert body(text) == expected
    assert text.startswith(HEADER)
    assert text.endswith("\n")


def test_render_header_is_comment_lines():
    text = s.render(spec([]), header="Managed by Ansible\n\nsecond line")
    assert text.splitlines() == ["# Managed by Ansible", "#", "# second line"]


@pytest.mark.parametrize(
    ("group", "domain", "fq", "expected"),
    [
        ("networkadmins", "example.test", True, "%networkadmins@example.test"),
        ("NetworkAdmins", "EXAMPLE.TEST", True, "%NetworkAdmins@EXAMPLE.TEST"),
        ("networkadmins", "example.test", False, "%networkadmins"),
        ("Domain Admins", "example.test", True, '"%Domain Admins@example.test"'),
        ("Domain Admins", "", False, '"%Domain Admins"'),
        ("svc$", "example.test", True, "%svc$@example.test"),
    ],
)
def test_render_group(group, domain, fq, expected):
    assert s.render_group(group, domain, fq) == expected


@pytest.mark.parametrize(("value", "expected"), [(True, True), ("yes", True), ("false", False)])
def test_booleans_read_like_ansible(value, expected):
    result = spec([{"group": "g", "nopasswd": value, "commands": ["ALL"]}], fq=value)
    assert (result["rules"][0]["nopasswd"], result["fully_qualified"]) == (expected, expected)


def test_bare_names_need_no_domain():
    assert spec([{"group": "g", "commands": ["ALL"]}], domain="", fq=False)["domain"] == ""


# ------------------------------------------------------------------------------ resolution
@pytest.fixture
def search(tmp_path):
    first, second = tmp_path / "sbin", tmp_path / "bin"
    first.mkdir()
    second.mkdir()
    exe(second, "ip")
    exe(first, "ss")
    exe(second, "ss")
    exe(first, "route", mode=0o644)  # not executable: skipped
    exe(second, "route")
    (first / "netstat").mkdir()  # a directory is not a command
    os.symlink(second / "ip", first / "iplink")
    return (str(first), str(second))


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("ip", "bin/ip"),
        ("ss", "sbin/ss"),  # first directory wins
        ("route", "bin/route"),  # non-executable file skipped
        ("iplink", "sbin/iplink"),  # symlink kept as found, not resolved
        ("netstat", None),  # a directory is not a command
        ("ifconfig", None),
    ],
)
def test_find_program(search, name, where):
    found = s.find_program(name, search)
    assert (found is None) if where is None else found.endswith("/" + where)


def test_resolve_names_and_paths(search):
    sbin, bin_ = search
    result = s.build(
        {
            "rules": [{"group": "g", "commands": ["NW", "ss", bin_ + "/ip addr show"]}],
            "command_aliases": {"NW": ["ip", "route"]},
            "domain": "example.test",
        },
        search_path=search,
        labels=ROLE,
    )
    assert body(result["content"]) == [
        f"Cmnd_Alias NW = {bin_}/ip, {bin_}/route",
        f"%g@example.test ALL=(ALL) NW, {sbin}/ss, {bin_}/ip addr show",
    ]
    assert result["resolved"] == {
        "ip": bin_ + "/ip",
        "route": bin_ + "/route",
        "ss": sbin + "/ss",
        bin_ + "/ip": bin_ + "/ip",
    }
    assert result["skipped"] == []
    assert result["warnings"] == []


def test_missing_command_fails_by_default(search):
    with pytest.raises(s.SudoersError) as caught:
        s.build(
            {
                "rules": [{"group": "g", "commands": ["ip", "ifconfig", "/opt/x/bin/tool"]}],
                "domain": "example.test",
            },
            search_path=search,
            labels=ROLE,
        )
    path = ":".join(search)
    assert caught.value.errors == [
        f'ad_sudoers_rules[0].commands[1] "ifconfig" was not found in {path}: install the '
        "package that provides it, remove it, or set ad_sudoers_missing_commands: warn to leave "
        "it out",
        'ad_sudoers_rules[0].commands[2] "/opt/x/bin/tool" is not an executable file: install '
        "the package that provides it, remove it, or set ad_sudoers_missing_commands: warn to "
        "leave it out",
    ]


def test_missing_command_warns_and_drops_empty_alias_and_rule(search):
    _sbin, bin_ = search
    result = s.build(
        {
            "rules": [
                {"group": "NetworkAdmins", "commands": ["NET_TOOLS", "ip", "netstat"]},
                {"group": "Legacy", "commands": ["NET_TOOLS"]},
                {"group": "Other", "commands": ["ifconfig"]},
            ],
            "command_aliases": {"NET_TOOLS": ["ifconfig", "netstat"]},
            "domain": "example.test",
            "missing_commands": "warn",
        },
        labels=ROLE,
        search_path=search,
    )
    assert body(result["content"]) == [f"%NetworkAdmins@example.test ALL=(ALL) {bin_}/ip"]
    assert [item["command"] for item in result["skipped"]] == [
        "ifconfig",
        "netstat",
        "netstat",
        "ifconfig",
    ]
    assert result["warnings"][0] == (
        f'ad_sudoers_command_aliases.NET_TOOLS[0] "ifconfig" was not found in {":".join(search)}: '
        "left out; install the package that provides it or remove it"
    )
    notes = [w for w in result["warnings"] if "install" not in w]
    assert notes == [
        "ad_sudoers_command_aliases.NET_TOOLS: no command of this alias exists on this host; "
        "the alias is left out",
        'ad_sudoers_rules[1] (group "Legacy"): no command of this rule exists on this host; '
        "the rule is left out",
        'ad_sudoers_rules[2] (group "Other"): no command of this rule exists on this host; '
        "the rule is left out",
    ]


def test_default_search_path_is_fixed_and_secure():
    assert s.SEARCH_PATH == (
        "/usr/local/sbin",
        "/usr/local/bin",
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
    )
    for directory in s.SEARCH_PATH:
        if os.path.isdir(directory):
            assert not os.stat(directory).st_mode & stat.S_IWOTH


def test_build_is_deterministic(search):
    params = {
        "rules": [{"group": "g", "commands": ["ip", "ss"]}],
        "command_aliases": {"B": ["ip"], "A": ["ss"]},
        "domain": "example.test",
    }
    first = s.build(params, search_path=search)["content"]
    assert first == s.build(dict(params), search_path=search)["content"]


# ------------------------------------------------------------------------------ filter
def test_filter_returns_messages_and_empty_list_when_valid():
    good = [{"group": "NetworkAdmins", "commands": ["ip"]}]
    assert sudoers_errors(good, {}, "example.test") == []
    assert sudoers_errors([{"group": "a,b", "commands": ["ip"]}], {}, "example.test") == [
        'rules[0].group "a,b" contains ",": AD group names may not contain commas'
    ]
    named = sudoers_errors(
        [{"group": "a,b", "commands": ["ip"]}], {}, "example.test", var_prefix="ad_sudoers_"
    )
    assert named[0].startswith('ad_sudoers_rules[0].group "a,b"')
    assert sudoers_errors(good, {}, "", True, var_prefix="x_")[0].startswith('x_domain ""')
