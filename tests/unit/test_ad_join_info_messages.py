"""ad_join_info names its own options in its messages, or a role's variables when the role
passes its prefix (var_prefix), never a role's by default."""

import pytest
from ansible_collections.federated.ssm_runas.plugins.module_utils import ad_join_info_main as main


class Failed(Exception):
    pass


class FakeModule:
    """adcli that finds no DC, or net that reports a far-off clock."""

    check_mode = False

    def __init__(self, var_prefix, adcli_out, net_out=""):
        self.params = dict(
            {k: v.get("default") for k, v in main.ARGUMENT_SPEC.items()},
            domain="corp.example.org",
            realm="CORP.EXAMPLE.ORG",
            var_prefix=var_prefix,
        )
        self.outputs = {"adcli": (1 if not adcli_out else 0, adcli_out), "net": (0, net_out)}

    def get_bin_path(self, name, required=False):
        return "/usr/bin/" + name

    def run_command(self, argv):
        rc, out = self.outputs[argv[0].rsplit("/", 1)[1]]
        return rc, out, "no DC answered" if rc else ""

    def warn(self, _msg):
        pass

    def fail_json(self, msg, **_result):
        raise Failed(msg)


@pytest.mark.parametrize(("prefix", "named"), [("", "domain"), ("myjoin_", "myjoin_domain")])
def test_no_dc_names_the_domain_option(prefix, named):
    with pytest.raises(Failed) as err:
        main.preflight(FakeModule(prefix, ""), {})
    assert str(err.value).startswith(f"{named} 'corp.example.org': no domain controller found")
    assert f"or set {named} to the AD DNS domain" in str(err.value)
    assert "ad_join_" not in str(err.value)


def test_clock_skew_names_the_max_clock_skew_option():
    adcli = "[domain]\ndomain-controller = dc7.corp.example.org\n"
    net = "Server time: Thu, 03 Dec 2026 10:00:00 UTC\nServer time offset: 900\n"
    with pytest.raises(Failed) as err:
        main.preflight(FakeModule("", adcli, net), {})
    assert "by 900 s, more than max_clock_skew=300 s" in str(err.value)
