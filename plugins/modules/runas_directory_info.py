#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: federated.ssm_runas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: runas_directory_info
short_description: List the AD users of the Session Manager run-as groups over LDAP
version_added: 0.1.0
author:
  - federated.ssm_runas maintainers (@federated)
description:
  - Looks up the run-as groups in Active Directory and lists their users, including members
    of nested groups (C(LDAP_MATCHING_RULE_IN_CHAIN), C(1.2.840.113556.1.4.1941)), with the
    attributes an ADFS claim rule can send as the run-as tag (C(userPrincipalName),
    C(sAMAccountName), C(mail)) and whether the account is enabled.
  - Also looks up users asked for by name (O(extra_users)), whether or not they are in a
    run-as group, so a report can say why they cannot use run-as.
  - One search per group plus one for the extra users. Read-only.
  - Runs where the C(ldap3) Python library is installed, normally the controller
    (a play on C(localhost), or C(delegate_to) localhost).
requirements:
  - ldap3
options:
  server:
    description: Host name or IP address of a domain controller.
    type: str
    required: true
  port:
    description: LDAP port; 636 for LDAPS, 389 with O(start_tls).
    type: int
    default: 636
  use_ssl:
    description: Connect with LDAPS. AD refuses simple binds without TLS by default.
    type: bool
    default: true
  start_tls:
    description:
      - Upgrade a plain connection with StartTLS (use with O(use_ssl=false), port 389).
      - O(use_ssl) and O(start_tls) cannot both be true.
    type: bool
    default: false
  validate_certs:
    description: Verify the domain controller's certificate.
    type: bool
    default: true
  ca_file:
    description: CA bundle that signed the domain controller's certificate.
    type: path
  bind_user:
    description: User to bind as, as a UPN (C(reader@example.test)) or a DN.
    type: str
    required: true
  bind_password:
    description: Password of O(bind_user).
    type: str
    required: true
  base_dn:
    description: Search base, for example C(DC=example,DC=test).
    type: str
    required: true
  groups:
    description: Names (C(sAMAccountName)) of the run-as groups.
    type: list
    elements: str
    required: true
  extra_users:
    description: Users to report on by C(sAMAccountName) or C(userPrincipalName).
    type: list
    elements: str
    default: []
  timeout:
    description: Seconds to wait for the connection and each answer.
    type: int
    default: 15
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - federated.ssm_runas.attributes.info
notes:
  - Put O(bind_password) in a vault and set C(no_log) on the task; the module never returns it.
"""

EXAMPLES = r"""
- name: Users of the run-as groups are read from AD
  federated.ssm_runas.runas_directory_info:
    server: dc1.example.test
    bind_user: reader@example.test
    bind_password: "{{ vault_reader_password }}"
    base_dn: DC=example,DC=test
    groups: [NetworkAdmins, SysAdmins]
    extra_users: [carol]
  delegate_to: localhost
  no_log: true
  register: runas_directory
"""

RETURN = r"""
base_dn:
  description: The search base used.
  returned: always
  type: str
  sample: DC=example,DC=test
groups:
  description: One entry per requested group.
  returned: always
  type: list
  elements: dict
  sample: [{name: NetworkAdmins, found: true, dn: "CN=NetworkAdmins,CN=Users,DC=example,DC=test"}]
users:
  description: Users of the run-as groups and the extra users, once each.
  returned: always
  type: list
  elements: dict
  contains:
    query:
      description: The O(extra_users) entry that found this user, or null.
      type: str
    requested:
      description: Whether the user was named in O(extra_users).
      type: bool
    found:
      description: False for an O(extra_users) entry that matched nobody.
      type: bool
    dn:
      description: Distinguished name.
      type: str
    sAMAccountName:
      description: Pre-Windows 2000 logon name.
      type: str
    userPrincipalName:
      description: UPN as stored (letter case kept).
      type: str
    mail:
      description: E-mail address.
      type: str
    enabled:
      description: False when C(userAccountControl) has ACCOUNTDISABLE.
      type: bool
    groups:
      description: The requested groups the user is in, directly or through nested groups.
      type: list
      elements: str
"""

import traceback  # noqa: E402 - ansible-test wants the docs before imports

from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # noqa: E402

try:
    import ssl

    from ldap3 import SUBTREE, Connection, Server, Tls
    from ldap3.utils.conv import escape_filter_chars

    HAS_LDAP3 = True
    LDAP3_IMPORT_ERROR = None
except ImportError:
    HAS_LDAP3 = False
    LDAP3_IMPORT_ERROR = traceback.format_exc()

IN_CHAIN = "1.2.840.113556.1.4.1941"
USER_ATTRS = ["sAMAccountName", "userPrincipalName", "mail", "userAccountControl"]
ACCOUNTDISABLE = 2


def _first(entry, name):
    value = entry["attributes"].get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return value if value not in ("", None) else None


def user_record(entry):
    uac = _first(entry, "userAccountControl")
    return {
        "dn": entry["dn"],
        "sAMAccountName": _first(entry, "sAMAccountName"),
        "userPrincipalName": _first(entry, "userPrincipalName"),
        "mail": _first(entry, "mail"),
        "enabled": None if uac is None else not int(uac) & ACCOUNTDISABLE,
        "groups": [],
        "requested": False,
        "query": None,
        "found": True,
    }


def search(conn, base, query, attrs):
    conn.search(base, query, search_scope=SUBTREE, attributes=attrs)
    return [e for e in conn.response if e.get("type") == "searchResEntry"]


def collect(conn, base, groups, extra_users):
    """Pure orchestration over an ldap3-like connection: groups, members, extra users."""
    users = {}
    group_out = []
    for name in dict.fromkeys(groups):
        esc = escape_filter_chars(name)
        found = search(
            conn,
            base,
            "(&(objectClass=group)(|(sAMAccountName=%s)(cn=%s)))" % (esc, esc),
            ["sAMAccountName"],
        )
        if not found:
            group_out.append({"name": name, "found": False})
            continue
        dn = found[0]["dn"]
        group_out.append({"name": name, "found": True, "dn": dn})
        members = search(
            conn,
            base,
            "(&(objectCategory=person)(objectClass=user)(memberOf:%s:=%s))"
            % (IN_CHAIN, escape_filter_chars(dn)),
            USER_ATTRS,
        )
        for entry in members:
            record = users.setdefault(entry["dn"].lower(), user_record(entry))
            if name not in record["groups"]:
                record["groups"].append(name)
    missing = []
    for query in dict.fromkeys(extra_users):
        esc = escape_filter_chars(query)
        found = search(
            conn,
            base,
            "(&(objectCategory=person)(objectClass=user)(|(sAMAccountName=%s)"
            "(userPrincipalName=%s)))" % (esc, esc),
            USER_ATTRS,
        )
        if not found:
            missing.append({"query": query, "requested": True, "found": False, "groups": []})
            continue
        record = users.setdefault(found[0]["dn"].lower(), user_record(found[0]))
        record["requested"] = True
        record["query"] = query
    return group_out, list(users.values()) + missing


def connect(params):
    tls = None
    if params["use_ssl"] or params["start_tls"]:
        tls = Tls(
            validate=ssl.CERT_REQUIRED if params["validate_certs"] else ssl.CERT_NONE,
            ca_certs_file=params["ca_file"],
        )
    server = Server(
        params["server"],
        port=params["port"],
        use_ssl=params["use_ssl"],
        tls=tls,
        connect_timeout=params["timeout"],
    )
    conn = Connection(
        server,
        user=params["bind_user"],
        password=params["bind_password"],
        receive_timeout=params["timeout"],
        raise_exceptions=True,
        read_only=True,
    )
    conn.open()
    if params["start_tls"]:
        conn.start_tls()
    conn.bind()
    return conn


def main():
    module = AnsibleModule(
        argument_spec=dict(
            server=dict(type="str", required=True),
            port=dict(type="int", default=636),
            use_ssl=dict(type="bool", default=True),
            start_tls=dict(type="bool", default=False),
            validate_certs=dict(type="bool", default=True),
            ca_file=dict(type="path"),
            bind_user=dict(type="str", required=True),
            bind_password=dict(type="str", required=True, no_log=True),
            base_dn=dict(type="str", required=True),
            groups=dict(type="list", elements="str", required=True),
            extra_users=dict(type="list", elements="str", default=[]),
            timeout=dict(type="int", default=15),
        ),
        supports_check_mode=True,
    )
    if not HAS_LDAP3:
        module.fail_json(msg=missing_required_lib("ldap3"), exception=LDAP3_IMPORT_ERROR)
    params = module.params
    if params["use_ssl"] and params["start_tls"]:
        module.fail_json(
            msg="use_ssl and start_tls are both true: choose LDAPS (use_ssl, port "
            "636) or StartTLS (start_tls, use_ssl false, port 389)"
        )
    try:
        conn = connect(params)
    except Exception as exc:  # ldap3 raises many unrelated exception types
        module.fail_json(
            msg="LDAP bind to %s:%s as %s failed: %s. Check the server, the bind user and "
            "password, and TLS (validate_certs, ca_file)"
            % (params["server"], params["port"], params["bind_user"], exc)
        )
    try:
        groups, users = collect(conn, params["base_dn"], params["groups"], params["extra_users"])
    except Exception as exc:
        module.fail_json(
            msg="LDAP search under %s failed: %s; check base_dn" % (params["base_dn"], exc)
        )
    finally:
        conn.unbind()
    module.exit_json(changed=False, base_dn=params["base_dn"], groups=groups, users=users)


if __name__ == "__main__":
    main()
