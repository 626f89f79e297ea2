"""The lab's DC is a real AD DC that a fresh instance finds by DNS and CLDAP."""


def test_realm_discovery_finds_the_dc(host, lab):
    out = host.check_output(f"realm discover {lab['domain']}")
    assert out.splitlines()[0] == lab["domain"]
    assert "server-software: active-directory" in out
    assert "configured: no" in out


def test_dc_resolves_by_srv_record(host, lab):
    # getent has no SRV lookups; the host lookup proves the DC is the instance's resolver.
    out = host.check_output(f"getent hosts dc1.{lab['domain']}")
    assert out.split()[0] == lab["dc_ip"]


def test_instance_runs_systemd(host):
    assert host.check_output("systemctl is-system-running || true") in ("running", "degraded")
