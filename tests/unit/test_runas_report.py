"""The run-as preflight report: every hop passes and fails, with the first failing hop and a fix.

Each case starts from one all-green environment (bob on one instance) and breaks one thing,
the way it breaks in real life; the assertions read the report the way an operator does.
"""

import copy
import json

import pytest
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import runas_report as rr
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.iam_documents import (
    trust_policy,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_model import normalize

PROVIDER = "arn:aws:iam::123456789012:saml-provider/ADFS"
AUD = "https://signin.aws.amazon.com/saml"
MODEL = normalize(
    {
        "realm": "EXAMPLE.TEST",
        "command_aliases": {"NW_CMDS": ["ip", "ping", "ss"]},
        "groups": [
            {
                "name": "NetworkAdmins",
                "sudo": {"runas": "ALL", "nopasswd": True, "commands": ["NW_CMDS"]},
            },
            {
                "name": "SysAdmins",
                "sudo": {"runas": "ALL:ALL", "nopasswd": False, "commands": ["ALL"]},
            },
            {
                "name": "Help Desk",
                "sudo": {
                    "runas": "root",
                    "nopasswd": True,
                    "commands": ["/usr/bin/systemctl status ssm"],
                },
            },
            {"name": "Auditors"},
        ],
        "aws": {"account_id": "123456789012", "federation_roles": [{"name": "ADFS-SSMRunAs"}]},
    }
)
UID, GID = 1385601104, 1385600513


def user(sam="bob", groups=("NetworkAdmins",), upn=None, **extra):
    out = {
        "dn": f"CN={sam},CN=Users,DC=example,DC=test",
        "sAMAccountName": sam,
        "userPrincipalName": upn or f"{sam}@example.test",
        "mail": None,
        "enabled": True,
        "groups": list(groups),
        "requested": False,
        "query": None,
        "found": True,
    }
    out.update(extra)
    return out


def account(policy=None, run_as=True, default_run_as=None):
    return {
        "account_id": "123456789012",
        "saml_providers": [PROVIDER],
        "roles": [
            {
                "name": "ADFS-SSMRunAs",
                "found": True,
                "arn": "arn:aws:iam::123456789012:role/ADFS-SSMRunAs",
                "trust_policy": policy
                or trust_policy(
                    PROVIDER, [AUD], "SSMSessionRunAs", "@example.test", ["SSMSessionRunAs"]
                ),
            }
        ],
        "preferences": {
            "name": "SSM-SessionManagerRunShell",
            "found": True,
            "latest_version": "2",
            "default_version": "2",
            "latest": {"runAsEnabled": run_as},
            "default": {"runAsEnabled": run_as if default_run_as is None else default_run_as},
        },
        "error": None,
    }


SUDO_NW = (
    "Matching Defaults entries for bob@example.test on i1:\n"
    "    env_reset, mail_badpass, use_pty\n\n"
    "User bob@example.test may run the following commands on i1:\n"
    "    (ALL) NOPASSWD: /usr/bin/ip, /usr/bin/ping, /usr/bin/ss\n"
)
SUDO_SYS = "User alice@example.test may run the following commands on i1:\n    (ALL : ALL) ALL\n"
SUDO_NONE = "User carol@example.test is not allowed to run sudo on i1.\n"


def probe(
    name,
    *,
    canonical=None,
    home=True,
    home_uid=UID,
    canonical_home=True,
    sudo=SUDO_NW,
    id_ok=True,
    uid=UID,
    gid=GID,
    groups=("domain users@example.test", "networkadmins@example.test"),
):
    canonical = canonical or name.lower()
    out = {
        "valid": True,
        "id": {
            "ok": id_ok,
            "rc": 0 if id_ok else 1,
            "uid": uid,
            "gid": gid,
            "user": canonical,
            "groups": list(groups),
            "stderr": "" if id_ok else f"id: '{name}': no such user",
        },
        "home": (
            {
                "path": "/home/" + name,
                "exists": True,
                "is_dir": True,
                "uid": home_uid,
                "gid": GID,
                "mode": "0700",
            }
            if home
            else {"path": "/home/" + name, "exists": False}
        ),
        "canonical_home": (
            {
                "path": "/home/" + canonical,
                "exists": True,
                "is_dir": True,
                "uid": UID,
                "gid": GID,
                "mode": "0700",
            }
            if canonical_home
            else {"path": "/home/" + canonical, "exists": False}
        ),
        "sudo": {"rc": 0, "stdout": sudo, "stderr": ""},
    }
    return out


def env(users=None, probes=None, accounts=None, instances=None, model=None):
    model = model or MODEL
    users = users if users is not None else [user()]
    if instances is None:
        probes = (
            probes
            if probes is not None
            else {
                u["userPrincipalName"]: probe(u["userPrincipalName"])
                for u in users
                if u.get("userPrincipalName")
            }
        )
        instances = {"i1": {"ok": True, "error": None, "names": probes}}
    return {
        "model": model,
        "directory": {
            "base_dn": "DC=example,DC=test",
            "groups": [{"name": g["name"], "found": True} for g in model["groups"]],
            "users": users,
        },
        "accounts": {"lab-account": account()} if accounts is None else accounts,
        "instances": instances,
    }


def run(e, **kw):
    return rr.build_report(e["model"], e["directory"], e["accounts"], e["instances"], **kw)


def only(report):
    assert len(report["users"]) == 1
    return report["users"][0]


def test_baseline_is_green_on_every_hop():
    entry = only(run(env()))
    assert entry["status"] == rr.GREEN
    assert [h["status"] for h in entry["hops"]] == [rr.PASS] * len(rr.HOPS)
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
    return env(instances={"i1": {"ok": False, "error": "unreachable: ssh timed out", "names": {}}})


# (id, make env, first failing hop or "green", status, words the fix must contain)
CASES = [
    (
        "upn-suffix-not-realm",
        lambda: env(users=[user("mallory", upn="mallory@partner.test")]),
        "claim",
        rr.RED,
        ["partner.test", "example.test", "ssm_runas.upn_suffix", "mallory@example.test"],
    ),
    (
        "upper-case-local-part-home-missing",
        _bob_upper_local,
        "home",
        rr.RED,
        ["/home/Bob@example.test", "/home/bob@example.test", "HOME=/home/<tag as given>"],
    ),
    (
        "upper-case-suffix-trust-is-case-sensitive",
        _bob_upper_all,
        "trust",
        rr.RED,
        ["case-sensitively", "bob@example.test"],
    ),
    (
        "not-in-any-run-as-group",
        lambda: env(users=[user("carol", groups=[], requested=True)]),
        "directory",
        rr.RED,
        ["carol", "none of the run-as groups", "runas_report_extra_users"],
    ),
    (
        "asked-for-but-not-in-ad",
        lambda: env(users=[{"query": "zed", "requested": True, "found": False, "groups": []}]),
        "directory",
        rr.RED,
        ["zed", "not found in AD", "runas_report_extra_users"],
    ),
    (
        "disabled-account",
        lambda: env(users=[user(enabled=False)]),
        "directory",
        rr.RED,
        ["disabled", "Enable-ADAccount bob"],
    ),
    (
        "no-upn",
        lambda: env(users=[user(userPrincipalName=None)], probes={}),
        "claim",
        rr.RED,
        ["no userPrincipalName", "ssm_runas.ldap_attribute"],
    ),
    (
        "tag-with-backslash",
        lambda: env(
            users=[user(mail="EXAMPLE\\bob")], probes={}, model=dict(MODEL, ldap_attribute="mail")
        ),
        "sts_tag",
        rr.RED,
        ["'\\\\'", "STS"],
    ),
    (
        "tag-too-long",
        lambda: env(
            users=[user(mail="b" * 257)], probes={}, model=dict(MODEL, ldap_attribute="mail")
        ),
        "sts_tag",
        rr.RED,
        ["257", "256"],
    ),
    (
        "tag-with-space-breaks-agent",
        lambda: env(
            users=[user(mail="bob smith")], probes={}, model=dict(MODEL, ldap_attribute="mail")
        ),
        "sts_tag",
        rr.RED,
        ["whitespace", "unquoted"],
    ),
    ("role-missing", _missing_role, "trust", rr.RED, ["ADFS-SSMRunAs", "playbooks/aws.yml"]),
    (
        "provider-missing",
        _missing_provider,
        "trust",
        rr.RED,
        ["saml-provider/ADFS", "playbooks/aws.yml"],
    ),
    (
        "trust-lacks-tagsession",
        _account_change(policy=_deny_all_policy()),
        "trust",
        rr.RED,
        ["sts:TagSession", "playbooks/aws.yml"],
    ),
    (
        "trust-unknown-operator",
        _unknown_operator,
        "trust",
        rr.AMBER,
        ["cannot be evaluated", "DateLessThan"],
    ),
    (
        "aws-unreadable",
        lambda: env(accounts={"lab-account": {"error": "AccessDenied"}}),
        "trust",
        rr.AMBER,
        ["AccessDenied"],
    ),
    (
        "preferences-missing",
        _missing_prefs,
        "preferences",
        rr.RED,
        ["ssm-user", "run_as_enabled: true"],
    ),
    (
        "run-as-off",
        _account_change(run_as=False),
        "preferences",
        rr.RED,
        ["runAsEnabled is false", "playbooks/aws.yml"],
    ),
    (
        "run-as-only-in-latest",
        _account_change(default_run_as=False),
        "preferences",
        rr.RED,
        ["default version", "update-document-default-version"],
    ),
    (
        "id-does-not-resolve",
        _probe_change(id_ok=False),
        "id",
        rr.RED,
        ["id bob@example.test", "ad_join", "no such user"],
    ),
    (
        "sam-with-fully-qualified-names",
        _sam_with_fq_names,
        "id",
        rr.RED,
        ["fully_qualified_names", "bob@example.test"],
    ),
    ("uid-zero", _probe_change(uid=0), "id", rr.RED, ["uid/gid 0"]),
    (
        "home-missing-everywhere",
        _probe_change(home=False, canonical_home=False),
        "home",
        rr.RED,
        ["/home/bob@example.test", "pam_mkhomedir", "ad_join"],
    ),
    ("home-wrong-owner", _probe_change(home_uid=0), "home", rr.RED, ["chown", str(UID)]),
    (
        "sudo-rule-missing",
        _alice_sudo_missing,
        "sudo",
        rr.RED,
        ["(ALL : ALL) ALL for SysAdmins", "ad_sudoers"],
    ),
    ("sudo-groups-stale-in-sssd", _alice_stale_groups, "sudo", rr.RED, ["sss_cache -E"]),
    ("sudo-one-of-two-groups", _dave_both_groups_one_missing, "sudo", rr.RED, ["SysAdmins"]),
    (
        "sudo-nopasswd-declared-but-password-asked",
        _probe_change(sudo=SUDO_NW.replace("NOPASSWD: ", "")),
        "sudo",
        rr.RED,
        ["NOPASSWD"],
    ),
    ("help-desk-command-with-args", _helpdesk_green, "green", rr.GREEN, []),
    ("instance-unreachable", _unreachable, "id", rr.AMBER, ["ssh timed out"]),
    ("no-instances", lambda: env(instances={}), "id", rr.AMBER, ["ssm_instances"]),
    (
        "no-sudo-declared",
        lambda: env(
            users=[user("audrey", groups=["Auditors"])],
            probes={"audrey@example.test": probe("audrey@example.test", sudo=SUDO_NONE)},
        ),
        "green",
        rr.GREEN,
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
    assert statuses["claim"] == rr.FAIL and statuses["trust"] == rr.FAIL
    assert statuses["sts_tag"] == rr.PASS and statuses["preferences"] == rr.PASS


def test_every_host_is_checked_and_the_failing_one_is_named():
    names = {"bob@example.test": probe("bob@example.test")}
    broken = {"bob@example.test": probe("bob@example.test", home=False, canonical_home=False)}
    e = env(instances={"i1": {"ok": True, "names": names}, "i2": {"ok": True, "names": broken}})
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
    with pytest.raises(rr.ReportInputError, match="runas_report_expect"):
        run(env(), expect=expect)


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
    got = [(e["runas"], e["tags"], e["commands"]) for e in rr.parse_sudo_list(text)]
    assert got == expected


def test_sudo_entries_outside_the_commands_section_are_ignored():
    assert rr.parse_sudo_list(SUDO_NONE) == []
    assert rr.parse_sudo_list("Matching Defaults entries for x on h:\n    (ALL) ALL\n") == []


def _report():
    e = env(users=[user(), user("mallory", upn="mallory@partner.test")])
    return run(e, expect={"mallory": "claim"}, env="lab", generated_at="2026-11-01T00:00:00+00:00")


def test_table_shows_every_user_hop_and_fix():
    text = rr.render_table(_report())
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("user "))
    for hop in rr.HOP_NAMES:
        assert hop in header
    bob = next(line for line in lines if line.startswith("bob "))
    assert "GREEN" in bob and "FAIL" not in bob
    mallory = next(line for line in lines if line.startswith("mallory "))
    assert "RED" in mallory and "FAIL" in mallory
    assert any(line.startswith("  fix: UPN suffix partner.test") for line in lines)
    assert lines[-1].startswith("2 users: 1 green, 1 red")


def test_markdown_is_a_table_with_a_fixes_section():
    text = rr.render_markdown(_report())
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(rows) == 3  # header + 2 users
    assert all(row.count("|") == rows[0].count("|") for row in rows)
    assert "## Fixes" in text and "**mallory**" in text and "partner.test" in text


def test_json_round_trips_with_first_failure_and_fix():
    data = json.loads(rr.render_json(_report()))
    mallory = next(u for u in data["users"] if u["user"] == "mallory")
    assert mallory["first_failure"]["hop"] == "claim"
    assert "set mallory's UPN suffix to example.test" in mallory["first_failure"]["fix"]
    assert data["generated_at"] == "2026-11-01T00:00:00+00:00" and data["env"] == "lab"


def test_markdown_escapes_pipes_in_values():
    e = env(users=[user(mail="a|b")], probes={}, model=dict(MODEL, ldap_attribute="mail"))
    text = rr.render_markdown(run(e))
    assert "a\\|b" in text


def test_markdown_has_no_raw_html_from_placeholders():
    text = rr.render_markdown(run(_bob_upper_local()))
    assert "HOME=/home/&lt;tag as given&gt;" in text and "<tag" not in text


def test_inputs_are_not_modified():
    e = env()
    before = copy.deepcopy(e)
    run(e)
    assert e == before
