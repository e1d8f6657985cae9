# Sourced by scripts/test: runs its steps, each with a time limit outside a terminal, and keeps
# one line a step for the summary. A step may run in the background beside the next ones
# (`start`, then `collect`): on a 2-core machine a release build and the serial unit tests, or a
# build and a pip install, overlap well.
#
#   run NAME LIMIT COMMAND...     runs a step; records "NAME ok in Ns" or "NAME FAILED (...) in Ns"
#   start NAME LIMIT COMMAND...   `run` in the background, its output held back
#   collect NAME                  waits for a started step, prints its output, records it
#   finish                        collects what is still started, prints the summary, exits
#
# The steps' output is kept in `$logs`, a directory removed at exit. The caller may define
# `step_counts NAME LOG`, which prints a step's test counts and fails when they show a failure.
# shellcheck shell=bash

results=()
failed=0
started=$SECONDS
declare -A _step_pids=()
logs="$(mktemp -d "${TMPDIR:-/tmp}/imagecat-test.XXXXXX")"

# Stops every step still running under `timeout` (outside a terminal, and always when started):
# `timeout` leads a process group of its own (`run` writes its id beside the step's log), which
# neither a terminal's Ctrl-C nor a signal to this script's group reaches, and an orphaned
# release build would hold the build directory's lock.
_stop_steps() {
  local group
  for group in "$logs"/*.group; do
    [ -f "$group" ] && kill -TERM -- "-$(cat "$group")" 2>/dev/null || true
  done
}
trap '_stop_steps; rm -rf "$logs"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

_step_file() { printf '%s/%s' "$logs" "${1// /-}"; }

run() {
  local name=$1 limit=$2 began=$SECONDS
  shift 2
  printf '\n==> %s: %s\n' "$name" "$*"
  local status=0 log
  log="$(_step_file "$name").log"
  if [ -t 0 ]; then
    "$@" 2>&1 | tee "$log" || status=${PIPESTATUS[0]}
  else
    # timeout signals the whole step's process group when the limit passes (pytest then stops
    # its servers). Waited for with `wait`, which a signal to this script interrupts: its traps
    # then stop the step at once. The log is shown as it grows.
    : >"$log"
    timeout --kill-after=30s "$limit" "$@" >>"$log" 2>&1 &
    local step=$!
    printf '%s\n' "$step" >"${log%.log}.group"
    tail -n +1 -s 0.2 -f --pid="$step" "$log" &
    local shown=$!
    wait "$step" || status=$?
    wait "$shown" || true
    rm -f "${log%.log}.group"
  fi
  local counts=""
  if declare -F step_counts >/dev/null; then
    counts="$(step_counts "$name" "$log")" || { [ "$status" -ne 0 ] || status=1; }
  fi
  local took=" in $((SECONDS - began))s"
  printf '==> %s: exit %s%s\n' "$name" "$status" "$took"
  if [ "$status" -eq 0 ]; then
    results+=("$name ok$took$counts")
    return 0
  fi
  local why="exit $status"
  [ "$status" -eq 124 ] && why="timed out after $limit"
  [ "$name" = pytest ] && [ "$status" -eq 5 ] && why="exit 5: no tests collected"
  results+=("$name FAILED ($why)$took$counts")
  failed=1
  return "$status"
}

start() {
  local name=$1 file
  file="$(_step_file "$name")"
  # The subshell's stdin is /dev/null, so the step has its time limit even from a terminal.
  ( run "$@" </dev/null || true; printf '%s\n' "${results[-1]}" >"$file.result" ) >"$file.out" 2>&1 &
  _step_pids[$name]=$!
}

collect() {
  local name=$1 file line
  file="$(_step_file "$name")"
  if [ -z "${_step_pids[$name]+started}" ]; then
    results+=("$name FAILED (never started)")
    failed=1
    return 1
  fi
  wait "${_step_pids[$name]}" || true
  unset "_step_pids[$name]"
  cat "$file.out"
  line="$(cat "$file.result" 2>/dev/null)" || line="$name FAILED (no result)"
  results+=("$line")
  case "$line" in
    "$name ok"*) return 0 ;;
    *) failed=1; return 1 ;;
  esac
}

finish() {
  local name
  for name in "${!_step_pids[@]}"; do collect "$name" || true; done
  local verdict=PASSED
  [ "$failed" -eq 0 ] || verdict=FAILED
  local summary
  summary="$(printf '%s; ' "${results[@]}")"
  printf '\nscripts/test: %s after %ss: %s\n' "$verdict" "$((SECONDS - started))" "${summary%; }"
  exit "$failed"
}
