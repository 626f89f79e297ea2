"""Table-driven tests for plugins/module_utils/sudoers.py: validation, resolution, rendering."""

import os
import stat

import pytest
from ansible_collections.federated.ssm_runas.plugins.filter.sudoers_errors import sudoers_errors
from ansible_collections.federated.ssm_runas.plugins.module_utils import sudoers as s

HEADER = "# Ansible managed: federated.ssm_runas.sudoers_file\n"
# Messages as the ad_sudoers role has them: its variables, not the module's options.
ROLE = s.labels_for("ad_sudoers_", {"path": "ad_sudoers_file"})


def spec(rules, aliases=None, domain="example.test", fq=True, **extra):
    extra.setdefault("labels", ROLE)
    return s.validate(
        rules, command_aliases=aliases or {}, domain=domain, fully_qualified=fq, **extra
    )


def body(text):
    """The rendered lines after the header comments and blank lines."""
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def exe(directory, name, mode=0o755):
    path = directory / name
    path.write_text("#!/bin/sh\n")
    path.chmod(mode)
    return str(path)


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


# ------------------------------------------------------------------------------ rejection
R = "ad_sudoers_rules"
HOSTILE = [
    (
        {"rules": [{"group": "Domain Admins,ALL", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].group "Domain Admins,ALL" contains ",": '
        "AD group names may not contain commas",
    ),
    (
        {"rules": [{"group": "admins\n%evil ALL=(ALL) NOPASSWD: ALL", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].group "admins\\n%evil ALL=(ALL) NOPASSWD: ALL" contains a newline: '
        "sudoers rules are one line each",
    ),
    (
        {"rules": [{"group": "adm\x00ins", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].group "adm\\u0000ins" contains a NUL byte: '
        "sudoers rules are one line each",
    ),
    (
        {"rules": [{"group": "a:b", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].group "a:b" contains ":": AD group names may not contain colons',
    ),
    (
        {"rules": [{"group": "a=b", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].group "a=b" contains "=": AD group names may not contain equals signs',
    ),
    (
        {"rules": [{"group": "!wheel", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].group "!wheel" contains "!": sudoers reads \'!\' as negation',
    ),
    (
        {"rules": [{"group": "a#1", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].group "a#1" contains "#": sudoers reads \'#\' as a comment or a '
        "numeric id",
    ),
    (
        {"rules": [{"group": 'say "hi"', "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].group "say \\"hi\\"" contains "\\"": '
        "AD group names may not contain double quotes",
    ),
    (
        {"rules": [{"group": "EXAMPLE\\admins", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].group "EXAMPLE\\\\admins" contains "\\\\": AD group names may not '
        "contain backslashes; give the bare group name without DOMAIN\\",
    ),
    (
        {"rules": [{"group": "", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].group "" is empty: give the AD group name, e.g. NetworkAdmins',
    ),
    (
        {"rules": [{"group": "ALL", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].group "ALL" is the sudoers reserved word ALL: name a real AD group',
    ),
    (
        {"rules": [{"group": "-admins", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].group "-admins" starts with "-": AD group names may not start with '
        "'-'",
    ),
    (
        {"rules": [{"group": "%admins", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].group "%admins" contains "%": give the bare group name; the \'%\' '
        "is added for you",
    ),
    (
        {"rules": [{"group": "admins@example.test", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].group "admins@example.test" contains "@": give the bare group name; '
        "the domain comes from ad_sudoers_domain and ad_sudoers_fully_qualified",
    ),
    (
        {"rules": [{"group": " admins", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].group " admins" has leading or trailing spaces: remove them',
    ),
    (
        {"rules": [{"group": "a\u00a0b", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].group "a\u00a0b" contains a non-ASCII space: use a plain space',
    ),
    (
        {"rules": [{"group": "a\tb", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].group "a\\tb" contains a tab: sudoers rules are one line each',
    ),
    (
        {"rules": [{"group": "a (b)", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].group "a (b)" contains "(": sudoers reads parentheses as a run-as '
        "list",
    ),
    (
        {"rules": [{"group": "g", "commands": ["ip, /bin/sh"]}]},
        'ad_sudoers_rules[0].commands[0] "ip, /bin/sh" contains ",": command names have '
        "letters, digits and . _ + - only",
    ),
    (
        {"rules": [{"group": "g", "commands": ["/usr/bin/id\n%evil ALL=(ALL) ALL"]}]},
        'ad_sudoers_rules[0].commands[0] "/usr/bin/id\\n%evil ALL=(ALL) ALL" contains a '
        "newline: sudoers rules are one line each",
    ),
    (
        {"rules": [{"group": "g", "commands": ["!/bin/sh"]}]},
        "ad_sudoers_rules[0].commands[0] \"!/bin/sh\" starts with '!': negated commands are "
        "not supported",
    ),
    (
        {"rules": [{"group": "g", "commands": ["bin/ip"]}]},
        'ad_sudoers_rules[0].commands[0] "bin/ip" is a relative path: give an absolute path or '
        "a bare name",
    ),
    (
        {"rules": [{"group": "g", "commands": ["./ip"]}]},
        'ad_sudoers_rules[0].commands[0] "./ip" is a relative path: give an absolute path or '
        "a bare name",
    ),
    (
        {"rules": [{"group": "g", "commands": ["/usr/bin/*"]}]},
        'ad_sudoers_rules[0].commands[0] "/usr/bin/*" contains "*": wildcards in command paths '
        "would allow any matching program",
    ),
    (
        {"rules": [{"group": "g", "commands": ["/usr/bin/"]}]},
        "ad_sudoers_rules[0].commands[0] \"/usr/bin/\" ends with '/': a directory would allow "
        "every program in it",
    ),
    (
        {"rules": [{"group": "g", "commands": ["/usr/bin/../../bin/sh"]}]},
        'ad_sudoers_rules[0].commands[0] "/usr/bin/../../bin/sh" is not a normalized absolute '
        "path: remove '//', '.' and '..'",
    ),
    (
        {"rules": [{"group": "g", "commands": ["/usr/bin/vi \\/etc/shadow"]}]},
        'ad_sudoers_rules[0].commands[0] "/usr/bin/vi \\\\/etc/shadow" contains a backslash: '
        "arguments are matched literally, drop it",
    ),
    (
        {"rules": [{"group": "g", "commands": ['/usr/bin/sh -c "id"']}]},
        'ad_sudoers_rules[0].commands[0] "/usr/bin/sh -c \\"id\\"" contains \'"\': only a '
        'lone "" (meaning: no arguments) is accepted',
    ),
    (
        {"rules": [{"group": "g", "commands": ["-rf"]}]},
        "ad_sudoers_rules[0].commands[0] \"-rf\" starts with '-': a command name may not start "
        "with '-'",
    ),
    (
        {"rules": [{"group": "g", "commands": ["sha256:abcd /bin/sh"]}]},
        'ad_sudoers_rules[0].commands[0] "sha256:abcd /bin/sh" contains ":": command names '
        "have letters, digits and . _ + - only",
    ),
    (
        {"rules": [{"group": "g", "commands": ["ALL /bin/sh"]}]},
        'ad_sudoers_rules[0].commands[0] "ALL /bin/sh" passes arguments to ALL: ALL takes no '
        "arguments",
    ),
    (
        {"rules": [{"group": "g", "commands": ["NW_CMDZ"]}]},
        'ad_sudoers_rules[0].commands[0] "NW_CMDZ" is not defined in ad_sudoers_command_aliases: '
        "define it or use a command",
    ),
    (
        {"rules": [{"group": "g", "commands": []}]},
        "ad_sudoers_rules[0].commands [] must be a non-empty list of command names, paths, "
        "aliases or ALL",
    ),
    (
        {"rules": [{"group": "g", "commands": [""]}]},
        'ad_sudoers_rules[0].commands[0] "" is empty: give a command name, path, alias or ALL',
    ),
    (
        {"rules": [{"group": "g", "commands": ["/usr/bin/sudoedit /etc/hosts"]}]},
        'ad_sudoers_rules[0].commands[0] "/usr/bin/sudoedit /etc/hosts" names sudoedit by '
        "path: write sudoedit without a path",
    ),
    (
        {"rules": [{"group": "g", "commands": ["sudoedit"]}]},
        'ad_sudoers_rules[0].commands[0] "sudoedit" needs the absolute paths of the files '
        "sudoedit may edit",
    ),
    (
        {"rules": [{"group": "g", "runas": "root) ALL, (ALL", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].runas "root) ALL, (ALL" has "root) ALL, (ALL", which is neither '
        "ALL nor a user or group name (letters, digits, . _ - @); lists and negation are not "
        "supported",
    ),
    (
        {"rules": [{"group": "g", "runas": "", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].runas "" has an empty user or group: use ALL, ALL:ALL or root',
    ),
    (
        {"rules": [{"group": "g", "runas": "a:b:c", "commands": ["ALL"]}]},
        "ad_sudoers_rules[0].runas \"a:b:c\" has more than one ':': use user or user:group",
    ),
    (
        {"rules": [{"group": "g", "nopasswd": "maybe", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].nopasswd "maybe" must be true or false',
    ),
    (
        {"rules": [{"group": "g", "comands": ["ALL"], "commands": ["ALL"]}]},
        'ad_sudoers_rules[0] has unknown key "comands": use only group, runas, nopasswd, commands',
    ),
    (
        {"rules": "g ALL=(ALL) ALL"},
        'ad_sudoers_rules "g ALL=(ALL) ALL" must be a list of rules',
    ),
    (
        {"aliases": {"nw_cmds": ["ip"]}},
        'ad_sudoers_command_aliases: alias name "nw_cmds" must match [A-Z][A-Z0-9_]* '
        "(upper case, digits, '_')",
    ),
    (
        {"aliases": {"ALL": ["ip"]}},
        'ad_sudoers_command_aliases: alias name "ALL" is a sudoers reserved word: choose another '
        "name",
    ),
    (
        {"aliases": {"NOPASSWD": ["ip"]}},
        'ad_sudoers_command_aliases: alias name "NOPASSWD" is a sudoers reserved word: choose '
        "another name",
    ),
    (
        {"aliases": {"NW-CMDS": ["ip"]}},
        'ad_sudoers_command_aliases: alias name "NW-CMDS" must match [A-Z][A-Z0-9_]* '
        "(upper case, digits, '_')",
    ),
    (
        {"aliases": {"A": ["ALL"]}},
        'ad_sudoers_command_aliases.A[0] "ALL" puts ALL inside an alias: put ALL in the rule '
        "instead",
    ),
    (
        {"aliases": {"A": ["B"], "B": ["ip"]}},
        'ad_sudoers_command_aliases.A[0] "B" refers to an alias inside an alias: list the '
        "commands instead",
    ),
    (
        {"domain": "example.test, ALL"},
        'ad_sudoers_domain "example.test, ALL" is not a DNS domain name: use the realm in lower '
        "case, e.g. example.test",
    ),
    (
        {"domain": ""},
        'ad_sudoers_domain "" is empty while ad_sudoers_fully_qualified is true: set the AD '
        "domain (e.g. example.test) or set ad_sudoers_fully_qualified: false",
    ),
    (
        {"missing_commands": "ignore"},
        'ad_sudoers_missing_commands "ignore" must be one of: fail, warn',
    ),
    (
        {"path": "/etc/sudoers"},
        'ad_sudoers_file "/etc/sudoers" is /etc/sudoers, which is never managed: use a file in '
        "/etc/sudoers.d",
    ),
    (
        {"path": "/etc/sudoers.d/ssm-runas.conf"},
        'ad_sudoers_file "/etc/sudoers.d/ssm-runas.conf" would be skipped by sudo: names in '
        "/etc/sudoers.d may not have '.' or end in '~'",
    ),
    (
        {"path": "sudoers.d/ssm-runas"},
        'ad_sudoers_file "sudoers.d/ssm-runas" must be an absolute path, e.g. '
        "/etc/sudoers.d/ssm-runas",
    ),
    (
        {"header": "ok \\"},
        'ad_sudoers_header "ok \\\\" contains a backslash: it could continue a sudoers line',
    ),
]


@pytest.mark.parametrize(("inputs", "message"), HOSTILE, ids=[case[1][:60] for case in HOSTILE])
def test_hostile_input_is_rejected_with_its_message(inputs, message):
    kwargs = {
        "command_aliases": inputs.get("aliases", {}),
        "domain": inputs.get("domain", "example.test"),
        "fully_qualified": True,
        "missing_commands": inputs.get("missing_commands", "fail"),
        "path": inputs.get("path", "/etc/sudoers.d/ssm-runas"),
        "header": inputs.get("header", "fine"),
    }
    with pytest.raises(s.SudoersError) as caught:
        s.validate(inputs.get("rules", []), labels=ROLE, **kwargs)
    assert caught.value.errors == [message]


def test_every_problem_is_reported_at_once():
    with pytest.raises(s.SudoersError) as caught:
        spec([{"group": "a,b", "commands": ["bin/x", "ALL"]}, {"group": "", "commands": ["ALL"]}])
    assert [e.split(" ")[0] for e in caught.value.errors] == [
        "ad_sudoers_rules[0].group",
        "ad_sudoers_rules[0].commands[0]",
        "ad_sudoers_rules[1].group",
    ]


def test_module_labels_name_options():
    with pytest.raises(s.SudoersError) as caught:
        s.validate(
            [{"group": "a,b", "commands": ["ALL"]}],
            domain="example.test",
            labels=s.labels_for(""),
        )
    assert caught.value.errors[0].startswith('rules[0].group "a,b" contains ","')


def test_nothing_hostile_reaches_the_output():
    """Whatever passes validation renders as exactly one line per alias and rule."""
    rules = [
        {"group": "Help Desk", "runas": "root:adm", "nopasswd": True, "commands": ["/bin/x a=b"]},
        {"group": "x", "commands": ["/bin/y #z", "/bin/z [!a]"]},
    ]
    assert len(body(s.render(spec(rules)))) == 2


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
