"""`python3 -m imagecat_tools.storm`: see cli.py."""

import sys

from .cli import main

sys.exit(main())
