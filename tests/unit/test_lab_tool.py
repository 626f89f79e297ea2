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
