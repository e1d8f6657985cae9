"""A checker for CloudWatch Embedded Metric Format documents, written from the published
specification ("Specification: Embedded metric format", CloudWatch User Guide) and the
CloudWatch limits it relies on, not from imagecat's writer: each rule below quotes or names its
source, so a failure says which sentence a document breaks.

    from imagecat_tools.emf_spec import problems, is_emf
    for line in open("function.log"):
        if is_emf(line):
            assert problems(line, now_ms=...) == []

Rules (spec = the EMF specification; API = CloudWatch's PutMetricData / MetricDatum / Dimension
reference, whose limits apply to every extracted metric):

  root      "The LogEvent message MUST be a valid JSON object with no additional data at the
            beginning or end"; at most 256 KB (spec: "the same limits as standard CloudWatch Logs
            events ... a maximum size of 256 KB").
  _aws      "Embedded metric format documents MUST contain the following top-level member on the
            root node": `_aws`, an object that "MUST contain" `CloudWatchMetrics` (an array of
            MetricDirective objects) and `Timestamp` ("a number ... the number of milliseconds
            after Jan 1, 1970 00:00:00 UTC"; the schema says integer). CloudWatch accepts metric
            data up to two weeks old and up to two hours ahead (API): outside that, it is lost.
  directive "MetricDirectives MUST contain": `Namespace` (string, 1-255 characters in the
            schema; API: not starting with `AWS/`), `Dimensions` (an array of DimensionSets, at
            least one in the schema), `Metrics` ("MUST NOT contain more than 100
            MetricDefinition objects").
  dimension "A DimensionSet MUST NOT contain more than 30 dimension keys. A DimensionSet MAY
            be empty." Keys are strings of 1-255 characters; "The values within this array MUST
            also be members on the root-node" and "The target member MUST have a string value"
            (API: a dimension value has 1-1024 characters).
  metric    A MetricDefinition "MUST contain" `Name` (string, 1-255 characters), a reference to
            a root member; `Unit` is OPTIONAL and, when present, one of the schema's units;
            `StorageResolution` is OPTIONAL, 1 or 60.
  target    "A metric target MUST be a numeric value or an array of numeric values. Numeric
            array metric targets MUST NOT have more than 100 members." API: values are finite
            and, unless zero, between 8.515920e-109 and 1.174271e+108 in magnitude.
  members   "Unless otherwise noted, objects defined by this specification MUST NOT contain any
            additional members" (the metadata object, directives and definitions).
"""

from __future__ import annotations

import json
import math
import time

MAX_EVENT_BYTES = 256 * 1024
MAX_METRICS = 100
MAX_DIMENSION_KEYS = 30
MAX_VALUES = 100
MAX_AGE_MS = 14 * 24 * 3600 * 1000
MAX_AHEAD_MS = 2 * 3600 * 1000
UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
    "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
    "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
    "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
}
METADATA_MEMBERS = {"CloudWatchMetrics", "Timestamp"}
DIRECTIVE_MEMBERS = {"Namespace", "Dimensions", "Metrics"}
DEFINITION_MEMBERS = {"Name", "Unit", "StorageResolution"}


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def parse(line: str | bytes) -> dict | None:
    """The line as a JSON object, or None (not JSON, not an object, NaN/Infinity literals)."""
    try:
        value = json.loads(line, parse_constant=_reject_constant)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def is_emf(line: str | bytes) -> bool:
    """Whether `line` claims to be an EMF document (a JSON object with `_aws`)."""
    document = parse(line)
    return document is not None and "_aws" in document


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _value_problem(name: str, value) -> str | None:
    if not _is_number(value):
        return f"target: metric {name!r} has a non-numeric value {value!r}"
    if not math.isfinite(value):
        return f"target: metric {name!r} has a non-finite value"
    if value != 0 and not 8.515920e-109 <= abs(value) <= 1.174271e+108:
        return f"target: metric {name!r} value {value!r} is outside CloudWatch's range"
    return None


def problems(line: str | bytes, now_ms: int | None = None) -> list[str]:
    """Every rule the document on `line` breaks (empty: valid). `now_ms` (default: now) is the
    time the timestamp must be close to."""
    raw = line.encode() if isinstance(line, str) else line
    found: list[str] = []
    if len(raw.rstrip(b"\n")) > MAX_EVENT_BYTES:
        found.append(f"root: {len(raw)} bytes, over the 256 KB event limit")
    document = parse(raw)
    if document is None:
        return found + ["root: not a JSON object (or extra data around it)"]
    metadata = document.get("_aws")
    if not isinstance(metadata, dict):
        return found + ["_aws: missing or not an object"]
    found += [f"_aws: unexpected member {k!r}" for k in metadata if k not in METADATA_MEMBERS]

    timestamp = metadata.get("Timestamp")
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        found.append(f"_aws: Timestamp must be an integer of epoch milliseconds, found {timestamp!r}")
    else:
        now = int(time.time() * 1000) if now_ms is None else now_ms
        if timestamp < now - MAX_AGE_MS or timestamp > now + MAX_AHEAD_MS:
            found.append(f"_aws: Timestamp {timestamp} is outside -14 days/+2 hours of {now}")

    directives = metadata.get("CloudWatchMetrics")
    if not isinstance(directives, list):
        return found + ["_aws: CloudWatchMetrics missing or not an array"]
    for d, directive in enumerate(directives):
        where = f"directive {d}"
        if not isinstance(directive, dict):
            found.append(f"{where}: not an object")
            continue
        found += [f"{where}: unexpected member {k!r}" for k in directive if k not in DIRECTIVE_MEMBERS]
        namespace = directive.get("Namespace")
        if not isinstance(namespace, str) or not 1 <= len(namespace) <= 255:
            found.append(f"{where}: Namespace must be a string of 1-255 characters, found {namespace!r}")
        elif namespace.startswith("AWS/"):
            found.append(f"{where}: Namespace {namespace!r} is reserved for AWS")

        dimension_keys: set[str] = set()
        sets = directive.get("Dimensions")
        if not isinstance(sets, list) or not sets:
            found.append(f"{where}: Dimensions must be a non-empty array of DimensionSets")
            sets = []
        for s, keys in enumerate(sets):
            if not isinstance(keys, list):
                found.append(f"{where}: DimensionSet {s} is not an array")
                continue
            if len(keys) > MAX_DIMENSION_KEYS:
                found.append(f"{where}: DimensionSet {s} has {len(keys)} keys, over {MAX_DIMENSION_KEYS}")
            for key in keys:
                if not isinstance(key, str) or not 1 <= len(key) <= 255:
                    found.append(f"{where}: dimension key {key!r} is not a string of 1-255 characters")
                    continue
                dimension_keys.add(key)
                target = document.get(key)
                if not isinstance(target, str):
                    found.append(f"{where}: dimension {key!r} has no string member on the root (found {target!r})")
                elif not 1 <= len(target) <= 1024:
                    found.append(f"{where}: dimension {key!r} value must have 1-1024 characters")

        definitions = directive.get("Metrics")
        if not isinstance(definitions, list):
            found.append(f"{where}: Metrics missing or not an array")
            continue
        if len(definitions) > MAX_METRICS:
            found.append(f"{where}: {len(definitions)} metrics, over {MAX_METRICS}")
        for definition in definitions:
            if not isinstance(definition, dict):
                found.append(f"{where}: MetricDefinition {definition!r} is not an object")
                continue
            found += [f"{where}: MetricDefinition has unexpected member {k!r}" for k in definition if k not in DEFINITION_MEMBERS]
            name = definition.get("Name")
            if not isinstance(name, str) or not 1 <= len(name) <= 255:
                found.append(f"{where}: metric Name {name!r} is not a string of 1-255 characters")
                continue
            if name in dimension_keys:
                found.append(f"{where}: {name!r} is both a metric and a dimension")
            unit = definition.get("Unit")
            if unit is not None and unit not in UNITS:
                found.append(f"{where}: metric {name!r} has unit {unit!r}, not a CloudWatch unit")
            resolution = definition.get("StorageResolution")
            if resolution is not None and resolution not in (1, 60):
                found.append(f"{where}: metric {name!r} StorageResolution must be 1 or 60")
            if name not in document:
                found.append(f"target: metric {name!r} has no member on the root")
                continue
            target = document[name]
            values = target if isinstance(target, list) else [target]
            if isinstance(target, list) and len(target) > MAX_VALUES:
                found.append(f"target: metric {name!r} has {len(target)} values, over {MAX_VALUES}")
            if isinstance(target, list) and not target:
                found.append(f"target: metric {name!r} has an empty array")
            found += [p for p in (_value_problem(name, v) for v in values) if p]
    return found
