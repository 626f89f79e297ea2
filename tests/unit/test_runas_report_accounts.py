"""The report's instance lines: what an untagged session gets, the automation account, the
agent's own ssm-user. Each case breaks the all-green environment once, as it breaks for real."""

import pytest
from ansible_collections.federated.ssm_runas.plugins.filter.runas_report import (
    runas_report_names,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import runas_report_hop as rh
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import (
    runas_report_render as render,
)
from runas_report_env import (
    AUTOMATION,
    MODEL,
    SUDO_NONE,
    UNREACHABLE,
    agent_user,
    env,
    local_probe,
    probe,
    probed,
    run,
)

DENIED = "ssm-runas-untagged-denied"
AUTO = "ansible-automation"
WITH_AUTOMATION = dict(MODEL, automation=AUTOMATION)
REAL_DEFAULT = dict(
    MODEL,
    untagged_sessions="run_as_default_user",
    aws=dict(MODEL["aws"], session_preferences={"run_as_default_user": "ops"}),
)
NO_DEFAULT = dict(MODEL, aws=dict(MODEL["aws"], session_preferences={}))
SUDO_EXTRA = (
    "User ansible-automation may run the following commands on i1:\n"
    "    (ALL) NOPASSWD: ALL\n    (root) /usr/bin/id\n"
)
SUDO_ALL_NOT_NOPASSWD = (
    "User ansible-automation may run the following commands on i1:\n    (ALL) ALL\n"
)


def with_probes(model=None, **probes):
    """The green environment (bob probed) with some local names' probes replaced."""
    probes = {"bob@example.test": probe("bob@example.test"), **probes}
    return env(model=model or MODEL, probes=probes)


def automation_env(**automation_probe):
    return with_probes(WITH_AUTOMATION, **{AUTO: local_probe(AUTO, **automation_probe)})


def lines(report, host="i1"):
    (entry,) = [i for i in report["instances"] if i["host"] == host]
    return entry, {c["check"]: c for c in entry["checks"]}


# (id, env, check, status, words in the detail, words in the fix)
CASES = [
    (
        "default-user-resolves-nowhere",
        env,
        "untagged",
        rh.PASS,
        [f"untagged sessions are refused (default user {DENIED} does not resolve)"],
        [],
    ),
    (
        "default-user-resolves",
        lambda: with_probes(**{DENIED: local_probe(DENIED, sudo=SUDO_NONE)}),
        "untagged",
        rh.FAIL,
        [f"default user {DENIED} resolves (uid 998)", "may not run sudo"],
        [
            f"gets a shell as {DENIED}",
            f"remove the account {DENIED} there; if",
            "ssm_runas.untagged_sessions: run_as_default_user",
        ],
    ),
    (
        "a-chosen-default-user-resolves",
        lambda: with_probes(
            dict(MODEL, aws=dict(MODEL["aws"], session_preferences={"run_as_default_user": "x"})),
            x=local_probe("x"),
        ),
        "untagged",
        rh.FAIL,
        ["default user x resolves"],
        [
            "remove the account x there, or set "
            "ssm_runas.aws.session_preferences.run_as_default_user to a name no instance "
            "resolves (leave it out: the default does)"
        ],
    ),
    (
        "real-default-user-and-its-sudo",
        lambda: with_probes(REAL_DEFAULT, ops=local_probe("ops", uid=1500)),
        "untagged",
        rh.PASS,
        ["untagged sessions run as ops (uid 1500), on purpose", "may run (ALL) NOPASSWD: ALL"],
        [],
    ),
    (
        "real-default-user-missing",
        lambda: with_probes(REAL_DEFAULT, ops=local_probe("ops", exists=False)),
        "untagged",
        rh.FAIL,
        ["default user ops does not resolve"],
        ["create the account there", "ssm_runas.untagged_sessions: refused"],
    ),
    (
        "model-names-no-default-user",
        lambda: env(model=NO_DEFAULT),
        "untagged",
        rh.UNKNOWN,
        ["the model names no default user"],
        ["ssm_runas.aws.session_preferences.run_as_default_user is not set", "aws.yml"],
    ),
    (
        "default-user-not-probed",
        lambda: env(instances={"i1": probed({"bob@example.test": probe("bob@example.test")})}),
        "untagged",
        rh.UNKNOWN,
        [f"{DENIED} was not probed"],
        ["the inventory group ssm_instances"],
    ),
    (
        "automation-as-declared",
        automation_env,
        "automation",
        rh.PASS,
        [f"{AUTO} uid 998, home /home/{AUTO}, may run (ALL) NOPASSWD: ALL as declared"],
        [],
    ),
    (
        "automation-missing",
        lambda: automation_env(exists=False),
        "automation",
        rh.FAIL,
        [f"{AUTO} does not exist"],
        ["run playbooks/accounts.yml (runas_accounts) on i1 before run-as is switched on"],
    ),
    (
        "automation-without-home",
        lambda: automation_env(home=False),
        "automation",
        rh.FAIL,
        [f"/home/{AUTO} is missing"],
        [f"HOME=/home/{AUTO}", "no PAM"],
    ),
    (
        "automation-with-root-uid",
        lambda: automation_env(uid=0),
        "automation",
        rh.FAIL,
        ["uid 0 gid 0"],
        ["refuses uid/gid 0"],
    ),
    (
        "automation-with-more-rights",
        lambda: automation_env(sudo=SUDO_EXTRA),
        "automation",
        rh.FAIL,
        [f"{AUTO} may also run (root) /usr/bin/id"],
        ["more sudo rights", "ssm_runas.automation.sudo"],
    ),
    (
        "automation-asked-for-a-password",
        lambda: automation_env(sudo=SUDO_ALL_NOT_NOPASSWD),
        "automation",
        rh.FAIL,
        [f"lacks (ALL) NOPASSWD: ALL for user {AUTO}"],
        ["become fails"],
    ),
    (
        "automation-without-sudo-as-declared",
        lambda: with_probes(
            dict(MODEL, automation=dict(AUTOMATION, sudo=None)),
            **{AUTO: local_probe(AUTO, sudo=SUDO_NONE)},
        ),
        "automation",
        rh.PASS,
        ["may not run sudo as declared"],
        [],
    ),
    (
        "automation-not-probed",
        lambda: env(model=WITH_AUTOMATION, instances={"i1": probed({})}),
        "automation",
        rh.UNKNOWN,
        [f"{AUTO} was not probed"],
        [],
    ),
    (
        "agent-user-absent",
        env,
        "agent_user",
        rh.PASS,
        ["ssm-user does not exist"],
        [],
    ),
    (
        "agent-user-with-passwordless-sudo",
        lambda: env(
            instances={
                "i1": probed(
                    env()["instances"]["i1"]["names"],
                    agent=agent_user(exists=True, rules=["ssm-user ALL=(ALL) NOPASSWD:ALL"]),
                )
            }
        ),
        "agent_user",
        rh.PASS,
        [
            "ssm-user exists (uid 1001) and may run (ALL) NOPASSWD: ALL",
            "/etc/sudoers.d/ssm-agent-users: ssm-user ALL=(ALL) NOPASSWD:ALL",
            "only while run-as is off",
        ],
        [],
    ),
    (
        "instance-unreachable",
        lambda: env(instances={"i1": UNREACHABLE}),
        "untagged",
        rh.UNKNOWN,
        ["not probed (unreachable"],
        ["fix the connection"],
    ),
]


@pytest.mark.parametrize(
    ("make", "name", "status", "detail", "fix"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_instance_lines(make, name, status, detail, fix):
    report = run(make())
    entry, checks = lines(report)
    got = checks[name]
    assert got["status"] == status, got
    for words in detail:
        assert words in got["detail"], got["detail"]
    for words in fix:
        assert words in got["fix"], got["fix"]
    assert entry["status"] == status or status == rh.PASS
    assert (report["summary"]["instances_red"] == ["i1"]) is (status == rh.FAIL)
    assert (report["summary"]["instances_unknown"] == ["i1"]) is (status == rh.UNKNOWN)


def test_no_automation_line_unless_the_model_declares_it():
    _entry, checks = lines(run(env()))
    assert sorted(checks) == ["agent_user", "enrolment", "untagged"]


def test_a_users_status_does_not_depend_on_the_instance_lines():
    report = run(with_probes(**{DENIED: local_probe(DENIED)}))
    assert report["users"][0]["status"] == rh.GREEN
    assert report["summary"]["instances_red"] == ["i1"]


def test_every_instance_has_its_lines():
    e = env()
    e["instances"]["i2"] = UNREACHABLE
    report = run(e)
    assert [i["host"] for i in report["instances"]] == ["i1", "i2"]
    assert report["summary"]["instances_unknown"] == ["i2"]


def test_probe_names_are_tags_then_default_user_then_automation_once_each():
    model = {
        "realm": "example.test",
        "groups": [{"name": "NetworkAdmins"}],
        "automation": {"user": AUTO},
    }
    directory = env()["directory"]
    assert runas_report_names(directory, model) == ["bob@example.test", DENIED, AUTO]


def test_table_and_markdown_show_each_instance_line_and_its_fix():
    report = run(with_probes(**{DENIED: local_probe(DENIED)}))
    table = render.render_table(report)
    assert f"instance i1: untagged sessions FAIL: i1: default user {DENIED} resolves" in table
    assert "  fix: any principal that may start a session without a run-as tag" in table
    assert "instance i1: agent's own account ok: i1: ssm-user does not exist" in table
    markdown = render.render_markdown(report)
    assert "## Instances" in markdown
    assert "| i1 | untagged sessions | FAIL |" in markdown
    assert "1 instance(s) red: i1" in table
