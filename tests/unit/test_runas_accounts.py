"""The automation account and the user untagged sessions get: model keys, their defaults, and
every refusal with the path the user wrote (runas_accounts through the model check)."""

import copy

import pytest
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import runas_accounts as ra
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_model import (
    ModelError,
    check,
    role_inputs,
    views,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_schema import (
    UNTAGGED_SESSION_USER,
)

AUTOMATION = {
    "user": "ansible-automation",
    "sudo": {"nopasswd": True, "commands": ["ALL"]},
    "iam_principals": ["arn:aws:iam::123456789012:role/AnsibleAutomation"],
}
GOOD = {
    "realm": "example.test",
    "command_aliases": {"NW_CMDS": ["ip"]},
    "groups": [{"name": "NetworkAdmins", "sudo": {"nopasswd": True, "commands": ["NW_CMDS"]}}],
    "aws": {"account_id": "123456789012", "federation_roles": [{"name": "Run-As"}]},
    "automation": AUTOMATION,
}
DEFAULT_USER = ("aws", "session_preferences", "run_as_default_user")
REAL = (("untagged_sessions",), "run_as_default_user")


def changed(*edits):
    """GOOD with (path tuple, value) edits; a value of ... deletes the key."""
    model = copy.deepcopy(GOOD)
    for path, value in edits:
        node = model
        for key in path[:-1]:
            node = node.setdefault(key, {})
        if value is ...:
            node.pop(path[-1], None)
        else:
            node[path[-1]] = value
    return model


def test_defaults_refuse_untagged_sessions_and_fill_the_automation_account():
    out = check(GOOD)
    assert out["untagged_sessions"] == "refused"
    assert out["aws"]["session_preferences"]["run_as_default_user"] == UNTAGGED_SESSION_USER
    assert out["automation"] == {
        "user": "ansible-automation",
        "sudo": {"runas": "ALL", "nopasswd": True, "commands": ["ALL"]},
        "shell": "/bin/bash",
        "iam_principals": ["arn:aws:iam::123456789012:role/AnsibleAutomation"],
    }


def test_no_automation_account_unless_declared():
    out = check(changed((("automation",), ...)))
    assert out["automation"] is None
    seen = views(out)
    assert seen["automation.user"] is None and seen["automation_sudo_rules"] == []


def test_views_hand_roles_the_account_its_rules_and_the_default_user():
    seen = views(check(GOOD))
    assert seen["automation.user"] == "ansible-automation"
    assert seen["automation.shell"] == "/bin/bash"
    assert seen["automation.iam_principals"] == AUTOMATION["iam_principals"]
    assert seen["automation_sudo_rules"] == [
        {"user": "ansible-automation", "runas": "ALL", "nopasswd": True, "commands": ["ALL"]}
    ]
    assert seen["aws.session_preferences.run_as_default_user"] == UNTAGGED_SESSION_USER
    assert seen["untagged_sessions"] == "refused"


ONE_COMMAND = {"runas": "root", "commands": ["/usr/bin/id"]}
IAM_USER = "arn:aws:iam::123456789012:user/ci/ansible"
ACCEPTED = [
    ("no-sudo", changed((("automation", "sudo"), ...))),
    ("one-command", changed((("automation", "sudo"), ONE_COMMAND))),
    ("system-style-name", changed((("automation", "user"), "_ansible"))),
    ("iam-user-with-path", changed((("automation", "iam_principals"), [IAM_USER]))),
    ("real-default-user-on-purpose", changed((DEFAULT_USER, "ops-default"), REAL)),
    ("automation-as-default-on-purpose", changed((DEFAULT_USER, "ansible-automation"), REAL)),
    ("unrelated-default-name", changed((DEFAULT_USER, "nobody-here"))),
]


@pytest.mark.parametrize("model", [c[1] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_accepted(model):
    check(model)


REFUSED = [
    (
        "ssm-user-as-default",
        changed((DEFAULT_USER, "ssm-user")),
        'ssm_runas.aws.session_preferences.run_as_default_user "ssm-user" is the agent\'s own '
        "account, with passwordless sudo wherever run-as was ever off: leave it to its default "
        "(ssm-runas-untagged-denied), a name that resolves nowhere, or, if untagged sessions "
        "should get a shell as this account on purpose, set ssm_runas.untagged_sessions: "
        "run_as_default_user",
    ),
    (
        "automation-account-as-default",
        changed((DEFAULT_USER, "ansible-automation")),
        'run_as_default_user "ansible-automation" is the automation account, which every '
        "instance has, with its rights",
    ),
    (
        "ad-user-as-default",
        changed((DEFAULT_USER, "Bob@Example.Test")),
        'run_as_default_user "Bob@Example.Test" is an AD user name, which joined instances resolve',
    ),
    (
        "real-default-without-a-name",
        changed((("untagged_sessions",), "run_as_default_user")),
        'ssm_runas.untagged_sessions "run_as_default_user" says untagged sessions run as '
        "ssm_runas.aws.session_preferences.run_as_default_user, but "
        'ssm_runas.aws.session_preferences.run_as_default_user is "ssm-runas-untagged-denied", '
        "a name no instance may resolve: set it to the real account untagged sessions get, or "
        "set ssm_runas.untagged_sessions: refused",
    ),
    (
        "unknown-untagged-choice",
        changed((("untagged_sessions",), "allowed")),
        'ssm_runas.untagged_sessions "allowed" must be one of refused, run_as_default_user',
    ),
    (
        "automation-is-the-agent-account",
        changed((("automation", "user"), "ssm-user")),
        'ssm_runas.automation.user "ssm-user" is the SSM agent\'s own account, which the agent '
        "creates and gives passwordless sudo in /etc/sudoers.d/ssm-agent-users whenever run-as "
        "is off: name an account of its own, e.g. ansible-automation",
    ),
    (
        "automation-is-root",
        changed((("automation", "user"), "root")),
        'ssm_runas.automation.user "root" is root, whose uid 0 the agent refuses',
    ),
    (
        "automation-is-an-ad-name",
        changed((("automation", "user"), "svc@example.test")),
        'ssm_runas.automation.user "svc@example.test" is not a local account name',
    ),
    (
        "automation-injects-sudoers",
        changed((("automation", "user"), "auto ALL=(ALL) ALL")),
        'ssm_runas.automation.user "auto ALL=(ALL) ALL" is not a local account name',
    ),
    (
        "automation-without-user",
        changed((("automation", "user"), ...)),
        "ssm_runas.automation.user is required: Local account name",
    ),
    (
        "automation-command-alias",
        changed((("automation", "sudo", "commands"), ["NW_CMDS"])),
        'ssm_runas.automation.sudo.commands[0] "NW_CMDS" is a command alias: the automation '
        "account's rules live in their own file, where aliases are not defined; list the commands",
    ),
    (
        "automation-wildcard-command",
        changed((("automation", "sudo", "commands"), ["/usr/bin/*"])),
        'ssm_runas.automation.sudo.commands[0] "/usr/bin/*" contains "*": wildcards in command '
        "paths would allow any matching program",
    ),
    (
        "automation-runas-list",
        changed((("automation", "sudo", "runas"), "root,ALL")),
        'ssm_runas.automation.sudo.runas "root,ALL" has "root,ALL"',
    ),
    (
        "automation-relative-shell",
        changed((("automation", "shell"), "bash")),
        'ssm_runas.automation.shell "bash" is not a normalized absolute path',
    ),
    (
        "automation-shell-with-colon",
        changed((("automation", "shell"), "/bin/sh:x")),
        'ssm_runas.automation.shell "/bin/sh:x" is not a normalized absolute path',
    ),
    (
        "principal-not-an-arn",
        changed((("automation", "iam_principals"), ["AnsibleAutomation"])),
        'ssm_runas.automation.iam_principals[0] "AnsibleAutomation" is not an IAM role or user '
        "ARN: give arn:aws:iam::<account>:role/<name> or .../user/<name>",
    ),
    (
        "principal-in-another-account",
        changed((("automation", "iam_principals"), ["arn:aws:iam::210987654321:role/A"])),
        'ssm_runas.automation.iam_principals[0] "arn:aws:iam::210987654321:role/A" is in account '
        "210987654321, not 123456789012: only principals of the account the AWS side manages "
        "can be tagged",
    ),
    (
        "principal-in-another-partition",
        changed((("automation", "iam_principals"), ["arn:aws-cn:iam::123456789012:role/A"])),
        "is in partition aws-cn, not aws (aws.partition)",
    ),
    (
        "principal-a-group",
        changed((("automation", "iam_principals"), ["arn:aws:iam::123456789012:group/A"])),
        "is not an IAM role or user ARN",
    ),
]


@pytest.mark.parametrize(
    ("model", "message"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_refused_with_the_path_the_user_wrote(model, message):
    with pytest.raises(ModelError) as caught:
        check(model)
    assert any(message in error for error in caught.value.errors), caught.value.errors


# What the runas_accounts role passes without a model: its own variable names.
ROLE_LABELS = {
    "user": "runas_accounts_automation_user",
    "sudo": "runas_accounts_automation_sudo",
    "shell": "runas_accounts_automation_shell",
    "default_user": "runas_accounts_default_user",
    "untagged": "runas_accounts_untagged_sessions",
}


@pytest.mark.parametrize(
    ("automation", "default_user", "untagged", "expected"),
    [
        (None, UNTAGGED_SESSION_USER, "refused", []),
        (None, None, "refused", []),
        ({"user": "ci", "sudo": None, "shell": "/bin/sh"}, "nobody-here", "refused", []),
        (
            {"user": "ci", "sudo": {"commands": ["ALL"], "runas": "ALL"}},
            "ci",
            "refused",
            [
                'runas_accounts_default_user "ci" is the automation account, which every '
                "instance has, with its rights: leave it to its default "
                "(ssm-runas-untagged-denied), a name that resolves nowhere, or, if untagged "
                "sessions should get a shell as this account on purpose, set "
                "runas_accounts_untagged_sessions: run_as_default_user"
            ],
        ),
        (
            {"user": "ci", "sudo": {"commands": ["bin/sh"]}},
            None,
            "refused",
            [
                'runas_accounts_automation_sudo.commands[0] "bin/sh" is a relative path: give an '
                "absolute path or a bare name"
            ],
        ),
    ],
    ids=["nothing", "default-user-unknown", "plain", "automation-as-default", "bad-command"],
)
def test_role_labels_name_the_role_variables(automation, default_user, untagged, expected):
    assert ra.account_errors(automation, default_user, untagged, labels=ROLE_LABELS) == expected


def test_role_inputs_without_a_model_take_the_schema_defaults():
    mapping = {
        "runas_accounts_automation_user": {"from": "automation.user", "default": ""},
        "runas_accounts_automation_shell": {"from": "automation.shell"},
        "runas_accounts_default_user": {"from": "aws.session_preferences.run_as_default_user"},
        "runas_accounts_untagged_sessions": {"from": "untagged_sessions"},
    }
    got = role_inputs(None, mapping, ["\0unset"] * 4, "\0unset")
    assert got == {
        "runas_accounts_automation_user": "",
        "runas_accounts_automation_shell": "/bin/bash",
        "runas_accounts_default_user": UNTAGGED_SESSION_USER,
        "runas_accounts_untagged_sessions": "refused",
    }
