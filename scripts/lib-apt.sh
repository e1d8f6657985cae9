# Sourced (not run) by scripts/setup, scripts/package and scripts/build-minimal-curl: installs
# the Debian packages a step needs, only those that are missing (no prompt, root directly or
# through sudo -n in CI, the apt log shown only on failure).
#
#   ensure_packages PACKAGE...      prints "<caller>: installed ... (apt)" when it installed any
#
# Expects the caller to define `die MESSAGE`.

_apt_as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif [ -t 0 ]; then sudo "$@"
  else sudo -n "$@"
  fi
}

package_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

ensure_packages() {
  local missing=() package log
  command -v dpkg-query >/dev/null 2>&1 || die "not a Debian system: install $* yourself"
  for package in "$@"; do package_installed "$package" || missing+=("$package"); done
  [ "${#missing[@]}" -gt 0 ] || return 0
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
    die "missing system packages: ${missing[*]} (not root and no sudo: install them as root)"
  fi
  log="$(mktemp)"
  if ! _apt_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >"$log" 2>&1 \
    || ! _apt_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
           --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    die "could not install: ${missing[*]}"
  fi
  rm -f "$log"
  printf '%s: installed %s (apt)\n' "$(basename "$0")" "${missing[*]}"
}
