"""Hostile and malformed sudo rule input: rejected before anything is written, each problem
named with the variable, the value and the fix."""

import pytest
from ansible_collections.federated.ssm_runas.plugins.module_utils import sudoers as s
from sudoers_env import ROLE, body, spec

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
        'ad_sudoers_rules[0] has unknown key "comands": use only group, user, runas, '
        "nopasswd, commands",
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
        {"rules": [{"user": "bob@example.test", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].user "bob@example.test" is not a local account name: lower-case '
        "letters, digits, '_' and '-', starting with a letter or '_' (no '@': AD users get "
        "their rights through their groups)",
    ),
    (
        {"rules": [{"user": "auto,ALL", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].user "auto,ALL" is not a local account name: lower-case letters, '
        "digits, '_' and '-', starting with a letter or '_' (no '@': AD users get their rights "
        "through their groups)",
    ),
    (
        {"rules": [{"user": "auto\nALL ALL=(ALL) ALL", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].user "auto\\nALL ALL=(ALL) ALL" contains a newline: sudoers rules '
        "are one line each",
    ),
    (
        {"rules": [{"user": "all", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].user "all" is the sudoers reserved word ALL: name one account',
    ),
    (
        {"rules": [{"user": "a" * 33, "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].user "%s" is longer than 32 characters, which useradd refuses'
        % ("a" * 33),
    ),
    (
        {"rules": [{"user": "", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0].user "" is empty: give a local account name, e.g. ansible-automation',
    ),
    (
        {"rules": [{"user": "auto", "group": "ops", "commands": ["ALL"]}]},
        'ad_sudoers_rules[0] has both group "ops" and user "auto": a rule is for one AD group or '
        "one local account",
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
