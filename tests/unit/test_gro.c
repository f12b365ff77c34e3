// SPDX-License-Identifier: MIT
/*
 * test_gro.c - the coalescer on generated segment streams
 *
 * Each test builds a stream of frames (frames.h, lengths and checksums
 * computed independently of the library), coalesces it the way
 * vtap_queue__send() does (consecutive frames, vtap_gro_parse/add/build),
 * then segments every merged frame back with vtap_gso and checks that the
 * result is exactly the input, frame for frame and byte for byte (only
 * the checksum fields of frames that came with NEEDS_CSUM differ: they held
 * a seed). On top, each test says how many frames must come out and which
 * were merged, so that nothing breaking a rule is merged.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define FRAME_MAX 2048
#include "frames.h"
#include "gro.h"
#include "vtap/vtap.h"

#define HDR VTAP_VNET_HDR_V1_LEN
#define MAXF 160
#define MSS 1000

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

/* How to build one segment. */
struct spec {
	int v6;
	int udp;
	uint32_t seq;
	uint16_t ip_id;
	uint8_t flags; /* 0 = ACK */
	size_t payload;
	uint32_t tsval; /* 0 = no timestamp option */
	uint16_t window; /* 0 = 1000 */
	uint32_t ack; /* 0 = 2000 */
	uint8_t ttl; /* 0 = 64 */
	size_t ip4_opts;
	uint16_t frag; /* IPv4 flags/offset; 0 = DF */
	int ext; /* IPv6 ext header: 0 none, else its type */
	uint8_t vnet_flags;
	int bad_csum; /* 1 = L4 checksum, 2 = IPv4 header checksum */
	uint16_t sport; /* 0 = 4000 */
};

static const uint8_t s4[4] = {192, 0, 2, 1}, d4[4] = {198, 51, 100, 7};
static const uint8_t s6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t d6[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, 2};

struct stream {
	unsigned int n;
	uint8_t buf[MAXF][HDR + FRAME_MAX];
	struct vtap_frame f[MAXF];
	/* results */
	unsigned int n_out; /* frames written */
	unsigned int run_len[MAXF]; /* frames per written frame */
	int reason[MAXF]; /* per input: not-merged reason or -1 merged */
};

static struct stream st;

static const struct vtap_gro_cfg cfg_tcp = {
	.types = VTAP_GRO_TCP | VTAP_GRO_UDP,
	.hdr_len = HDR,
	.max_segs = VTAP_GRO_SEGS_DEFAULT,
};

static void add(const struct spec *sp)
{
	struct frame f;
	uint8_t *p, *b;

	frame_init(&f);
	frame_eth(&f, NULL, NULL);
	if (sp->v6) {
		frame_ipv6(&f, s6, d6);
		if (sp->ext == FRAME_IPPROTO_FRAGMENT)
			frame_ipv6_frag(&f, 0, false, 7);
		else if (sp->ext == FRAME_IPPROTO_AH)
			frame_ipv6_ah(&f, 9);
		else if (sp->ext)
			frame_ipv6_ext(&f, (uint8_t)sp->ext, NULL, 6);
		if (sp->ttl)
			f.data[f.l3_off + 7] = sp->ttl;
	} else {
		frame_ipv4_ex(&f, s4, d4, NULL, sp->ip4_opts,
			      sp->frag ? sp->frag : FRAME_IPV4_DF);
		frame_put_be16(f.data + f.l3_off + 4, sp->ip_id);
		if (sp->ttl)
			f.data[f.l3_off + 8] = sp->ttl;
	}
	if (sp->udp) {
		frame_udp(&f, sp->sport ? sp->sport : 4000, 5000);
	} else {
		frame_tcp(&f, sp->sport ? sp->sport : 4000, 5000);
		p = f.data + f.l4_off;
		frame_put_be32(p + 4, sp->seq);
		frame_put_be32(p + 8, sp->ack ? sp->ack : 2000);
		p[13] = sp->flags ? sp->flags : TCP_ACK;
		frame_put_be16(p + 14, sp->window ? sp->window : 1000);
		if (sp->tsval) {
			uint8_t *o = frame_put(&f, 12);

			o[0] = o[1] = 1;
			o[2] = 8;
			o[3] = 10;
			frame_put_be32(o + 4, sp->tsval);
			frame_put_be32(o + 8, 77);
			p[12] = 8 << 4;
		}
	}
	p = frame_put(&f, sp->payload);
	for (size_t i = 0; i < sp->payload; i++)
		p[i] = (uint8_t)((sp->seq + i) * 7 + (i >> 8));
	frame_finish(&f);
	if (sp->bad_csum == 1)
		f.data[f.l4_off + (sp->udp ? 6 : 16)] ^= 0x40;
	if (sp->bad_csum == 2)
		f.data[f.l3_off + 10] ^= 0x40;
	if (sp->vnet_flags & VTAP_VNET_F_NEEDS_CSUM) {
		uint16_t v;
		const uint8_t *ip = f.data + f.l3_off;
		uint8_t proto = sp->udp ? 17 : 6;

		v = vtap_csum__fold(
			sp->v6 ? vtap_csum__pseudo6(ip + 8, ip + 24, proto, 0)
			       : vtap_csum__pseudo4(ip + 12, ip + 16, proto,
						    0));
		memcpy(f.data + f.l4_off + (sp->udp ? 6 : 16), &v, 2);
	}

	assert_true(st.n < MAXF);
	b = st.buf[st.n];
	memset(b, 0, HDR);
	b[0] = sp->vnet_flags;
	if (sp->vnet_flags & VTAP_VNET_F_NEEDS_CSUM) {
		b[6] = (uint8_t)f.l4_off;
		b[8] = sp->udp ? 6 : 16;
	}
	memcpy(b + HDR, f.data, f.len);
	st.f[st.n] = (struct vtap_frame){
		.buf = b, .cap = sizeof(st.buf[0]), .len = HDR + f.len};
	st.n++;
}

/* @n in-order ACK segments of @sp's flow, from @sp->seq and @sp->ip_id. */
static void add_run(struct spec sp, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		add(&sp);
		sp.seq += (uint32_t)sp.payload;
		sp.ip_id++;
	}
}

/* Segment frame @b (@len, header included) back; append to @out. */
static unsigned int resegment(const uint8_t *b, size_t len,
			      uint8_t (*out)[HDR + FRAME_MAX], size_t *out_len,
			      unsigned int max)
{
	struct vtap_vnet_hdr h;
	struct vtap_gso g;
	unsigned int n = 0;
	size_t l;
	int r;

	assert_int_equal(vtap_vnet__decode(b, HDR, &h), 0);
	if (h.gso_type == VTAP_VNET_GSO_NONE) {
		assert_true(max > 0);
		memcpy(out[0], b, len);
		out_len[0] = len;
		return 1;
	}
	assert_int_equal(vtap_gso__init(&g, &h, b + HDR, len - HDR), 0);
	while ((r = vtap_gso__next(&g, out[n] + HDR, FRAME_MAX, &l)) == 1) {
		memset(out[n], 0, HDR);
		out_len[n] = l + HDR;
		n++;
		assert_true(n <= max);
	}
	assert_int_equal(r, 0);
	return n;
}

static uint8_t outbuf[HDR + 70000];
static uint8_t segs[MAXF][HDR + FRAME_MAX];
static size_t seg_len[MAXF];

/*
 * Check a written frame: vnet header of a merged one, then its segments
 * against inputs [@first, @first + @n).
 */
static void check_written(const uint8_t *b, size_t len, unsigned int first,
			  unsigned int n)
{
	unsigned int got;

	if (n > 1) {
		struct vtap_vnet_hdr h;
		struct vtap_gro_seg s;
		const uint8_t *fr = b + HDR, *ip;
		uint32_t l4_len;
		uint16_t seed;
		uint8_t proto;

		assert_int_equal(vtap_gro_parse(&cfg_tcp, st.f[first].buf,
						st.f[first].len, &s),
				 VTAP_GRO_CANDIDATE);
		vtap_vnet__decode(b, HDR, &h);
		assert_int_equal(h.flags, VTAP_VNET_F_NEEDS_CSUM);
		assert_int_equal(h.gso_type, s.l4 == VTAP_PKT_L4_UDP
						     ? VTAP_VNET_GSO_UDP_L4
					     : s.l3 == VTAP_PKT_L3_IPV4
						     ? VTAP_VNET_GSO_TCPV4
						     : VTAP_VNET_GSO_TCPV6);
		assert_int_equal(h.gso_size, s.payload);
		assert_int_equal(h.csum_start, s.l4_off);
		assert_int_equal(h.csum_offset,
				 s.l4 == VTAP_PKT_L4_UDP ? 6 : 16);
		assert_int_equal(h.hdr_len, s.hdrs_len);
		/* the seed: the pseudo-header sum with the merged frame's
		 * L4 length, not complemented (Linux's convention, which its
		 * tcp_gso_segment()/__udp_gso_segment() adjust per segment) */
		ip = fr + s.l3_off;
		l4_len = (uint32_t)(len - HDR - s.l4_off);
		proto = s.l4 == VTAP_PKT_L4_UDP ? 17 : 6;
		seed = vtap_csum__fold(
			s.l3 == VTAP_PKT_L3_IPV4
				? vtap_csum__pseudo4(ip + 12, ip + 16, proto,
						     l4_len)
				: vtap_csum__pseudo6(ip + 8, ip + 24, proto,
						     l4_len));
		assert_memory_equal(fr + h.csum_start + h.csum_offset, &seed,
				    2);
		assert_int_equal(vtap_vnet__check(&h, fr, len - HDR, NULL), 0);
	}
	got = resegment(b, len, segs, seg_len, MAXF);
	assert_int_equal(got, n);
	for (unsigned int i = 0; i < n; i++) {
		const struct vtap_frame *in = &st.f[first + i];
		const uint8_t *ib = in->buf;

		assert_int_equal(seg_len[i], in->len);
		if (n > 1 && ib[0]) {
			/* NEEDS_CSUM: the input held a seed where the segment
			 * has the checksum; DATA_VALID: a checksum nobody
			 * checks. Compare around it. */
			struct vtap_gro_seg t;
			size_t c;

			assert_int_equal(
				vtap_gro_parse(&cfg_tcp, ib, in->len, &t),
				VTAP_GRO_CANDIDATE);
			c = HDR + t.l4_off + (t.l4 == VTAP_PKT_L4_UDP ? 6 : 16);
			assert_memory_equal(segs[i] + HDR, ib + HDR, c - HDR);
			assert_memory_equal(segs[i] + c + 2, ib + c + 2,
					    in->len - c - 2);
		} else if (n > 1) {
			assert_memory_equal(segs[i] + HDR, ib + HDR,
					    in->len - HDR);
		} else {
			assert_memory_equal(segs[i], ib, in->len);
		}
	}
}

/* Coalesce the stream as the send path does, checking every output. */
static void coalesce(const struct vtap_gro_cfg *cfg)
{
	int join[MAXF];
	unsigned int i = 0;

	for (unsigned int j = 0; j < MAXF; j++)
		join[j] = VTAP_GRO_ALONE;
	st.n_out = 0;
	while (i < st.n) {
		struct vtap_gro_run run;
		struct vtap_gro_seg s;
		unsigned int k = 1;
		int r = vtap_gro_parse(cfg, st.f[i].buf, st.f[i].len, &s);

		st.reason[i] = r;
		if (r == VTAP_GRO_CANDIDATE) {
			vtap_gro_start(&run, &s);
			while (i + k < st.n) {
				struct vtap_gro_seg t;
				int q = vtap_gro_parse(cfg, st.f[i + k].buf,
						       st.f[i + k].len, &t);

				if (q != VTAP_GRO_CANDIDATE)
					break;
				q = vtap_gro_add(cfg, &run, &t);
				if (q != VTAP_GRO_CANDIDATE) {
					join[i + k] = q;
					break;
				}
				k++;
			}
		}
		if (k > 1) {
			size_t len = vtap_gro_build(cfg, &run, &st.f[i], outbuf,
						    sizeof(outbuf));

			assert_true(len > 0);
			assert_int_equal(len, HDR + run.len);
			check_written(outbuf, len, i, k);
			for (unsigned int j = 0; j < k; j++)
				st.reason[i + j] = -1;
		} else {
			check_written(st.f[i].buf, st.f[i].len, i, 1);
			if (r == VTAP_GRO_CANDIDATE)
				st.reason[i] = join[i];
		}
		st.run_len[st.n_out++] = k;
		i += k;
	}
}

static void reset(void)
{
	st.n = 0;
}

/* The written frames hold these many inputs each. */
static void expect_runs(unsigned int n, const unsigned int *runs)
{
	assert_int_equal(st.n_out, n);
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(st.run_len[i], runs[i]);
}

static void test_in_order(void **state)
{
	(void)state;
	for (int v6 = 0; v6 < 2; v6++) {
		reset();
		add_run((struct spec){.v6 = v6,
				      .seq = 1,
				      .ip_id = 65530,
				      .payload = MSS},
			10);
		coalesce(&cfg_tcp);
		expect_runs(1, (unsigned int[]){10});
		/* a shorter last segment with PSH joins and ends the run */
		reset();
		add_run((struct spec){.v6 = v6,
				      .seq = 0xfffff000,
				      .payload = MSS},
			5);
		add(&(struct spec){.v6 = v6,
				   .seq = 0xfffff000 + 5 * MSS,
				   .ip_id = 5,
				   .payload = 300,
				   .flags = TCP_ACK | TCP_PSH});
		add_run((struct spec){.v6 = v6,
				      .seq = 0xfffff000 + 5 * MSS + 300,
				      .ip_id = 6,
				      .payload = MSS},
			3);
		coalesce(&cfg_tcp);
		expect_runs(2, (unsigned int[]){6, 3});
	}
}

static void test_limits(void **state)
{
	struct vtap_gro_cfg c = cfg_tcp;

	(void)state;
	/* 64 KiB: 1400-byte segments, at most 46 fit the IPv4 length */
	reset();
	add_run((struct spec){.seq = 7, .payload = 1400}, 100);
	coalesce(&cfg_tcp);
	assert_true(st.n_out == 3);
	assert_int_equal(st.run_len[0], 46);
	/* max_segs */
	c.max_segs = 4;
	reset();
	add_run((struct spec){.seq = 7, .payload = 100}, 10);
	coalesce(&c);
	expect_runs(3, (unsigned int[]){4, 4, 2});
	/* a larger segment after the first does not join */
	reset();
	add_run((struct spec){.seq = 7, .payload = 100}, 2);
	add(&(struct spec){.seq = 207, .ip_id = 2, .payload = 200});
	coalesce(&cfg_tcp);
	expect_runs(2, (unsigned int[]){2, 1});
	assert_int_equal(st.reason[2], VTAP_GRO_SIZE);
}

static void test_out_of_order(void **state)
{
	(void)state;
	for (int v6 = 0; v6 < 2; v6++) {
		reset();
		/* 0 1 | 3 | 2 | 4: a gap, then the late one, then ahead */
		add(&(struct spec){
			.v6 = v6, .seq = 0, .ip_id = 0, .payload = MSS});
		add(&(struct spec){
			.v6 = v6, .seq = MSS, .ip_id = 1, .payload = MSS});
		add(&(struct spec){
			.v6 = v6, .seq = 3 * MSS, .ip_id = 2, .payload = MSS});
		add(&(struct spec){
			.v6 = v6, .seq = 2 * MSS, .ip_id = 3, .payload = MSS});
		add(&(struct spec){
			.v6 = v6, .seq = 4 * MSS, .ip_id = 4, .payload = MSS});
		coalesce(&cfg_tcp);
		expect_runs(4, (unsigned int[]){2, 1, 1, 1});
		/* overlap: the next starts inside the previous */
		reset();
		add(&(struct spec){
			.v6 = v6, .seq = 0, .ip_id = 0, .payload = MSS});
		add(&(struct spec){
			.v6 = v6, .seq = MSS / 2, .ip_id = 1, .payload = MSS});
		coalesce(&cfg_tcp);
		expect_runs(2, (unsigned int[]){1, 1});
	}
}

static void test_retransmission(void **state)
{
	struct spec sp = {.seq = 100, .payload = MSS};

	(void)state;
	reset();
	add_run(sp, 3);
	/* the second segment again, a new IP ID */
	sp.seq += MSS;
	sp.ip_id = 3;
	add(&sp);
	sp.seq += MSS;
	sp.ip_id = 4;
	add(&sp);
	coalesce(&cfg_tcp);
	expect_runs(2, (unsigned int[]){3, 2});
	/* exactly the same frame twice */
	reset();
	add(&(struct spec){.seq = 1, .payload = MSS});
	add(&(struct spec){.seq = 1, .payload = MSS});
	coalesce(&cfg_tcp);
	expect_runs(2, (unsigned int[]){1, 1});
}

static void test_flags(void **state)
{
	static const uint8_t bad[] = {TCP_SYN | TCP_ACK,
				      TCP_FIN | TCP_ACK,
				      TCP_RST | TCP_ACK,
				      TCP_URG | TCP_ACK,
				      TCP_ECE | TCP_ACK,
				      TCP_CWR | TCP_ACK,
				      TCP_PSH /* no ACK */};

	(void)state;
	for (size_t i = 0; i < sizeof(bad); i++) {
		uint8_t fl = bad[i];

		reset();
		add_run((struct spec){.seq = 1, .payload = MSS}, 2);
		add(&(struct spec){.seq = 1 + 2 * MSS,
				   .ip_id = 2,
				   .payload = MSS,
				   .flags = fl});
		add_run((struct spec){.seq = 1 + 3 * MSS,
				      .ip_id = 3,
				      .payload = MSS},
			2);
		coalesce(&cfg_tcp);
		expect_runs(3, (unsigned int[]){2, 1, 2});
		assert_int_equal(st.reason[2], VTAP_GRO_FLAGS);
	}
	/* PSH in the middle ends the run where it is */
	reset();
	add_run((struct spec){.seq = 1, .payload = MSS}, 2);
	add(&(struct spec){.seq = 1 + 2 * MSS,
			   .ip_id = 2,
			   .payload = MSS,
			   .flags = TCP_ACK | TCP_PSH});
	add_run((struct spec){.seq = 1 + 3 * MSS, .ip_id = 3, .payload = MSS},
		2);
	coalesce(&cfg_tcp);
	expect_runs(2, (unsigned int[]){3, 2});
	/* a pure ACK between data */
	reset();
	add_run((struct spec){.seq = 1, .payload = MSS}, 2);
	add(&(struct spec){.seq = 1 + 2 * MSS, .ip_id = 2});
	add_run((struct spec){.seq = 1 + 2 * MSS, .ip_id = 3, .payload = MSS},
		2);
	coalesce(&cfg_tcp);
	expect_runs(3, (unsigned int[]){2, 1, 2});
	assert_int_equal(st.reason[2], VTAP_GRO_EMPTY);
}

static void test_headers(void **state)
{
	struct spec sp = {.seq = 1, .payload = MSS, .tsval = 1000};

	(void)state;
	/* equal timestamps merge, a new one starts a new run */
	reset();
	add_run(sp, 3);
	sp.seq += 3 * MSS;
	sp.ip_id = 3;
	sp.tsval = 1001;
	add_run(sp, 3);
	coalesce(&cfg_tcp);
	expect_runs(2, (unsigned int[]){3, 3});
	assert_int_equal(st.reason[3], -1);

	/* a new ACK, window, TTL, another flow: each breaks the run */
	for (int what = 0; what < 4; what++) {
		struct spec b = {
			.seq = 1 + 2 * MSS, .ip_id = 2, .payload = MSS};

		reset();
		add_run((struct spec){.seq = 1, .payload = MSS}, 2);
		if (what == 0)
			b.ack = 3000;
		else if (what == 1)
			b.window = 999;
		else if (what == 2)
			b.ttl = 63;
		else
			b.sport = 4001;
		add(&b);
		coalesce(&cfg_tcp);
		expect_runs(2, (unsigned int[]){2, 1});
		assert_int_equal(st.reason[2],
				 what == 3 ? VTAP_GRO_ALONE : VTAP_GRO_HEADERS);
	}
}

static void test_ip_id(void **state)
{
	(void)state;
	reset();
	add_run((struct spec){.seq = 1, .ip_id = 10, .payload = MSS}, 3);
	add_run((struct spec){.seq = 1 + 3 * MSS, .ip_id = 20, .payload = MSS},
		3);
	/* a fixed ID does not merge either (it would not come back) */
	add(&(struct spec){.seq = 1 + 6 * MSS, .ip_id = 22, .payload = MSS});
	add(&(struct spec){.seq = 1 + 7 * MSS, .ip_id = 22, .payload = MSS});
	coalesce(&cfg_tcp);
	expect_runs(4, (unsigned int[]){3, 3, 1, 1});
	assert_int_equal(st.reason[3], -1);
	assert_int_equal(st.reason[7], VTAP_GRO_IP_ID);
}

static void test_csum(void **state)
{
	(void)state;
	/* a bad L4 checksum is written as it is */
	reset();
	add_run((struct spec){.seq = 1, .payload = MSS}, 2);
	add(&(struct spec){
		.seq = 1 + 2 * MSS, .ip_id = 2, .payload = MSS, .bad_csum = 1});
	add_run((struct spec){.seq = 1 + 3 * MSS, .ip_id = 3, .payload = MSS},
		2);
	coalesce(&cfg_tcp);
	expect_runs(3, (unsigned int[]){2, 1, 2});
	assert_int_equal(st.reason[2], VTAP_GRO_CSUM);
	/* DATA_VALID vouches for it */
	reset();
	add_run((struct spec){.seq = 1,
			      .payload = MSS,
			      .vnet_flags = VTAP_VNET_F_DATA_VALID},
		2);
	add(&(struct spec){.seq = 1 + 2 * MSS,
			   .ip_id = 2,
			   .payload = MSS,
			   .bad_csum = 1,
			   .vnet_flags = VTAP_VNET_F_DATA_VALID});
	coalesce(&cfg_tcp);
	expect_runs(1, (unsigned int[]){3});
	/* ... but not for the IPv4 header checksum */
	reset();
	add_run((struct spec){.seq = 1,
			      .payload = MSS,
			      .vnet_flags = VTAP_VNET_F_DATA_VALID},
		2);
	add(&(struct spec){.seq = 1 + 2 * MSS,
			   .ip_id = 2,
			   .payload = MSS,
			   .bad_csum = 2,
			   .vnet_flags = VTAP_VNET_F_DATA_VALID});
	coalesce(&cfg_tcp);
	expect_runs(2, (unsigned int[]){2, 1});
	assert_int_equal(st.reason[2], VTAP_GRO_CSUM);
	/* NEEDS_CSUM frames (a seed in the field) merge, IPv4 and IPv6 */
	for (int v6 = 0; v6 < 2; v6++) {
		reset();
		add_run((struct spec){.v6 = v6,
				      .seq = 1,
				      .payload = MSS,
				      .vnet_flags = VTAP_VNET_F_NEEDS_CSUM},
			4);
		coalesce(&cfg_tcp);
		expect_runs(1, (unsigned int[]){4});
	}
}

static void test_ip(void **state)
{
	(void)state;
	/* IPv4 options, fragments */
	reset();
	add_run((struct spec){.seq = 1, .payload = MSS, .ip4_opts = 4}, 2);
	add(&(struct spec){.seq = 1, .payload = MSS, .frag = FRAME_IPV4_MF});
	coalesce(&cfg_tcp);
	expect_runs(3, (unsigned int[]){1, 1, 1});
	assert_int_equal(st.reason[0], VTAP_GRO_IP_OPTIONS);
	assert_int_equal(st.reason[2], VTAP_GRO_FRAGMENT);
	/* IPv6: hop-by-hop and destination options merge */
	reset();
	add_run((struct spec){.v6 = 1,
			      .seq = 1,
			      .payload = MSS,
			      .ext = FRAME_IPPROTO_HOPOPTS},
		3);
	add_run((struct spec){.v6 = 1,
			      .seq = 1 + 3 * MSS,
			      .payload = MSS,
			      .ext = FRAME_IPPROTO_DSTOPTS},
		3);
	coalesce(&cfg_tcp);
	expect_runs(2, (unsigned int[]){3, 3});
	/* AH, fragment, routing headers do not */
	reset();
	add_run((struct spec){.v6 = 1,
			      .seq = 1,
			      .payload = MSS,
			      .ext = FRAME_IPPROTO_AH},
		2);
	add_run((struct spec){.v6 = 1,
			      .seq = 1,
			      .payload = MSS,
			      .ext = FRAME_IPPROTO_FRAGMENT},
		2);
	add_run((struct spec){.v6 = 1,
			      .seq = 1,
			      .payload = MSS,
			      .ext = FRAME_IPPROTO_ROUTING},
		2);
	coalesce(&cfg_tcp);
	expect_runs(6, (unsigned int[]){1, 1, 1, 1, 1, 1});
	assert_int_equal(st.reason[0], VTAP_GRO_IPV6_EXT);
	assert_int_equal(st.reason[2], VTAP_GRO_FRAGMENT);
	assert_int_equal(st.reason[4], VTAP_GRO_IPV6_EXT);
}

static void test_udp(void **state)
{
	struct vtap_gro_cfg tcp_only = cfg_tcp;

	(void)state;
	for (int v6 = 0; v6 < 2; v6++) {
		reset();
		add_run((struct spec){.v6 = v6, .udp = 1, .payload = 500}, 5);
		add(&(struct spec){
			.v6 = v6, .udp = 1, .ip_id = 5, .payload = 100});
		add(&(struct spec){
			.v6 = v6, .udp = 1, .ip_id = 6, .payload = 500});
		add(&(struct spec){
			.v6 = v6, .udp = 1, .ip_id = 7, .payload = 600});
		coalesce(&cfg_tcp);
		expect_runs(3, (unsigned int[]){6, 1, 1});
	}
	tcp_only.types = VTAP_GRO_TCP;
	reset();
	add_run((struct spec){.udp = 1, .payload = 500}, 3);
	coalesce(&tcp_only);
	expect_runs(3, (unsigned int[]){1, 1, 1});
	assert_int_equal(st.reason[0], VTAP_GRO_OTHER);
}

static void test_names(void **state)
{
	(void)state;
	for (int r = 0; r < VTAP_GRO__COUNT; r++)
		assert_non_null(vtap_gro_reason__name((enum vtap_gro_reason)r));
	assert_null(vtap_gro_reason__name(VTAP_GRO__COUNT));
	assert_string_equal(vtap_gro_reason__name(VTAP_GRO_IP_ID), "ip_id");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_retransmission),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_ip_id),
		cmocka_unit_test(test_csum),
		cmocka_unit_test(test_ip),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
