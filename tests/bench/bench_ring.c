// SPDX-License-Identifier: MIT
/*
 * Ring benchmark: what does VIRTIO_F_IN_ORDER cost and save?
 *
 * A driver thread and a device thread share one split ring in memory, no
 * KVM. The driver behaves as Linux's split-ring driver (free-list chains and
 * per-entry used reads without IN_ORDER; sequential descriptors and batched
 * used reads with it: tests/unit/mock_driver.c). It keeps `depth` buffers
 * outstanding and polls. The device pops everything available, completes a
 * random handful of its outstanding requests (a shuffled io_uring CQE batch)
 * and flushes once per handful. Variants of the device side:
 *
 *   a  unordered       no IN_ORDER: used entries in completion order
 *   b  heap+batch      IN_ORDER, min-heap reorder, runs of full buffers batched
 *   c  heap            IN_ORDER, min-heap reorder, one entry per buffer
 *   d  hash            IN_ORDER, hash table keyed by seq (the seed's reorder buffer)
 *   e  array           IN_ORDER, array indexed by seq % size (QEMU's used_elems)
 *
 * d and e keep their own reorder structure in front of a queue that writes
 * entries in the order handed to it, so they differ from c only there.
 * Reported per (variant, depth): requests/s, ns/request, used-ring cache
 * lines written per request and buffers per used entry.
 *
 * Each point is run -r times and the fastest run is kept: the machine is
 * shared (2 cores), and interference only ever makes a run slower.
 *
 * Usage: bench_ring [-s seconds-per-run] [-r runs-per-point] [-d data-file]
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
 * The bench links one object with libminivmm.a, so the test driver comes in
 * as source; it is the same driver the unit tests check the queue against.
 */
#include "tests/unit/mock_driver.c"

#define QSIZE	  256
#define BUF_BYTES 256
#define CQE_BATCH 8

enum variant { V_UNORDERED, V_HEAP_BATCH, V_HEAP, V_HASH, V_ARRAY, V_COUNT };

static const char *const vname[V_COUNT] = {"a unordered", "b heap+batch", "c heap", "d hash",
					   "e array"};

struct done {
	struct vq_ticket t;
	uint32_t len;
	bool valid;
};

/* Open-addressing hash keyed by seq, linear probing, backward-shift delete. */
struct hash {
	struct done slot[2 * QSIZE];
	uint64_t key[2 * QSIZE];
};

static uint32_t hash_of(uint64_t seq)
{
	return (uint32_t)((seq * 0x9E3779B97F4A7C15ULL) >> 55) & (2 * QSIZE - 1);
}

static void hash_put(struct hash *h, uint64_t seq, const struct done *d)
{
	uint32_t i = hash_of(seq);

	while (h->slot[i].valid)
		i = (i + 1) & (2 * QSIZE - 1);
	h->slot[i] = *d;
	h->key[i] = seq;
}

static bool hash_take(struct hash *h, uint64_t seq, struct done *out)
{
	uint32_t i = hash_of(seq), j, mask = 2 * QSIZE - 1;

	while (h->slot[i].valid && h->key[i] != seq)
		i = (i + 1) & mask;
	if (!h->slot[i].valid)
		return false;
	*out = h->slot[i];
	h->slot[i].valid = false;
	/* Shift later members of the cluster back so lookups need no tombstones. */
	for (j = (i + 1) & mask; h->slot[j].valid; j = (j + 1) & mask) {
		uint32_t home = hash_of(h->key[j]);

		if (((j - home) & mask) >= ((j - i) & mask)) {
			h->slot[i] = h->slot[j];
			h->key[i] = h->key[j];
			h->slot[j].valid = false;
			i = j;
		}
	}
	return true;
}

struct run {
	enum variant v;
	unsigned int depth;
	double seconds;
	struct mock_driver md;
	struct virtqueue vq;
	atomic_bool stop;
	atomic_bool failed;
	uint64_t got; /* buffers the driver took back */
	struct hash hash;
	struct done array[QSIZE];
	uint64_t next_publish; /* d and e */
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

static void complete_one(struct run *r, const struct vq_ticket *t, uint32_t len)
{
	struct done d = {.t = *t, .len = len, .valid = true};

	switch (r->v) {
	case V_HASH:
		hash_put(&r->hash, t->seq, &d);
		while (hash_take(&r->hash, r->next_publish, &d)) {
			vq_complete(&r->vq, &d.t, d.len);
			r->next_publish++;
		}
		break;
	case V_ARRAY:
		r->array[t->seq % QSIZE] = d;
		while (r->array[r->next_publish % QSIZE].valid) {
			struct done *e = &r->array[r->next_publish % QSIZE];

			vq_complete(&r->vq, &e->t, e->len);
			e->valid = false;
			r->next_publish++;
		}
		break;
	default:
		vq_complete(&r->vq, t, len);
	}
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
		unsigned int k, n;
		int rc;

		while ((rc = vq_pop(&r->vq, &c)) == VQ_OK)
			pool[npool++] = c.t;
		if (rc != VQ_EMPTY) {
			atomic_store(&r->failed, true);
			break;
		}
		/* Nothing to do: let the driver run if the two threads share a core. */
		if (!npool) {
			sched_yield();
			continue;
		}
		/* A CQE batch: a few outstanding requests, in random order. */
		n = 1 + (unsigned int)(rng_next(&rng) % (npool < CQE_BATCH ? npool : CQE_BATCH));
		for (k = 0; k < n; k++) {
			unsigned int j = (unsigned int)(rng_next(&rng) % npool);

			complete_one(r, &pool[j], BUF_BYTES);
			pool[j] = pool[--npool];
		}
		vq_flush(&r->vq);
	}
	return NULL;
}

static void *driver(void *arg)
{
	struct run *r = arg;
	bool ordered = r->md.in_order;
	uint64_t cookie = 0, expect = 0, c;
	uint32_t len;
	int g;

	pin(0);
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		while (mock_outstanding(&r->md) < r->depth &&
		       mock_add_simple(&r->md, 0, BUF_BYTES, false, cookie) >= 0)
			cookie++;
		if (!more_used(&r->md) && r->md.batch_id == r->md.size)
			sched_yield();
		while ((g = mock_get(&r->md, &c, &len)) == 1) {
			if ((ordered && c != expect) || len != BUF_BYTES) {
				atomic_store(&r->failed, true);
				return NULL;
			}
			expect++;
		}
		if (g < 0) {
			fprintf(stderr, "bench_ring: driver: %s\n", r->md.why);
			atomic_store(&r->failed, true);
			return NULL;
		}
	}
	r->got = expect;
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run_point(struct run *r)
{
	uint64_t drv = 1ULL << VIRTIO_F_VERSION_1, dev;
	pthread_t td, tv;
	double t0, t1;

	if (r->v != V_UNORDERED)
		drv |= 1ULL << VIRTIO_F_IN_ORDER;
	/* d and e reorder in front of a queue that publishes in the order given. */
	dev = (r->v == V_HASH || r->v == V_ARRAY) ? 1ULL << VIRTIO_F_VERSION_1 : drv;
	if (mock_init(&r->md, QSIZE, drv, 0x100000))
		return -1;
	vq_init(&r->vq, QSIZE);
	r->vq.size = QSIZE;
	r->vq.desc_gpa = r->md.desc_gpa;
	r->vq.avail_gpa = r->md.avail_gpa;
	r->vq.used_gpa = r->md.used_gpa;
	if (vq_enable(&r->vq, &r->md.gm, dev))
		return -1;
	vq_set_batching(&r->vq, r->v == V_HEAP_BATCH);
	/* The driver polls: no interrupts wanted, as under NAPI busy polling. */
	mock_set_avail_flags(&r->md, VRING_AVAIL_F_NO_INTERRUPT);

	t0 = now();
	pthread_create(&tv, NULL, device, r);
	pthread_create(&td, NULL, driver, r);
	usleep((useconds_t)(r->seconds * 1e6));
	atomic_store(&r->stop, true);
	pthread_join(td, NULL);
	pthread_join(tv, NULL);
	t1 = now();
	if (atomic_load(&r->failed) || !r->got) {
		fprintf(stderr, "bench_ring: %s depth %u failed\n", vname[r->v], r->depth);
		return -1;
	}
	r->seconds = t1 - t0;
	return 0;
}

int main(int argc, char **argv)
{
	static const unsigned int depths[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};
	const char *datafile = NULL;
	double secs = 0.25;
	FILE *data = NULL;
	int opt, v, reps = 3;

	while ((opt = getopt(argc, argv, "s:r:d:")) != -1) {
		if (opt == 's')
			secs = atof(optarg);
		else if (opt == 'r')
			reps = atoi(optarg) > 0 ? atoi(optarg) : 1;
		else if (opt == 'd')
			datafile = optarg;
		else
			return 2;
	}
	if (datafile && !(data = fopen(datafile, "w"))) {
		perror(datafile);
		return 1;
	}
	printf("split ring, queue size %d, %d-byte device-writable buffers, completions in random "
	       "order in batches of 1..%d, best of %d runs of %.2f s per point\n\n",
	       QSIZE, BUF_BYTES, CQE_BATCH, reps, secs);
	printf("%-13s %5s %12s %9s %11s %12s %10s\n", "variant", "depth", "req/s", "ns/req",
	       "lines/req", "bufs/entry", "heap hwm");
	for (v = 0; v < V_COUNT; v++) {
		if (data)
			fprintf(data, "# %s\n", vname[v]);
		for (size_t i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
			struct run *r = NULL;
			double rps, ns, lines, per_entry;

			for (int k = 0; k < reps; k++) {
				struct run *t = calloc(1, sizeof(*t));

				if (!t)
					return 1;
				t->v = (enum variant)v;
				t->depth = depths[i];
				t->seconds = secs;
				if (run_point(t)) {
					free(t);
					return 1;
				}
				if (!r ||
				    (double)t->got / t->seconds > (double)r->got / r->seconds) {
					if (r) {
						vq_destroy(&r->vq);
						mock_free(&r->md);
					}
					free(r);
					r = t;
				} else {
					vq_destroy(&t->vq);
					mock_free(&t->md);
					free(t);
				}
			}
			rps = (double)r->got / r->seconds;
			ns = 1e9 / rps;
			lines = (double)r->vq.stats.used_lines / (double)r->vq.stats.published;
			per_entry =
				(double)r->vq.stats.published / (double)r->vq.stats.used_entries;
			printf("%-13s %5u %12.0f %9.1f %11.3f %12.2f %10u\n", vname[v], r->depth,
			       rps, ns, lines, per_entry, r->vq.stats.heap_hwm);
			if (data)
				fprintf(data, "%u %.0f %.2f %.4f %.3f\n", r->depth, rps, ns, lines,
					per_entry);
			fflush(stdout);
			vq_destroy(&r->vq);
			mock_free(&r->md);
			free(r);
		}
		if (data)
			fprintf(data, "\n\n");
	}
	if (data)
		fclose(data);
	return 0;
}
