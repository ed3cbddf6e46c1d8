# Shared helpers for SharpVirt's scripts (sourced, not run).
SV_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SV_OUT="$SV_ROOT/out"
SV_BIN="$SV_OUT/bin/sharpvirt"

sv_log() { echo "sharpvirt-setup: $*" >&2; }
sv_die() { echo "sharpvirt-setup: error: $*" >&2; exit 1; }

sv_as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else sv_die "need root to run: $*"; fi
}

sv_is_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# Installs the Debian packages given that are missing (apt-get update once, only if needed).
sv_ensure_packages() {
    local missing=() p
    for p in "$@"; do sv_is_installed "$p" || missing+=("$p"); done
    [ "${#missing[@]}" -eq 0 ] && return 0
    sv_log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! sv_as_root apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/sharpvirt-apt.log 2>&1; then
        sv_as_root apt-get update -q >>/tmp/sharpvirt-apt.log 2>&1 || true
        sv_as_root apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/sharpvirt-apt.log 2>&1 \
            || { tail -20 /tmp/sharpvirt-apt.log >&2; sv_die "apt-get install failed"; }
    fi
}

# The .NET SDK: Debian's machines for this project ship it; say clearly if it is missing.
sv_ensure_dotnet() {
    command -v dotnet >/dev/null 2>&1 && return 0
    [ -x /usr/share/dotnet/dotnet ] && { export PATH="/usr/share/dotnet:$PATH"; return 0; }
    sv_ensure_packages dotnet-sdk-10.0 2>/dev/null || sv_die "the .NET 10 SDK is needed (package dotnet-sdk-10.0)"
}

# Publishes the Native AOT binary to out/bin when any source is newer than it.
sv_build_binary() {
    sv_ensure_packages clang zlib1g-dev
    sv_ensure_dotnet
    if [ -x "$SV_BIN" ] && [ -z "$(find "$SV_ROOT/src" "$SV_ROOT/Directory.Build.props" "$SV_ROOT/Directory.Packages.props" \
            -newer "$SV_BIN" \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' \) -print -quit)" ]; then
        return 0
    fi
    sv_log "building the sharpvirt binary (Native AOT)"
    dotnet publish "$SV_ROOT/src/SharpVirt.Cli/SharpVirt.Cli.csproj" -c Release -r linux-x64 -o "$SV_OUT/bin" \
        -p:DebugType=none -nologo -v:q >"$SV_OUT/publish.log" 2>&1 || { tail -30 "$SV_OUT/publish.log" >&2; sv_die "dotnet publish failed"; }
    touch "$SV_BIN"
}
