#!/usr/bin/env bash
# Installs what SharpVirt needs on a Debian machine, builds the sharpvirt binary and the default guest.
# Safe to run again: each step is skipped when its result is already there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mkdir -p "$SV_OUT"
sv_build_binary
"$SV_ROOT/guest/build-guest.sh" >&2
# sharpvirtd is the same binary: run under that name, it is `sharpvirt daemon`.
[ "$(readlink "$SV_OUT/bin/sharpvirtd" 2>/dev/null)" = sharpvirt ] || ln -sf sharpvirt "$SV_OUT/bin/sharpvirtd"
# Put `sharpvirt` and `sharpvirtd` on PATH for the user (links to this checkout's binary).
if [ -w /usr/local/bin ]; then
    for name in sharpvirt sharpvirtd; do
        [ "$(readlink /usr/local/bin/$name 2>/dev/null)" = "$SV_OUT/bin/$name" ] || ln -sf "$SV_OUT/bin/$name" /usr/local/bin/$name
    done
fi
