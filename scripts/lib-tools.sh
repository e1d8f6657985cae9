# Sourced by the command scripts that run the Python tooling (scripts/imagecat_tools/): puts
# scripts/ on PYTHONPATH, the one place a shell command does so, so that
# `python3 -m imagecat_tools.MODULE` finds the package from any working directory.
# shellcheck shell=bash
PYTHONPATH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH
