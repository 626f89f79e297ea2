"""A value the data model accepts is accepted by every side that uses it.

Models are generated with odd names (spaces, punctuation, non-ASCII letters, sudo commands
that sudoers refuses). Whenever ``runas_model.check`` accepts one, each side gets the inputs
its role hands it — through the role's own mapping in ``roles/*/vars/main.yml`` — and must
accept them: the AWS plan, the ADFS rule builder, the sudoers checks, the homes module's group
names, and the report's tag derivation.
"""

from pathlib import Path

import yaml
from ansible_collections.federated.ssm_runas.plugins.action.adfs_claim_rules import (
    ARGUMENT_SPEC,
    build_rules,
)
from ansible_collections.federated.ssm_runas.plugins.filter.aws_federation_plan import (
    aws_federation_plan,
)
from ansible_collections.federated.ssm_runas.plugins.filter.runas_model import runas_role_inputs
from ansible_collections.federated.ssm_runas.plugins.filter.runas_report import runas_report
from ansible_collections.federated.ssm_runas.plugins.filter.sudoers_errors import sudoers_errors
from ansible_collections.federated.ssm_runas.plugins.module_utils.ad_homes import qualify
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_model import (
    ModelError,
    check,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]
METADATA = (REPO / "tests/integration/iam_eval/adfs-metadata.xml").read_text()
UNSET = "\0unset"

SAFE_NAME = "abcXYZéßж019 ._-'&$"
ODD_NAME = SAFE_NAME + '/,@%#!()\\"*:;+=\t'
SAFE_TAG = "abcXYZéж019_.:/=+-@"
ODD_TAG = SAFE_TAG + ' \\"*#'


def mostly(good, odd):
    """Values that are mostly plausible, sometimes odd, so both outcomes are common."""
    return st.sampled_from([True] * 7 + [False]).flatmap(lambda fine: good if fine else odd)


def role_mapping(role):
    """The role's own model mapping, read from its vars/main.yml (no Jinja in these entries)."""
    data = yaml.safe_load((REPO / "roles" / role / "vars" / "main.yml").read_text())
    mapping = data[f"__{role}_from_model"]
    return {
        key: {k: v for k, v in how.items() if k != "default" or "{{" not in str(v)}
        for key, how in mapping.items()
    }


def inputs(role, model):
    mapping = role_mapping(role)
    return runas_role_inputs(model, mapping, [UNSET] * len(mapping), UNSET)


@st.composite
def models(draw):
    text = mostly(
        st.text(alphabet=SAFE_NAME, min_size=1, max_size=16),
        st.text(alphabet=ODD_NAME, min_size=1, max_size=16),
    )
    groups = []
    for name in draw(st.lists(text, min_size=1, max_size=3, unique_by=str.lower)):
        group = {"name": name}
        if draw(st.booleans()):
            group["sudo"] = {
                "runas": draw(
                    mostly(
                        st.sampled_from(["ALL", "ALL:ALL", "root"]),
                        st.sampled_from(["bob@x", "a:b:c", "%x"]),
                    )
                ),
                "nopasswd": draw(st.booleans()),
                "commands": draw(
                    st.lists(
                        mostly(
                            st.sampled_from(
                                [
                                    "ALL",
                                    "ip",
                                    "NW_CMDS",
                                    "/usr/bin/systemctl status x",
                                    "sudoedit /etc/hosts",
                                    "/bin/echo a,b",
                                ]
                            ),
                            st.sampled_from(["/usr/bin/*", "rm;reboot", "ALIAS_X"]) | text,
                        ),
                        min_size=1,
                        max_size=3,
                    )
                ),
            }
        groups.append(group)
    tag_key = draw(
        mostly(
            st.text(alphabet=SAFE_TAG, min_size=1, max_size=12),
            st.sampled_from(["Roles", "aws:RunAs", "NameId"])
            | st.text(alphabet=ODD_TAG, min_size=1, max_size=12),
        )
    )
    model = {
        "realm": draw(
            mostly(
                st.sampled_from(["CORP.EXAMPLE.ORG", "example.test", "Ad-1.Corp.Example"]),
                st.sampled_from(["bad realm", "x", "a..b", "-a.b"]),
            )
        ),
        "tag_key": tag_key,
        "ldap_attribute": draw(st.sampled_from(["userPrincipalName", "sAMAccountName", "mail"])),
        "command_aliases": {"NW_CMDS": ["ip", "ss"]},
        "groups": groups,
        "aws": {
            "account_id": "210987654321",
            "federation_roles": [
                {"name": draw(mostly(st.sampled_from(["Run-As", "x@y"]), st.just("a b")))}
            ],
            "saml_provider": draw(
                mostly(st.sampled_from(["ADFS", "Corp.IdP_1"]), st.just("AD FS"))
            ),
        },
        "adfs": {
            "mode": "export",
            "relying_party": draw(
                mostly(st.sampled_from(["Amazon Web Services", "AWS (prod)"]), st.just("AWS*"))
            ),
        },
    }
    if model["ldap_attribute"] != "userPrincipalName":
        model["fully_qualified_names"] = draw(st.booleans())
    return model


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_every_side_accepts_what_the_model_accepts(model):
    try:
        checked = check(model)
    except ModelError:
        return

    aws = inputs("aws_federation", model)
    plan = dict(aws, state="present", saml_metadata=METADATA)
    plan.pop("region")
    aws_federation_plan(plan, var_prefix="aws_federation_")

    adfs = inputs("adfs_claims", model)
    args = {key: spec.get("default") for key, spec in ARGUMENT_SPEC.items()}
    args.update(adfs, state="present", var_prefix="adfs_claims_")
    build_rules(args)

    sudo = inputs("ad_sudoers", model)
    assert (
        sudoers_errors(
            sudo["rules"], sudo["command_aliases"], sudo["domain"], sudo["fully_qualified"]
        )
        == []
    )

    directory = {
        "users": [
            {
                "name": f"u{index}",
                "userPrincipalName": f"u{index}@{checked['upn_suffix']}",
                "sAMAccountName": f"u{index}",
                "mail": f"u{index}@mail.example",
                "groups": [group["name"]],
                "found": True,
            }
            for index, group in enumerate(checked["groups"])
        ]
    }
    report = runas_report(directory, model)
    assert {row["user"] for row in report["users"]} == {u["name"] for u in directory["users"]}

    join = inputs("ad_join", model)
    assert join["realm"] == checked["realm"]
    for group in join["home_groups"]:
        qualify(group, join["domain"], join["fully_qualified_names"])


def test_the_generator_reaches_both_outcomes():
    """Guard against a generator that only ever produces refused (or accepted) models."""
    outcomes = set()

    @settings(max_examples=200, deadline=None)
    @given(models())
    def probe(model):
        try:
            check(model)
            outcomes.add("accepted")
        except ModelError:
            outcomes.add("refused")

    probe()
    assert outcomes == {"accepted", "refused"}
