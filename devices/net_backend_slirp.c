// SPDX-License-Identifier: MIT
/*
 * The user-mode backend: libslirp in minivmm's process. The guest sees a
 * network with a gateway (DHCP, DNS forwarding); its TCP and UDP become
 * the host's own sockets, and forwarded host ports reach the guest.
 *
 * libslirp is not thread-safe, so one thread of the backend's own (started
 * by start(), the device's helper prologue first: its seccomp filter) makes
 * every slirp call after create: the poll loop over slirp's sockets, its
 * timers, and slirp_input for what the guest sent. The device thread and
 * it meet only in two locked FIFOs of copied frames, each with an eventfd:
 *
 * - transmit: tx() copies the frame (without the device's header: no
 *   offload is offered) and bumps the slirp thread's wake-up; it is done
 *   at once, as a wire would take it. A full FIFO drops the frame (TCP
 *   resends it; slirp drops too when its side is full);
 * - receive: slirp's send_packet callback copies the frame behind
 *   VNET_HDR_LEN zero bytes and bumps the device's eventfd (ring_file,
 *   whose read prepare() keeps armed).
 *
 * Hosts without libslirp (the static builds: Debian ships no libslirp.a;
 * a cross build) link this file all the same: its slirp calls are weak,
 * and create says the backend is missing.
 */
#include "devices/net_backend.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "devices/dev_stats.h"
#include "devices/dev_thread.h"
#include "devices/net_hdr.h"

#if __has_include(<slirp/libslirp.h>)
#include <slirp/libslirp.h>
#define HAVE_SLIRP 1
#pragma weak slirp_new
#pragma weak slirp_cleanup
#pragma weak slirp_pollfds_fill
#pragma weak slirp_pollfds_poll
#pragma weak slirp_input
#pragma weak slirp_handle_timer
#pragma weak slirp_add_hostfwd
#endif

#define RX_POOL	  64   /* frames from slirp not yet in the guest */
#define TX_POOL	  64   /* frames from the guest not yet given to slirp */
#define FRAME_MAX 1514 /* slirp's MTU (1500) and the Ethernet header */
#define RX_BUF	  (VNET_HDR_LEN + FRAME_MAX)

/* The device's eventfd: frames wait in rx. */
#define TAG_RX_WAKE (NET_BACKEND_TAG_OWN | 1)

#ifdef HAVE_SLIRP

struct slirp_timer {
	struct slirp_timer *next;
	SlirpTimerId id;
	void *cb_opaque;
	int64_t expire_ms; /* -1: not armed */
};

struct rx_frame {
	struct vnet_rx_frame f;
	uint8_t data[RX_BUF];
};

struct tx_frame {
	uint32_t len;
	uint8_t data[FRAME_MAX];
};

struct slirp_backend {
	struct net_backend be;	/* first */
	struct dev_event rx_ev; /* device thread's wake-up: a frame in rx */
	int wake_fd;		/* slirp thread's wake-up: a frame in tx, or stop */

	pthread_mutex_t lock; /* the FIFOs and stopping */
	struct rx_frame *rx;
	unsigned int rx_head, rx_count;
	struct tx_frame *tx;
	unsigned int tx_head, tx_count;
	bool stopping;

	/* The slirp thread's (before start: the creator's). */
	Slirp *slirp;
	struct slirp_timer *timers;
	struct pollfd *pfd;
	unsigned int npfd, pfd_cap;
	struct tx_frame cur; /* a frame taken out of tx, fed to slirp unlocked */

	pthread_t thread;
	bool started;
	pthread_mutex_t start_lock;
	pthread_cond_t start_cond;
	int start_rc; /* 1: not yet known */
	int (*prologue)(void *arg);
	void *prologue_arg;
};

static struct slirp_backend *to_sb(struct net_backend *be)
{
	return (struct slirp_backend *)be;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- slirp's callbacks, on the slirp thread ---- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct slirp_backend *s = opaque;
	bool first;

	if (len < VNET_MIN_FRAME || len > FRAME_MAX) {
		stat_inc(&s->be.st.rx_drop_too_big);
		return (ssize_t)len;
	}
	pthread_mutex_lock(&s->lock);
	if (s->rx_count == RX_POOL) {
		/* The guest is not taking frames: as a full wire would, drop. */
		pthread_mutex_unlock(&s->lock);
		stat_inc(&s->be.st.rx_read_errors);
		return (ssize_t)len;
	}
	{
		struct rx_frame *f = &s->rx[(s->rx_head + s->rx_count) % RX_POOL];

		memset(f->data, 0, VNET_HDR_LEN);
		memcpy(f->data + VNET_HDR_LEN, buf, len);
		f->f = (struct vnet_rx_frame){.data = f->data,
					      .len = (uint32_t)(VNET_HDR_LEN + len)};
	}
	first = !s->rx_count;
	s->rx_count++;
	stat_max(&s->be.st.rx_pool_hwm, s->rx_count);
	pthread_mutex_unlock(&s->lock);
	/* One wake-up per empty-to-full: the device drains the whole FIFO. */
	if (first)
		eventfd_write(s->rx_ev.fd, 1);
	return (ssize_t)len;
}

/* The guest's mistakes are its own business: slirp drops the frame. */
static void cb_guest_error(const char *msg, void *opaque)
{
	(void)msg;
	(void)opaque;
}

static int64_t cb_clock_get_ns(void *opaque)
{
	(void)opaque;
	return now_ns();
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct slirp_backend *s = opaque;
	struct slirp_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	*t = (struct slirp_timer){
		.next = s->timers, .id = id, .cb_opaque = cb_opaque, .expire_ms = -1};
	s->timers = t;
	return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct slirp_backend *s = opaque;

	for (struct slirp_timer **p = &s->timers; *p; p = &(*p)->next) {
		if (*p == timer) {
			*p = (*p)->next;
			free(timer);
			return;
		}
	}
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	(void)opaque;
	if (timer)
		((struct slirp_timer *)timer)->expire_ms = expire_ms;
}

/* Every fd is polled anew each turn (slirp_pollfds_fill): nothing to keep. */
static void cb_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

/* Called on the slirp thread itself, which fills its poll set every turn. */
static void cb_notify(void *opaque)
{
	(void)opaque;
}

static const SlirpCb slirp_cbs = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_poll_fd,
	.unregister_poll_fd = cb_poll_fd,
	.notify = cb_notify,
	.timer_new_opaque = cb_timer_new_opaque,
};

/* ---- the slirp thread ---- */

static int add_poll(int fd, int events, void *opaque)
{
	struct slirp_backend *s = opaque;
	short ev = 0;

	if (s->npfd == s->pfd_cap) {
		unsigned int cap = s->pfd_cap ? 2 * s->pfd_cap : 16;
		struct pollfd *p = realloc(s->pfd, cap * sizeof(*p));

		/* Without room the socket is not polled this turn: it waits a turn. */
		if (!p)
			return -1;
		s->pfd = p;
		s->pfd_cap = cap;
	}
	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	s->pfd[s->npfd] = (struct pollfd){.fd = fd, .events = ev};
	return (int)s->npfd++;
}

static int get_revents(int idx, void *opaque)
{
	struct slirp_backend *s = opaque;
	short re;
	int out = 0;

	if (idx < 0 || (unsigned int)idx >= s->npfd)
		return 0;
	re = s->pfd[idx].revents;
	if (re & POLLIN)
		out |= SLIRP_POLL_IN;
	if (re & POLLOUT)
		out |= SLIRP_POLL_OUT;
	if (re & POLLPRI)
		out |= SLIRP_POLL_PRI;
	if (re & POLLERR)
		out |= SLIRP_POLL_ERR;
	if (re & POLLHUP)
		out |= SLIRP_POLL_HUP;
	return out;
}

/* The poll's timeout in ms: slirp's, shortened by the first armed timer. */
static int turn_timeout(struct slirp_backend *s, uint32_t slirp_ms)
{
	int64_t ms = slirp_ms == UINT32_MAX ? -1 : (int64_t)slirp_ms;
	int64_t now = now_ns() / 1000000;

	for (struct slirp_timer *t = s->timers; t; t = t->next) {
		int64_t left;

		if (t->expire_ms < 0)
			continue;
		left = t->expire_ms > now ? t->expire_ms - now : 0;
		if (ms < 0 || left < ms)
			ms = left;
	}
	return ms > 100000 ? 100000 : (int)ms;
}

static void run_timers(struct slirp_backend *s)
{
	int64_t now = now_ns() / 1000000;
	bool fired;

	/* A handler may re-arm, add or free timers: start over after each. */
	do {
		fired = false;
		for (struct slirp_timer *t = s->timers; t; t = t->next) {
			if (t->expire_ms >= 0 && t->expire_ms <= now) {
				t->expire_ms = -1;
				slirp_handle_timer(s->slirp, t->id, t->cb_opaque);
				fired = true;
				break;
			}
		}
	} while (fired);
}

/* What the guest sent, oldest first; each fed to slirp without the lock. */
static void feed_tx(struct slirp_backend *s)
{
	for (;;) {
		pthread_mutex_lock(&s->lock);
		if (!s->tx_count) {
			pthread_mutex_unlock(&s->lock);
			return;
		}
		s->cur.len = s->tx[s->tx_head].len;
		memcpy(s->cur.data, s->tx[s->tx_head].data, s->cur.len);
		s->tx_head = (s->tx_head + 1) % TX_POOL;
		s->tx_count--;
		pthread_mutex_unlock(&s->lock);
		slirp_input(s->slirp, s->cur.data, (int)s->cur.len);
	}
}

static void *slirp_thread(void *arg)
{
	struct slirp_backend *s = arg;
	int rc = s->prologue ? s->prologue(s->prologue_arg) : 0;

	pthread_mutex_lock(&s->start_lock);
	s->start_rc = rc;
	pthread_cond_broadcast(&s->start_cond);
	pthread_mutex_unlock(&s->start_lock);
	if (rc)
		return NULL;
	for (;;) {
		uint32_t ms = UINT32_MAX;
		bool stop;
		int n;

		pthread_mutex_lock(&s->lock);
		stop = s->stopping;
		pthread_mutex_unlock(&s->lock);
		if (stop)
			break;
		feed_tx(s);
		s->npfd = 0;
		add_poll(s->wake_fd, SLIRP_POLL_IN, s);
		slirp_pollfds_fill(s->slirp, &ms, add_poll, s);
		n = poll(s->pfd, s->npfd, turn_timeout(s, ms));
		if (n > 0 && (s->pfd[0].revents & POLLIN)) {
			eventfd_t v;

			eventfd_read(s->wake_fd, &v);
		}
		slirp_pollfds_poll(s->slirp, n < 0, get_revents, s);
		run_timers(s);
	}
	return NULL;
}

/* ---- the device thread's side ---- */

static int sb_start(struct net_backend *be, int (*prologue)(void *arg), void *arg)
{
	struct slirp_backend *s = to_sb(be);
	int rc;

	s->prologue = prologue;
	s->prologue_arg = arg;
	s->start_rc = 1;
	rc = -pthread_create(&s->thread, NULL, slirp_thread, s);
	if (rc)
		return rc;
	pthread_setname_np(s->thread, "slirp");
	s->started = true;
	pthread_mutex_lock(&s->start_lock);
	while (s->start_rc == 1)
		pthread_cond_wait(&s->start_cond, &s->start_lock);
	rc = s->start_rc;
	pthread_mutex_unlock(&s->start_lock);
	return rc;
}

/* Taken at once (a copy), as a wire takes a frame. */
static int sb_tx(struct net_backend *be, uint64_t tag, const struct iovec *iov, unsigned int n)
{
	struct slirp_backend *s = to_sb(be);
	size_t len = 0, total = iov[0].iov_len;
	struct tx_frame *f;

	(void)tag;
	for (unsigned int i = 1; i < n; i++)
		len += iov[i].iov_len;
	total += len;
	if (len > FRAME_MAX)
		return -EMSGSIZE;
	pthread_mutex_lock(&s->lock);
	if (s->tx_count == TX_POOL) {
		pthread_mutex_unlock(&s->lock);
		return -ENOBUFS;
	}
	f = &s->tx[(s->tx_head + s->tx_count) % TX_POOL];
	f->len = 0;
	for (unsigned int i = 1; i < n; i++) {
		memcpy(f->data + f->len, iov[i].iov_base, iov[i].iov_len);
		f->len += (uint32_t)iov[i].iov_len;
	}
	s->tx_count++;
	pthread_mutex_unlock(&s->lock);
	eventfd_write(s->wake_fd, 1);
	return (int)total;
}

static void sb_tx_cancel(struct net_backend *be, uint64_t tag)
{
	(void)be;
	(void)tag;
}

static struct vnet_rx_frame *sb_rx_peek(struct net_backend *be)
{
	struct slirp_backend *s = to_sb(be);
	struct vnet_rx_frame *f = NULL;

	pthread_mutex_lock(&s->lock);
	if (s->rx_count)
		f = &s->rx[s->rx_head].f;
	pthread_mutex_unlock(&s->lock);
	return f;
}

static void sb_rx_consume(struct net_backend *be)
{
	struct slirp_backend *s = to_sb(be);

	pthread_mutex_lock(&s->lock);
	s->rx_head = (s->rx_head + 1) % RX_POOL;
	s->rx_count--;
	pthread_mutex_unlock(&s->lock);
}

static void sb_rx_kick(struct net_backend *be)
{
	(void)be;
}

static void sb_prepare(struct net_backend *be)
{
	dev_thread_arm(be->dt, &to_sb(be)->rx_ev);
}

/* The wake-up only ends the device's sleep: rx_peek looks at the FIFO. */
static void sb_event(struct net_backend *be, uint64_t tag, int res, net_tx_done_fn *done, void *dev)
{
	if (dev_event_fired(&to_sb(be)->rx_ev, tag))
		return;
	if (tag < NET_BACKEND_TAG_OWN)
		done(dev, tag, res);
}

/* The wake-up's read stays armed through a reset, as a kick's does. */
static void sb_cancel(struct net_backend *be)
{
	(void)be;
}

static bool sb_busy(const struct net_backend *be)
{
	(void)be;
	return false;
}

/* Frames for the guest before the reset are dropped; slirp's connections stay. */
static void sb_reset(struct net_backend *be)
{
	struct slirp_backend *s = to_sb(be);

	pthread_mutex_lock(&s->lock);
	s->rx_head = s->rx_count = 0;
	pthread_mutex_unlock(&s->lock);
}

/* No offload was offered: the guest can take none. */
static int sb_set_offload(struct net_backend *be, uint64_t features)
{
	(void)be;
	(void)features;
	return 0;
}

static void sb_destroy(struct net_backend *be)
{
	struct slirp_backend *s = to_sb(be);

	if (s->started) {
		pthread_mutex_lock(&s->lock);
		s->stopping = true;
		pthread_mutex_unlock(&s->lock);
		eventfd_write(s->wake_fd, 1);
		pthread_join(s->thread, NULL);
	}
	if (s->slirp)
		slirp_cleanup(s->slirp);
	while (s->timers)
		cb_timer_free(s->timers, s);
	if (s->rx_ev.fd >= 0)
		close(s->rx_ev.fd);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->start_lock);
	pthread_cond_destroy(&s->start_cond);
	free(s->pfd);
	free(s->rx);
	free(s->tx);
	free(s);
}

static const struct net_backend_ops slirp_backend_ops = {
	.name = "user",
	.start = sb_start,
	.tx = sb_tx,
	.tx_cancel = sb_tx_cancel,
	.rx_peek = sb_rx_peek,
	.rx_consume = sb_rx_consume,
	.rx_kick = sb_rx_kick,
	.prepare = sb_prepare,
	.event = sb_event,
	.cancel = sb_cancel,
	.reap = sb_event,
	.busy = sb_busy,
	.reset = sb_reset,
	.set_offload = sb_set_offload,
	.destroy = sb_destroy,
};

static struct in_addr in4(uint32_t host_order)
{
	return (struct in_addr){.s_addr = htonl(host_order)};
}

/* The forwarded ports, listening before the guest runs: a port in use is a config error. */
static int add_fwds(struct slirp_backend *s, const struct net_user_options *o, char *err,
		    size_t err_len)
{
	for (unsigned int i = 0; i < o->n_fwd; i++) {
		const struct net_user_fwd *f = &o->fwd[i];
		char a[INET_ADDRSTRLEN];
		struct in_addr h = in4(f->host_addr);

		errno = 0;
		/* Guest address 0: slirp's first DHCP address, the guest's own. */
		if (slirp_add_hostfwd(s->slirp, 0, h, f->host_port, in4(0), f->guest_port) < 0) {
			int e = errno ? errno : EADDRINUSE;

			inet_ntop(AF_INET, &h, a, sizeof(a));
			snprintf(err, err_len, "cannot forward host port %s:%u: %s", a,
				 f->host_port, strerror(e));
			return -e;
		}
	}
	return 0;
}

int net_backend_slirp_create(const struct net_user_options *o, struct net_backend **out, char *err,
			     size_t err_len)
{
	uint32_t mask = o->prefix ? ~0u << (32 - o->prefix) : 0;
	uint32_t net = o->net & mask;
	SlirpConfig cfg = {
		.version = 4,
		.in_enabled = true,
		.vnetwork = in4(net),
		.vnetmask = in4(mask),
		.vhost = in4(net | 2),
		.vdhcp_start = in4(net | 15),
		.vnameserver = in4(net | 3),
		.vhostname = "minivmm",
	};
	struct slirp_backend *s;
	int rc;

	*out = NULL;
	if (!slirp_new) {
		snprintf(err, err_len,
			 "user-mode networking: this minivmm was built without libslirp");
		return -ENOTSUP;
	}
	/* .15 and up must fit beside the network's own addresses. */
	if (o->prefix < 8 || o->prefix > 28) {
		snprintf(err, err_len, "user network prefix /%u: give /8 to /28", o->prefix);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	s->rx_ev.fd = s->wake_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->start_lock, NULL);
	pthread_cond_init(&s->start_cond, NULL);
	s->rx = calloc(RX_POOL, sizeof(*s->rx));
	s->tx = calloc(TX_POOL, sizeof(*s->tx));
	s->rx_ev = (struct dev_event){.fd = eventfd(0, EFD_CLOEXEC), .tag = TAG_RX_WAKE};
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!s->rx || !s->tx || s->rx_ev.fd < 0 || s->wake_fd < 0) {
		rc = s->rx && s->tx ? -errno : -ENOMEM;
		snprintf(err, err_len, "user-mode networking: %s", strerror(-rc));
		sb_destroy(&s->be);
		return rc;
	}
	s->slirp = slirp_new(&cfg, &slirp_cbs, s);
	if (!s->slirp) {
		snprintf(err, err_len, "user-mode networking: libslirp refused the network");
		sb_destroy(&s->be);
		return -EINVAL;
	}
	rc = add_fwds(s, o, err, err_len);
	if (rc) {
		sb_destroy(&s->be);
		return rc;
	}
	s->be = (struct net_backend){
		.ops = &slirp_backend_ops,
		.features = 0,
		.ring_file = s->rx_ev.fd,
		/* The wake-up's read. */
		.ring_entries = 2,
	};
	snprintf(s->be.label, sizeof(s->be.label), "user");
	*out = &s->be;
	return 0;
}

#else /* !HAVE_SLIRP */

int net_backend_slirp_create(const struct net_user_options *o, struct net_backend **out, char *err,
			     size_t err_len)
{
	(void)o;
	*out = NULL;
	snprintf(err, err_len, "user-mode networking: this minivmm was built without libslirp");
	return -ENOTSUP;
}

#endif
