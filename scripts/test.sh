#!/usr/bin/env bash
# Installs what is missing, builds everything, and runs every test: unit tests, KVM integration tests with
# small test guests, and the end-to-end boot of the default guest. Ends with one line: N passed, N failed, N skipped.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SV_ROOT"

# Test tools: gcc/binutils build the test guests and the ABI checker, iasl checks the ACPI tables.
sv_ensure_packages gcc libc6-dev binutils acpica-tools linux-libc-dev
"$SV_ROOT/scripts/setup.sh" || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

results="$SV_OUT/test-results"
rm -rf "$results"; mkdir -p "$results"
export SHARPVIRT_BIN="$SV_BIN"
dotnet build SharpVirt.slnx -c Release -nologo -v:q 2>&1 | tail -5
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "0 passed, 1 failed"; exit 1; }

# What CI shows of a test log: the per-project summaries, and for each failure its name, its message (with the
# guest output a timeout quotes) and the top of its stack (the whole log stays in out/test-results).
sv_test_summary() {
    awk '/^(Passed|Failed|Skipped)!|\[FAIL\]/ { print; next }
         /Error Message:/ { print; left = 40; next }
         /Stack Trace:/ { print; left = 6; next }
         left > 0 { print; left-- }'
}

status=0
for project in tests/*Tests/*.csproj; do
    name="$(basename "$project" .csproj)"
    dotnet test "$project" -c Release --no-build -nologo --logger "trx;LogFileName=$name.trx" \
        --results-directory "$results" 2>&1 | tee "$results/$name.log" | sv_test_summary
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done

# Count outcomes from the TRX files (dotnet test's own summary lines differ between versions).
read -r passed failed skipped < <(python3 - "$results" <<'PY'
import glob, re, sys
p = f = s = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    text = open(path, encoding="utf-8").read()
    m = re.search(r'<Counters [^>]*', text)
    if not m:
        continue
    c = dict(re.findall(r'(\w+)="(\d+)"', m.group(0)))
    p += int(c.get("passed", 0)); f += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0))
    s += int(c.get("notExecuted", 0))
print(p, f, s)
PY
)
if [ "${passed:-0}" -eq 0 ]; then status=1; fi
[ "${failed:-0}" -gt 0 ] && status=1
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit $status
