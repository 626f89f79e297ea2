"""One all-green run-as environment (bob on one instance) for the report's tests to break.

Accounts and instances are registered module results in the shapes Ansible really produces
(seen with ansible-core 2.21): a success, failed_when: false (failed: false, msg, no data),
ignore_errors (failed: true, msg), and an ignored unreachable host (unreachable: true, msg).
"""

from ansible_collections.federated.ssm_runas.plugins.plugin_utils import runas_report as rr
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import runas_report_hop as rh
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.iam_documents import (
    trust_policy,
)

PROVIDER = "arn:aws:iam::123456789012:saml-provider/ADFS"
AUD = "https://signin.aws.amazon.com/saml"
# A checked data model, written out: only the keys the report may use, so the report's tests
# do not depend on how the model check fills them in.
MODEL = {
    "realm": "EXAMPLE.TEST",
    "domain": "example.test",
    "upn_suffix": "example.test",
    "tag_suffix": "example.test",
    "tag_key": "SSMSessionRunAs",
    "ldap_attribute": "userPrincipalName",
    "fully_qualified_names": True,
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
        {"name": "Auditors", "sudo": None},
    ],
    "aws": {
        "account_id": "123456789012",
        "federation_roles": [{"name": "ADFS-SSMRunAs"}],
        "session_preferences": {"run_as_default_user": "ssm-runas-untagged-denied"},
    },
    "adfs": {},
    "untagged_sessions": "refused",
    "automation": None,
}
AUTOMATION = {
    "user": "ansible-automation",
    "sudo": {"runas": "ALL", "nopasswd": True, "commands": ["ALL"]},
    "shell": "/bin/bash",
    "iam_principals": [],
}
ALIASES = {"NW_CMDS": ["ip", "ping", "ss"]}
# What playbooks/verify.yml passes: the fixes then name its groups, variables and playbooks.
VERIFY_NAMES = {
    "instance_group": "the inventory group ssm_instances",
    "account_group": "the inventory group aws_accounts",
    "connection_var": "ssm_runas_aws_connection",
    "extra_users_var": "runas_report_extra_users",
    "expect_var": "runas_report_expect",
    "aws_apply": "run playbooks/aws.yml (aws_federation)",
    "instance_apply": "run playbooks/linux.yml (ad_join)",
    "sudo_apply": "run playbooks/linux.yml (ad_sudoers)",
    "accounts_apply": "run playbooks/accounts.yml (runas_accounts)",
}
UID, GID = 1385601104, 1385600513

AWS_DOWN = (
    'Reading the run-as federation state failed: Could not connect to the endpoint URL: "'
    'http://127.0.0.1:1/"'
)
AWS_DENIED = (
    "Reading the run-as federation state failed: An error occurred (AccessDenied) when "
    "calling the GetCallerIdentity operation: User is not authorized"
)
SSH_DOWN = (
    "Task failed: Failed to connect to the host via ssh: ssh: connect to host 10.0.0.9 "
    "port 22: Connection timed out"
)
# failed_when: false on a failed module: failed is false, the error stays in msg.
AWS_FAILED_WHEN_FALSE = {
    "boto3_version": "1.44.5",
    "botocore_version": "1.44.5",
    "changed": False,
    "failed": False,
    "failed_when_result": False,
    "failed_when_suppressed_exception": "(traceback unavailable)",
    "msg": AWS_DOWN,
}
# ignore_errors: true on the same failure: failed stays true.
AWS_IGNORED = {
    "boto3_version": "1.44.5",
    "botocore_version": "1.44.5",
    "changed": False,
    "exception": "(traceback unavailable)",
    "failed": True,
    "msg": AWS_DENIED,
    "error": {"code": "AccessDenied", "message": "User is not authorized"},
}
# ignore_unreachable: true (and failed_when: false) on a host ssh cannot reach.
UNREACHABLE = {
    "changed": False,
    "exception": "(traceback unavailable)",
    "failed": False,
    "msg": SSH_DOWN,
    "unreachable": True,
}
# A module that never ran (no interpreter), under failed_when: false.
PROBE_NO_PYTHON = {
    "changed": False,
    "failed": False,
    "failed_when_result": False,
    "failed_when_suppressed_exception": "(traceback unavailable)",
    "module_stderr": "/bin/sh: 1: /usr/bin/python3: not found\n",
    "module_stdout": "",
    "msg": "The module interpreter '/usr/bin/python3' was not found.",
    "rc": 127,
}

# A module whose interpreter died before it could answer, under failed_when: false.
PROBE_CRASH = {
    "changed": False,
    "failed": False,
    "failed_when_result": False,
    "failed_when_suppressed_exception": "(traceback unavailable)",
    "module_stderr": (
        'Traceback (most recent call last):\n  File "x", line 1\n'
        "ModuleNotFoundError: No module named 'ansible'\n"
    ),
    "module_stdout": "",
    "msg": "Module result deserialization failed: No start of json char found",
    "rc": 1,
}
# verify.yml's stand-in for a host whose play did not run.
NOT_RUN = {"failed": True, "msg": "the play did not run on this host"}
SKIPPED = {
    "changed": False,
    "failed": False,
    "false_condition": False,
    "skip_reason": "Conditional result was False",
    "skipped": True,
}


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
    """A registered runas_aws_info result that read the account."""
    return {
        "changed": False,
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
    }


SUDO_NW = (
    "Matching Defaults entries for bob@example.test on i1:\n"
    "    env_reset, mail_badpass, use_pty\n\n"
    "User bob@example.test may run the following commands on i1:\n"
    "    (ALL) NOPASSWD: /usr/bin/ip, /usr/bin/ping, /usr/bin/ss\n"
)
SUDO_SYS = "User alice@example.test may run the following commands on i1:\n    (ALL : ALL) ALL\n"
SUDO_NONE = "User carol@example.test is not allowed to run sudo on i1.\n"


def _stat(path, uid=UID):
    return {"path": path, "exists": True, "is_dir": True, "uid": uid, "gid": GID, "mode": "0700"}


def replay(name, *, uid=UID, gid=GID, gids=(GID, UID - 1), step=None, error=None, **extra):
    """runas_probe's replay of the agent's resolution (agent_resolve.resolve's keys)."""
    out = {
        "name": name,
        "words": [name],
        "calls": [],
        "ok": step is None,
        "step": step,
        "error": error,
        "uid": uid,
        "gid": gid,
        "groups": list(gids) if step in (None, "credentials") else None,
    }
    out.update(extra)
    return out


def _replay_for(name, id_ok, uid, gid):
    if not id_ok:
        error = f"failed to start pty since RunAs user {name} does not exist"
        return replay(name, uid=None, gid=None, step="exists", error=error)
    if uid == 0 or gid == 0:
        return replay(name, uid=uid, gid=gid, step="credentials", error="invalid uid and gid")
    return replay(name, uid=uid, gid=gid)


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
    agent=None,
):
    """What runas_probe returns for one name."""
    canonical = canonical or name.lower()
    return {
        "valid": True,
        "agent": agent or _replay_for(name, id_ok, uid, gid),
        "id": {
            "ok": id_ok,
            "rc": 0 if id_ok else 1,
            "uid": uid,
            "gid": gid,
            "user": canonical,
            "groups": list(groups),
            "stderr": "" if id_ok else f"id: '{name}': no such user",
        },
        "home": _stat("/home/" + name, home_uid)
        if home
        else {"path": "/home/" + name, "exists": False},
        "canonical_home": _stat("/home/" + canonical)
        if canonical_home
        else {"path": "/home/" + canonical, "exists": False},
        "sudo": {"rc": 0, "stdout": sudo, "stderr": ""},
    }


AUTOMATION_UID = 998
SUDO_AUTOMATION = (
    "User ansible-automation may run the following commands on i1:\n    (ALL) NOPASSWD: ALL\n"
)
SUDO_AGENT = "User ssm-user may run the following commands on i1:\n    (ALL) NOPASSWD: ALL\n"


def local_probe(name, *, exists=True, uid=AUTOMATION_UID, home=True, sudo=SUDO_AUTOMATION):
    """What runas_probe returns for a local account (or a name that resolves nowhere)."""
    if not exists:
        return probe(name, id_ok=False, home=False, canonical_home=False)
    out = probe(name, uid=uid, gid=uid, groups=[name], home=home, sudo=sudo)
    out["home"] = dict(out["home"], uid=uid) if home else out["home"]
    return out


def local_probes(model):
    """The probes of the default user (resolves nowhere) and the automation account (as the
    model declares it), which verify.yml adds to every instance's names."""
    out = {}
    user = ((model.get("aws") or {}).get("session_preferences") or {}).get("run_as_default_user")
    if user:
        out[user] = local_probe(user, exists=False)
    if model.get("automation"):
        out[model["automation"]["user"]] = local_probe(model["automation"]["user"])
    return out


def agent_user(exists=False, rules=()):
    """runas_probe's agent_user: ssm-user and /etc/sudoers.d/ssm-agent-users."""
    path = "/etc/sudoers.d/ssm-agent-users"
    out = {
        "name": "ssm-user",
        "id": probe("ssm-user", uid=1001, gid=1001, groups=["ssm-user"], id_ok=exists)["id"],
        "sudoers_file": {"path": path, "exists": bool(rules), "rules": list(rules)}
        if rules
        else {"path": path, "exists": False},
    }
    if exists:
        out["sudo"] = {"rc": 0, "stdout": SUDO_AGENT, "stderr": ""}
    return out


SHA = "4f2a9c0e1b7d3a5f6e8c9b0a1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e"
BUNDLE_KEY = f"ssm-runas/bundles/{SHA}.tar.gz"


def enrolment(result=None, *, enrolled_at="2026-12-03T17:02:11Z", reason=None, error=None):
    """runas_probe's enrolment: no state file (result None), its state, or why it is unusable."""
    path = "/var/lib/ssm-runas-enrol/enrolled.json"
    if error is not None:
        return {"path": path, "exists": True, "error": error}
    if result is None:
        return {"path": path, "exists": False}
    state = {
        "version": 1,
        "result": result,
        "bundle_sha256": SHA,
        "bundle_key": BUNDLE_KEY,
        "last_attempt_at": "2026-12-04T08:30:00Z",
        "enrolled_at": enrolled_at,
        "reason": reason,
    }
    return {"path": path, "exists": True, "state": state}


def probed(names, agent=None, enrol=None):
    """A registered runas_probe result (on an instance configured from the controller unless
    enrol says otherwise)."""
    return {
        "changed": False,
        "names": names,
        "agent_user": agent or agent_user(),
        "enrolment": enrol or enrolment(),
    }


def env(users=None, probes=None, accounts=None, instances=None, model=None):
    model = model or MODEL
    users = users if users is not None else [user()]
    if instances is None:
        if probes is None:
            probes = {
                u["userPrincipalName"]: probe(u["userPrincipalName"])
                for u in users
                if u.get("userPrincipalName")
            }
        instances = {"i1": probed({**local_probes(model), **probes})}
    return {
        "model": model,
        "directory": {
            "changed": False,
            "base_dn": "DC=example,DC=test",
            "groups": [{"name": g["name"], "found": True} for g in model["groups"]],
            "users": users,
        },
        "accounts": {"lab-account": account()} if accounts is None else accounts,
        "instances": instances,
    }


def run(e, names=None, **kw):
    """The report as verify.yml builds it (its names unless names is given)."""
    return rr.build_report(
        e["model"],
        e["directory"],
        e["accounts"],
        e["instances"],
        command_aliases=ALIASES,
        ctx=rh.context(**(VERIFY_NAMES if names is None else names)),
        **kw,
    )


def only(report):
    assert len(report["users"]) == 1
    return report["users"][0]
