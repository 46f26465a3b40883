#!/usr/bin/env bash
# The two commands of the README, for a fresh machine:
#   bash run.sh         set up (first time), check every spec and print its summary
#   bash run.sh test    set up (first time), run the linter and the tests
# Set-up: Debian's graphviz (for `archc render`) and chromium (the playground's browser test), when
# run as root; a virtual
# environment in .venv with archc and its extras (torch==2.13.0, CPU build).
set -euo pipefail
cd "$(dirname "$0")"
VENV=.venv

setup() {
  if ! command -v dot >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "installing graphviz (apt-get)..." >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz) >/dev/null \
        || echo "warning: could not install graphviz; archc render will say how" >&2
    else
      echo "note: Graphviz 'dot' is missing; archc render needs it (apt-get install graphviz)" >&2
    fi
  fi
  if ! command -v chromedriver >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "installing chromium and its driver (apt-get), for the playground's browser test..." >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) \
        >/dev/null || echo "warning: could not install chromium; tests/test_serve_browser.py will skip" >&2
    else
      echo "note: chromium-driver is missing; tests/test_serve_browser.py skips (apt-get install chromium-driver)" >&2
    fi
  fi
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  local want; want=$(sha256sum pyproject.toml | cut -c1-16)
  if [ "$(cat "$VENV/.installed" 2>/dev/null)" != "$want" ]; then
    echo "installing archc into $VENV..." >&2
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e '.[torch,train,serve,lsp,dev]'
    echo "$want" > "$VENV/.installed"
  fi
}

setup
case "${1:-main}" in
  main)
    "$VENV/bin/archc" check specs/*.arch specs/*.yaml specs/zoo/*.arch
    for spec in specs/*.arch specs/zoo/*.arch; do "$VENV/bin/archc" summary "$spec"; done
    ;;
  test)
    "$VENV/bin/ruff" check .
    # both cores: pytest-xdist (a dev dependency) spreads the tests over 2 worker processes
    "$VENV/bin/python" -m pytest -n 2 "${@:2}"
    ;;
  *)
    echo "usage: bash run.sh [main|test [pytest args]]" >&2; exit 2 ;;
esac
