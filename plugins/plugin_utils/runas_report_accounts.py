# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The instance lines of the run-as report, one set per instance rather than per user: what a
session without a run-as tag gets, the automation account, the agent's own ssm-user, and
whether the instance enrolled itself at launch.

All judged from what runas_probe saw there; a host that was not probed leaves its lines
unknown, never passed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.federated.ssm_runas.plugins.module_utils.enrol_state import (
    CONVERGED,
    ENROL_SERVICE,
    ENROL_STATE,
    FAILED,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.ssm_agent import HOME_ROOT
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import (
    runas_report_agent as agent_side,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_accounts import (
    DEFAULT_USER,
    REFUSED,
    automation_rules,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_report_hop import (
    CONTEXT,
    FAIL,
    PASS,
    UNKNOWN,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_schema import (
    UNTAGGED_SESSION_USER,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.sudo_list import (
    describe_entry,
    describe_rule,
    extra_sudo_entries,
    missing_sudo_rules,
    parse_sudo_list,
)

CHECKS = (
    ("untagged", "untagged sessions"),
    ("automation", "automation account"),
    ("agent_user", "agent's own account"),
    ("enrolment", "enrolment at launch"),
)
CHECK_TITLES = dict(CHECKS)
DEFAULT_USER_PATH = "ssm_runas.aws.session_preferences.run_as_default_user"


def check(name, status, detail="", fix=""):
    return {
        "check": name,
        "title": CHECK_TITLES[name],
        "status": status,
        "detail": detail,
        "fix": fix,
    }


def default_user(model):
    return ((model.get("aws") or {}).get("session_preferences") or {}).get("run_as_default_user")


def local_names(model):
    """Names the instances are probed for besides the tags: the default user, the automation
    account."""
    automation = model.get("automation") or {}
    return [n for n in (default_user(model), automation.get("user")) if n]


def _may(probe):
    """What sudo -l shows for a probed name, one entry per command ("may not run sudo")."""
    sudo = probe.get("sudo") or {}
    entries = parse_sudo_list(sudo.get("stdout") or "")
    shown = [describe_entry(e, c) for e in entries for c in e["commands"]]
    return "may run " + "; ".join(shown) if shown else "may not run sudo"


def _not_probed(name, host, what, ctx):
    return check(
        name,
        UNKNOWN,
        "%s: %s was not probed" % (host, what),
        "what %s gets on %s is unknown: the probe did not look up %s; probe every name in "
        "the model (%s) and re-run" % (CHECK_TITLES[name], host, what, ctx["instance_group"]),
    )


def check_untagged(host, names, model, ctx):
    user = default_user(model)
    mode = model.get("untagged_sessions") or REFUSED
    if not user:
        return check(
            "untagged",
            UNKNOWN,
            "%s: the model names no default user" % host,
            "%s is not set, so the preferences keep whatever they hold: set it (its default "
            "resolves nowhere) and %s" % (DEFAULT_USER_PATH, ctx["aws_apply"]),
        )
    probe = names.get(user)
    if probe is None:
        return _not_probed("untagged", host, user, ctx)
    ident = probe.get("id") or {}
    if mode == DEFAULT_USER:
        if not ident.get("ok"):
            return check(
                "untagged",
                FAIL,
                "%s: default user %s does not resolve" % (host, user),
                "untagged sessions are meant to run as %s (ssm_runas.untagged_sessions: %s), "
                "but `id %s` fails on %s, so the agent refuses them: create the account there, "
                "or set ssm_runas.untagged_sessions: %s"
                % (user, DEFAULT_USER, user, host, REFUSED),
            )
        return check(
            "untagged",
            PASS,
            "%s: untagged sessions run as %s (uid %s), on purpose; it %s"
            % (host, user, ident.get("uid"), _may(probe)),
        )
    if ident.get("ok"):
        rename = (
            ""
            if user == UNTAGGED_SESSION_USER
            else ", or set %s to a name no instance resolves (leave it out: the default does)"
            % DEFAULT_USER_PATH
        )
        return check(
            "untagged",
            FAIL,
            "%s: default user %s resolves (uid %s) and %s"
            % (host, user, ident.get("uid"), _may(probe)),
            "any principal that may start a session without a run-as tag gets a shell as %s on "
            "%s: remove the account %s there%s; if %s is a real account on purpose, set "
            "ssm_runas.untagged_sessions: %s" % (user, host, user, rename, user, DEFAULT_USER),
        )
    return check(
        "untagged",
        PASS,
        "%s: untagged sessions are refused (default user %s does not resolve)" % (host, user),
    )


def _automation_sudo(host, user, probe, rules):
    sudo = probe.get("sudo")
    if sudo is None:
        return check(
            "automation",
            UNKNOWN,
            "%s: sudo -l was not run for %s" % (host, user),
            "whether %s has exactly its declared rights on %s is unknown: probe with sudo "
            "enabled and re-run" % (user, host),
        )
    entries = parse_sudo_list(sudo.get("stdout") or "")
    missing = missing_sudo_rules(entries, rules, {})
    extra = extra_sudo_entries(entries, rules, {})
    if missing:
        return check(
            "automation",
            FAIL,
            "%s: %s lacks %s" % (host, user, "; ".join(describe_rule(m, {}) for m in missing)),
            "`sudo -l -U %s` on %s does not show what ssm_runas.automation.sudo gives it, so "
            "Ansible's become fails there" % (user, host),
        )
    if extra:
        return check(
            "automation",
            FAIL,
            "%s: %s may also run %s" % (host, user, "; ".join(extra)),
            "%s has more sudo rights on %s than ssm_runas.automation.sudo gives it: remove the "
            "rules that grant them (`sudo -l -U %s`; look in /etc/sudoers.d and in the groups "
            "of `id %s`)" % (user, host, user, user),
        )
    return None


def _automation_account(host, user, probe, model, ctx):
    """The account resolves, not to uid/gid 0, with its home where the agent puts HOME."""
    ident = probe.get("id") or {}
    create = (
        "%s on %s before run-as is switched on: Ansible over Session Manager is refused there "
        "until it exists" % (ctx["accounts_apply"], host)
    )
    if not ident.get("ok"):
        return check("automation", FAIL, "%s: %s does not exist" % (host, user), create)
    agent = probe.get("agent")
    if agent is not None and not agent.get("ok"):
        return check(
            "automation",
            FAIL,
            agent_side.failure_detail(host, agent),
            "the agent refuses Ansible's sessions as %s on %s: %s"
            % (user, host, agent_side.failure_fix(user, host, probe, model, ctx)),
        )
    if ident.get("uid") == 0 or ident.get("gid") == 0:
        return check(
            "automation",
            FAIL,
            "%s: %s has uid %s gid %s" % (host, user, ident.get("uid"), ident.get("gid")),
            "the agent refuses uid/gid 0: give %s on %s its own uid and group" % (user, host),
        )
    home = probe.get("home") or {}
    path = "%s/%s" % (HOME_ROOT, user)
    if not (home.get("exists") and home.get("is_dir") and home.get("uid") == ident.get("uid")):
        return check(
            "automation",
            FAIL,
            "%s: %s is missing or not %s's" % (host, path, user),
            "the agent sets HOME=%s and creates nothing (no PAM): %s" % (path, create),
        )
    return None


def check_automation(host, names, model, ctx):
    automation = model.get("automation")
    if not automation:
        return None
    user = automation["user"]
    probe = names.get(user)
    if probe is None:
        return _not_probed("automation", host, user, ctx)
    failed = _automation_account(host, user, probe, model, ctx) or _automation_sudo(
        host, user, probe, automation_rules(automation)
    )
    if failed:
        return failed
    return check(
        "automation",
        PASS,
        "%s: %s uid %s, home %s/%s, %s as declared"
        % (host, user, probe["id"].get("uid"), HOME_ROOT, user, _may(probe)),
    )


def check_agent_user(host, agent):
    """Informational: ssm-user is used only while run-as is off, or when it is the default user
    (the untagged line judges that)."""
    if not agent:
        return None
    name = agent.get("name") or "ssm-user"
    rules = (agent.get("sudoers_file") or {}).get("rules") or []
    listed = " (%s: %s)" % (agent["sudoers_file"]["path"], "; ".join(rules)) if rules else ""
    if not (agent.get("id") or {}).get("ok"):
        detail = "%s: %s does not exist%s" % (host, name, listed)
    else:
        detail = "%s: %s exists (uid %s) and %s%s; sessions use it only while run-as is off" % (
            host,
            name,
            agent["id"].get("uid"),
            _may(agent),
            listed,
        )
    return check("agent_user", PASS, detail)


def _bundle(state):
    return "bundle %s (%s)" % ((state.get("bundle_sha256") or "?")[:12], state.get("bundle_key"))


def check_enrolment(host, enrolment):
    """Informational while the instance's own enrolment at launch converged, or when it has none;
    red when its last attempt failed."""
    if enrolment is None:
        return check(
            "enrolment",
            UNKNOWN,
            "%s: the enrolment state was not read" % host,
            "whether %s enrolled itself at launch is unknown: the probe there did not read %s "
            "(an older runas_probe); update the collection and re-run" % (host, ENROL_STATE),
        )
    path = enrolment.get("path") or ENROL_STATE
    if not enrolment.get("exists"):
        return check(
            "enrolment", PASS, "%s: configured from the controller (no enrolment at launch)" % host
        )
    state = enrolment.get("state") or {}
    result = state.get("result")
    if enrolment.get("error") or result not in (CONVERGED, FAILED):
        error = enrolment.get("error") or "result %r" % result
        return check(
            "enrolment",
            UNKNOWN,
            "%s: enrolment state %s not usable: %s" % (host, path, error),
            "whether %s enrolled itself at launch is unknown: %s there is not the state "
            "%s.service writes (%s); check the file and `journalctl -u %s` on %s, and re-run"
            % (host, path, ENROL_SERVICE, error, ENROL_SERVICE, host),
        )
    if result == CONVERGED:
        return check(
            "enrolment",
            PASS,
            "%s: enrolled itself at %s from %s" % (host, state.get("enrolled_at"), _bundle(state)),
        )
    last = "; last enrolled itself at %s" % state["enrolled_at"] if state.get("enrolled_at") else ""
    return check(
        "enrolment",
        FAIL,
        "%s: enrolment at launch failed at %s with %s: %s%s"
        % (host, state.get("last_attempt_at"), _bundle(state), state.get("reason"), last),
        "%s could not configure itself at launch (%s): see `journalctl -u %s` on the instance; "
        "the service retries with backoff; `systemctl start %s` runs it again"
        % (host, state.get("reason"), ENROL_SERVICE, ENROL_SERVICE),
    )


def instance_checks(model, instances, ctx=None):
    """[{host, status, checks}] for every instance, in host order."""
    ctx = ctx or CONTEXT
    out = []
    for host in sorted(instances):
        facts = instances[host]
        if facts.get("error"):
            checks = [
                check(
                    name,
                    UNKNOWN,
                    "%s: not probed (%s)" % (host, facts["error"]),
                    "what %s gets on %s is unknown: fix the connection to the instance and "
                    "re-run" % (CHECK_TITLES[name], host),
                )
                for name in ("untagged", "automation")
                if name != "automation" or model.get("automation")
            ]
        else:
            names = facts.get("names") or {}
            checks = [
                check_untagged(host, names, model, ctx),
                check_automation(host, names, model, ctx),
                check_agent_user(host, facts.get("agent_user")),
                check_enrolment(host, facts.get("enrolment")),
            ]
            checks = [c for c in checks if c]
        statuses = {c["status"] for c in checks}
        status = FAIL if FAIL in statuses else UNKNOWN if UNKNOWN in statuses else PASS
        out.append({"host": host, "status": status, "checks": checks})
    return out
