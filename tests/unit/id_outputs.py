"""Real `id` outputs and a stand-in that answers argv with them (for agent_resolve and the
report). Sources: the example in the agent's getUserCredentials comment, SSSD issues, and `id`
on realm-joined lab instances (Debian 12: coreutils 9.1, SSSD 2.8.2; Debian 13: coreutils 9.7,
SSSD 2.10.1)."""

ID = "/usr/bin/id"
# The example output in getUserCredentials' own comment.
AGENT_COMMENT = (
    "uid=1873601143(ssm-user) gid=1873600513(domain users) groups=1873600513(domain users),"
    "1873601620(joiners),1873601125(aws delegated add workstations to domain users)\n"
)
# On a realm-joined lab instance (Debian 12 and 13 alike): `id bob@example.test`, ...
LAB_BOB = (
    "uid=1816401106(bob@example.test) gid=1816400513(domain users@example.test) "
    "groups=1816400513(domain users@example.test),1816401103(networkadmins@example.test)\n"
)
LAB_ALICE = (
    "uid=1816401107(alice@example.test) gid=1816400513(domain users@example.test) "
    "groups=1816400513(domain users@example.test),1816401104(sysadmins@example.test)\n"
)
# ... and frank, whose Contractors group lies outside SSSD's ldap_group_search_base: SSSD maps
# its SID (from tokenGroups) to a GID but cannot name it. As a plain member (seen until SSSD
# drops the group it could not read from its cache) ...
LAB_FRANK_MEMBER = (
    "uid=1816401115(frank@example.test) gid=1816400513(domain users@example.test) "
    "groups=1816400513(domain users@example.test),1816401114,"
    "1816401103(networkadmins@example.test)\n"
)
# ... and with Contractors as his primary group (primaryGroupID), as the lab seeds him.
LAB_FRANK = (
    "uid=1816401115(frank@example.test) gid=1816401114 "
    "groups=1816401114,1816401103(networkadmins@example.test),"
    "1816400513(domain users@example.test)\n"
)
# SSSD issue #6169: a group SSSD maps to a GID but cannot name; `id` prints the bare number.
SSSD_BARE = (
    "uid=2193058(user) gid=2193058(user) groups=2193058(user),2191525(app_cloudhpc_admins),"
    "2100513\n"
)
# SSSD issue #5389: the primary group is the one without a name.
SSSD_BARE_PRIMARY = "uid=50000(user1) gid=50000 groups=50000,51000(INTEGRATION)\n"
NO_SUCH = "id: '{0}': no such user\n"


class FakeId:
    """Answers argv with recorded id outputs; an argv it was not given is a test error."""

    def __init__(self, answers):
        self.answers = {tuple(argv): reply for argv, reply in answers.items()}
        self.calls = []

    def __call__(self, argv):
        self.calls.append(list(argv))
        return self.answers[tuple(argv)]


def ok(out):
    return 0, out, ""


def user(name, full, uid, gid):
    """The four commands the agent runs for one unsplit name, answered as id answers them."""
    return {
        (ID, name): ok(full),
        (ID, "-u", name): ok(f"{uid}\n"),
        (ID, "-g", name): ok(f"{gid}\n"),
    }
