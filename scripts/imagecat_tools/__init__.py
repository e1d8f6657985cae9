"""The project's Python tooling: the local servers that stand in for AWS (S3 via SeaweedFS or
moto, the Lambda Runtime API, API Gateway with its JWT authorizer, the gallery's uploads), the
fault proxy, the storm, the benchmarks, and the helpers they share. Python 3.11.

Run a tool through its command in scripts/ (scripts/storm, scripts/bench, ...), or as
`python3 -m imagecat_tools.NAME` with scripts/ on PYTHONPATH (scripts/lib-tools.sh sets it).
Tests import it through pytest's `pythonpath` setting (pytest.ini)."""
