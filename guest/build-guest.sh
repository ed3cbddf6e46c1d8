#!/usr/bin/env bash
# Builds SharpVirt's default guest images from Debian packages only.
#
#   guest/build-guest.sh               everything (cloud kernel files, initramfs, microVM kernel)
#   guest/build-guest.sh --only-cloud  skip the microVM kernel compile (quick setup)
#
# Output: ${SHARPVIRT_CACHE:-$HOME/.cache/sharpvirt}/guest/
#   initramfs.cpio     uncompressed newc cpio: static busybox + guest/initramfs/init
#   bzImage-cloud      copy of Debian's /boot/vmlinuz-*-cloud-amd64
#   vmlinux-cloud      the ELF vmlinux inside it (LZ4 payload, decompressed here)
#   bzImage-microvm    kernel built from linux-source-6.1 + guest/kernel/microvm-x86_64.config
#   vmlinux-microvm    its ELF vmlinux (debug info stripped, symbols kept), PVH entry
#   config-microvm, System.map-microvm
#
# Idempotent and cached: a second run only checks and prints the paths.  The
# microVM kernel is rebuilt only when the config fragment, the patches under
# guest/kernel/patches/, the linux-source-6.1 package version or RECIPE change.
# See guest/README.md.
set -euo pipefail

# Bump when the kernel build procedure below changes in a way that needs a rebuild.
RECIPE=1

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${SHARPVIRT_CACHE:-$HOME/.cache/sharpvirt}/guest"
WORK="$OUT/work"

only_cloud=0
for arg in "$@"; do
    case "$arg" in
        --only-cloud) only_cloud=1 ;;
        -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build-guest: unknown argument: $arg (try --help)" >&2; exit 2 ;;
    esac
done

log() { echo "build-guest: $*" >&2; }
die() { echo "build-guest: error: $*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "need root to run: $* (or install the packages by hand)"; fi
}

# ---- Debian packages -------------------------------------------------------------

is_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

ensure_packages() {
    local missing=() p
    for p in "$@"; do is_installed "$p" || missing+=("$p"); done
    [ "${#missing[@]}" -eq 0 ] && return 0
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! as_root apt-get install -y -q --no-install-recommends "${missing[@]}" >"$WORK/apt.log" 2>&1; then
        log "apt-get install failed; running apt-get update once and retrying"
        as_root apt-get update -q >>"$WORK/apt.log" 2>&1 || true
        as_root apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$WORK/apt.log" 2>&1 \
            || { tail -n 30 "$WORK/apt.log" >&2; die "apt-get install ${missing[*]} failed (log: $WORK/apt.log)"; }
    fi
}

mkdir -p "$OUT" "$WORK"

# One build at a time per cache directory (tests and developers may run this concurrently).
if command -v flock >/dev/null 2>&1; then
    exec 9>"$OUT/.lock"
    if ! flock -n 9; then
        log "another build-guest.sh is running on $OUT; waiting for it"
        flock 9
    fi
fi

BASE_PKGS=(busybox-static cpio lz4 file binutils coreutils gcc linux-image-cloud-amd64)
KERNEL_PKGS=(linux-source-6.1 build-essential bc flex bison libelf-dev libssl-dev xz-utils perl ccache)
if [ "$(id -u)" -ne 0 ]; then BASE_PKGS+=(fakeroot); fi
if [ "$only_cloud" -eq 1 ]; then ensure_packages "${BASE_PKGS[@]}"
else ensure_packages "${BASE_PKGS[@]}" "${KERNEL_PKGS[@]}"; fi

# Replace $2 by $1 only when the content differs (keeps mtimes of unchanged outputs).
install_if_changed() {
    if [ -f "$2" ] && cmp -s "$1" "$2"; then rm -f "$1"; else mv -f "$1" "$2"; fi
}

is_elf() { [ "$(head -c 4 "$1" | od -An -tx1 | tr -d ' \n')" = "7f454c46" ]; }

# ---- initramfs.cpio --------------------------------------------------------------
# Uncompressed on purpose: the guest kernel would decompress it in kernel mode,
# which this project's KVM host emulates instruction by instruction.

build_initramfs() {
    local bb=/bin/busybox root="$WORK/initramfs-root" tmp="$OUT/initramfs.cpio.tmp"
    [ -x "$bb" ] || die "$bb missing (package busybox-static)"
    file -L "$bb" | grep -q 'statically linked' || die "$bb is not static (is busybox-static installed?)"
    local key
    key="$( { sha256sum "$bb" "$HERE/initramfs/init" "$HERE"/tools/*.[ch]; echo "initramfs-recipe-3"; } | sha256sum | cut -d' ' -f1)"
    if [ -f "$OUT/initramfs.cpio" ] && [ "$(cat "$OUT/.initramfs.stamp" 2>/dev/null)" = "$key" ]; then
        return 0
    fi
    log "building initramfs.cpio"
    rm -rf "$root"
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc,run,mnt}
    chmod 1777 "$root/tmp"
    install -m 0755 "$bb" "$root/bin/busybox"
    install -m 0755 "$HERE/initramfs/init" "$root/init"
    # The vsock relay (busybox has no AF_VSOCK tool) and the power-button/Ctrl-Alt-Del watcher, built without a C
    # library: a few KiB each.
    local tool
    for tool in vsock powerkeys; do
        gcc -static -nostdlib -ffreestanding -Os -fno-stack-protector -fno-asynchronous-unwind-tables -s \
            -o "$root/bin/$tool" "$HERE/tools/$tool.c" || die "building guest/tools/$tool.c failed"
    done
    # Applet links are made by /init (busybox --install -s); /bin/sh is needed
    # before that for cttyhack/setsid children and scripts.
    ln -s busybox "$root/bin/sh"
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
    printf 'root:x:0:\n' >"$root/etc/group"
    printf 'sharpvirt\n' >"$root/etc/hostname"
    find "$root" -exec touch -h -d @0 {} +
    # /dev/console must exist in the archive: the kernel opens it for init's
    # stdin/stdout/stderr before devtmpfs is mounted.
    local mk=(bash -c 'mknod -m 600 "$1/dev/console" c 5 1 && mknod -m 666 "$1/dev/null" c 1 3 &&
                       touch -h -d @0 "$1/dev/console" "$1/dev/null" "$1/dev" &&
                       cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
                       cpio --quiet -o -H newc --reproducible --owner=0:0 >"$2"' _ "$root" "$tmp")
    if [ "$(id -u)" -eq 0 ]; then "${mk[@]}"; else fakeroot "${mk[@]}"; fi
    rm -rf "$root"
    install_if_changed "$tmp" "$OUT/initramfs.cpio"
    echo "$key" >"$OUT/.initramfs.stamp"
}

# ---- Debian cloud kernel: bzImage-cloud + vmlinux-cloud ---------------------------------

build_cloud() {
    local vmlinuz
    vmlinuz="$(ls -1 /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1 || true)"
    [ -n "$vmlinuz" ] || die "no /boot/vmlinuz-*-cloud-amd64 (package linux-image-cloud-amd64)"
    local key
    key="$( { sha256sum "$vmlinuz"; echo "cloud-recipe-1"; } | sha256sum | cut -d' ' -f1)"
    if [ -f "$OUT/bzImage-cloud" ] && [ -f "$OUT/vmlinux-cloud" ] \
        && [ "$(cat "$OUT/.cloud.stamp" 2>/dev/null)" = "$key" ]; then
        return 0
    fi
    log "extracting vmlinux from $vmlinuz"
    cp -f "$vmlinuz" "$OUT/bzImage-cloud.tmp"
    install_if_changed "$OUT/bzImage-cloud.tmp" "$OUT/bzImage-cloud"
    # Like the kernel's scripts/extract-vmlinux: try each LZ4 legacy-frame magic
    # (02 21 4c 18) in the image until one decompresses to an ELF file.
    local off found=0 tmp="$OUT/vmlinux-cloud.tmp"
    for off in $(LC_ALL=C grep -obUaP '\x02\x21\x4c\x18' "$vmlinuz" | cut -d: -f1); do
        tail -c "+$((off + 1))" "$vmlinuz" | lz4 -dc >"$tmp" 2>/dev/null || true
        if [ -s "$tmp" ] && is_elf "$tmp"; then found=1; break; fi
    done
    [ "$found" -eq 1 ] || { rm -f "$tmp"; die "no LZ4-compressed ELF vmlinux found in $vmlinuz"; }
    install_if_changed "$tmp" "$OUT/vmlinux-cloud"
    echo "$key" >"$OUT/.cloud.stamp"
}

# ---- microVM kernel from linux-source-6.1 ---------------------------------------------

# Options the microVM kernel must have after `make olddefconfig` (checked after
# every build; merge_config.sh silently drops options whose dependencies are off).
REQUIRED=(
    CONFIG_64BIT=y CONFIG_X86_64=y CONFIG_SMP=y CONFIG_NR_CPUS=64 CONFIG_X86_MPPARSE=y
    CONFIG_ACPI=y CONFIG_PVH=y CONFIG_HYPERVISOR_GUEST=y CONFIG_PARAVIRT=y CONFIG_KVM_GUEST=y
    CONFIG_SERIAL_8250=y CONFIG_SERIAL_8250_CONSOLE=y CONFIG_SERIAL_8250_PNP=y CONFIG_BLK_DEV_INITRD=y CONFIG_RD_GZIP=y
    CONFIG_DEVTMPFS=y CONFIG_PROC_FS=y CONFIG_SYSFS=y CONFIG_TMPFS=y CONFIG_PRINTK=y CONFIG_TTY=y
    CONFIG_UNIX=y CONFIG_BINFMT_ELF=y CONFIG_BINFMT_SCRIPT=y
    CONFIG_VIRTIO_MMIO=y CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES=y CONFIG_VIRTIO_BLK=y CONFIG_VIRTIO_NET=y
    CONFIG_VIRTIO_CONSOLE=y CONFIG_HW_RANDOM_VIRTIO=y CONFIG_VIRTIO_BALLOON=y CONFIG_VSOCKETS=y
    CONFIG_VIRTIO_VSOCKETS=y CONFIG_EXT4_FS=y CONFIG_NET=y CONFIG_INET=y CONFIG_PCI=y CONFIG_VIRTIO_PCI=y
    CONFIG_INPUT_EVDEV=y CONFIG_ACPI_BUTTON=y CONFIG_SERIO_I8042=y CONFIG_KEYBOARD_ATKBD=y CONFIG_INOTIFY_USER=y
)
FORBIDDEN=(CONFIG_MODULES CONFIG_RANDOMIZE_BASE CONFIG_DEBUG_INFO CONFIG_USB_SUPPORT CONFIG_SOUND CONFIG_DRM
           CONFIG_FB CONFIG_WLAN CONFIG_VT CONFIG_KERNEL_GZIP)

check_config() {
    local cfg="$1" want sym bad=0
    for want in "${REQUIRED[@]}"; do
        grep -qx "$want" "$cfg" || { log "config: missing $want"; bad=1; }
    done
    for sym in "${FORBIDDEN[@]}"; do
        grep -q "^$sym=" "$cfg" && { log "config: $sym must be off"; bad=1; }
    done
    [ "$bad" -eq 0 ] || die "microVM kernel config does not meet the requirements ($cfg)"
}

build_microvm() {
    local tarball=/usr/src/linux-source-6.1.tar.xz frag="$HERE/kernel/microvm-x86_64.config"
    [ -f "$tarball" ] || die "$tarball missing (package linux-source-6.1)"
    local srcver patches=()
    srcver="$(dpkg-query -W -f='${Version}' linux-source-6.1)"
    if [ -d "$HERE/kernel/patches" ]; then
        mapfile -t patches < <(find "$HERE/kernel/patches" -maxdepth 1 -name '*.patch' | LC_ALL=C sort)
    fi
    # Source tree key: package version + patches.  Full key: + config + recipe.
    local srckey key
    srckey="$( { echo "linux-source-6.1 $srcver"; for p in "${patches[@]}"; do basename "$p"; cat "$p"; done; } \
               | sha256sum | cut -d' ' -f1)"
    key="$( { echo "$srckey"; cat "$frag"; echo "recipe $RECIPE"; } | sha256sum | cut -d' ' -f1)"
    if [ -f "$OUT/bzImage-microvm" ] && [ -f "$OUT/vmlinux-microvm" ] \
        && [ "$(cat "$OUT/.microvm.stamp" 2>/dev/null)" = "$key" ]; then
        return 0
    fi

    local tree="$WORK/linux-6.1"
    local buildlog="$WORK/kernel-build.log"
    if [ ! -f "$tree/.sharpvirt-src" ] || [ "$(cat "$tree/.sharpvirt-src")" != "$srckey" ]; then
        log "unpacking linux-source-6.1 $srcver"
        rm -rf "$tree" "$WORK/linux-source-6.1"
        tar -C "$WORK" -xf "$tarball"
        mv "$WORK/linux-source-6.1" "$tree"
        for p in "${patches[@]}"; do
            log "applying $(basename "$p")"
            patch -d "$tree" -p1 --forward --quiet <"$p" || die "patch $(basename "$p") does not apply"
        done
        echo "$srckey" >"$tree/.sharpvirt-src"
    fi

    local nproc mk t0
    nproc="$(nproc)"
    mk=(make -C "$tree" ARCH=x86_64 KBUILD_BUILD_USER=sharpvirt KBUILD_BUILD_HOST=sharpvirt
        "KBUILD_BUILD_TIMESTAMP=linux-source-6.1 $srcver")
    # ccache turns the full rebuild that follows a patch change (fresh tree) into minutes.
    if command -v ccache >/dev/null 2>&1; then
        export CCACHE_DIR="${CCACHE_DIR:-$WORK/ccache}" CCACHE_BASEDIR="$tree" CCACHE_NOHASHDIR=1
        mk+=("CC=ccache gcc")
    fi
    log "configuring (allnoconfig + $(basename "$frag"))"
    # merge_config.sh -n: allnoconfig with the fragment as KCONFIG_ALLCONFIG.
    (cd "$tree" && ARCH=x86_64 scripts/kconfig/merge_config.sh -n -O "$tree" "$frag") >"$buildlog" 2>&1 \
        || { tail -n 30 "$buildlog" >&2; die "kernel configuration failed (log: $buildlog)"; }
    "${mk[@]}" olddefconfig >>"$buildlog" 2>&1 || { tail -n 30 "$buildlog" >&2; die "make olddefconfig failed"; }
    check_config "$tree/.config"

    log "compiling the microVM kernel with make -j$nproc (takes a few minutes; log: $buildlog)"
    t0="$(date +%s)"
    "${mk[@]}" -j"$nproc" bzImage >>"$buildlog" 2>&1 \
        || { tail -n 40 "$buildlog" >&2; die "kernel build failed (log: $buildlog)"; }
    log "kernel built in $(( $(date +%s) - t0 )) s"

    is_elf "$tree/vmlinux" || die "$tree/vmlinux is not ELF"
    cp -f "$tree/arch/x86/boot/bzImage" "$OUT/bzImage-microvm.tmp"
    objcopy --strip-debug "$tree/vmlinux" "$OUT/vmlinux-microvm.tmp"
    cp -f "$tree/.config" "$OUT/config-microvm.tmp"
    cp -f "$tree/System.map" "$OUT/System.map-microvm.tmp"
    local f
    for f in bzImage-microvm vmlinux-microvm config-microvm System.map-microvm; do
        install_if_changed "$OUT/$f.tmp" "$OUT/$f"
    done
    echo "$key" >"$OUT/.microvm.stamp"
}

build_initramfs
build_cloud
[ "$only_cloud" -eq 1 ] || build_microvm

echo "$OUT/initramfs.cpio"
echo "$OUT/bzImage-cloud"
echo "$OUT/vmlinux-cloud"
if [ "$only_cloud" -eq 0 ]; then
    echo "$OUT/bzImage-microvm"
    echo "$OUT/vmlinux-microvm"
fi
