# tests/kvm.sh - tests that run build/vmm, sourced by tests/run (which
# provides vmm_case, ok, bad, skip, $TMP and $HAVE_KVM).
#
# vmm_case NAME STATUS [out:REGEX|err:REGEX ...] -- VMM-ARGS...

G=build/tests/guests
IMG=build/guest.bin

# ---- the command line and image checks (no guest runs) ----------------------
vmm_case cli/help 0 'out:Usage: vmm' 'out:--watchdog' -- --help
vmm_case cli/version 0 'out:^vmm [0-9]+\.' -- --version
vmm_case cli/no-image 2 'err:no IMAGE given' --
vmm_case cli/unknown-flag 2 'err:unknown option --frobnicate' -- --frobnicate $IMG
vmm_case cli/bad-cpus 2 "err:--cpus '0'" -- --cpus 0 $IMG
vmm_case cli/bad-mem 2 "err:--mem '12Q'" -- --mem 12Q $IMG
vmm_case cli/missing-value 2 'err:option --mem needs a value' -- $IMG --mem
vmm_case cli/missing-image 2 'err:/nonexistent/guest.bin: No such file or directory' -- /nonexistent/guest.bin
vmm_case cli/directory-image 2 'err:not a regular file' -- build
vmm_case cli/missing-module 2 'err:/nonexistent.mod: No such file or directory' -- \
	--module /nonexistent.mod $IMG
vmm_case cli/not-kvm 1 'err:/dev/null: not a KVM device' -- --kvm-device /dev/null $IMG
vmm_case cli/missing-kvm 1 'err:/nonexistent/kvm: No such file or directory. Load KVM' -- \
	--kvm-device /nonexistent/kvm $IMG

# Malformed images: exit 2 with the one-line error mkbad.sh expects.
while IFS=$'\t' read -r name msg; do
	[ -n "$name" ] || continue
	re=$(printf '%s' "$msg" | sed 's/[][\.*^$(){}+?|]/\\&/g')
	vmm_case "image/$name" 2 "err:$G/bad/$name: $re" -- $G/bad/$name
done < $G/bad/errors.txt

# ---- tiny guests: formats, exit port, fatal states -----------------------------
vmm_case guest/aout-kludge 7 -- $G/aout.bin
vmm_case guest/plain-elf64 42 -- $G/elf64.bin
vmm_case guest/exit-byte 3 -- $G/exit-byte.bin
vmm_case guest/exit-word 4 -- $G/exit-word.bin
vmm_case guest/exit-long 5 -- $G/exit-long.bin
vmm_case guest/exit-code-qemu 7 -- --exit-code qemu $G/exit-byte.bin
vmm_case guest/unclaimed-io 255 -- $G/unclaimed.bin
vmm_case guest/debug-io 255 'err:unclaimed write to 0x80 \(1 byte, value 0x12\)' \
	'err:unclaimed read from 0x1234' -- --debug-io $G/unclaimed.bin
if [ $HAVE_KVM = 1 ]; then
	n=$(grep -c 'unclaimed write to 0x80' "$TMP/guest_debug-io.err")
	if [ "$n" = 1 ]; then ok guest/debug-io-once
	else bad guest/debug-io-once "port 0x80 logged $n times, expected once"; fi
fi
vmm_case guest/triple-fault 3 'err:triple fault' 'err:rip ' 'err:cr0 ' -- $G/triple-fault.bin
vmm_case guest/vmcall 3 'err:made no progress' 'err:vmcall' 'err:hypercall' -- \
	--watchdog 1 $G/vmcall.bin
vmm_case guest/vmcall-smp 3 'err:made no progress' 'err:vmcall' -- --cpus 2 --watchdog 1 $G/vmcall.bin
vmm_case guest/hlt-cli 3 'err:halted with interrupts disabled' -- --watchdog 1 $G/hlt-cli.bin
vmm_case guest/int3-emulation-failure 3 'err:emulation failure' 'err:instruction bytes' \
	'err:int3' -- $G/int3.bin

# ---- the guest kernel ---------------------------------------------------------
suite_ok='out:SUMMARY: [0-9]+ passed, 0 failed'
vmm_case kernel/hello 0 'out:PASS: hello' "$suite_ok" -- $IMG -- tests=hello
vmm_case kernel/suite-1cpu 0 "$suite_ok" -- $IMG
vmm_case kernel/suite-2cpu 0 "$suite_ok" -- --cpus 2 $IMG
vmm_case kernel/suite-4cpu 0 "$suite_ok" -- --cpus 4 $IMG
vmm_case kernel/suite-5G 0 "$suite_ok" -- --mem 5G --cpus 2 $IMG
vmm_case kernel/memfd-backing 0 "$suite_ok" -- --mem-backing memfd $IMG -- tests=hello,paging
vmm_case kernel/json 0 'out:^\{"type":"test"' 'out:"type":"stats".*"status":0' \
	'out:"paging":"' 'err:SUMMARY' -- --json $IMG
vmm_case kernel/guest-panic 4 'out:FATAL' -- $IMG -- tests=crash
vmm_case kernel/no-pit 0 "$suite_ok" -- --no-pit $IMG
vmm_case kernel/console-file 0 -- --console "$TMP/console.txt" $IMG -- tests=hello
if [ $HAVE_KVM = 1 ]; then
	if grep -q 'PASS: hello' "$TMP/console.txt" 2>/dev/null; then ok kernel/console-file-content
	else bad kernel/console-file-content "--console file lacks the guest's output"; fi
	# --json: stdout is JSON lines only
	if grep -qv '^{' "$TMP/kernel_json.out"; then
		bad kernel/json-only "non-JSON lines on stdout with --json"
	else
		ok kernel/json-only
	fi
fi

# Console input: every byte on stdin reaches a polling guest, in order.
if [ $HAVE_KVM = 0 ]; then
	skip console/stdin-echo "$KVM_WHY"
else
	# 12 KiB of text without the guest's terminator 'q', then the 'q'
	{ head -c 9000 /dev/urandom | base64 | tr -d q; printf q; } >"$TMP/echo.in"
	if timeout 60 ./build/vmm $G/echo.bin <"$TMP/echo.in" >"$TMP/echo.out" 2>"$TMP/echo.err" &&
		cmp -s "$TMP/echo.in" "$TMP/echo.out"; then
		ok console/stdin-echo
	else
		bad console/stdin-echo "guest echo differs from stdin ($(wc -c <"$TMP/echo.out") of $(wc -c <"$TMP/echo.in") bytes)"
		tail -n 5 "$TMP/echo.err"
	fi
fi

# The watchdog leaves an idle (halted, interrupts on) guest alone.
if [ $HAVE_KVM = 1 ]; then
	timeout --preserve-status -s INT 4 ./build/vmm --watchdog 0.5 $G/idle.bin </dev/null >/dev/null 2>"$TMP/idle.err"
	rc=$?
	if [ $rc -eq 130 ] && ! grep -q fatal "$TMP/idle.err"; then ok guest/idle-not-stuck
	else bad guest/idle-not-stuck "exit $rc: $(head -n 1 "$TMP/idle.err")"; fi
else
	skip guest/idle-not-stuck "$KVM_WHY"
fi

# Signals stop the guest cleanly: a guest idling in HLT with interrupts on.
signal_case() {
	local name=$1 sig=$2 want=$3
	if [ $HAVE_KVM = 0 ]; then skip "$name" "$KVM_WHY"; return; fi
	./build/vmm --cpus 2 $G/idle.bin </dev/null >"$TMP/sig.out" 2>"$TMP/sig.err" &
	local pid=$!
	sleep 1
	kill -"$sig" $pid
	wait $pid
	local rc=$?
	if [ $rc -eq "$want" ]; then ok "$name"
	else bad "$name" "exit status $rc after SIG$sig, expected $want"; tail -5 "$TMP/sig.err"; fi
}
signal_case signal/sigint INT 130
signal_case signal/sigterm TERM 143

# valgrind: vmm's own memory use stays clean through a whole boot
if [ $HAVE_KVM = 0 ]; then
	skip valgrind/hello "$KVM_WHY"
elif ! command -v valgrind >/dev/null; then
	skip valgrind/hello "valgrind is not installed (apt-get install valgrind)"
else
	if timeout 120 valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		./build/vmm --cpus 2 $IMG -- tests=hello </dev/null >"$TMP/vg.out" 2>"$TMP/vg.err"; then
		ok valgrind/hello
	else
		bad valgrind/hello "valgrind reported errors"
		tail -n 30 "$TMP/vg.err" | sed 's/^/      /'
	fi
fi

# vmm built with AddressSanitizer + UBSan boots the suite on 2 vCPUs and
# handles a fatal state and console input
asan_case() {
	local name=$1 want=$2; shift 2
	if [ $HAVE_KVM = 0 ]; then skip "$name" "$KVM_WHY"; return; fi
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 timeout 120 \
		./build/vmm-asan "$@" </dev/null >"$TMP/asan.out" 2>"$TMP/asan.err"
	local rc=$?
	if [ $rc -eq "$want" ] && ! grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' "$TMP/asan.err"; then
		ok "$name"
	else
		bad "$name" "exit $rc (expected $want) or a sanitizer report"
		grep -A 20 -E 'AddressSanitizer|runtime error|LeakSanitizer' "$TMP/asan.err" | head -n 30 | sed 's/^/      /'
	fi
}
asan_case asan/suite-2cpu 0 --cpus 2 $IMG
asan_case asan/triple-fault 3 $G/triple-fault.bin
asan_case asan/vmcall 3 --watchdog 0.5 $G/vmcall.bin
asan_case asan/bad-image 2 $G/bad/truncated-segment.bin

# ---- the same guest.bin under QEMU ---------------------------------------------
if [ $HAVE_KVM = 0 ]; then
	skip qemu/suite "$KVM_WHY"
elif ! command -v qemu-system-x86_64 >/dev/null; then
	skip qemu/suite "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
else
	timeout 120 qemu-system-x86_64 -accel kvm -M pc -cpu kvm64 -m 256 -smp 2 -kernel $IMG \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -serial stdio -display none \
		</dev/null >"$TMP/qemu.out" 2>"$TMP/qemu.err"
	rc=$?
	if [ $rc -eq 1 ] && grep -Eq 'SUMMARY: [0-9]+ passed, 0 failed' "$TMP/qemu.out"; then
		ok qemu/suite
	else
		bad qemu/suite "QEMU exit status $rc (1 = all passed)"
		tail -n 20 "$TMP/qemu.out" | sed 's/^/      qemu: /'
		tail -n 5 "$TMP/qemu.err" | sed 's/^/      qemu: /'
	fi
fi
