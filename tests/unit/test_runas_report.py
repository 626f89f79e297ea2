"""The run-as preflight report: every hop passes and fails, with the first failing hop and a fix.

Each case starts from one all-green environment (bob on one instance, runas_report_env) and
breaks one thing, the way it breaks in real life; the assertions read the report the way an
operator does.
"""

import copy
import re
from pathlib import Path

import pytest
import yaml
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import runas_report_hop as rh
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.iam_documents import (
    trust_policy,
)
from runas_report_env import (
    AUD,
    AWS_IGNORED,
    MODEL,
    PROVIDER,
    SUDO_NONE,
    SUDO_NW,
    UID,
    UNREACHABLE,
    account,
    env,
    only,
    probe,
    probed,
    run,
    user,
)


def test_baseline_is_green_on_every_hop():
    entry = only(run(env()))
    assert entry["status"] == rh.GREEN
    assert [h["status"] for h in entry["hops"]] == [rh.PASS] * len(rh.HOPS)
    assert entry["first_failure"] is None and entry["tag"] == "bob@example.test"


def _bob_upper_local():
    name = "Bob@example.test"
    return env(
        users=[user(upn=name)], probes={name: probe(name, canonical="bob@example.test", home=False)}
    )


def _bob_upper_all():
    name = "Bob@Example.Test"
    return env(
        users=[user(upn=name)], probes={name: probe(name, canonical="bob@example.test", home=False)}
    )


def _set(path, value):
    def make():
        e = env()
        node = e
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        return e

    return make


def _probe_change(**kw):
    return lambda: env(probes={"bob@example.test": probe("bob@example.test", **kw)})


def _account_change(**kw):
    return lambda: env(accounts={"lab-account": account(**kw)})


def _deny_all_policy():
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": PROVIDER},
                "Action": "sts:AssumeRoleWithSAML",
            }
        ],
    }


def _missing_role():
    a = account()
    a["roles"][0] = {"name": "ADFS-SSMRunAs", "found": False}
    return env(accounts={"lab-account": a})


def _missing_provider():
    a = account()
    a["saml_providers"] = []
    return env(accounts={"lab-account": a})


def _missing_prefs():
    a = account()
    a["preferences"] = {"name": "SSM-SessionManagerRunShell", "found": False}
    return env(accounts={"lab-account": a})


def _unknown_operator():
    policy = trust_policy(PROVIDER, [AUD], "SSMSessionRunAs", "@example.test")
    policy["Statement"][0]["Condition"]["DateLessThan"] = {"aws:CurrentTime": "2030-01-01"}
    return env(accounts={"lab-account": account(policy=policy)})


def _alice_sudo_missing():
    u = user("alice", groups=["SysAdmins"])
    return env(
        users=[u],
        probes={
            "alice@example.test": probe(
                "alice@example.test",
                sudo=SUDO_NONE,
                groups=["domain users@example.test", "sysadmins@example.test"],
            )
        },
    )


def _alice_sudo_missing_sudo_rs():
    # sudo-rs 0.2.5 says "nothing" on stderr with rc 1 (seen on Debian 13).
    e = _alice_sudo_missing()
    e["instances"]["i1"]["names"]["alice@example.test"]["sudo"] = {
        "rc": 1,
        "stdout": "",
        "stderr": "sudo-rs: Sorry, user root is not allowed to execute 'list' as "
        "alice@example.test on i1.example.test.\n",
    }
    return e


def _alice_stale_groups():
    u = user("alice", groups=["SysAdmins"])
    return env(
        users=[u],
        probes={
            "alice@example.test": probe(
                "alice@example.test", sudo=SUDO_NONE, groups=["domain users@example.test"]
            )
        },
    )


def _helpdesk_green():
    u = user("erin", groups=["Help Desk"])
    out = (
        "User erin@example.test may run the following commands on i1:\n"
        "    (root) NOPASSWD: /usr/bin/systemctl status ssm\n"
    )
    return env(users=[u], probes={"erin@example.test": probe("erin@example.test", sudo=out)})


def _dave_both_groups_one_missing():
    u = user("dave", groups=["NetworkAdmins", "SysAdmins"])
    return env(users=[u], probes={"dave@example.test": probe("dave@example.test", sudo=SUDO_NW)})


def _sam_with_fq_names():
    # With sAMAccountName the derived trust policy carries no UPN suffix.
    model = dict(MODEL, ldap_attribute="sAMAccountName")
    policy = trust_policy(PROVIDER, [AUD], "SSMSessionRunAs")
    return env(
        users=[user()],
        probes={"bob": probe("bob", id_ok=False)},
        model=model,
        accounts={"lab-account": account(policy=policy)},
    )


def _unreachable():
    return env(instances={"i1": UNREACHABLE})


# (id, make env, first failing hop or "green", status, words the fix must contain)
CASES = [
    (
        "upn-suffix-not-realm",
        lambda: env(users=[user("mallory", upn="mallory@partner.test")]),
        "claim",
        rh.RED,
        ["partner.test", "example.test", "ssm_runas.upn_suffix", "mallory@example.test"],
    ),
    (
        "upper-case-local-part-home-missing",
        _bob_upper_local,
        "home",
        rh.RED,
        ["/home/Bob@example.test", "/home/bob@example.test", "HOME=/home/<tag as given>"],
    ),
    (
        "upper-case-suffix-trust-is-case-sensitive",
        _bob_upper_all,
        "trust",
        rh.RED,
        ["case-sensitively", "bob@example.test"],
    ),
    (
        "not-in-any-run-as-group",
        lambda: env(users=[user("carol", groups=[], requested=True)]),
        "directory",
        rh.RED,
        ["carol", "none of the run-as groups", "runas_report_extra_users"],
    ),
    (
        "asked-for-but-not-in-ad",
        lambda: env(users=[{"query": "zed", "requested": True, "found": False, "groups": []}]),
        "directory",
        rh.RED,
        ["zed", "not found in AD", "runas_report_extra_users"],
    ),
    (
        "disabled-account",
        lambda: env(users=[user(enabled=False)]),
        "directory",
        rh.RED,
        ["disabled", "Enable-ADAccount bob"],
    ),
    (
        "no-upn",
        lambda: env(users=[user(userPrincipalName=None)], probes={}),
        "claim",
        rh.RED,
        ["no userPrincipalName", "ssm_runas.ldap_attribute"],
    ),
    (
        "tag-with-backslash",
        lambda: env(
            users=[user(mail="EXAMPLE\\bob")], probes={}, model=dict(MODEL, ldap_attribute="mail")
        ),
        "sts_tag",
        rh.RED,
        ["'\\\\'", "STS"],
    ),
    (
        "tag-too-long",
        lambda: env(
            users=[user(mail="b" * 257)], probes={}, model=dict(MODEL, ldap_attribute="mail")
        ),
        "sts_tag",
        rh.RED,
        ["257", "256"],
    ),
    (
        "tag-with-space-breaks-agent",
        lambda: env(
            users=[user(mail="bob smith")], probes={}, model=dict(MODEL, ldap_attribute="mail")
        ),
        "sts_tag",
        rh.RED,
        ["whitespace", "unquoted"],
    ),
    ("role-missing", _missing_role, "trust", rh.RED, ["ADFS-SSMRunAs", "playbooks/aws.yml"]),
    (
        "provider-missing",
        _missing_provider,
        "trust",
        rh.RED,
        ["saml-provider/ADFS", "playbooks/aws.yml"],
    ),
    (
        "trust-lacks-tagsession",
        _account_change(policy=_deny_all_policy()),
        "trust",
        rh.RED,
        ["sts:TagSession", "playbooks/aws.yml"],
    ),
    (
        "trust-unknown-operator",
        _unknown_operator,
        "trust",
        rh.AMBER,
        ["cannot be evaluated", "DateLessThan"],
    ),
    (
        "aws-unreadable",
        lambda: env(accounts={"lab-account": AWS_IGNORED}),
        "trust",
        rh.AMBER,
        ["AccessDenied"],
    ),
    (
        "preferences-missing",
        _missing_prefs,
        "preferences",
        rh.RED,
        ["ssm-user", "run_as_enabled: true"],
    ),
    (
        "run-as-off",
        _account_change(run_as=False),
        "preferences",
        rh.RED,
        ["runAsEnabled is false", "playbooks/aws.yml"],
    ),
    (
        "run-as-only-in-latest",
        _account_change(default_run_as=False),
        "preferences",
        rh.RED,
        ["default version", "update-document-default-version"],
    ),
    (
        "id-does-not-resolve",
        _probe_change(id_ok=False),
        "id",
        rh.RED,
        ["id bob@example.test", "ad_join", "no such user"],
    ),
    (
        "sam-with-fully-qualified-names",
        _sam_with_fq_names,
        "id",
        rh.RED,
        ["fully_qualified_names", "bob@example.test"],
    ),
    ("uid-zero", _probe_change(uid=0), "id", rh.RED, ["uid/gid 0"]),
    (
        "home-missing-everywhere",
        _probe_change(home=False, canonical_home=False),
        "home",
        rh.RED,
        ["/home/bob@example.test", "pam_mkhomedir", "ad_join"],
    ),
    ("home-wrong-owner", _probe_change(home_uid=0), "home", rh.RED, ["chown", str(UID)]),
    (
        "sudo-rule-missing",
        _alice_sudo_missing,
        "sudo",
        rh.RED,
        ["(ALL : ALL) ALL for SysAdmins", "ad_sudoers"],
    ),
    (
        "sudo-rule-missing-sudo-rs",
        _alice_sudo_missing_sudo_rs,
        "sudo",
        rh.RED,
        ["(ALL : ALL) ALL for SysAdmins", "ad_sudoers"],
    ),
    ("sudo-groups-stale-in-sssd", _alice_stale_groups, "sudo", rh.RED, ["sss_cache -E"]),
    ("sudo-one-of-two-groups", _dave_both_groups_one_missing, "sudo", rh.RED, ["SysAdmins"]),
    (
        "sudo-nopasswd-declared-but-password-asked",
        _probe_change(sudo=SUDO_NW.replace("NOPASSWD: ", "")),
        "sudo",
        rh.RED,
        ["NOPASSWD"],
    ),
    ("help-desk-command-with-args", _helpdesk_green, "green", rh.GREEN, []),
    ("instance-unreachable", _unreachable, "id", rh.AMBER, ["Connection timed out", "i1"]),
    ("no-instances", lambda: env(instances={}), "id", rh.AMBER, ["ssm_instances"]),
    (
        "no-sudo-declared",
        lambda: env(
            users=[user("audrey", groups=["Auditors"])],
            probes={"audrey@example.test": probe("audrey@example.test", sudo=SUDO_NONE)},
        ),
        "green",
        rh.GREEN,
        [],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_first_failing_hop_and_fix(case):
    _case_id, make, hop, status, words = case
    entry = only(run(make()))
    assert entry["status"] == status, entry
    if hop == "green":
        assert entry["first_failure"] is None, entry["first_failure"]
        return
    first = entry["first_failure"]
    assert first["hop"] == hop, first
    for word in words:
        assert word in first["fix"] or word in first["detail"], (word, first)
    assert first["fix"].count(":") >= 1, "a fix says what is wrong, then what to do"


def test_later_hops_are_still_evaluated_after_a_failure():
    entry = only(run(env(users=[user("mallory", upn="mallory@partner.test")])))
    statuses = {h["hop"]: h["status"] for h in entry["hops"]}
    assert statuses["claim"] == rh.FAIL and statuses["trust"] == rh.FAIL
    assert statuses["sts_tag"] == rh.PASS and statuses["preferences"] == rh.PASS


def test_every_host_is_checked_and_the_failing_one_is_named():
    names = {"bob@example.test": probe("bob@example.test")}
    broken = {"bob@example.test": probe("bob@example.test", home=False, canonical_home=False)}
    e = env(instances={"i1": probed(names), "i2": probed(broken)})
    first = only(run(e))["first_failure"]
    assert first["hop"] == "home" and "i2" in first["detail"] and "i1" not in first["detail"]


def test_expectations_mark_known_failures_and_surprises():
    e = env(
        users=[
            user(),
            user("mallory", upn="mallory@partner.test"),
            user("carol", groups=[], requested=True),
        ]
    )
    report = run(e, expect={"mallory": "claim", "carol": "trust"})
    by_user = {u["user"]: u for u in report["users"]}
    assert by_user["bob"]["as_expected"] and by_user["mallory"]["as_expected"]
    assert not by_user["carol"]["as_expected"]
    assert report["summary"]["unexpected"] == ["carol"]
    assert report["summary"]["green"] == 1 and report["summary"]["red"] == 2


def test_expecting_an_absent_user_is_a_problem():
    report = run(env(), expect={"zed": "claim"})
    assert any("zed" in p and "runas_report_extra_users" in p for p in report["problems"])


def test_group_missing_in_ad_is_a_problem():
    e = env()
    e["directory"]["groups"][1]["found"] = False
    report = run(e)
    assert any("'SysAdmins'" in p and "ssm_runas.groups" in p for p in report["problems"])


@pytest.mark.parametrize("expect", [["mallory"], {"mallory": "claims"}])
def test_bad_expectations_name_the_variable(expect):
    with pytest.raises(rh.ReportInputError, match="runas_report_expect"):
        run(env(), expect=expect)


def test_inputs_are_not_modified():
    e = env()
    before = copy.deepcopy(e)
    run(e)
    assert e == before


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_without_the_callers_names_fixes_stay_neutral(case):
    report = run(case[1](), names={}, expect={"zed": "claim"})
    words = ["playbooks/", "ssm_instances", "aws_accounts", "_connection", "runas_report_"]
    texts = report["problems"] + [
        h[key] for u in report["users"] for h in u["hops"] for key in ("detail", "fix")
    ]
    assert not [(w, t) for w in words for t in texts if w in t]


def test_a_typo_in_the_callers_names_is_refused():
    with pytest.raises(rh.ReportInputError, match="instance_grup"):
        rh.context(instance_grup="x")


REPO = Path(__file__).resolve().parents[2]
REPORT_FILES = [
    *(REPO / "plugins" / "plugin_utils").glob("runas_report*.py"),
    REPO / "plugins" / "plugin_utils" / "sudo_list.py",
    REPO / "plugins" / "plugin_utils" / "templates" / "runas_report.md.j2",
    *(REPO / "plugins" / "filter").glob("runas_report*"),
]
# What verify.yml reads from an inventory besides the model.
PLAYBOOK_VARS = {
    f"runas_report_{n}" for n in ("ldap", "extra_users", "expect", "fail", "dir", "env")
}


def _inventory_groups():
    groups = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("children", "groups") and isinstance(value, dict):
                    groups.update(value)
                walk(value)

    for path in [*REPO.glob("inventories/*/*.yml"), *REPO.glob("examples/inventories/*/*.yml")]:
        walk(yaml.safe_load(path.read_text()))
    return groups - {"all", "ungrouped"}


def _role_vars():
    names = set()
    for path in (REPO / "roles").glob("*/meta/argument_specs.yml"):
        for entry in (yaml.safe_load(path.read_text())["argument_specs"] or {}).values():
            names.update((entry or {}).get("options") or {})
    return names - {"ssm_runas"}  # the data model itself may be named


def test_the_report_names_no_role_variable_playbook_or_inventory_group():
    forbidden = _inventory_groups() | _role_vars() | PLAYBOOK_VARS
    assert {"ssm_instances", "aws_accounts"} <= forbidden
    found = []
    for path in REPORT_FILES:
        text = path.read_text()
        if "playbooks/" in text:
            found.append((path.name, "playbooks/"))
        found += [(path.name, w) for w in sorted(forbidden) if re.search(rf"\b{w}\b", text)]
    assert not found


def test_documented_defaults_are_the_reports_own():
    doc = yaml.safe_load((REPO / "plugins" / "filter" / "runas_report.yml").read_text())
    options = doc["DOCUMENTATION"]["options"]
    assert {name: options[name].get("default") for name in rh.CONTEXT} == rh.CONTEXT
