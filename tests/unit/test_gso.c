// SPDX-License-Identifier: MIT
/*
 * test_gso.c - software segmentation: segment, verify every segment with
 * frames.h's independent length/checksum code, reassemble the payload
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define FRAME_MAX 70000
#include "frames.h"
#include "vtap/vtap.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_ECE 0x40
#define TCP_CWR 0x80

static const uint8_t s4[4] = {192, 0, 2, 1}, d4[4] = {198, 51, 100, 7};
static const uint8_t s6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t d6[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, 2};
static const uint8_t home[16] = {0x20, 0x01, 0x0d, 0xb8, 9, [15] = 9};

struct shape {
	int v6; /* IPv6 instead of IPv4 */
	int udp; /* UDP_L4 instead of TCP */
	int vlans; /* 0..2 tags */
	size_t ip4_opts; /* IPv4 options bytes */
	int ext; /* IPv6: hop-by-hop, HAO, RH2, AH */
	size_t tcp_opts; /* TCP options bytes (multiple of 4) */
	size_t payload;
	uint16_t gso_size;
	uint8_t tcp_flags; /* 0: frames.h's PSH|ACK */
	uint32_t seq;
	uint16_t ip_id;
	int ecn;
	int tun; /* bare IP (TUN mode) */
};

static struct frame *new_frame(void)
{
	struct frame *f = malloc(sizeof(*f));

	assert_non_null(f);
	return f;
}

/* Build the frame @s describes, finished, with a random payload. */
static void build(struct frame *f, const struct shape *s)
{
	uint8_t *p;

	if (s->tun) {
		frame_init_l3(f);
	} else {
		frame_init(f);
		frame_eth(f, NULL, NULL);
		for (int i = 0; i < s->vlans; i++)
			frame_vlan(f, i == 0 && s->vlans == 2 ? 0x88a8 : 0x8100,
				   (uint16_t)(10 + i));
	}
	if (s->v6) {
		frame_ipv6(f, s6, d6);
		if (s->ext) {
			frame_ipv6_ext(f, FRAME_IPPROTO_HOPOPTS, NULL, 6);
			frame_ipv6_hao(f, home);
			frame_ipv6_rh2(f, home);
			frame_ipv6_ah(f, 0x1234);
		}
	} else {
		frame_ipv4_ex(f, s4, d4, NULL, s->ip4_opts, FRAME_IPV4_DF);
		frame_put_be16(f->data + f->l3_off + 4, s->ip_id);
	}
	if (s->udp) {
		frame_udp(f, 4000, 5000);
	} else {
		frame_tcp(f, 4000, 5000);
		p = f->data + f->l4_off;
		frame_put_be32(p + 4, s->seq);
		if (s->tcp_flags)
			p[13] = s->tcp_flags;
		if (s->tcp_opts) {
			uint8_t *o = frame_put(f, s->tcp_opts);

			memset(o, 1, s->tcp_opts); /* NOP */
			if (s->tcp_opts >= 12) { /* timestamps */
				o[2] = 8;
				o[3] = 10;
				frame_put_be32(o + 4, 0xdeadbeef);
				frame_put_be32(o + 8, 0x01020304);
			}
			p[12] = (uint8_t)((20 + s->tcp_opts) / 4 << 4);
		}
	}
	p = frame_put(f, s->payload);
	for (size_t i = 0; i < s->payload; i++)
		p[i] = (uint8_t)(rand() >> 7);
	frame_finish(f);
}

static size_t hdrs_len(const struct frame *f, const struct shape *s)
{
	return f->l4_off + (s->udp ? 8 : 20 + s->tcp_opts);
}

/* The vnet header a Linux sender would use, seed without length. */
static struct vtap_vnet_hdr hdr_of(const struct frame *f, const struct shape *s)
{
	const uint8_t *ip = f->data + f->l3_off;
	struct vtap_vnet_hdr h = {
		.flags = VTAP_VNET_F_NEEDS_CSUM,
		.gso_type = s->udp  ? VTAP_VNET_GSO_UDP_L4
			    : s->v6 ? VTAP_VNET_GSO_TCPV6
				    : VTAP_VNET_GSO_TCPV4,
		.hdr_len = (uint16_t)hdrs_len(f, s),
		.gso_size = s->gso_size,
		.csum_start = (uint16_t)f->l4_off,
		.csum_offset = s->udp ? 6 : 16,
	};
	if (s->ecn)
		h.gso_type |= VTAP_VNET_GSO_ECN;
	(void)ip;
	return h;
}

/* Put the "without length" seed into the L4 checksum field of @f. */
static void seed(struct frame *f, const struct shape *s)
{
	const uint8_t *ip = f->data + f->l3_off;
	uint32_t sum;
	uint16_t v;

	if (s->v6)
		sum = vtap_csum__pseudo6(f->has_hao ? f->hao : ip + 8,
					 f->has_rh2 ? f->rh2 : ip + 24,
					 s->udp ? 17 : 6, 0);
	else
		sum = vtap_csum__pseudo4(ip + 12, ip + 16, s->udp ? 17 : 6, 0);
	v = vtap_csum__fold(sum);
	memcpy(f->data + f->l4_off + (s->udp ? 6 : 16), &v, 2);
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/*
 * Segment a frame of shape @s and verify everything. Returns the number of
 * segments.
 */
static uint32_t run(const struct shape *s)
{
	struct frame *f = new_frame(), *seg = new_frame();
	struct vtap_vnet_hdr h;
	struct vtap_gso g;
	enum vtap_drop_reason r = VTAP_DROP__COUNT;
	size_t hl, got_payload = 0, max, n;
	uint8_t *copy, *buf, *orig_tcp;
	uint32_t segs, i;
	int ret;

	build(f, s);
	hl = hdrs_len(f, s);
	h = hdr_of(f, s);
	seed(f, s);
	copy = malloc(f->len);
	memcpy(copy, f->data, f->len);
	assert_int_equal(vtap_gso__init_flags(&g, &h, copy, f->len,
					      s->tun ? VTAP_PKT_L3 : 0, &r),
			 0);
	assert_int_equal(r, VTAP_DROP__COUNT);
	segs = vtap_gso__segs(&g);
	assert_int_equal(segs, s->payload ? (s->payload + s->gso_size - 1) /
						    s->gso_size
					  : 1);
	max = vtap_gso__seg_max(&g);
	assert_int_equal(max, hl + (s->payload < s->gso_size ? s->payload
							     : s->gso_size));
	orig_tcp = f->data + f->l4_off;

	for (i = 0;; i++) {
		uint8_t *l3, *l4;
		size_t plen;

		/* One byte short: -ENOBUFS, nothing consumed. */
		buf = malloc(max);
		if (i < segs) {
			size_t want = i + 1 < segs
					      ? hl + s->gso_size
					      : f->len - hl - got_payload + hl;
			assert_int_equal(vtap_gso__next(&g, buf, want - 1, &n),
					 -ENOBUFS);
		}
		ret = vtap_gso__next(&g, buf, max, &n);
		if (i == segs) {
			assert_int_equal(ret, 0);
			free(buf);
			break;
		}
		assert_int_equal(ret, 1);
		assert_true(n <= hl + s->gso_size);
		assert_true(n > hl || s->payload == 0);
		plen = n - hl;
		/* Headers: copied bytes except the fields fixed up. */
		memcpy(seg, f, offsetof(struct frame, data));
		memcpy(seg->data, buf, n);
		seg->len = n;
		/* Lengths and checksums as an independent builder makes
		 * them: IPv4 total length and header checksum, IPv6 payload
		 * length, UDP length, L4 checksum (HAO/RH2 aware). */
		assert_true(frame_is_consistent(seg));
		/* Payload in order. */
		assert_memory_equal(buf + hl, f->data + hl + got_payload, plen);
		got_payload += plen;
		l3 = buf + f->l3_off;
		l4 = buf + f->l4_off;
		if (!s->v6)
			assert_int_equal(be16(l3 + 4),
					 (uint16_t)(s->ip_id + i));
		if (!s->udp) {
			uint8_t fl = orig_tcp[13], want = fl;

			assert_int_equal(be32(l4 + 4),
					 (uint32_t)(s->seq + i * s->gso_size));
			if (i + 1 < segs)
				want &= (uint8_t) ~(TCP_FIN | TCP_PSH);
			if (i > 0)
				want &= (uint8_t)~TCP_CWR;
			assert_int_equal(l4[13], want);
			/* Options and the rest of the TCP header copied. */
			assert_memory_equal(l4 + 20, orig_tcp + 20,
					    s->tcp_opts);
			assert_memory_equal(l4 + 8, orig_tcp + 8, 5);
		}
		/* L2 and the IP addresses untouched. */
		assert_memory_equal(buf, f->data, f->l3_off);
		free(buf);
	}
	assert_int_equal(got_payload, s->payload);
	/* The input was not modified. */
	assert_memory_equal(copy, f->data, f->len);
	free(copy);
	free(f);
	free(seg);
	return segs;
}

static void test_tcp4_basic(void **state)
{
	struct shape s = {.payload = 10 * 1448,
			  .gso_size = 1448,
			  .seq = 1000,
			  .ip_id = 7};

	srand(1);
	assert_int_equal(run(&s), 10); /* a multiple of gso_size */
	s.payload++;
	assert_int_equal(run(&s), 11); /* one byte over */
	s.payload = 1000;
	assert_int_equal(run(&s), 1); /* gso_size larger than payload */
	s.payload = 1448;
	assert_int_equal(run(&s), 1); /* exactly gso_size */
	s.payload = 0;
	assert_int_equal(run(&s), 1); /* headers only */
	s.payload = 65535 - 40; /* the largest IPv4 TSO frame */
	assert_int_equal(run(&s), 46);
	s.gso_size = 1;
	s.payload = 300;
	assert_int_equal(run(&s), 300);
	s.gso_size = 7; /* odd sizes: odd payload offsets and lengths */
	s.payload = 1001;
	assert_int_equal(run(&s), 143);
}

static void test_tcp_flags_wrap(void **state)
{
	struct shape s = {.payload = 5000,
			  .gso_size = 1000,
			  .tcp_flags = TCP_FIN | TCP_PSH | TCP_ACK | TCP_CWR |
				       TCP_ECE,
			  .seq = 0xfffffc00u,
			  .ip_id = 0xfffe};

	srand(2);
	assert_int_equal(run(&s), 5);
	s.ecn = 1; /* TSO_ECN frame segmented in software */
	assert_int_equal(run(&s), 5);
	s.v6 = 1;
	assert_int_equal(run(&s), 5);
	s.payload = 10; /* one segment keeps FIN, PSH and CWR */
	assert_int_equal(run(&s), 1);
}

static void test_tcp4_options(void **state)
{
	struct shape s = {.payload = 9000,
			  .gso_size = 1400,
			  .seq = 5,
			  .ip4_opts = 12,
			  .tcp_opts = 12};

	srand(3);
	assert_int_equal(run(&s), 7);
	s.tcp_opts = 40; /* the longest TCP header */
	s.ip4_opts = 40; /* the longest IPv4 header */
	assert_int_equal(run(&s), 7);
}

static void test_tcp6(void **state)
{
	struct shape s = {
		.v6 = 1, .payload = 20000, .gso_size = 1428, .seq = 77};

	srand(4);
	assert_int_equal(run(&s), 15);
	s.ext = 1; /* hop-by-hop, HAO, RH2, AH: checksums use HAO/RH2 */
	assert_int_equal(run(&s), 15);
	s.tcp_opts = 12;
	s.vlans = 2;
	assert_int_equal(run(&s), 15);
	s.payload = 65535 - 20; /* the largest IPv6 payload length */
	s.ext = 0;
	s.tcp_opts = 0;
	assert_int_equal(run(&s), 46);
}

static void test_vlan(void **state)
{
	struct shape s = {.vlans = 1, .payload = 3000, .gso_size = 1000};

	srand(5);
	assert_int_equal(run(&s), 3);
	s.vlans = 2;
	assert_int_equal(run(&s), 3);
}

static void test_udp_l4(void **state)
{
	struct shape s = {.udp = 1, .payload = 8000, .gso_size = 1472};

	srand(6);
	assert_int_equal(run(&s), 6);
	s.v6 = 1;
	assert_int_equal(run(&s), 6);
	s.ext = 1;
	s.vlans = 1;
	assert_int_equal(run(&s), 6);
	s.payload = 1472 * 3;
	assert_int_equal(run(&s), 3);
	s.payload = 1;
	assert_int_equal(run(&s), 1);
	s.v6 = 0;
	s.ext = 0;
	s.gso_size = 3;
	s.payload = 3 * VTAP_VNET_UDP_SEGS_MAX;
	assert_int_equal(run(&s), VTAP_VNET_UDP_SEGS_MAX);
}

static void test_tun_mode(void **state)
{
	struct shape s = {.tun = 1, .payload = 4000, .gso_size = 1000};

	srand(7);
	assert_int_equal(run(&s), 4);
	s.v6 = 1;
	s.udp = 1;
	assert_int_equal(run(&s), 4);
}

/* A UDP checksum that comes out 0 is sent as 0xffff. */
static void test_udp_zero_csum(void **state)
{
	struct shape s = {.udp = 1, .payload = 2, .gso_size = 100};
	struct frame *f = new_frame();
	struct vtap_vnet_hdr h;
	struct vtap_gso g;
	uint8_t out[200];
	size_t n;
	uint16_t c;

	srand(8);
	build(f, &s);
	/* Make the checksum 0: the payload word cancels the rest. */
	c = be16(f->data + f->l4_off + 6); /* ~rest, over payload 0000 */
	memset(f->data + f->len - 2, 0, 2);
	frame_finish(f);
	c = be16(f->data + f->l4_off + 6);
	/* adding ~sum as payload makes the sum 0xffff, checksum 0 */
	frame_put_be16(f->data + f->len - 2, c);
	frame_finish(f);
	assert_int_equal(be16(f->data + f->l4_off + 6), 0xffff);
	h = hdr_of(f, &s);
	seed(f, &s);
	assert_int_equal(vtap_gso__init(&g, &h, f->data, f->len), 0);
	assert_int_equal(vtap_gso__next(&g, out, sizeof(out), &n), 1);
	assert_int_equal(be16(out + f->l4_off + 6), 0xffff);
	free(f);
}

/* Non-GSO frames: a copy, with NEEDS_CSUM completed from the seed. */
static void test_non_gso(void **state)
{
	struct shape s = {.payload = 333, .gso_size = 1};
	struct frame *f = new_frame();
	struct vtap_vnet_hdr h = {0};
	struct vtap_gso g;
	uint8_t *copy, *out;
	const uint8_t *ip;
	size_t n;
	uint32_t sum;
	uint16_t v;

	srand(9);
	build(f, &s);
	copy = malloc(f->len);
	out = malloc(f->len);
	memcpy(copy, f->data, f->len);
	assert_int_equal(vtap_gso__init(&g, &h, copy, f->len), 0);
	assert_int_equal(vtap_gso__segs(&g), 1);
	assert_int_equal(vtap_gso__seg_max(&g), f->len);
	assert_int_equal(vtap_gso__next(&g, out, f->len - 1, &n), -ENOBUFS);
	assert_int_equal(vtap_gso__next(&g, out, f->len, &n), 1);
	assert_int_equal(n, f->len);
	assert_memory_equal(out, f->data, f->len);
	assert_int_equal(vtap_gso__next(&g, out, f->len, &n), 0);

	/* NEEDS_CSUM: the seed (with length, as for non-GSO) in the field */
	ip = f->data + f->l3_off;
	sum = vtap_csum__pseudo4(ip + 12, ip + 16, 6,
				 (uint32_t)(f->len - f->l4_off));
	v = vtap_csum__fold(sum);
	memcpy(copy + f->l4_off + 16, &v, 2);
	h.flags = VTAP_VNET_F_NEEDS_CSUM;
	h.csum_start = (uint16_t)f->l4_off;
	h.csum_offset = 16;
	assert_int_equal(vtap_gso__init(&g, &h, copy, f->len), 0);
	assert_int_equal(vtap_gso__next(&g, out, f->len, &n), 1);
	memcpy(f->data, out, n);
	assert_true(frame_is_consistent(f));
	free(copy);
	free(out);
	free(f);
}

/*
 * UFO: the datagram comes back as IP fragments whose payloads, put back
 * together by offset, are the UDP header (checksum completed) and data.
 */
static void ufo_case(int v6, int ext, int needs_csum, size_t payload,
		     uint16_t gso_size)
{
	struct shape s = {.v6 = v6,
			  .udp = 1,
			  .ext = ext,
			  .payload = payload,
			  .ip_id = 0x4242};
	struct frame *f = new_frame(), *want = new_frame();
	uint8_t *out = malloc(FRAME_MAX), *re = calloc(1, FRAME_MAX);
	struct vtap_vnet_hdr h = {.gso_type = VTAP_VNET_GSO_UDP,
				  .gso_size = gso_size};
	size_t fs = gso_size & ~7u, got = 0, n, hl, want_len;
	uint32_t id = 0, count = 0;
	struct vtap_gso g;
	bool last_seen = false;
	int r;

	assert_non_null(out);
	assert_non_null(re);
	build(f, &s);
	memcpy(want, f, sizeof(*f));
	hl = f->l4_off;
	want_len = f->len - hl;
	if (needs_csum) {
		h.flags = VTAP_VNET_F_NEEDS_CSUM;
		h.csum_start = (uint16_t)f->l4_off;
		h.csum_offset = 6;
		seed(f, &s);
	}
	assert_int_equal(vtap_gso__init(&g, &h, f->data, f->len), 0);
	assert_int_equal(vtap_gso__segs(&g), (want_len + fs - 1) / fs);
	while ((r = vtap_gso__next(&g, out, vtap_gso__seg_max(&g), &n)) == 1) {
		const uint8_t *ip = out + f->l3_off;
		size_t off, plen;
		bool more;

		count++;
		/* everything before the IP header as it was */
		assert_memory_equal(out, f->data, f->l3_off);
		if (!v6) {
			uint16_t fo = be16(ip + 6);

			assert_int_equal(be16(ip + 2), n - f->l3_off);
			assert_int_equal(
				frame_fold(frame_sum(0, ip, hl - f->l3_off)),
				0);
			assert_int_equal(be16(ip + 4), 0x4242);
			off = (size_t)(fo & 0x1fff) * 8;
			more = fo & 0x2000;
			assert_false(fo & 0x4000); /* DF cleared */
			plen = n - hl;
			memcpy(re + off, out + hl, plen);
		} else {
			const uint8_t *fh = out + hl;
			/* the next-header byte naming the fragment header */
			size_t nh = ext ? hl - 24 : f->l3_off + 6; /* AH last */

			assert_int_equal(out[nh], 44);
			assert_int_equal(be16(ip + 4), n - f->l3_off - 40);
			assert_int_equal(fh[0], 17);
			off = be16(fh + 2) & ~7u;
			more = fh[3] & 1;
			if (count == 1)
				id = be32(fh + 4);
			assert_int_equal(be32(fh + 4), id);
			plen = n - hl - 8;
			memcpy(re + off, fh + 8, plen);
			/* the extension headers before it unchanged */
			if (ext)
				assert_memory_equal(out + f->l3_off + 40,
						    f->data + f->l3_off + 40,
						    nh - f->l3_off - 40);
		}
		assert_true(plen <= fs);
		if (more)
			assert_int_equal(plen, fs);
		assert_false(last_seen);
		last_seen = !more;
		got += plen;
	}
	assert_int_equal(r, 0);
	assert_true(last_seen);
	assert_int_equal(got, want_len);
	/* reassembled: the datagram with its full checksum */
	assert_memory_equal(re, want->data + hl, want_len);
	free(out);
	free(re);
	free(want);
	free(f);
}

static void test_ufo(void **state)
{
	(void)state;
	srand(11);
	for (int v6 = 0; v6 < 2; v6++)
		for (int cs = 0; cs < 2; cs++) {
			ufo_case(v6, 0, cs, 5000, 1480);
			ufo_case(v6, 0, cs, 4000, 1203); /* rounded to 1200 */
			ufo_case(v6, 0, cs, 100, 1480); /* one fragment */
		}
	ufo_case(1, 1, 1, 9000, 1448);
}

/*
 * UDP tunnel GSO: VXLAN (8-byte header) or Geneve (8 bytes plus 8 of
 * options) over IPv4 or IPv6, carrying TCP over IPv4 or IPv6, with or
 * without the outer checksum. Every segment is checked with frames.h's
 * own checksum code: outer and inner lengths, IDs, checksums, sequence
 * numbers; the payloads put together give the frame's.
 */
static void tunnel_case(int outer6, int inner6, int geneve, int ocsum)
{
	struct shape is = {.v6 = inner6,
			   .payload = 7000,
			   .gso_size = 1300,
			   .seq = 0xfffffff0,
			   .ip_id = 0xfffe};
	struct frame *in = new_frame(), *f = new_frame();
	uint8_t *out = malloc(FRAME_MAX), *got = malloc(FRAME_MAX);
	size_t th, tl = geneve ? 16 : 8, nh, got_len = 0, n, ihl;
	struct vtap_vnet_hdr h = {0};
	struct vtap_gso g;
	uint32_t i = 0;
	uint8_t *p;
	int r;

	assert_non_null(out);
	assert_non_null(got);
	build(in, &is);
	/* the outer packet around the inner Ethernet frame */
	frame_init(f);
	frame_eth(f, NULL, NULL);
	if (outer6)
		frame_ipv6(f, d6, s6);
	else
		frame_ipv4_ex(f, d4, s4, NULL, 0, 0);
	if (!outer6)
		frame_put_be16(f->data + f->l3_off + 4, 0x7000);
	frame_udp(f, 50000, geneve ? 6081 : 4789);
	th = f->l4_off;
	p = frame_put(f, tl);
	if (geneve) {
		p[0] = 2; /* 8 bytes of options */
		p[2] = 0x65; /* protocol: transparent Ethernet bridging */
		p[3] = 0x58;
		p[8] = 0x01; /* option class, type, length 1 */
		p[10] = 0x80;
		p[11] = 1;
	} else {
		p[0] = 0x08; /* VNI valid */
		p[6] = 42;
	}
	memcpy(frame_put(f, in->len), in->data, in->len);
	frame_finish(f);
	if (!ocsum)
		frame_put_be16(f->data + th + 6, 0);
	nh = th + 8 + tl + in->l3_off;

	h.flags = VTAP_VNET_F_NEEDS_CSUM |
		  (ocsum ? VTAP_VNET_F_UDP_TUNNEL_CSUM : 0);
	h.gso_type =
		(uint8_t)((inner6 ? VTAP_VNET_GSO_TCPV6 : VTAP_VNET_GSO_TCPV4) |
			  (outer6 ? VTAP_VNET_GSO_UDP_TUNNEL_IPV6
				  : VTAP_VNET_GSO_UDP_TUNNEL_IPV4));
	h.gso_size = is.gso_size;
	h.csum_start = (uint16_t)(th + 8 + tl + in->l4_off);
	h.csum_offset = 16;
	h.hdr_len = (uint16_t)(h.csum_start + 20);
	h.outer_th_offset = (uint16_t)th;
	h.inner_nh_offset = (uint16_t)nh;
	assert_int_equal(vtap_gso__init(&g, &h, f->data, f->len), 0);
	assert_int_equal(vtap_gso__segs(&g), (7000 + 1299) / 1300);
	while ((r = vtap_gso__next(&g, out, FRAME_MAX, &n)) == 1) {
		const uint8_t *oip = out + f->l3_off, *uh = out + th;
		const uint8_t *iip = out + nh, *tcp = out + h.csum_start;
		size_t l4len = n - h.csum_start;
		uint32_t sum;

		/* outer */
		if (!outer6) {
			assert_int_equal(frame_fold(frame_sum(0, oip, 20)), 0);
			assert_int_equal(be16(oip + 2), n - f->l3_off);
			assert_int_equal(be16(oip + 4), (uint16_t)(0x7000 + i));
		} else {
			assert_int_equal(be16(oip + 4), n - f->l3_off - 40);
		}
		assert_int_equal(be16(uh + 4), n - th);
		if (ocsum) {
			sum = frame_sum(0, oip + (outer6 ? 8 : 12),
					outer6 ? 32 : 8);
			sum += 17 + (uint32_t)(n - th);
			assert_int_equal(frame_fold(frame_sum(sum, uh, n - th)),
					 0);
		} else {
			assert_int_equal(be16(uh + 6), 0);
		}
		/* the tunnel header and inner Ethernet as they were */
		assert_memory_equal(out + th + 8, f->data + th + 8,
				    nh - th - 8);
		/* inner */
		if (!inner6) {
			ihl = 20;
			assert_int_equal(frame_fold(frame_sum(0, iip, ihl)), 0);
			assert_int_equal(be16(iip + 2), n - nh);
			assert_int_equal(be16(iip + 4), (uint16_t)(0xfffe + i));
			sum = frame_sum(0, iip + 12, 8);
		} else {
			assert_int_equal(be16(iip + 4), n - nh - 40);
			sum = frame_sum(0, iip + 8, 32);
		}
		sum += 6 + (uint32_t)l4len;
		assert_int_equal(frame_fold(frame_sum(sum, tcp, l4len)), 0);
		assert_int_equal(be32(tcp + 4), 0xfffffff0u + i * 1300);
		memcpy(got + got_len, tcp + 20, n - h.csum_start - 20);
		got_len += n - h.csum_start - 20;
		i++;
	}
	assert_int_equal(r, 0);
	assert_int_equal(got_len, 7000);
	assert_memory_equal(got, in->data + in->l4_off + 20, 7000);
	free(out);
	free(got);
	free(in);
	free(f);
}

static void test_tunnel(void **state)
{
	struct vtap_vnet_hdr h = {.flags = VTAP_VNET_F_NEEDS_CSUM,
				  .gso_size = 1000,
				  .csum_offset = 16};
	enum vtap_drop_reason r;

	(void)state;
	srand(12);
	for (int o6 = 0; o6 < 2; o6++)
		for (int i6 = 0; i6 < 2; i6++)
			for (int gen = 0; gen < 2; gen++)
				for (int cs = 0; cs < 2; cs++)
					tunnel_case(o6, i6, gen, cs);
	/* both tunnel bits, or a tunnel around nothing: refused */
	h.gso_type = VTAP_VNET_GSO_TCPV4 | VTAP_VNET_GSO_UDP_TUNNEL;
	assert_int_equal(vtap_offload__plan(&h, VTAP_OFFLOAD_ALL, &r),
			 VTAP_PLAN_DROP);
	assert_int_equal(r, VTAP_DROP_GSO_TYPE);
	/* the plan: software unless the destination has the tunnel offloads */
	h.gso_type = VTAP_VNET_GSO_TCPV4 | VTAP_VNET_GSO_UDP_TUNNEL_IPV4;
	assert_int_equal(vtap_offload__plan(
				 &h, VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4, &r),
			 VTAP_PLAN_SEGMENT);
	assert_int_equal(vtap_offload__plan(&h,
					    VTAP_OFFLOAD_CSUM |
						    VTAP_OFFLOAD_TSO4 |
						    VTAP_OFFLOAD_UDP_TUNNEL,
					    &r),
			 VTAP_PLAN_PASS);
	h.flags |= VTAP_VNET_F_UDP_TUNNEL_CSUM;
	assert_int_equal(vtap_offload__plan(&h,
					    VTAP_OFFLOAD_CSUM |
						    VTAP_OFFLOAD_TSO4 |
						    VTAP_OFFLOAD_UDP_TUNNEL,
					    &r),
			 VTAP_PLAN_SEGMENT);
	assert_int_equal(vtap_offload__plan(&h, VTAP_OFFLOAD_ALL, &r),
			 VTAP_PLAN_PASS);
}

static void test_refused(void **state)
{
	struct shape s = {.payload = 3000, .gso_size = 1000};
	struct frame *f = new_frame();
	struct vtap_vnet_hdr h, base;
	enum vtap_drop_reason r;
	struct vtap_gso g;

	srand(10);
	build(f, &s);
	base = hdr_of(f, &s);
#define REFUSED(err, reason)                                                  \
	do {                                                                  \
		r = VTAP_DROP__COUNT;                                         \
		assert_int_equal(                                             \
			vtap_gso__init_flags(&g, &h, f->data, f->len, 0, &r), \
			err);                                                 \
		assert_int_equal(r, reason);                                  \
	} while (0)
	h = base;
	h.csum_start = (uint16_t)(f->len - 1);
	REFUSED(-EINVAL, VTAP_DROP_CSUM);
	h = base;
	h.hdr_len = (uint16_t)(f->len + 1);
	REFUSED(-EINVAL, VTAP_DROP_HDR_LEN);
	h = base;
	h.gso_size = 0;
	REFUSED(-EINVAL, VTAP_DROP_GSO_SIZE);
	h = base;
	h.gso_type = 9;
	REFUSED(-EINVAL, VTAP_DROP_GSO_TYPE);
	h = base;
	h.gso_type = VTAP_VNET_GSO_TCPV6;
	h.flags = 0;
	REFUSED(-EINVAL, VTAP_DROP_HEADERS);

	/* UFO: a gso_size below the 8-byte fragment unit */
	s.udp = 1;
	build(f, &s);
	h = hdr_of(f, &s);
	h.gso_type = VTAP_VNET_GSO_UDP;
	h.gso_size = 7;
	REFUSED(-EINVAL, VTAP_DROP_GSO_SIZE);

	/* IPv6 routing header of an unknown type with segments left */
	frame_init(f);
	frame_eth(f, NULL, NULL);
	frame_ipv6(f, s6, d6);
	frame_ipv6_ext(f, FRAME_IPPROTO_ROUTING, (const uint8_t[22]){3, 1}, 22);
	frame_tcp(f, 1, 2);
	frame_payload(f, NULL, 3000);
	frame_finish(f);
	s.udp = 0;
	s.v6 = 1;
	h = hdr_of(f, &s);
	REFUSED(-EOPNOTSUPP, VTAP_DROP_UNSUPPORTED);
	/* ... which is fine with no segments left */
	f->data[f->l3_off + 40 + 3] = 0;
	assert_int_equal(vtap_gso__init(&g, &h, f->data, f->len), 0);

	/* Segments too long for the IPv4 total length */
	s.v6 = 0;
	s.payload = 65500;
	s.gso_size = 65500;
	build(f, &s);
	h = hdr_of(f, &s);
	REFUSED(-EMSGSIZE, VTAP_DROP_TOO_BIG);
	/* 20 + 20 + 65495 = 65535 fits */
	h.gso_size = 65495;
	assert_int_equal(vtap_gso__init(&g, &h, f->data, f->len), 0);
	h.gso_size = 65496;
	REFUSED(-EMSGSIZE, VTAP_DROP_TOO_BIG);
#undef REFUSED
	assert_int_equal(vtap_gso__init(NULL, &h, f->data, f->len), -EINVAL);
	free(f);
}

/*
 * Every prefix of valid GSO frames, as exact-size heap copies: init either
 * refuses or produces segments, and never reads past the end (ASan).
 */
static void test_truncated(void **state)
{
	const struct shape shapes[] = {
		{.payload = 300,
		 .gso_size = 100,
		 .ip4_opts = 8,
		 .tcp_opts = 12},
		{.v6 = 1,
		 .ext = 1,
		 .vlans = 2,
		 .payload = 300,
		 .gso_size = 100},
		{.v6 = 1, .udp = 1, .payload = 300, .gso_size = 100},
	};
	struct frame *f = new_frame();

	srand(11);
	for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		struct vtap_vnet_hdr h;

		build(f, &shapes[k]);
		h = hdr_of(f, &shapes[k]);
		for (size_t n = 0; n <= f->len; n++) {
			uint8_t *copy = malloc(n ? n : 1);
			struct vtap_vnet_hdr hh[2] = {h, h};
			struct vtap_gso g;

			memcpy(copy, f->data, n);
			hh[1].hdr_len = 0;
			hh[1].flags = 0;
			if (shapes[k].udp)
				hh[1].flags = VTAP_VNET_F_NEEDS_CSUM;
			for (int j = 0; j < 2; j++) {
				size_t len, total = 0;
				uint8_t out[512];
				int ret;

				if (vtap_gso__init(&g, &hh[j], copy, n) < 0)
					continue;
				assert_true(n >= h.hdr_len);
				while ((ret = vtap_gso__next(&g, out,
							     sizeof(out),
							     &len)) == 1)
					total += len - h.hdr_len;
				assert_int_equal(ret, 0);
				assert_int_equal(total, n - h.hdr_len);
			}
			free(copy);
		}
	}
	free(f);
}

static void test_plan(void **state)
{
	const uint32_t all = VTAP_OFFLOAD_ALL;
	const uint32_t tso =
		VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4 | VTAP_OFFLOAD_TSO6;
	struct vtap_vnet_hdr h = {0};
	enum vtap_drop_reason r = VTAP_DROP__COUNT;

	assert_int_equal(vtap_offload__plan(&h, 0, &r), VTAP_PLAN_PASS);
	h.flags = VTAP_VNET_F_NEEDS_CSUM;
	assert_int_equal(vtap_offload__plan(&h, 0, &r), VTAP_PLAN_CSUM);
	assert_int_equal(vtap_offload__plan(&h, VTAP_OFFLOAD_CSUM, &r),
			 VTAP_PLAN_PASS);

	h.gso_type = VTAP_VNET_GSO_TCPV4;
	assert_int_equal(vtap_offload__plan(&h, all, &r), VTAP_PLAN_PASS);
	assert_int_equal(vtap_offload__plan(&h, tso, &r), VTAP_PLAN_PASS);
	assert_int_equal(vtap_offload__plan(&h, VTAP_OFFLOAD_CSUM, &r),
			 VTAP_PLAN_SEGMENT);
	/* TSO without CSUM is no TSO (tun_set_offload()) */
	assert_int_equal(vtap_offload__plan(&h, VTAP_OFFLOAD_TSO4, &r),
			 VTAP_PLAN_SEGMENT);
	h.gso_type = VTAP_VNET_GSO_TCPV6;
	assert_int_equal(vtap_offload__plan(
				 &h, VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4, &r),
			 VTAP_PLAN_SEGMENT);
	assert_int_equal(vtap_offload__plan(&h, tso, &r), VTAP_PLAN_PASS);
	/* ECN needs TSO_ECN as well */
	h.gso_type = VTAP_VNET_GSO_TCPV6 | VTAP_VNET_GSO_ECN;
	assert_int_equal(vtap_offload__plan(&h, tso, &r), VTAP_PLAN_SEGMENT);
	assert_int_equal(vtap_offload__plan(&h, tso | VTAP_OFFLOAD_TSO_ECN, &r),
			 VTAP_PLAN_PASS);

	h.gso_type = VTAP_VNET_GSO_UDP_L4;
	assert_int_equal(vtap_offload__plan(&h, tso, &r), VTAP_PLAN_SEGMENT);
	assert_int_equal(vtap_offload__plan(&h, VTAP_OFFLOAD_USO, &r),
			 VTAP_PLAN_SEGMENT);
	assert_int_equal(vtap_offload__plan(
				 &h, VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_USO, &r),
			 VTAP_PLAN_PASS);
	assert_int_equal(r, VTAP_DROP__COUNT); /* untouched so far */

	h.gso_type = VTAP_VNET_GSO_UDP;
	assert_int_equal(vtap_offload__plan(&h, all, &r), VTAP_PLAN_SEGMENT);
	h.gso_type = 2;
	assert_int_equal(vtap_offload__plan(&h, all, &r), VTAP_PLAN_DROP);
	assert_int_equal(r, VTAP_DROP_GSO_TYPE);
	h.gso_type = VTAP_VNET_GSO_UDP_L4 | VTAP_VNET_GSO_ECN;
	r = VTAP_DROP__COUNT;
	assert_int_equal(vtap_offload__plan(&h, all, &r), VTAP_PLAN_DROP);
	assert_int_equal(r, VTAP_DROP_GSO_TYPE);

	for (int i = 0; i < VTAP_PLAN__COUNT; i++)
		assert_non_null(vtap_offload_plan__name(i));
	assert_string_equal(vtap_offload_plan__name(VTAP_PLAN_SEGMENT),
			    "segment");
	assert_null(vtap_offload_plan__name(VTAP_PLAN__COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp4_basic),
		cmocka_unit_test(test_ufo),
		cmocka_unit_test(test_tunnel),
		cmocka_unit_test(test_tcp_flags_wrap),
		cmocka_unit_test(test_tcp4_options),
		cmocka_unit_test(test_tcp6),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_udp_l4),
		cmocka_unit_test(test_tun_mode),
		cmocka_unit_test(test_udp_zero_csum),
		cmocka_unit_test(test_non_gso),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_plan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
