// SPDX-License-Identifier: MIT
/*
 * fuzz_gro.c - libFuzzer target for the coalescer (software GRO)
 *
 * Input: one byte of configuration (bit 0: TUN mode, bit 1: UDP too, bits
 * 2-7: max_segs - 2), then frames, each a little-endian u16 length and
 * that many bytes: a 12-byte virtio_net_hdr_v1 and the frame. Every frame
 * is copied into an exact-size heap buffer (reads past it are caught).
 * The frames are coalesced as vtap_queue__send() does; each merged frame
 * must pass vtap_vnet__check_frame() and, segmented again with vtap_gso,
 * give back exactly the frames merged (bytes compared, except the L4
 * checksum of frames whose vnet header said DATA_VALID or NEEDS_CSUM).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gro.h"
#include "vtap/vtap.h"

#define HDR VTAP_VNET_HDR_V1_LEN
#define MAXF 200

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[HDR + VTAP_FRAME_MAX];
static uint8_t seg[VTAP_FRAME_MAX];

/* Segment the merged frame @len and compare with @f[0..n). */
static void check_run(const struct vtap_gro_cfg *cfg,
		      const struct vtap_gro_run *run,
		      const struct vtap_frame *f, size_t len)
{
	struct vtap_vnet_hdr h;
	struct vtap_gso g;
	unsigned int i = 0;
	size_t l;
	int r;

	if (len != HDR + run->len)
		abort();
	vtap_vnet__decode(out, HDR, &h);
	if (vtap_vnet__check_frame(&h, out + HDR, len - HDR, cfg->pflags, NULL,
				   NULL))
		abort();
	if (vtap_gso__init_flags(&g, &h, out + HDR, len - HDR, cfg->pflags,
				 NULL))
		abort();
	while ((r = vtap_gso__next(&g, seg, sizeof(seg), &l)) == 1) {
		const uint8_t *in = (const uint8_t *)f[i].buf + HDR;
		size_t in_len = f[i].len - HDR;
		size_t c = run->first.l4_off +
			   (run->first.l4 == VTAP_PKT_L4_TCP ? 16 : 6);

		if (i >= run->n || l != in_len)
			abort();
		if (((const uint8_t *)f[i].buf)[0]) {
			if (memcmp(seg, in, c) ||
			    memcmp(seg + c + 2, in + c + 2, l - c - 2))
				abort();
		} else if (memcmp(seg, in, l)) {
			abort();
		}
		i++;
	}
	if (r || i != run->n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vtap_frame f[MAXF];
	struct vtap_gro_cfg cfg = {.hdr_len = HDR, .types = VTAP_GRO_TCP};
	unsigned int n = 0, i = 0;

	if (!size)
		return 0;
	cfg.pflags = data[0] & 1 ? VTAP_PKT_L3 : 0;
	if (data[0] & 2)
		cfg.types |= VTAP_GRO_UDP;
	cfg.max_segs = 2 + (data[0] >> 2);
	data++;
	size--;
	while (size >= 2 && n < MAXF) {
		size_t len = (size_t)(data[0] | data[1] << 8);
		uint8_t *b;

		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		b = malloc(len ? len : 1);
		if (!b)
			break;
		memcpy(b, data, len);
		f[n++] = (struct vtap_frame){.buf = b, .cap = len, .len = len};
		data += len;
		size -= len;
	}
	while (i < n) {
		struct vtap_gro_run run;
		struct vtap_gro_seg s;
		unsigned int k = 1;

		if (vtap_gro_parse(&cfg, f[i].buf, f[i].len, &s) ==
		    VTAP_GRO_CANDIDATE) {
			vtap_gro_start(&run, &s);
			while (i + k < n &&
			       vtap_gro_parse(&cfg, f[i + k].buf, f[i + k].len,
					      &s) == VTAP_GRO_CANDIDATE &&
			       vtap_gro_add(&cfg, &run, &s) ==
				       VTAP_GRO_CANDIDATE)
				k++;
			if (k > 1) {
				size_t len = vtap_gro_build(&cfg, &run, &f[i],
							    out, sizeof(out));

				if (!len)
					abort();
				check_run(&cfg, &run, &f[i], len);
			}
		}
		i += k;
	}
	for (i = 0; i < n; i++)
		free(f[i].buf);
	return 0;
}
