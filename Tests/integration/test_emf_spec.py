"""The EMF checker (`imagecat_tools.emf_spec`) against the specification itself: the spec's own
example passes, and a document breaking each rule is caught. The function's output is checked
with it in test_telemetry.py, test_storm.py and by `log_summary`; this shows the checker is not
a rubber stamp."""

from __future__ import annotations

import copy
import json

import pytest

from imagecat_tools import emf_spec

NOW = 1_800_000_000_000

# The example from the specification, with its timestamp moved to NOW.
SPEC_EXAMPLE = {
    "_aws": {"Timestamp": NOW, "CloudWatchMetrics": [{
        "Namespace": "lambda-function-metrics", "Dimensions": [["functionVersion"]],
        "Metrics": [{"Name": "time", "Unit": "Milliseconds"}]}]},
    "functionVersion": "$LATEST", "time": 100, "requestId": "989ffbf8-9ace-4817-a57c-e4dd734019ee",
}


def check(document) -> list[str]:
    return emf_spec.problems(json.dumps(document) if not isinstance(document, str) else document, now_ms=NOW)


def broken(change) -> dict:
    document = copy.deepcopy(SPEC_EXAMPLE)
    change(document)
    return document


def test_the_specifications_example_is_valid():
    assert check(SPEC_EXAMPLE) == []
    assert emf_spec.is_emf(json.dumps(SPEC_EXAMPLE))
    assert not emf_spec.is_emf('{"level":"INFO","message":"x"}')


def directive(d):
    return d["_aws"]["CloudWatchMetrics"][0]


CASES = {
    "not an object": "[1, 2]",
    "extra data": json.dumps(SPEC_EXAMPLE) + " trailing",
    "no _aws": broken(lambda d: d.pop("_aws")),
    "no timestamp": broken(lambda d: d["_aws"].pop("Timestamp")),
    "timestamp as text": broken(lambda d: d["_aws"].update(Timestamp=str(NOW))),
    "timestamp two weeks old": broken(lambda d: d["_aws"].update(Timestamp=NOW - 15 * 86_400_000)),
    "timestamp three hours ahead": broken(lambda d: d["_aws"].update(Timestamp=NOW + 3 * 3_600_000)),
    "extra metadata member": broken(lambda d: d["_aws"].update(Extra=1)),
    "no namespace": broken(lambda d: directive(d).pop("Namespace")),
    "AWS namespace": broken(lambda d: directive(d).update(Namespace="AWS/Lambda")),
    "no dimensions": broken(lambda d: directive(d).update(Dimensions=[])),
    "31 dimension keys": broken(lambda d: (directive(d).update(Dimensions=[[f"d{i}" for i in range(31)]]),
                                           d.update({f"d{i}": "v" for i in range(31)}))),
    "dimension without a member": broken(lambda d: d.pop("functionVersion")),
    "dimension not a string": broken(lambda d: d.update(functionVersion=3)),
    "empty dimension value": broken(lambda d: d.update(functionVersion="")),
    "101 metrics": broken(lambda d: (directive(d).update(Metrics=[{"Name": f"m{i}"} for i in range(101)]),
                                     d.update({f"m{i}": 1 for i in range(101)}))),
    "metric without a member": broken(lambda d: d.pop("time")),
    "metric not a number": broken(lambda d: d.update(time="100")),
    "metric a boolean": broken(lambda d: d.update(time=True)),
    "101 values": broken(lambda d: d.update(time=list(range(101)))),
    "empty values": broken(lambda d: d.update(time=[])),
    "NaN": json.dumps(SPEC_EXAMPLE).replace('"time": 100', '"time": NaN'),
    "value too large": broken(lambda d: d.update(time=1e200)),
    "unknown unit": broken(lambda d: directive(d)["Metrics"][0].update(Unit="Millis")),
    "bad storage resolution": broken(lambda d: directive(d)["Metrics"][0].update(StorageResolution=5)),
    "extra definition member": broken(lambda d: directive(d)["Metrics"][0].update(Kind="x")),
    "extra directive member": broken(lambda d: directive(d).update(Extra=[])),
    "metric that is a dimension": broken(lambda d: directive(d)["Metrics"].append({"Name": "functionVersion"})),
    "over 256 KB": broken(lambda d: d.update(padding="x" * 262_144)),
}


@pytest.mark.parametrize("case", CASES)
def test_each_rule_is_enforced(case):
    assert check(CASES[case]) != [], case


def test_allowed_variations_pass():
    assert check(broken(lambda d: d.update(time=[1, 2.5, 0, 100]))) == []
    assert check(broken(lambda d: directive(d).update(Dimensions=[[]]))) == [], "a DimensionSet MAY be empty"
    assert check(broken(lambda d: directive(d)["Metrics"][0].pop("Unit"))) == [], "Unit is optional"
    assert check(broken(lambda d: d.update(level="WARN", timestamp="2027-01-15T08:00:00.000Z"))) == [], \
        "other root members are allowed"
