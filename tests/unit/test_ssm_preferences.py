"""Table-driven tests of the Session Manager preferences merge, checks and diff."""

import json

import pytest
from ansible_collections.federated.ssm_runas.plugins.module_utils import ssm_preferences as p

VALID = [
    ({"run_as_enabled": True}, {"runAsEnabled": True}),
    ({"idle_session_timeout": 1}, {"idleSessionTimeout": "1"}),
    ({"idle_session_timeout": "60"}, {"idleSessionTimeout": "60"}),
    ({"max_session_duration": 1440}, {"maxSessionDuration": "1440"}),
    ({"cloudwatch_streaming_enabled": False}, {"cloudWatchStreamingEnabled": False}),
    ({"s3_bucket_name": ""}, {"s3BucketName": ""}),
    ({"s3_bucket_name": "logs.example"}, {"s3BucketName": "logs.example"}),
    ({"run_as_default_user": "bob@example.test"}, {"runAsDefaultUser": "bob@example.test"}),
    ({"shell_profile": {"linux": "cd", "windows": None}}, {"shellProfile": {"linux": "cd"}}),
    ({"kms_key_id": None, "s3_key_prefix": None}, {}),
]


@pytest.mark.parametrize(("params", "inputs"), VALID)
def test_desired_inputs(params, inputs):
    assert p.desired_inputs(params) == inputs


INVALID = [
    ({"idle_session_timeout": 0}, ["idle_session_timeout", "1..60"]),
    ({"idle_session_timeout": 61}, ["idle_session_timeout", "61"]),
    ({"idle_session_timeout": True}, ["idle_session_timeout"]),
    ({"idle_session_timeout": "ten"}, ["'ten'"]),
    ({"max_session_duration": 1441}, ["max_session_duration", "1..1440"]),
    ({"run_as_enabled": "yes"}, ["run_as_enabled", "JSON boolean"]),
    ({"run_as_default_user": "bob; rm -rf /"}, ["run_as_default_user", "unquoted"]),
    ({"s3_bucket_name": "Bad_Bucket"}, ["s3_bucket_name"]),
    ({"cloudwatch_log_group_name": "a b"}, ["cloudwatch_log_group_name"]),
    ({"shell_profile": {"mac": "x"}}, ["shell_profile"]),
    ({"shell_profile": {"linux": 3}}, ["shell_profile.linux"]),
    ({"kms_key_id": 5}, ["kms_key_id"]),
]


@pytest.mark.parametrize(("params", "words"), INVALID)
def test_invalid_options_are_named(params, words):
    with pytest.raises(p.PreferencesError) as err:
        p.desired_inputs(params)
    for word in words:
        assert word in str(err.value)


def test_merge_keeps_inputs_the_user_did_not_mention():
    console = json.loads(json.dumps(p.DEFAULT_DOCUMENT))
    console["inputs"]["s3BucketName"] = "kept"
    console["inputs"]["futureInput"] = {"x": 1}
    console["inputs"]["shellProfile"] = {"linux": "", "windows": "kept"}
    merged = p.merge(console, {"runAsEnabled": True, "shellProfile": {"linux": "cd"}})
    assert merged["inputs"]["s3BucketName"] == "kept"
    assert merged["inputs"]["futureInput"] == {"x": 1}
    assert merged["inputs"]["shellProfile"] == {"linux": "cd", "windows": "kept"}
    assert console["inputs"]["runAsEnabled"] is False  # input not mutated


def test_merge_without_a_document_starts_from_the_console_default():
    merged = p.merge(None, {"idleSessionTimeout": "15"})
    assert merged["sessionType"] == "Standard_Stream" and merged["schemaVersion"] == "1.0"
    assert merged["inputs"]["idleSessionTimeout"] == "15"


CHANGES = [
    ({}, []),
    ({"idleSessionTimeout": "20"}, []),
    (
        {"idleSessionTimeout": "30"},
        [{"input": "idleSessionTimeout", "before": "20", "after": "30"}],
    ),
    (
        {"shellProfile": {"linux": "cd"}},
        [{"input": "shellProfile.linux", "before": "", "after": "cd"}],
    ),
]


@pytest.mark.parametrize(("wanted", "expected"), CHANGES)
def test_changes(wanted, expected):
    current = p.merge(None, {})
    assert p.changes(current, p.merge(current, wanted)) == expected


def test_run_as_needs_a_default_user():
    with pytest.raises(p.PreferencesError, match="run_as_default_user"):
        p.check_merged(p.merge(None, {"runAsEnabled": True}))
    assert p.check_merged(p.merge(None, {"runAsEnabled": True, "runAsDefaultUser": "u"}))


@pytest.mark.parametrize(("length", "accepted"), [(60_000, True), (70_000, False)])
def test_documents_over_the_ssm_size_limit_are_refused_before_any_call(length, accepted):
    doc = p.merge(None, {"shellProfile": {"linux": "x" * length}})
    if accepted:
        assert p.check_merged(doc) is doc
    else:
        with pytest.raises(p.PreferencesError, match=r"shell_profile .* at most 65536"):
            p.check_merged(doc)


def test_renderings_differ_as_text_but_not_as_json():
    doc = p.merge(None, {"runAsEnabled": True, "runAsDefaultUser": "u"})
    texts = [p.render(doc, v) for v in range(p.RENDER_VARIANTS)]
    assert len(set(texts)) == p.RENDER_VARIANTS
    assert all(json.loads(t) == doc for t in texts)
    assert '"runAsEnabled": true' in texts[0]  # a real JSON boolean, not "true"


def test_diff_text_is_stable_and_parse_rejects_non_json():
    assert p.diff_text(None) == ""
    assert p.diff_text({"b": 1, "a": 2}).index('"a"') < p.diff_text({"b": 1, "a": 2}).index('"b"')
    with pytest.raises(p.PreferencesError, match="not JSON"):
        p.parse("{nope")
    with pytest.raises(p.PreferencesError, match="not a JSON object"):
        p.parse("[]")
