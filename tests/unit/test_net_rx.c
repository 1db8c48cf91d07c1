// SPDX-License-Identifier: MIT
/*
 * virtio-net receive placement (devices/net_rx.c), the code the device
 * thread runs, against the mock driver: a frame that needs more buffers
 * than the guest has posted waits for the guest without spinning over the
 * same buffers (the receive livelock that froze host-to-guest TCP), asks
 * for a kick for the next buffer, and lands whole once enough arrive, in
 * one step or one buffer at a time; frames that can never fit and buffers
 * too short for the header are dropped and answered, not left to stall
 * receive.
 */
#include <check.h>
#include <string.h>

#include "devices/net_hdr.h"
#include "devices/net_rx.h"
#include "tests/unit/check_run.h"
#include "tests/unit/mock_driver.h"
#include "virtio/virtqueue.h"

#define RAM_GPA 0x100000ULL
#define QSIZE	16
#define F_V1	(1ULL << VIRTIO_F_VERSION_1)
#define F_EVENT (1ULL << VIRTIO_RING_F_EVENT_IDX)
#define F_INORD (1ULL << VIRTIO_F_IN_ORDER)

static struct mock_driver md;
static struct virtqueue vq;
static struct vnet_rx rx;

/* The frames "read from the TAP", oldest first. */
static uint8_t frame_mem[4][VNET_HDR_LEN + 1500];
static struct vnet_rx_frame frames[4];
static unsigned int fhead, fcount;

static struct vnet_rx_frame *peek(void *ctx)
{
	(void)ctx;
	return fcount ? &frames[fhead] : NULL;
}

static void consume(void *ctx)
{
	(void)ctx;
	fhead++;
	fcount--;
}

static const struct vnet_rx_source src = {.peek = peek, .consume = consume};

static void setup(uint64_t features, bool mrg)
{
	ck_assert_int_eq(mock_init(&md, QSIZE, features, RAM_GPA), 0);
	ck_assert_int_eq(mock_attach(&md, &vq, 0), VQ_OK);
	ck_assert_int_eq(vnet_rx_init(&rx, &vq, QSIZE), 0);
	rx.mrg_rxbuf = mrg;
	fhead = fcount = 0;
}

static void teardown(void)
{
	ck_assert(!md.broken);
	vnet_rx_free(&rx);
	vq_destroy(&vq);
	mock_free(&md);
}

/* Queue a frame of len bytes (header included) with a recognisable payload. */
static void tap_frame(uint32_t len)
{
	unsigned int i = fhead + fcount;

	ck_assert_uint_lt(i, 4);
	memset(frame_mem[i], 0, VNET_HDR_LEN);
	for (uint32_t k = VNET_HDR_LEN; k < len; k++)
		frame_mem[i][k] = (uint8_t)(k * 13 + i);
	frames[i] = (struct vnet_rx_frame){.data = frame_mem[i], .len = len};
	fcount++;
}

static int post(uint32_t in, uint64_t cookie)
{
	int head = mock_add(&md, NULL, 0, &in, 1, false, cookie);

	ck_assert_int_ge(head, 0);
	return head;
}

static uint8_t *seg(int head)
{
	return md.ram + (mock_seg_gpa(&md, (uint16_t)head, 0) - md.ram_gpa);
}

/* Would the driver kick after adding buffers that took avail.idx from old to new? */
static bool driver_kicks(uint16_t old, uint16_t new)
{
	if (md.event_idx)
		return vring_need_event(mock_avail_event(&md), new, old);
	return !(mock_used_flags(&md) & VRING_USED_F_NO_NOTIFY);
}

/*
 * The livelock: 40-byte buffers, a 112-byte frame. Two are not enough; the
 * device gives them back, asks for a kick for the third and returns
 * (before the fix it popped the same two forever and this test timed out).
 */
static void too_few_then_enough(uint64_t features)
{
	uint64_t cookie;
	uint32_t len;
	int heads[3];

	setup(features, true);
	heads[0] = post(40, 0);
	heads[1] = post(40, 1);
	tap_frame(112);
	ck_assert_int_eq(vnet_rx_process(&rx, &src), VNET_RX_BLOCKED);
	ck_assert_uint_eq(fcount, 1);
	ck_assert_uint_eq(vq.stats.popped - vq.stats.unpopped, 0);
	ck_assert(!rx.need_flush);
	ck_assert(!vq_avail_count(&vq)); /* nothing new: no reason to wake */
	/* A spurious wake-up changes nothing and still returns. */
	ck_assert_int_eq(vnet_rx_process(&rx, &src), VNET_RX_BLOCKED);
	ck_assert_uint_eq(rx.st.waits, 1);

	heads[2] = post(40, 2);
	ck_assert(driver_kicks(2, 3));
	ck_assert(vq_avail_count(&vq));
	ck_assert_int_eq(vnet_rx_process(&rx, &src), VNET_RX_IDLE);
	ck_assert_uint_eq(fcount, 0);
	ck_assert(rx.need_flush);
	vq_flush(&vq);
	ck_assert_uint_eq(mock_used_idx(&md), 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(mock_get(&md, &cookie, &len), 1);
		ck_assert_uint_eq(cookie, (uint64_t)i);
		ck_assert_uint_eq(len, i < 2 ? 40 : 32);
	}
	/* Header first with num_buffers = 3, then the payload across the buffers. */
	ck_assert_uint_eq(seg(heads[0])[VNET_NUM_BUF_OFF], 3);
	ck_assert_uint_eq(seg(heads[1])[0], (uint8_t)(40 * 13));
	ck_assert_uint_eq(seg(heads[2])[31], (uint8_t)(111 * 13));
	ck_assert_uint_eq(rx.st.packets, 1);
	ck_assert_uint_eq(rx.st.max_bufs, 3);
	teardown();
}

START_TEST(too_few_buffers_event_idx)
{
	too_few_then_enough(F_V1 | F_EVENT);
}
END_TEST

START_TEST(too_few_buffers_flags)
{
	too_few_then_enough(F_V1);
}
END_TEST

START_TEST(too_few_buffers_in_order)
{
	too_few_then_enough(F_V1 | F_EVENT | F_INORD);
}
END_TEST

START_TEST(exactly_enough_at_once)
{
	uint64_t cookie;
	uint32_t len;

	setup(F_V1 | F_EVENT, true);
	for (int i = 0; i < 3; i++)
		post(40, (uint64_t)i);
	tap_frame(120);
	tap_frame(VNET_HDR_LEN + 20); /* a second frame finds the ring empty */
	ck_assert_int_eq(vnet_rx_process(&rx, &src), VNET_RX_BLOCKED);
	ck_assert_uint_eq(fcount, 1);
	vq_flush(&vq);
	ck_assert_uint_eq(mock_used_idx(&md), 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(mock_get(&md, &cookie, &len), 1);
		ck_assert_uint_eq(len, 40);
	}
	ck_assert(driver_kicks(3, 4));
	teardown();
}
END_TEST

/* Buffers trickle in one at a time: each pass returns, the frame lands with the last. */
START_TEST(buffers_arrive_one_at_a_time)
{
	uint16_t idx = 0;

	setup(F_V1 | F_EVENT, true);
	tap_frame(VNET_HDR_LEN + 5 * 64);
	for (int i = 0; i < 5; i++) {
		post(64, (uint64_t)i);
		ck_assert(driver_kicks(idx, (uint16_t)(idx + 1)));
		idx++;
		ck_assert_int_eq(vnet_rx_process(&rx, &src), VNET_RX_BLOCKED);
		ck_assert_uint_eq(mock_used_idx(&md), 0);
	}
	post(64, 5);
	ck_assert(driver_kicks(idx, (uint16_t)(idx + 1)));
	ck_assert_int_eq(vnet_rx_process(&rx, &src), VNET_RX_IDLE);
	vq_flush(&vq);
	ck_assert_uint_eq(mock_used_idx(&md), 6);
	ck_assert_uint_eq(rx.st.waits, 1);
	teardown();
}
END_TEST

/* A first buffer that cannot hold the header is answered and the frame dropped. */
START_TEST(short_first_buffer_is_returned)
{
	uint64_t cookie;
	uint32_t len;

	setup(F_V1 | F_EVENT, true);
	post(VNET_HDR_LEN - 1, 0);
	post(200, 1);
	tap_frame(VNET_HDR_LEN + 50);
	tap_frame(VNET_HDR_LEN + 60);
	ck_assert_int_eq(vnet_rx_process(&rx, &src), VNET_RX_IDLE);
	ck_assert_uint_eq(fcount, 0);
	vq_flush(&vq);
	ck_assert_int_eq(mock_get(&md, &cookie, &len), 1);
	ck_assert_uint_eq(cookie, 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(mock_get(&md, &cookie, &len), 1);
	ck_assert_uint_eq(cookie, 1);
	ck_assert_uint_eq(len, VNET_HDR_LEN + 60);
	ck_assert_uint_eq(rx.st.drop_bad_chain, 1);
	ck_assert_uint_eq(rx.st.packets, 1);
	teardown();
}
END_TEST

/* Without mergeable buffers a frame larger than the buffer is dropped; the buffer stays. */
START_TEST(too_big_is_dropped_buffer_stays)
{
	uint64_t cookie;
	uint32_t len;

	setup(F_V1, false);
	post(100, 7);
	tap_frame(200);
	tap_frame(50);
	ck_assert_int_eq(vnet_rx_process(&rx, &src), VNET_RX_IDLE);
	vq_flush(&vq);
	ck_assert_int_eq(mock_get(&md, &cookie, &len), 1);
	ck_assert_uint_eq(cookie, 7);
	ck_assert_uint_eq(len, 50);
	ck_assert_uint_eq(rx.st.drop_no_fit, 1);
	teardown();
}
END_TEST

/* A driver that moves avail.idx back after buffers were given back: no spin. */
START_TEST(avail_index_moved_back)
{
	setup(F_V1 | F_EVENT, true);
	post(40, 0);
	post(40, 1);
	tap_frame(112);
	ck_assert_int_eq(vnet_rx_process(&rx, &src), VNET_RX_BLOCKED);
	mock_set_avail_idx(&md, 1);
	ck_assert(!vq_avail_count(&vq));
	ck_assert_int_eq(vnet_rx_process(&rx, &src), VNET_RX_BLOCKED);
	/* Behind a buffer the device had taken again: a broken ring, not a loop. */
	mock_set_avail_idx(&md, 0);
	ck_assert_int_eq(vnet_rx_process(&rx, &src), VNET_RX_BROKEN);
	ck_assert(vq.broken);
	vnet_rx_free(&rx);
	vq_destroy(&vq);
	mock_free(&md);
}
END_TEST

/*
 * Under IN_ORDER a frame's full buffers are batched up to its partly filled
 * last one, which is never skipped over; the next frame gets its own entry
 * (docs/design.md, "Test cases", T6). The driver reads every length right.
 */
START_TEST(in_order_partial_last_buffer_not_skipped)
{
	uint32_t id, len;
	uint64_t cookie;
	int heads[4];

	setup(F_V1 | F_INORD, true);
	for (int i = 0; i < 4; i++)
		heads[i] = post(MOCK_SEG_BYTES, (uint64_t)i);
	tap_frame(1300);
	tap_frame(100);
	ck_assert_int_eq(vnet_rx_process(&rx, &src), VNET_RX_IDLE);
	ck_assert_uint_eq(seg(heads[0])[VNET_NUM_BUF_OFF], 3);
	vq_flush(&vq);
	ck_assert_uint_eq(mock_used_idx(&md), 4);
	ck_assert_uint_eq(vq.stats.used_entries, 2);
	mock_used_elem(&md, 0, &id, &len);
	ck_assert_uint_eq(id, (uint32_t)heads[2]);
	ck_assert_uint_eq(len, 1300 - 2 * MOCK_SEG_BYTES);
	mock_used_elem(&md, 3, &id, &len); /* a run's entry sits at its first slot */
	ck_assert_uint_eq(id, (uint32_t)heads[3]);
	ck_assert_uint_eq(len, 100);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(mock_get(&md, &cookie, &len), 1);
		ck_assert_uint_eq(cookie, (uint64_t)i);
		ck_assert_uint_eq(len, i < 2	? MOCK_SEG_BYTES
				       : i == 2 ? 1300 - 2 * MOCK_SEG_BYTES
						: 100);
	}
	teardown();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("net_rx");
	TCase *tc = tcase_create("net_rx");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, too_few_buffers_event_idx);
	tcase_add_test(tc, too_few_buffers_flags);
	tcase_add_test(tc, too_few_buffers_in_order);
	tcase_add_test(tc, exactly_enough_at_once);
	tcase_add_test(tc, buffers_arrive_one_at_a_time);
	tcase_add_test(tc, short_first_buffer_is_returned);
	tcase_add_test(tc, too_big_is_dropped_buffer_stays);
	tcase_add_test(tc, avail_index_moved_back);
	tcase_add_test(tc, in_order_partial_last_buffer_not_skipped);
	suite_add_tcase(s, tc);
	return check_run(s);
}
