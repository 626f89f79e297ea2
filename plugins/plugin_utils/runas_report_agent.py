# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the run-as report says when the SSM agent's own resolution of a user fails on an
instance: the agent's words, the step, and the fix (from runas_probe's replay, agent_resolve)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.federated.ssm_runas.plugins.module_utils.agent_resolve import (
    INVALID_GROUP,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_report_hop import (
    CONTEXT,
)

# The command behind each step of the replay, as the agent types it.
COMMANDS = {
    "exists": 'sh -c "id %s"',
    "uid": 'sh -c "id -u %s"',
    "gid": 'sh -c "id -g %s"',
    "groups": 'sh -c "id %s"',
}
SESSION_PREFIX = "Unable to start command: "


def failure_detail(host, agent):
    """One line: where the agent stops on host and what it says."""
    step = agent.get("step")
    where = COMMANDS.get(step)
    said = agent.get("error") or "?"
    if where:
        return '%s: %s -> "%s"' % (host, where % agent.get("name"), said)
    if step == "credentials":
        return '%s: uid %s gid %s -> "%s"' % (host, agent.get("uid"), agent.get("gid"), said)
    return '%s: "%s"' % (host, said)


def _split(value, host, agent):
    words = agent.get("words") or []
    return (
        'the tag value %r contains a space and the agent runs `sh -c "id %s"` unquoted, so '
        'on %s `id` gets %d names (%s) and the agent says "%s": run-as names cannot contain '
        "spaces; change the user's tag attribute in AD so that it has none"
        % (value, value, host, len(words), ", ".join(words), agent.get("error"))
    )


def _not_found(value, host, ident, model, ctx):
    message = (ident.get("stderr") or "no such user").strip()
    said = (
        'the agent refuses the session ("failed to start pty since RunAs user %s does not '
        'exist")' % value
    )
    if model["ldap_attribute"] == "sAMAccountName" and model["fully_qualified_names"]:
        return (
            "`id %s` fails on %s (%s) and %s: with ssm_runas.fully_qualified_names true SSSD "
            "resolves only %s@%s; set ssm_runas.fully_qualified_names: false or use "
            "ssm_runas.ldap_attribute: userPrincipalName"
            % (value, host, message, said, value, model["domain"])
        )
    return (
        "`id %s` fails on %s (%s) and %s: join %s to %s (%s) and check `sssctl user-checks %s`"
        % (value, host, message, said, host, model["realm"], ctx["instance_apply"], value)
    )


def _unnamed_group(value, host, agent, ctx):
    gid = agent.get("entry")
    words = {
        "value": value,
        "host": host,
        "gid": gid,
        "said": INVALID_GROUP,
        "apply": ctx["instance_apply"],
    }
    if str(agent.get("gid")) == gid:
        leave = (
            "- since GID %(gid)s is the user's primary group (primaryGroupID in AD) - set the "
            "user's primary group to one %(host)s names (Domain Users: primaryGroupID 513) and "
            "take the user out of the other group" % words
        )
    else:
        leave = "remove the user from that group in AD"
    return (
        "`id %(value)s` on %(host)s lists GID %(gid)s without a name, and the agent refuses any "
        'group entry without one ("%(said)s"): nothing on %(host)s names GID %(gid)s (`getent '
        "group %(gid)s` finds nothing) - for an AD group SSSD maps its SID to the GID but cannot "
        "read the group, typically because it lies outside SSSD's ldap_group_search_base or in a "
        "domain SSSD cannot read; for a local group /etc/group lacks it. Make the group "
        "resolvable on %(host)s (widen SSSD's group search base and %(apply)s, or move the "
        "group into it in AD), or %(leave)s; then run `sss_cache -E` on %(host)s and check that "
        "`id %(value)s` names every group" % dict(words, leave=leave)
    )


def _bad_name(agent, model):
    if agent.get("step") == "tag":
        return "%s: the agent never receives it; change the user's %s in AD" % (
            agent.get("error"),
            model["ldap_attribute"],
        )
    return 'the run-as name is empty and the agent says "%s": give the user a %s in AD' % (
        agent.get("error"),
        model["ldap_attribute"],
    )


def _root_ids(value, host, agent):
    return (
        '%s resolves to uid %s gid %s on %s and the agent refuses uid/gid 0 ("%s"): fix the '
        "user's uidNumber/gidNumber in AD or the local account that shadows it"
        % (value, agent.get("uid"), agent.get("gid"), host, agent.get("error"))
    )


def _inconsistent(value, host, agent, model):
    command = COMMANDS.get(agent.get("step"), "id %s") % value
    return (
        '`%s` failed on %s after `id %s` had found the user ("%s"): SSSD answered one call '
        "and not the next (offline, or its cache expiring); check `sssctl domain-status %s` and "
        "`journalctl -u sssd` there, then re-run"
        % (command, host, value, agent.get("error"), model["domain"])
    )


def _group_entry(value, host, agent, model, ctx):
    entry = agent.get("entry")
    if entry is None:
        return _inconsistent(value, host, agent, model)
    if agent.get("error") == INVALID_GROUP and entry.isdigit():
        return _unnamed_group(value, host, agent, ctx)
    return (
        'the agent cannot read the group entry %r of `id %s` on %s ("%s"): each entry must be '
        "<gid>(<name>); check the group names `id %s` prints there (a name with a comma splits "
        "in two) and rename the group" % (entry, value, host, agent.get("error"), value)
    )


def failure_fix(value, host, probe, model, ctx=None):
    """The fix for a failed replay (agent["ok"] false) of value on host."""
    ctx = ctx or CONTEXT
    agent = probe.get("agent") or {}
    step = agent.get("step")
    if step in ("tag", "name"):
        return _bad_name(agent, model)
    if len(agent.get("words") or []) > 1:
        return _split(value, host, agent)
    fixes = {
        "exists": lambda: _not_found(value, host, probe.get("id") or {}, model, ctx),
        "credentials": lambda: _root_ids(value, host, agent),
        "groups": lambda: _group_entry(value, host, agent, model, ctx),
    }
    return fixes.get(step, lambda: _inconsistent(value, host, agent, model))()
