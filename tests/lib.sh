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
