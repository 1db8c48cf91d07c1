# Shared by the test scripts (POSIX sh; also runs under busybox sh).
# record RESULT NAME [DETAIL]: prints a verdict and, when $MINIVMM_RESULTS is
# set, appends "passed failed name" for run-all.sh's summary.
record() {
	_r=$1 _n=$2
	shift 2
	if [ "$_r" = PASS ]; then
		echo "PASS $_n${1:+ ($*)}"
		[ -n "${MINIVMM_RESULTS:-}" ] && echo "1 0 $_n" >>"$MINIVMM_RESULTS"
	else
		echo "FAIL $_n${1:+: $*}"
		[ -n "${MINIVMM_RESULTS:-}" ] && echo "0 1 $_n" >>"$MINIVMM_RESULTS"
	fi
	return 0
}

# record_results GROUP LOG CASE...: records each case's MINIVMM-RESULT line
# from LOG (tests/boot/cases.sh prints them), with the console lines a
# failing case showed, or the log's tail when a case left no result at all.
# Returns 1 if any case failed.
record_results() {
	_g=$1 _log=$2 _st=0
	shift 2
	for _c in "$@"; do
		# Fields, not a pattern: a name may hold brackets (CASE[ENGINE]).
		_line=$(tr -d '\r' <"$_log" | awk -v c="$_c" '$1 == "MINIVMM-RESULT" && $3 == c { print; exit }')
		case $_line in
		"MINIVMM-RESULT PASS "*)
			record PASS "$_g/$_c" "$(echo "$_line" | awk '{ print $4 }') s"
			;;
		"MINIVMM-RESULT FAIL "*)
			record FAIL "$_g/$_c" "${_line#"MINIVMM-RESULT FAIL $_c "}"
			awk -v c="$_c" '$1 == "MINIVMM-RESULT" && $2 == "FAIL" && $3 == c {p=1; next} p && /^  \|/ {print; next} {p=0}' "$_log"
			_st=1
			;;
		*)
			record FAIL "$_g/$_c" "no result (crash or hang); log tail:"
			tail -n 30 "$_log" | sed 's/^/  > /'
			_st=1
			;;
		esac
	done
	return $_st
}

# put_le FILE OFFSET BYTES VALUE: overwrites a little-endian field in place
# (for building and corrupting kernel images in tests).
put_le() {
	_s='' _i=0
	while [ "$_i" -lt "$3" ]; do
		_s="$_s$(printf '\\%03o' $((($4 >> (8 * _i)) & 255)))"
		_i=$((_i + 1))
	done
	printf "$_s" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# crash_elf FILE: a 128-byte x86_64 ELF loaded at 1 MiB whose entry runs ud2
# with minivmm's boot IDT, which has no usable entry: #UD, then #GP, then
# #DF cannot be delivered either, so the CPU triple-faults at once.
crash_elf() {
	head -c 128 /dev/zero >"$1"
	printf '\177ELF\002\001\001' | dd of="$1" conv=notrunc 2>/dev/null
	put_le "$1" 16 2 2               # e_type ET_EXEC
	put_le "$1" 18 2 62              # e_machine EM_X86_64
	put_le "$1" 20 4 1               # e_version
	put_le "$1" 24 8 $((0x100078))   # e_entry: the ud2 below
	put_le "$1" 32 8 64              # e_phoff
	put_le "$1" 52 2 64              # e_ehsize
	put_le "$1" 54 2 56              # e_phentsize
	put_le "$1" 56 2 1               # e_phnum
	put_le "$1" 64 4 1               # p_type PT_LOAD
	put_le "$1" 68 4 5               # p_flags R+X
	put_le "$1" 80 8 $((0x100000))   # p_vaddr
	put_le "$1" 88 8 $((0x100000))   # p_paddr
	put_le "$1" 96 8 128             # p_filesz
	put_le "$1" 104 8 128            # p_memsz
	put_le "$1" 120 2 $((0x0b0f))    # ud2
}

# hang_elf FILE: crash_elf's ELF whose entry (0x100078) spins on jmp . forever.
hang_elf() {
	crash_elf "$1"
	put_le "$1" 120 2 $((0xfeeb))    # jmp .
}

# run_dir: makes sure $MINIVMM_RUN_DIR names this run's own scratch
# directory. run-all.sh makes one per run (build/run.XXXXXX) and every tier
# keeps its files under it, so two runs in one checkout (two `make check`,
# or `make check` beside `make bench`) share no file, namespace or TAP. A
# tier started on its own (make vmtests) makes one and says where. Needs $root.
run_dir() {
	[ -n "${MINIVMM_RUN_DIR:-}" ] && return 0
	mkdir -p "$root/build" || exit 1
	MINIVMM_RUN_DIR=$(mktemp -d "$root/build/run.XXXXXX") || exit 1
	export MINIVMM_RUN_DIR
	_run_dir_own=1
	echo "scratch directory of this run: $MINIVMM_RUN_DIR" >&2
}

# run_dir_done STATUS: a tier started on its own removes the scratch
# directory it made when STATUS is 0 (unless MINIVMM_KEEP=1); returns STATUS.
run_dir_done() {
	if [ "${_run_dir_own:-0}" = 1 ]; then
		if [ "$1" -eq 0 ] && [ "${MINIVMM_KEEP:-0}" != 1 ]; then
			rm -rf "$MINIVMM_RUN_DIR"
		else
			echo "scratch directory kept: $MINIVMM_RUN_DIR" >&2
		fi
	fi
	return "$1"
}
