#!/usr/bin/env bash
# Installs what SharpVirt needs on a Debian machine, builds the sharpvirt binary and the default guest.
# Safe to run again: each step is skipped when its result is already there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mkdir -p "$SV_OUT"
sv_build_binary
"$SV_ROOT/guest/build-guest.sh" >&2
# Put `sharpvirt` on PATH for the user (a link to this checkout's binary).
if [ -w /usr/local/bin ] && [ "$(readlink -f /usr/local/bin/sharpvirt 2>/dev/null)" != "$SV_BIN" ]; then
    ln -sf "$SV_BIN" /usr/local/bin/sharpvirt
fi
