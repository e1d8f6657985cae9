#!/usr/bin/env python3
"""`python3 scripts/s3_server.py run`: a local SeaweedFS (or moto) S3 server, the command line
of imagecat_tools.s3_server.
Python puts this script's folder (scripts/) first on its path, so the package imports as is."""

import sys

from imagecat_tools.s3_server import main

sys.exit(main())
