#!/usr/bin/env python3
"""`python3 scripts/local_runtime_api.py --help`: the project's local Lambda Runtime API, the
command line of imagecat_tools.local_runtime_api.
Python puts this script's folder (scripts/) first on its path, so the package imports as is."""

import sys

from imagecat_tools.local_runtime_api import main

sys.exit(main())
