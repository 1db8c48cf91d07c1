// SPDX-License-Identifier: MIT
/*
 * Ring benchmark: what does VIRTIO_F_IN_ORDER cost and save?
 *
 * A driver and a device share one split ring in memory, no KVM. The driver
 * behaves as Linux's split-ring driver (free-list chains and one used read
 * per buffer without IN_ORDER; sequential descriptors and batched used reads
 * with it: tests/unit/mock_driver.c). It keeps `depth` buffers outstanding.
 * The device pops everything available, completes a random handful of its
 * outstanding requests (a shuffled io_uring CQE batch) and flushes once per
 * handful. The device-side variants a-e are described in
 * tests/unit/ring_variants.h (the unit tests check them).
 *
 * Two measurements:
 *
 * - threads (default): a driver thread and a device thread, each polling,
 *   on two cores; requests/s. Every round runs every (depth, variant) once,
 *   interleaved, so load from the rest of the machine spreads over all of
 *   them; the median and the spread (min-max) over rounds are printed.
 *
 * - cost (-c): one thread alternates driver and device over the same
 *   deterministic completion order, so each side's cost is measured on its
 *   own and without cache-line transfers: device ns per request (pop,
 *   complete, flush), driver ns per request to reap (virtqueue_get_buf()
 *   until empty), used-ring cache lines written by the device and read by
 *   the driver, and used.idx loads by the driver, per request. Each phase
 *   is timed with clock_gettime and the timer's own cost subtracted. Under
 *   callgrind (tests/bench/ring.sh) the instructions of dev_pop_all,
 *   dev_publish and drv_reap per request are the reproducible form of the
 *   same comparison.
 *
 * Usage: bench_ring [-s seconds-per-run] [-r rounds] [-D depth,...] [-V variants, e.g. abe]
 *                   [-d data-file]
 *        bench_ring -c [-n requests] [-r rounds] [-D depth,...] [-V variants] [-d data-file]
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * The bench links one object with libminivmm.a, so the test driver and the
 * variants come in as source; they are what the unit tests check.
 */
#include "tests/unit/mock_driver.c"
#include "tests/unit/ring_variants.c"

#define QSIZE	   256
#define BUF_BYTES  256
#define CQE_BATCH  8
#define MAX_DEPTHS 16
#define MAX_ROUNDS 64

struct run {
	enum ring_variant v;
	unsigned int depth;
	double seconds;
	struct mock_driver md;
	struct virtqueue vq;
	struct rv_state rv;
	atomic_bool stop;
	atomic_bool failed;
	uint64_t got; /* buffers the driver took back */
};

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static void pin(unsigned int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % (unsigned int)sysconf(_SC_NPROCESSORS_ONLN), &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int setup(struct run *r)
{
	if (mock_init(&r->md, QSIZE, rv_driver_features(r->v), 0x100000))
		return -1;
	vq_init(&r->vq, QSIZE);
	r->vq.size = QSIZE;
	r->vq.desc_gpa = r->md.desc_gpa;
	r->vq.avail_gpa = r->md.avail_gpa;
	r->vq.used_gpa = r->md.used_gpa;
	if (vq_enable(&r->vq, &r->md.gm, rv_device_features(r->v)))
		return -1;
	rv_attach(&r->rv, r->v, &r->vq);
	/* The driver polls: no interrupts wanted, as under NAPI busy polling. */
	mock_set_avail_flags(&r->md, VRING_AVAIL_F_NO_INTERRUPT);
	return 0;
}

static void teardown(struct run *r)
{
	vq_destroy(&r->vq);
	mock_free(&r->md);
}

/*
 * The device's steps, kept out of line so that callgrind attributes their
 * instructions (ring.sh reads them by these names).
 */
__attribute__((noinline)) static int dev_pop_all(struct run *r, struct vq_chain *c,
						 struct vq_ticket *pool, unsigned int *npool)
{
	int rc;

	while ((rc = vq_pop(&r->vq, c)) == VQ_OK)
		pool[(*npool)++] = c->t;
	if (rc == VQ_EMPTY)
		return 0;
	fprintf(stderr, "bench_ring: device: vq_pop: %d\n", rc);
	return -1;
}

/* A CQE batch: a few outstanding requests, in random order, then one flush. */
__attribute__((noinline)) static void dev_publish(struct run *r, struct vq_ticket *pool,
						  unsigned int *npool, uint64_t *rng)
{
	unsigned int k, n, m = *npool < CQE_BATCH ? *npool : CQE_BATCH;

	n = 1 + (unsigned int)(rng_next(rng) % m);
	for (k = 0; k < n; k++) {
		unsigned int j = (unsigned int)(rng_next(rng) % *npool);

		rv_complete(&r->rv, &pool[j], BUF_BYTES);
		pool[j] = pool[--*npool];
	}
	vq_flush(&r->vq);
}

static void *device(void *arg)
{
	struct run *r = arg;
	static _Thread_local struct iovec iov[4];
	struct vq_ticket pool[QSIZE];
	unsigned int npool = 0;
	uint64_t rng = 0x1234567 + r->depth;
	struct vq_chain c;

	pin(1);
	vq_chain_init(&c, iov, 4);
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		if (dev_pop_all(r, &c, pool, &npool)) {
			atomic_store(&r->failed, true);
			break;
		}
		/* Nothing to do: let the driver run if the two threads share a core. */
		if (!npool) {
			sched_yield();
			continue;
		}
		dev_publish(r, pool, &npool, &rng);
	}
	return NULL;
}

static void drv_fill(struct run *r, uint64_t *cookie)
{
	while (mock_outstanding(&r->md) < r->depth &&
	       mock_add_simple(&r->md, 0, BUF_BYTES, false, *cookie) >= 0)
		(*cookie)++;
}

/* virtqueue_get_buf() until it returns nothing; checks order and lengths. */
__attribute__((noinline)) static int drv_reap(struct run *r, uint64_t *expect)
{
	bool ordered = r->md.in_order;
	uint64_t c;
	uint32_t len;
	int g;

	while ((g = mock_get(&r->md, &c, &len)) == 1) {
		if ((ordered && c != *expect) || len != BUF_BYTES) {
			fprintf(stderr, "bench_ring: driver: buffer %llu len %u, expected %llu\n",
				(unsigned long long)c, len, (unsigned long long)*expect);
			return -1;
		}
		(*expect)++;
	}
	if (g < 0)
		fprintf(stderr, "bench_ring: driver: %s\n", r->md.why);
	return g;
}

static void *driver(void *arg)
{
	struct run *r = arg;
	uint64_t cookie = 0, expect = 0;

	pin(0);
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		drv_fill(r, &cookie);
		if (drv_reap(r, &expect)) {
			atomic_store(&r->failed, true);
			return NULL;
		}
		if (expect == r->got)
			sched_yield();
		r->got = expect;
	}
	return NULL;
}

static int run_threads(struct run *r)
{
	pthread_t td, tv;
	double t0, t1;

	if (setup(r))
		return -1;
	t0 = now();
	pthread_create(&tv, NULL, device, r);
	pthread_create(&td, NULL, driver, r);
	usleep((useconds_t)(r->seconds * 1e6));
	atomic_store(&r->stop, true);
	pthread_join(td, NULL);
	pthread_join(tv, NULL);
	t1 = now();
	if (atomic_load(&r->failed)) {
		fprintf(stderr, "bench_ring: %s depth %u failed\n", rv_name[r->v], r->depth);
		return -1;
	}
	if (!r->got)
		return -1;
	r->seconds = t1 - t0;
	return 0;
}

/* Per-request results of one cost run. */
struct cost {
	double dev_ns, drv_ns;
	double dev_lines, drv_lines, idx_loads, bufs_per_entry;
};

static double timer_cost_ns(void)
{
	double t0 = now(), t1;
	int i;

	for (i = 0; i < 100000; i++)
		now();
	t1 = now();
	return (t1 - t0) / 100000 * 1e9;
}

static int run_cost(struct run *r, uint64_t nreq, double timer_ns, struct cost *out)
{
	static struct iovec iov[4];
	struct vq_ticket pool[QSIZE];
	unsigned int npool = 0;
	uint64_t rng = 0x1234567 + r->depth, cookie = 0, expect = 0, phases = 0;
	double dev = 0, drv = 0, t0, t1, t2;
	struct vq_chain c;

	if (setup(r))
		return -1;
	vq_chain_init(&c, iov, 4);
	while (expect < nreq) {
		drv_fill(r, &cookie);
		t0 = now();
		if (dev_pop_all(r, &c, pool, &npool))
			return -1;
		dev_publish(r, pool, &npool, &rng);
		t1 = now();
		if (drv_reap(r, &expect))
			return -1;
		t2 = now();
		dev += t1 - t0;
		drv += t2 - t1;
		phases++;
	}
	/* Each phase paid for one clock read that is not its own work. */
	out->dev_ns = (dev * 1e9 - (double)phases * timer_ns) / (double)expect;
	out->drv_ns = (drv * 1e9 - (double)phases * timer_ns) / (double)expect;
	out->dev_lines = (double)r->vq.stats.used_lines / (double)r->vq.stats.published;
	out->drv_lines = (double)r->md.lines_read / (double)expect;
	out->idx_loads = (double)r->md.idx_loads / (double)expect;
	out->bufs_per_entry = (double)r->vq.stats.published / (double)r->vq.stats.used_entries;
	r->got = expect;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts v; returns the median. */
static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int parse_depths(const char *s, unsigned int *d)
{
	int n = 0;

	while (*s && n < MAX_DEPTHS) {
		char *end;
		unsigned long v = strtoul(s, &end, 10);

		if (end == s || !v || v > QSIZE)
			return -1;
		d[n++] = (unsigned int)v;
		s = *end == ',' ? end + 1 : end;
	}
	return n;
}

static int main_cost(const unsigned int *depths, int nd, const char *variants, int rounds,
		     uint64_t nreq, FILE *data)
{
	static struct cost res[MAX_DEPTHS][RV_COUNT][MAX_ROUNDS];
	double timer_ns = timer_cost_ns();
	int d, v, k;

	printf("cost: one thread, driver and device alternating over the same completion order "
	       "(random batches of 1..%d), %llu requests per run, median of %d rounds "
	       "(min-max); clock cost %.1f ns subtracted per phase\n\n",
	       CQE_BATCH, (unsigned long long)nreq, rounds, timer_ns);
	for (k = 0; k < rounds; k++) {
		for (d = 0; d < nd; d++) {
			for (v = 0; v < RV_COUNT; v++) {
				struct run *r;

				if (!strchr(variants, 'a' + v))
					continue;
				r = calloc(1, sizeof(*r));
				if (!r)
					return 1;
				r->v = (enum ring_variant)v;
				r->depth = depths[d];
				if (run_cost(r, nreq, timer_ns, &res[d][v][k])) {
					fprintf(stderr, "bench_ring: cost %s depth %u failed\n",
						rv_name[v], depths[d]);
					return 1;
				}
				teardown(r);
				free(r);
			}
		}
	}
	printf("%-13s %5s %17s %17s %10s %10s %9s %10s\n", "variant", "depth", "device ns/req",
	       "driver ns/req", "dev lines", "drv lines", "idx loads", "bufs/entry");
	for (d = 0; d < nd; d++) {
		for (v = 0; v < RV_COUNT; v++) {
			double dv[MAX_ROUNDS], dr[MAX_ROUNDS], md, mr;
			const struct cost *c = &res[d][v][0];
			char a[32], b[32];

			if (!strchr(variants, 'a' + v))
				continue;
			for (k = 0; k < rounds; k++) {
				dv[k] = res[d][v][k].dev_ns;
				dr[k] = res[d][v][k].drv_ns;
			}
			md = median(dv, rounds);
			mr = median(dr, rounds);
			snprintf(a, sizeof(a), "%.1f (%.1f-%.1f)", md, dv[0], dv[rounds - 1]);
			snprintf(b, sizeof(b), "%.1f (%.1f-%.1f)", mr, dr[0], dr[rounds - 1]);
			/* The counts are the same in every round: the run is deterministic. */
			printf("%-13s %5u %17s %17s %10.3f %10.3f %9.3f %10.2f\n", rv_name[v],
			       depths[d], a, b, c->dev_lines, c->drv_lines, c->idx_loads,
			       c->bufs_per_entry);
			if (data)
				fprintf(data, "%c %u %.2f %.2f %.4f %.4f %.4f %.3f\n", 'a' + v,
					depths[d], md, mr, c->dev_lines, c->drv_lines, c->idx_loads,
					c->bufs_per_entry);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static unsigned int depths[MAX_DEPTHS] = {1, 2, 4, 8, 16, 32, 64, 128, 256};
	static double rps[MAX_DEPTHS][RV_COUNT][MAX_ROUNDS];
	static uint32_t hwm[MAX_DEPTHS][RV_COUNT];
	static double lines[MAX_DEPTHS][RV_COUNT], per_entry[MAX_DEPTHS][RV_COUNT];
	const char *datafile = NULL, *variants = "abcde";
	int opt, v, d, k, nd = 9, rounds = 5;
	uint64_t nreq = 200000;
	bool cost = false;
	double secs = 0.2;
	FILE *data = NULL;

	while ((opt = getopt(argc, argv, "s:r:d:D:cn:V:")) != -1) {
		if (opt == 's')
			secs = atof(optarg);
		else if (opt == 'r')
			rounds = atoi(optarg);
		else if (opt == 'd')
			datafile = optarg;
		else if (opt == 'D')
			nd = parse_depths(optarg, depths);
		else if (opt == 'c')
			cost = true;
		else if (opt == 'n')
			nreq = strtoull(optarg, NULL, 10);
		else if (opt == 'V')
			variants = optarg;
		else
			return 2;
	}
	if (nd < 1 || rounds < 1 || rounds > MAX_ROUNDS || !nreq) {
		fprintf(stderr, "bench_ring: bad -D, -r or -n\n");
		return 2;
	}
	if (datafile && !(data = fopen(datafile, "w"))) {
		perror(datafile);
		return 1;
	}
	if (cost) {
		v = main_cost(depths, nd, variants, rounds, nreq, data);
		if (data)
			fclose(data);
		return v;
	}
	printf("threads: split ring, queue size %d, %d-byte device-writable buffers, completions "
	       "in random order in batches of 1..%d, %.2f s per run, median of %d interleaved "
	       "rounds (min-max)\n\n",
	       QSIZE, BUF_BYTES, CQE_BATCH, secs, rounds);
	for (k = 0; k < rounds; k++) {
		for (d = 0; d < nd; d++) {
			for (v = 0; v < RV_COUNT; v++) {
				struct run *r;

				if (!strchr(variants, 'a' + v))
					continue;
				r = calloc(1, sizeof(*r));
				if (!r)
					return 1;
				r->v = (enum ring_variant)v;
				r->depth = depths[d];
				r->seconds = secs;
				/* A loaded machine may not run a thread for a whole run: retry. */
				for (int tries = 0; run_threads(r); tries++) {
					if (r->failed || tries == 3)
						return 1;
					teardown(r);
					memset(r, 0, sizeof(*r));
					r->v = (enum ring_variant)v;
					r->depth = depths[d];
					r->seconds = secs;
				}
				rps[d][v][k] = (double)r->got / r->seconds;
				lines[d][v] = (double)r->vq.stats.used_lines /
					      (double)r->vq.stats.published;
				per_entry[d][v] = (double)r->vq.stats.published /
						  (double)r->vq.stats.used_entries;
				if (r->vq.stats.heap_hwm > hwm[d][v])
					hwm[d][v] = r->vq.stats.heap_hwm;
				teardown(r);
				free(r);
			}
		}
	}
	printf("%-13s %5s %12s %25s %9s %11s %12s %10s\n", "variant", "depth", "req/s", "spread",
	       "ns/req", "lines/req", "bufs/entry", "heap hwm");
	for (v = 0; v < RV_COUNT; v++) {
		if (!strchr(variants, 'a' + v))
			continue;
		if (data)
			fprintf(data, "# %s\n", rv_name[v]);
		for (d = 0; d < nd; d++) {
			double m = median(rps[d][v], rounds);
			char spread[40];

			snprintf(spread, sizeof(spread), "%.0f-%.0f", rps[d][v][0],
				 rps[d][v][rounds - 1]);
			printf("%-13s %5u %12.0f %25s %9.1f %11.3f %12.2f %10u\n", rv_name[v],
			       depths[d], m, spread, 1e9 / m, lines[d][v], per_entry[d][v],
			       hwm[d][v]);
			if (data)
				fprintf(data, "%c %u %.0f %.2f %.4f %.3f %.0f %.0f\n", 'a' + v,
					depths[d], m, 1e9 / m, lines[d][v], per_entry[d][v],
					rps[d][v][0], rps[d][v][rounds - 1]);
		}
		if (data)
			fprintf(data, "\n\n");
	}
	if (data)
		fclose(data);
	return 0;
}
