"""Pure parts of the embedded lab tool: names, subnets and generated passwords."""

import importlib.util
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("lab_tool", REPO / "lab" / "lab.py")
lab_tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lab_tool)


def test_main_lab_has_a_fixed_subnet():
    assert lab_tool.subnet_for("lab") == "10.89.200.0/24"


@pytest.mark.parametrize("name", ["mol-linux", "mol-aws", "mol-lab", "bench", "x"])
def test_scenario_subnets_are_stable_private_and_not_the_main_labs(name):
    subnet = lab_tool.subnet_for(name)
    assert subnet == lab_tool.subnet_for(name)
    assert re.fullmatch(r"10\.89\.(\d+)\.0/24", subnet)
    third = int(subnet.split(".")[2])
    assert 128 <= third < 248
    assert subnet != lab_tool.subnet_for("lab")


@pytest.mark.parametrize("bad", ["Lab", "a_b", "", "x y", "../etc"])
def test_lab_names_are_validated(bad):
    with pytest.raises(SystemExit, match="--name"):
        lab_tool.Lab(bad)


def test_passwords_meet_ad_complexity_and_differ():
    seen = {lab_tool.password() for _n in range(50)}
    assert len(seen) == 50
    for pw in seen:
        assert re.search(r"[A-Z]", pw)
        assert re.search(r"[a-z]", pw)
        assert re.search(r"\d", pw)
        assert re.search(r"[^A-Za-z0-9]", pw)
        assert re.fullmatch(r"[A-Za-z0-9-]+", pw), "no characters that need shell quoting"


def test_free_subnet_keeps_the_preferred_one_when_free():
    assert lab_tool.free_subnet("10.89.161.0/24", {"10.89.200.0/24"}) == "10.89.161.0/24"


def test_free_subnet_moves_on_when_another_network_has_it():
    used = {"10.89.161.0/24", "10.89.162.0/24"}
    assert lab_tool.free_subnet("10.89.161.0/24", used) == "10.89.163.0/24"


def test_free_subnet_wraps_inside_the_lab_range():
    assert lab_tool.free_subnet("10.89.255.0/24", {"10.89.255.0/24"}) == "10.89.128.0/24"


def test_each_container_gets_its_own_apt_cache_seeded_from_the_pool(tmp_path, monkeypatch):
    monkeypatch.setattr(lab_tool, "CACHE_ROOT", tmp_path)
    pool = tmp_path / "apt" / "debian12"
    pool.mkdir(parents=True)
    (pool / "a.deb").write_text("a")
    first = lab_tool.seed_apt_cache("c1", "debian12")
    second = lab_tool.seed_apt_cache("c2", "debian12")
    assert first != second
    assert (first / "a.deb").samefile(pool / "a.deb")
    assert (first / "partial").is_dir()
    # What one container downloads reaches the pool for the next one.
    (first / "b.deb").write_text("b")
    lab_tool.harvest_apt_cache(first, pool)
    third = lab_tool.seed_apt_cache("c3", "debian12")
    assert sorted(p.name for p in third.glob("*.deb")) == ["a.deb", "b.deb"]
