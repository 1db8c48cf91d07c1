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
		_line=$(grep -a "^MINIVMM-RESULT [A-Z]* $_c\b" "$_log" | head -n 1 | tr -d '\r')
		case $_line in
		"MINIVMM-RESULT PASS "*)
			record PASS "$_g/$_c" "$(echo "$_line" | awk '{ print $4 }') s"
			;;
		"MINIVMM-RESULT FAIL "*)
			record FAIL "$_g/$_c" "${_line#MINIVMM-RESULT FAIL $_c }"
			awk -v c="$_c" '$0 ~ "^MINIVMM-RESULT FAIL " c {p=1; next} p && /^  \|/ {print; next} {p=0}' "$_log"
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
