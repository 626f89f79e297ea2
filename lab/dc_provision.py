#!/usr/bin/env python3
"""Runs inside the lab's DC container: provisions the realm and the cast, idempotently.

Reads JSON on stdin (realm, netbios, forwarder, admin_password, groups with an optional OU,
users with their groups and optional primary group) so that no password ever appears in a
process's argv.
"""

import json
import os
import socket
import subprocess
import sys
import time

# Only inside the DC container (python3-samba); this file never runs on the controller.
import ldb
from samba.auth import system_session
from samba.dcerpc import security
from samba.ndr import ndr_unpack
from samba.param import LoadParm
from samba.samdb import SamDB

PRIVATE = "/var/lib/samba/private"


def run(*argv):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


def wait_port(port, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    sys.exit(f"dc_provision: port {port} not listening after {seconds}s")


def provision(cfg):
    if os.path.exists(f"{PRIVATE}/sam.ldb"):
        return
    for path in ("/etc/samba/smb.conf", "/etc/krb5.conf"):
        if os.path.exists(path):
            os.unlink(path)
    # No --adminpass: samba picks a random one; the real one is set below from stdin.
    run(
        "samba-tool",
        "domain",
        "provision",
        "--use-rfc2307",
        f"--realm={cfg['realm']}",
        f"--domain={cfg['netbios']}",
        "--server-role=dc",
        "--dns-backend=SAMBA_INTERNAL",
        "--host-name=dc1",
        f"--option=dns forwarder = {cfg['forwarder']}",
        "--option=vfs objects = dfs_samba4 acl_xattr xattr_tdb",
    )
    run("cp", f"{PRIVATE}/krb5.conf", "/etc/krb5.conf")


def ensure_running():
    active = subprocess.run(
        ["systemctl", "is-active", "samba-ad-dc"], check=False, capture_output=True, text=True
    ).stdout.strip()
    if active != "active":
        run("systemctl", "unmask", "samba-ad-dc")
        run("systemctl", "enable", "--now", "samba-ad-dc")
    for port in (53, 88, 389):
        wait_port(port)


def exists(samdb, dn):
    try:
        return len(samdb.search(dn, scope=ldb.SCOPE_BASE, attrs=[])) == 1
    except ldb.LdbError:
        return False


def cast(cfg):
    lp = LoadParm()
    lp.load_default()
    samdb = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
    base = samdb.domain_dn()

    def find(name):
        res = samdb.search(
            base,
            scope=ldb.SCOPE_SUBTREE,
            expression=f"(sAMAccountName={ldb.binary_encode(name)})",
            attrs=["member", "userPrincipalName", "objectSid", "primaryGroupID"],
        )
        return res[0] if len(res) else None

    def rid(group):
        sid = ndr_unpack(security.dom_sid, group["objectSid"][0])
        return int(str(sid).rsplit("-", 1)[1])

    def primary_rid(entry):
        return int(str(entry.get("primaryGroupID", [b"513"])[0]))

    samdb.setpassword("(sAMAccountName=Administrator)", cfg["admin_password"])
    for group in cfg["groups"]:
        ou = group.get("ou")
        if ou and not exists(samdb, f"{ou},{base}"):
            samdb.create_ou(f"{ou},{base}")
        if find(group["name"]) is None:
            samdb.newgroup(group["name"], groupou=ou)
    for user in cfg["users"]:
        if find(user["name"]) is None:
            samdb.newuser(user["name"], user["password"], useusernameascn=True)
        else:
            samdb.setpassword(
                f"(sAMAccountName={ldb.binary_encode(user['name'])})", user["password"]
            )
        entry = find(user["name"])
        if str(entry.get("userPrincipalName", [b""])[0]) != user["upn"]:
            msg = ldb.Message(entry.dn)
            msg["userPrincipalName"] = ldb.MessageElement(
                user["upn"], ldb.FLAG_MOD_REPLACE, "userPrincipalName"
            )
            samdb.modify(msg)
        for group in user["groups"]:
            found = find(group)
            members = {str(m).lower() for m in found.get("member", [])}
            # A primary group's membership is implicit: AD takes it out of "member".
            if str(entry.dn).lower() not in members and rid(found) != primary_rid(entry):
                samdb.add_remove_group_members(group, [user["name"]], add_members_operation=True)
        primary = user.get("primary_group")
        if primary and rid(find(primary)) != primary_rid(entry):
            msg = ldb.Message(entry.dn)
            msg["primaryGroupID"] = ldb.MessageElement(
                str(rid(find(primary))), ldb.FLAG_MOD_REPLACE, "primaryGroupID"
            )
            samdb.modify(msg)


def main():
    cfg = json.load(sys.stdin)
    provision(cfg)
    ensure_running()
    cast(cfg)


if __name__ == "__main__":
    main()
