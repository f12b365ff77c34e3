// SPDX-License-Identifier: MIT
/*
 * rxq.c - which receive queue each UDP flow reached, seen from inside a
 * guest (tests/vm/test_qemu_client.sh runs it on the guest's virtio-net).
 *
 *   rxq IFNAME BASE_PORT NFLOWS TIMEOUT_S READY_FILE
 *
 * A socket filter (BPF_PROG_TYPE_SOCKET_FILTER, written out as
 * instructions: no libbpf, no BTF, loads on 6.1) on an AF_PACKET socket of
 * IFNAME records, for IPv4 UDP datagrams to ports BASE_PORT ..
 * BASE_PORT + NFLOWS - 1, __sk_buff->queue_mapping (rx queue + 1) and
 * __sk_buff->hash into an array map indexed by dport - BASE_PORT, and
 * counts a flow seen on two queues. When the filter is in place READY_FILE
 * is created; when every flow was seen (or after TIMEOUT_S) one line per
 * flow is printed: "flow I dport P queue Q hash 0xH moved M", Q = -1 when
 * not seen. Exit 0 when every flow was seen, 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* What the filter stores per flow. */
struct flow_rec {
	uint32_t queue_mapping; /* 0: not seen */
	uint32_t hash;
	uint32_t packets;
	uint32_t moved; /* packets that came on another queue than before */
};

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

#define INSN(c, d, s, o, i)                \
	((struct bpf_insn){.code = (c),    \
			   .dst_reg = (d), \
			   .src_reg = (s), \
			   .off = (o),     \
			   .imm = (i)})

static int load_filter(int map_fd, uint16_t base, uint32_t n)
{
	/*
	 * r6 = ctx; proto = byte 23 (IPv4 header at 14, protocol at +9);
	 * only UDP with a 20-byte IP header; dport = half-word 36; key =
	 * dport - base, < n; rec = lookup(key); record queue_mapping and
	 * hash; count a change of queue. Return 0: the socket never queues.
	 */
	struct bpf_insn prog[] = {
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),
		INSN(BPF_LD | BPF_ABS | BPF_H, 0, 0, 0, 12), /* ethertype */
		INSN(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 27, ETH_P_IP),
		INSN(BPF_LD | BPF_ABS | BPF_B, 0, 0, 0, 14), /* ver/ihl */
		INSN(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 25, 0x45),
		INSN(BPF_LD | BPF_ABS | BPF_B, 0, 0, 0, 23),
		INSN(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 23, 17),
		INSN(BPF_LD | BPF_ABS | BPF_H, 0, 0, 0, 36),
		INSN(BPF_ALU64 | BPF_SUB | BPF_K, 0, 0, 0, base),
		INSN(BPF_JMP | BPF_JGE | BPF_K, 0, 0, 20, (int32_t)n),
		INSN(BPF_STX | BPF_MEM | BPF_W, 10, 0, -4, 0),
		INSN(BPF_LDX | BPF_MEM | BPF_W, 7, 6,
		     offsetof(struct __sk_buff, queue_mapping), 0),
		INSN(BPF_LDX | BPF_MEM | BPF_W, 8, 6,
		     offsetof(struct __sk_buff, hash), 0),
		INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0,
		     map_fd),
		INSN(0, 0, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 11, 0),
		/* r1 = rec->queue_mapping; if seen and != now: moved++ */
		INSN(BPF_LDX | BPF_MEM | BPF_W, 1, 0, 0, 0),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 4, 0),
		INSN(BPF_JMP | BPF_JEQ | BPF_X, 1, 7, 3, 0),
		INSN(BPF_LDX | BPF_MEM | BPF_W, 1, 0, 12, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, 1),
		INSN(BPF_STX | BPF_MEM | BPF_W, 0, 1, 12, 0),
		INSN(BPF_STX | BPF_MEM | BPF_W, 0, 7, 0, 0),
		INSN(BPF_STX | BPF_MEM | BPF_W, 0, 8, 4, 0),
		INSN(BPF_LDX | BPF_MEM | BPF_W, 1, 0, 8, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, 1),
		INSN(BPF_STX | BPF_MEM | BPF_W, 0, 1, 8, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	static char log[65536];
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uintptr_t)prog;
	a.insn_cnt = sizeof(prog) / sizeof(prog[0]);
	a.license = (uintptr_t) "GPL";
	a.log_buf = (uintptr_t)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (fd < 0)
		fprintf(stderr, "rxq: BPF_PROG_LOAD: %s\n%s\n", strerror(errno),
			log);
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET};
	struct flow_rec rec;
	union bpf_attr a;
	unsigned int n, base, timeout, seen;
	int map_fd, prog_fd, sk;
	time_t end;

	if (argc != 6) {
		fprintf(stderr, "usage: rxq IFNAME BASE_PORT NFLOWS TIMEOUT_S "
				"READY_FILE\n");
		return 2;
	}
	base = (unsigned int)atoi(argv[2]);
	n = (unsigned int)atoi(argv[3]);
	timeout = (unsigned int)atoi(argv[4]);
	if (!n || n > 1024 || base + n > 65536)
		return 2;
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = sizeof(struct flow_rec);
	a.max_entries = n;
	map_fd = (int)sys_bpf(BPF_MAP_CREATE, &a);
	if (map_fd < 0) {
		fprintf(stderr, "rxq: BPF_MAP_CREATE: %s\n", strerror(errno));
		return 1;
	}
	prog_fd = load_filter(map_fd, (uint16_t)base, n);
	if (prog_fd < 0)
		return 1;
	sk = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(argv[1]);
	if (sk < 0 || !sll.sll_ifindex ||
	    setsockopt(sk, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd,
		       sizeof(prog_fd)) ||
	    bind(sk, (struct sockaddr *)&sll, sizeof(sll))) {
		fprintf(stderr, "rxq: packet socket on %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	close(open(argv[5], O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	end = time(NULL) + timeout;
	do {
		seen = 0;
		for (uint32_t k = 0; k < n; k++) {
			memset(&a, 0, sizeof(a));
			a.map_fd = (uint32_t)map_fd;
			a.key = (uintptr_t)&k;
			a.value = (uintptr_t)&rec;
			if (!sys_bpf(BPF_MAP_LOOKUP_ELEM, &a) &&
			    rec.queue_mapping)
				seen++;
		}
		if (seen < n)
			usleep(200 * 1000);
	} while (seen < n && time(NULL) < end);
	for (uint32_t k = 0; k < n; k++) {
		memset(&rec, 0, sizeof(rec));
		memset(&a, 0, sizeof(a));
		a.map_fd = (uint32_t)map_fd;
		a.key = (uintptr_t)&k;
		a.value = (uintptr_t)&rec;
		sys_bpf(BPF_MAP_LOOKUP_ELEM, &a);
		printf("flow %u dport %u queue %d hash 0x%08x moved %u\n", k,
		       base + k, (int)rec.queue_mapping - 1, rec.hash,
		       rec.moved);
	}
	return seen == n ? 0 : 1;
}
