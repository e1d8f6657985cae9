"""Helpers for imagecat_tools.bench (scripts/bench): one module per figure (cold start, warm
loop, catalog), plus /proc sampling, machine facts and the report. Python 3.11 standard library
only (the catalog figures use boto3 to seed buckets, as the storm does; the python-boto3 peer
needs it anyway)."""
