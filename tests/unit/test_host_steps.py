"""host_steps: modules run as steps of one call behave as they do as tasks of their own."""

import pytest
from ansible_collections.federated.ssm_runas.plugins.module_utils import ad_join_info_main
from ansible_collections.federated.ssm_runas.plugins.module_utils.host_steps import run_steps


class Parent:
    """The real AnsibleModule's part a step reaches through the stand-in."""

    def __init__(self, commands=None, check_mode=False):
        self.check_mode = check_mode
        self._diff = True
        self.commands = commands or {}
        self.ran = []
        self.warnings = []

    def warn(self, text):
        self.warnings.append(text)

    def get_bin_path(self, name, required=False):
        return "/usr/bin/" + name if name in self.commands else None

    def run_command(self, argv):
        self.ran.append(argv)
        return self.commands[argv[0].rsplit("/", 1)[-1]](argv)


def recorder(log, result):
    def run(module):
        log.append(dict(module.params))
        if result.get("failed"):
            module.fail_json(msg=result["msg"])
        module.exit_json(**result)

    return run


SPEC = {"path": {"type": "str", "required": True}, "mode": {"type": "str", "default": "0440"}}


def test_steps_run_in_order_with_their_own_validated_arguments():
    log = []
    registry = {
        "a": (SPEC, recorder(log, {"changed": False, "x": 1})),
        "b": (SPEC, recorder(log, {"changed": True, "diff": {"before": "", "after": "y"}})),
    }
    out = run_steps(
        Parent(),
        [
            {"module": "a", "args": {"path": "/p"}},
            {"module": "b", "name": "second", "args": {"path": "/q", "mode": "0400"}},
        ],
        registry,
    )
    assert log == [{"path": "/p", "mode": "0440"}, {"path": "/q", "mode": "0400"}]
    assert out["changed"] is True and out["failed"] is False and out["stopped"] is None
    assert out["steps"] == {"a": {"changed": False, "x": 1}, "second": {"changed": True}}
    assert out["diff"] == [{"before": "", "after": "y"}]


def test_a_failing_step_ends_the_run_with_its_message():
    log = []
    registry = {
        "a": (SPEC, recorder(log, {"failed": True, "msg": "visudo said no"})),
        "b": (SPEC, recorder(log, {"changed": True})),
    }
    out = run_steps(
        Parent(),
        [{"module": "a", "args": {"path": "/p"}}, {"module": "b", "args": {"path": "/q"}}],
        registry,
    )
    assert out["failed"] and out["msg"] == "step a: visudo said no"
    assert len(log) == 1 and "b" not in out["steps"]


def test_bad_arguments_fail_the_step_as_the_module_would():
    registry = {"a": (SPEC, recorder([], {}))}
    out = run_steps(
        Parent(), [{"module": "a", "args": {"mode": "0440", "colour": "red"}}], registry
    )
    assert out["failed"]
    assert "path" in out["msg"] and "colour" in out["msg"]


def test_a_module_with_secret_options_cannot_be_a_step():
    spec = dict(SPEC, password={"type": "str", "no_log": True})
    out = run_steps(
        Parent(), [{"module": "a", "args": {"path": "/p"}}], {"a": (spec, recorder([], {}))}
    )
    assert out["failed"] and "password" in out["msg"]


def test_a_step_that_asks_to_stop_ends_the_run_after_it():
    log = []
    registry = {"a": (SPEC, recorder(log, {"stop": True})), "b": (SPEC, recorder(log, {}))}
    out = run_steps(
        Parent(),
        [{"module": "a", "args": {"path": "/p"}}, {"module": "b", "args": {"path": "/q"}}],
        registry,
    )
    assert out["stopped"] == "a" and not out["failed"] and len(log) == 1


def test_step_names_must_be_unique():
    registry = {"a": (SPEC, recorder([], {}))}
    out = run_steps(Parent(), [{"module": "a", "args": {"path": "/p"}}] * 2, registry)
    assert out["failed"] and "twice" in out["msg"]


def realm_list(name):
    return lambda argv: (0, name + "\n", "")


def dpkg(installed):
    def run(argv):
        pkgs = argv[4:]
        return (
            0,
            "".join(f"{p} {'installed' if p in installed else 'not-installed'}\n" for p in pkgs),
            "",
        )

    return run


@pytest.mark.parametrize(
    "joined, installed, stopped",
    [
        ("example.test", {"realmd", "sssd"}, None),  # converged: the next step runs
        ("", {"realmd", "sssd"}, "probe"),  # not joined
        ("example.test", {"realmd"}, "probe"),  # a package is missing
    ],
)
def test_the_join_probe_stops_the_steps_unless_the_host_is_ready(joined, installed, stopped):
    log = []
    registry = {
        "ad_join_info": (ad_join_info_main.ARGUMENT_SPEC, ad_join_info_main.run),
        "b": (SPEC, recorder(log, {})),
    }
    parent = Parent({"realm": realm_list(joined), "dpkg-query": dpkg(installed)})
    steps = [
        {
            "module": "ad_join_info",
            "name": "probe",
            "args": {
                "realm": "EXAMPLE.TEST",
                "packages": ["realmd", "sssd"],
                "stop_unless_ready": True,
                "mkhomedir": False,
            },
        },
        {"module": "b", "args": {"path": "/p"}},
    ]
    out = run_steps(parent, steps, registry)
    assert out["stopped"] == stopped
    assert out["steps"]["probe"]["ready"] is (stopped is None)
    assert len(log) == (0 if stopped else 1)


def test_a_later_step_takes_arguments_from_an_earlier_result():
    log = []
    registry = {
        "a": (SPEC, recorder([], {"platform": {"mode": "0640"}})),
        "b": (SPEC, recorder(log, {})),
    }
    steps = [
        {"module": "a", "name": "probe", "args": {"path": "/p"}},
        {
            "module": "b",
            "args": {"path": "/q", "mode": "0600"},
            "args_from": {"mode": "probe.platform.mode"},
        },
    ]
    out = run_steps(Parent(), steps, registry)
    assert not out["failed"] and log == [{"path": "/q", "mode": "0640"}]
    steps[1]["args_from"] = {"mode": "probe.platform.colour"}
    out = run_steps(Parent(), steps, registry)
    assert out["failed"] and "probe.platform.colour" in out["msg"]
