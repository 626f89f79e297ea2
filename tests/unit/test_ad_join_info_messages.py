"""ad_join_info names its own options in its messages, or a role's variables when the role
passes its prefix (var_prefix), never a role's by default."""

from pathlib import Path

import pytest
import yaml
from ansible_collections.federated.ssm_runas.plugins.module_utils import ad_join_info_main as main


class Failed(Exception):
    pass


class FakeModule:
    """adcli that finds no DC, or finds dc7 (whose clock the test sets)."""

    check_mode = False

    def __init__(self, var_prefix, adcli_out):
        self.params = dict(
            {k: v.get("default") for k, v in main.ARGUMENT_SPEC.items()},
            domain="corp.example.org",
            realm="CORP.EXAMPLE.ORG",
            var_prefix=var_prefix,
        )
        self.outputs = {"adcli": (1 if not adcli_out else 0, adcli_out)}

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


def test_clock_skew_names_the_max_clock_skew_option(monkeypatch):
    adcli = "[domain]\ndomain-controller = dc7.corp.example.org\n"
    asked = []
    monkeypatch.setattr(main, "rootdse_offset", lambda dc: asked.append(dc) or 900.4)
    with pytest.raises(Failed) as err:
        main.preflight(FakeModule("", adcli), {})
    assert asked == ["dc7.corp.example.org"]
    assert "by 900 s, more than max_clock_skew=300 s" in str(err.value)


class Exited(Exception):
    pass


class DebianHost(FakeModule):
    """A joined Debian 12 host where dpkg-query knows every package but krb5-user."""

    def __init__(self, package_sets):
        super().__init__("", "")
        role = Path(__file__).resolve().parents[2] / "roles" / "ad_join" / "vars" / "platforms"
        self.params.update(
            platforms={
                f.stem: yaml.safe_load(f.read_text())["__ad_join_platform_settings"]
                for f in role.glob("*.yml")
            },
            platform_facts={
                "os_family": "Debian",
                "distribution": "Debian",
                "distribution_major_version": "12",
            },
            package_sets=package_sets,
            realm="EXAMPLE.TEST",
            mkhomedir=False,
        )
        self.asked = []

    def run_command(self, argv):
        name = argv[0].rsplit("/", 1)[1]
        if name == "dpkg-query":
            packages = argv[4:]
            self.asked.append(packages)
            lines = [
                f"{p} {'not-installed' if p == 'krb5-user' else 'installed'}" for p in packages
            ]
            return 0, "\n".join(lines) + "\n", ""
        return 0, "example.test\n", ""  # realm list --name-only

    def exit_json(self, **result):
        raise Exited(result)


@pytest.mark.parametrize(
    ("package_sets", "missing"), [([], []), (["keytab_packages"], ["krb5-user"])]
)
def test_kinit_is_wanted_only_for_a_keytab_join(package_sets, missing):
    host = DebianHost(package_sets)
    with pytest.raises(Exited) as done:
        main.run(host)
    result = done.value.args[0]
    assert result["missing_packages"] == missing
    assert result["ready"] is (not missing)
    assert not {"samba-common-bin", "krb5-user"} & set(host.asked[0][: -len(missing) or None])
