#!/usr/bin/env bash
# Install the Debian packages hbtrace needs to build and test, if missing.
# As root: apt-get installs them.  Otherwise: print the exact command, fail.
set -euo pipefail

pkgs=(build-essential pkg-config libunwind-dev libdw-dev libelf-dev
      libcriterion-dev clang python3 python3-jsonschema)

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "hbtrace: missing build dependencies; run:" >&2
	echo "  sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "hbtrace: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
