"""The report's read-only collectors: AD over LDAP (fake connection) and AWS (fake clients)."""

import json

import pytest
from ansible_collections.federated.ssm_runas.plugins.modules import runas_directory_info as rd

pytest.importorskip("ldap3", reason="ldap3 is not installed: run `make setup`")

BASE = "DC=example,DC=test"
GROUPS = {
    "NetworkAdmins": "CN=NetworkAdmins,CN=Users," + BASE,
    "Help Desk": "CN=Help Desk,CN=Users," + BASE,
}
USERS = {
    "bob": {"upn": "bob@example.test", "uac": 512, "in": ["NetworkAdmins"]},
    "dave": {"upn": "dave@example.test", "uac": 514, "in": ["NetworkAdmins", "Help Desk"]},
    "carol": {"upn": "carol@example.test", "uac": 512, "in": []},
}


def entry(sam):
    data = USERS[sam]
    return {
        "type": "searchResEntry",
        "dn": f"CN={sam},CN=Users,{BASE}",
        "attributes": {
            "sAMAccountName": sam,
            "userPrincipalName": data["upn"],
            "mail": [],
            "userAccountControl": data["uac"],
        },
    }


class FakeConnection:
    """Answers the three filter shapes the module sends; records them."""

    def __init__(self):
        self.filters = []
        self.response = []

    def search(self, base, query, search_scope, attributes):
        assert base == BASE
        self.filters.append(query)
        self.response = []
        if query.startswith("(&(objectClass=group)"):
            for name, dn in GROUPS.items():
                if f"(sAMAccountName={rd.escape_filter_chars(name)})" in query:
                    self.response = [{"type": "searchResEntry", "dn": dn, "attributes": {}}]
        elif f":{rd.IN_CHAIN}:=" in query:
            group = next(n for n, dn in GROUPS.items() if rd.escape_filter_chars(dn) in query)
            self.response = [entry(s) for s, d in USERS.items() if group in d["in"]]
        else:
            self.response = [entry(s) for s in USERS if f"(sAMAccountName={s})" in query]
        self.response.append({"type": "searchResDone"})


def test_members_recursive_extra_users_and_missing_groups():
    conn = FakeConnection()
    groups, users = rd.collect(
        conn, BASE, ["NetworkAdmins", "Help Desk", "Ghosts"], ["carol", "dave", "zed"]
    )
    assert groups[2] == {"name": "Ghosts", "found": False}
    by_name = {u.get("sAMAccountName") or u["query"]: u for u in users}
    assert by_name["dave"]["groups"] == ["NetworkAdmins", "Help Desk"]
    assert by_name["dave"]["enabled"] is False and by_name["dave"]["requested"]
    assert by_name["bob"]["enabled"] is True and not by_name["bob"]["requested"]
    assert by_name["carol"]["groups"] == [] and by_name["carol"]["query"] == "carol"
    assert by_name["zed"] == {"query": "zed", "requested": True, "found": False, "groups": []}
    assert by_name["bob"]["mail"] is None
    assert sum(1 for u in users if u.get("sAMAccountName") == "dave") == 1
    # Nested membership is the server's job: LDAP_MATCHING_RULE_IN_CHAIN in the member search.
    assert any(":1.2.840.113556.1.4.1941:=" in f for f in conn.filters)


def test_filter_values_are_escaped():
    conn = FakeConnection()
    rd.collect(conn, BASE, ["Help Desk"], ["*)(uid=*"])
    assert "(sAMAccountName=\\2a\\29\\28uid=\\2a)" in conn.filters[-1]


# --------------------------------------------------------------------------- AWS read-back
aws = pytest.importorskip(
    "ansible_collections.federated.ssm_runas.plugins.modules.runas_aws_info",
    reason="amazon.aws is not installed: run `make setup`",
)


class FakeSSM:
    def __init__(self, versions, default):
        self.versions, self.default = versions, default
        self.asked = []

    def describe_document(self, Name, aws_retry):
        latest = str(len(self.versions))
        return {"Document": {"LatestVersion": latest, "DefaultVersion": self.default}}

    def get_document(self, Name, DocumentVersion, DocumentFormat, aws_retry):
        self.asked.append(DocumentVersion)
        inputs = self.versions[int(DocumentVersion) - 1]
        return {"Content": json.dumps({"schemaVersion": "1.0", "inputs": inputs})}


def test_preferences_read_both_default_and_latest_by_number():
    ssm = FakeSSM([{"runAsEnabled": False}, {"runAsEnabled": True}], default="1")
    got = aws.read_preferences(ssm, "SSM-SessionManagerRunShell")
    assert got["latest"] == {"runAsEnabled": True} and got["default"] == {"runAsEnabled": False}
    assert sorted(ssm.asked) == ["1", "2"]  # never "$DEFAULT" (moto cannot)


def test_same_default_and_latest_is_one_read():
    ssm = FakeSSM([{"runAsEnabled": True}], default="1")
    aws.read_preferences(ssm, "SSM-SessionManagerRunShell")
    assert ssm.asked == ["1"]


@pytest.mark.parametrize(
    "document",
    [
        {"Version": "2012-10-17"},
        "%7B%22Version%22%3A%222012-10-17%22%7D",
        '{"Version": "2012-10-17"}',
    ],
    ids=["decoded", "url-encoded", "json-text"],
)
def test_trust_policy_decoded_whatever_iam_returns(document):
    assert aws.as_policy(document) == {"Version": "2012-10-17"}
