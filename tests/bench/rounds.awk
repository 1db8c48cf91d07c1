# Shared by the benchmark tables (tests/bench/net.sh, fio.sh), put in front
# of their own awk program: per key k, cnt[k] values val[k, 1..cnt[k]].
function median(k,   n, i, j, t, v) {
	n = cnt[k]; if (!n) return -1
	for (i = 1; i <= n; i++) v[i] = val[k, i]
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function lo(k,   i, m) { m = -1; for (i = 1; i <= cnt[k]; i++) if (m < 0 || val[k, i] < m) m = val[k, i]; return m }
function hi(k,   i, m) { m = -1; for (i = 1; i <= cnt[k]; i++) if (val[k, i] > m) m = val[k, i]; return m }
# A raw line "TAG key=value ...": its fields into f[key].
function fields(   i, j) {
	delete f
	for (i = 2; i <= NF; i++) { j = index($i, "="); f[substr($i, 1, j - 1)] = substr($i, j + 1) }
}
