// SPDX-License-Identifier: MIT
/*
 * main.c - vtap-vhost: options, the tap and its steering, the vhost-user
 * socket (server or client) and the event loop
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#else
/* Without libsystemd there is no service manager to tell. */
static int sd_notifyf(int unset, const char *fmt, ...)
{
	return 0;
}
#endif

#include "guard.h"
#include "vhost.h"

#define PROG "vtap-vhost"

/* <linux/mount.h> values, which Debian 12's glibc headers lack. */
#define OPEN_TREE_CLONE_ 1
#define MOVE_MOUNT_F_EMPTY_PATH_ 0x00000004

static bool log_debug;

void vh_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs(PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int lib_log(enum vtap_log_level level, const char *fmt, va_list ap)
{
	if (level == VTAP_LOG_DEBUG && !log_debug)
		return 0;
	fputs(PROG ": ", stderr);
	return vfprintf(stderr, fmt, ap);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG
		" --socket PATH [--client] (--tap NAME | --create NAME)\n"
		"                  [--queues N] [--netns NS] [--offload LIST]\n"
		"                  [--hash-report on|off] [--owner UID]\n"
		"                  [--pin | --cpus LIST] [--allow-polling]\n"
		"                  [--coalesce on|off]\n"
		"\n"
		"A vhost-user virtio-net backend whose other side is a vtap tap:\n"
		"guest queue pair i is tap queue i, steered in the kernel by vtap.\n"
		"\n"
		"  --socket PATH        the vhost-user socket\n"
		"  --client             connect to PATH (and reconnect) instead of\n"
		"                       listening on it\n"
		"  --tap NAME           use a tap prepared with vtapctl (its RSS,\n"
		"                       rules and extension apply)\n"
		"  --create NAME        create a tap with vtap's RSS over all queues\n"
		"  --queues N           queue pairs, 1..%d (default: the tap's\n"
		"                       recorded count with --tap, else 1)\n"
		"  --netns NS           the tap lives in network namespace NS\n"
		"                       (/run/netns/NS, or a path)\n"
		"  --offload LIST       offloads offered to the guest: all, none or\n"
		"                       a comma list of csum,tso4,tso6,tso_ecn,uso\n"
		"                       (default all the kernel allows)\n"
		"  --hash-report on|off offer VIRTIO_NET_F_HASH_REPORT (default on)\n"
		"  --owner UID          the socket (and a created tap) belong to UID\n"
		"  --pin                pin the worker of queue pair i to the i-th\n"
		"                       CPU this process may run on (wrapping)\n"
		"  --cpus LIST          pin worker i to the i-th CPU of a comma\n"
		"                       list (wrapping), e.g. 2,3\n"
		"  --allow-polling      accept rings without a kick eventfd\n"
		"                       (polled, backing off to 1 ms when idle)\n"
		"  --coalesce on|off    merge the guest's MSS-sized TCP segments\n"
		"                       (UDP datagrams where the kernel takes USO)\n"
		"                       of one transmit batch into GSO frames\n"
		"                       (default on)\n"
		"  -h, --help           this help\n"
		"  -V, --version        print the version\n",
		VH_PAIRS_MAX);
}

static int parse_uint(const char *opt, const char *s, unsigned long lo,
		      unsigned long hi, unsigned long *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!isdigit((unsigned char)*s) || *end || errno || v < lo || v > hi) {
		fprintf(stderr, PROG ": --%s must be %lu..%lu, not '%s'\n", opt,
			lo, hi, s);
		return -1;
	}
	*ret = v;
	return 0;
}

enum {
	OPT_SOCKET = 0x100,
	OPT_CLIENT,
	OPT_TAP,
	OPT_CREATE,
	OPT_QUEUES,
	OPT_NETNS,
	OPT_OFFLOAD,
	OPT_HASH,
	OPT_OWNER,
	OPT_PIN,
	OPT_CPUS,
	OPT_POLLING,
	OPT_COALESCE,
};

/*
 * --pin (no list: the CPUs this process may run on, in order) or --cpus
 * LIST (each one checked against them). Return: 0, or 2 after a message.
 */
static int parse_cpus(const char *list, struct vh_opts *o)
{
	cpu_set_t set;
	char *copy, *tok, *save = NULL;
	int ret = 0;

	if (sched_getaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, PROG ": CPUs this process may run on: %s\n",
			strerror(errno));
		return 2;
	}
	o->n_cpus = 0;
	if (!list) {
		for (int c = 0; c < CPU_SETSIZE && o->n_cpus < VH_PAIRS_MAX;
		     c++)
			if (CPU_ISSET(c, &set))
				o->cpus[o->n_cpus++] = (unsigned int)c;
		return 0;
	}
	copy = strdup(list);
	if (!copy)
		return 2;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		unsigned long v;

		if (o->n_cpus == VH_PAIRS_MAX) {
			fprintf(stderr, PROG ": --cpus: at most %d CPUs\n",
				VH_PAIRS_MAX);
			ret = 2;
			break;
		}
		if (parse_uint("cpus", tok, 0, CPU_SETSIZE - 1, &v)) {
			ret = 2;
			break;
		}
		if (!CPU_ISSET(v, &set)) {
			fprintf(stderr,
				PROG
				": --cpus: CPU %lu is not one this process "
				"may run on (see taskset -p %d)\n",
				v, (int)getpid());
			ret = 2;
			break;
		}
		o->cpus[o->n_cpus++] = (unsigned int)v;
	}
	free(copy);
	if (!ret && !o->n_cpus) {
		fprintf(stderr, PROG ": --cpus needs a comma list of CPUs\n");
		ret = 2;
	}
	return ret;
}

static int parse_args(int argc, char **argv, struct vh_opts *o)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, OPT_SOCKET},
		{"client", no_argument, NULL, OPT_CLIENT},
		{"tap", required_argument, NULL, OPT_TAP},
		{"create", required_argument, NULL, OPT_CREATE},
		{"queues", required_argument, NULL, OPT_QUEUES},
		{"netns", required_argument, NULL, OPT_NETNS},
		{"offload", required_argument, NULL, OPT_OFFLOAD},
		{"hash-report", required_argument, NULL, OPT_HASH},
		{"owner", required_argument, NULL, OPT_OWNER},
		{"pin", no_argument, NULL, OPT_PIN},
		{"cpus", required_argument, NULL, OPT_CPUS},
		{"allow-polling", no_argument, NULL, OPT_POLLING},
		{"coalesce", required_argument, NULL, OPT_COALESCE},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	unsigned long v;
	int c;

	o->offloads = VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4 |
		      VTAP_OFFLOAD_TSO6 | VTAP_OFFLOAD_TSO_ECN |
		      VTAP_OFFLOAD_USO;
	o->hash_report = true;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hV", opts, NULL)) != -1) {
		switch (c) {
		case OPT_SOCKET:
			o->socket = optarg;
			break;
		case OPT_CLIENT:
			o->client = true;
			break;
		case OPT_TAP:
		case OPT_CREATE:
			if (o->tap) {
				fprintf(stderr, PROG ": give one of --tap and "
						     "--create, once\n");
				return 2;
			}
			o->tap = optarg;
			o->create = c == OPT_CREATE;
			if (!*optarg || strlen(optarg) > 15) {
				fprintf(stderr,
					PROG ": interface name '%s' must be "
					     "1..15 characters\n",
					optarg);
				return 2;
			}
			break;
		case OPT_QUEUES:
			if (parse_uint("queues", optarg, 1, VH_PAIRS_MAX, &v))
				return 2;
			o->queues = (unsigned int)v;
			break;
		case OPT_NETNS:
			o->netns = optarg;
			break;
		case OPT_OFFLOAD:
			if (vtap_offloads__parse(optarg, &o->offloads) ||
			    (o->offloads & (VTAP_OFFLOAD_UDP_TUNNEL |
					    VTAP_OFFLOAD_UDP_TUNNEL_CSUM))) {
				fprintf(stderr,
					PROG ": --offload '%s': expected all, "
					     "none or a comma list of csum,"
					     "tso4,tso6,tso_ecn,uso\n",
					optarg);
				return 2;
			}
			break;
		case OPT_HASH:
			if (!strcmp(optarg, "on")) {
				o->hash_report = true;
			} else if (!strcmp(optarg, "off")) {
				o->hash_report = false;
			} else {
				fprintf(stderr,
					PROG ": --hash-report must be on or "
					     "off, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case OPT_OWNER:
			if (parse_uint("owner", optarg, 0, 0xfffffffeul, &v))
				return 2;
			o->has_owner = true;
			o->owner = (uint32_t)v;
			break;
		case OPT_PIN:
		case OPT_CPUS:
			if (o->n_cpus) {
				fprintf(stderr, PROG ": give one of --pin and "
						     "--cpus, once\n");
				return 2;
			}
			if (parse_cpus(c == OPT_CPUS ? optarg : NULL, o))
				return 2;
			break;
		case OPT_POLLING:
			o->allow_polling = true;
			break;
		case OPT_COALESCE:
			if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
				fprintf(stderr,
					PROG
					": --coalesce must be on or off, not '%s'\n",
					optarg);
				return 2;
			}
			o->no_coalesce = !strcmp(optarg, "off");
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf(PROG " %s\n", VTAP_VERSION);
			return 1;
		case ':':
			fprintf(stderr,
				PROG ": option '%s' needs a value; see '" PROG
				     " --help'\n",
				argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr,
				PROG ": unknown option '%s'; see '" PROG
				     " --help'\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			PROG ": unexpected argument '%s'; see '" PROG
			     " --help'\n",
			argv[optind]);
		return 2;
	}
	if (!o->socket || !o->tap) {
		fprintf(stderr, PROG ": --socket and one of --tap or --create "
				     "are required; see '" PROG " --help'\n");
		return 2;
	}
	if (strlen(o->socket) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		fprintf(stderr, PROG ": socket path '%s' is too long\n",
			o->socket);
		return 2;
	}
	return 0;
}

/*
 * libvtap reads some device state from /sys/class/net, which shows the
 * network namespace sysfs was mounted in: like `ip netns exec`, give this
 * process its own mount namespace with a sysfs of the new network
 * namespace, and carry the BPF filesystem (steering pins) over to it.
 */
static int remount_sysfs(void)
{
	int bpf = -1;

	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL)) {
		vh_log("mount namespace: %s", strerror(errno));
		return -1;
	}
	bpf = (int)syscall(SYS_open_tree, AT_FDCWD, "/sys/fs/bpf",
			   OPEN_TREE_CLONE_ | AT_RECURSIVE);
	if (umount2("/sys", MNT_DETACH) && errno != EINVAL) {
		vh_log("umount /sys: %s", strerror(errno));
		return -1;
	}
	if (mount("sysfs", "/sys", "sysfs", 0, NULL)) {
		vh_log("mount sysfs: %s", strerror(errno));
		return -1;
	}
	if (bpf >= 0) {
		if (syscall(SYS_move_mount, bpf, "", AT_FDCWD, "/sys/fs/bpf",
			    MOVE_MOUNT_F_EMPTY_PATH_))
			vh_log("/sys/fs/bpf: %s; pinned steering state is "
			       "not visible",
			       strerror(errno));
		close(bpf);
	}
	return 0;
}

static int enter_netns(const char *ns)
{
	char path[512];
	int fd;

	if (strchr(ns, '/'))
		snprintf(path, sizeof(path), "%s", ns);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		vh_log("network namespace '%s': %s (create it with 'ip netns "
		       "add'; entering one needs CAP_SYS_ADMIN)",
		       path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return remount_sysfs();
}

/* RSS over every queue with the default key and all hash types. */
static int default_rss(struct vh_dev *d)
{
	VTAP_OPTS_INIT(vtap_steer_rss, r);
	int err;

	r.hash_types = VTAP_HASH_TYPE_ALL;
	r.kind = VTAP_STEER_TABLE_EQUAL;
	err = vtap_steer__set_rss(d->steer, &r);
	if (err)
		vh_log("%s: RSS: %s", d->o.tap, strerror(-err));
	return err;
}

static int open_tap(struct vh_dev *d)
{
	VTAP_OPTS_INIT(vtap_dev_opts, o);
	VTAP_OPTS_INIT(vtap_steer_opts, so);
	struct vtap_dev_features feat;
	struct vtap_dev_info info;
	int err, n;

	o.vnet_hdr_len = VH_TAP_HDR;
	o.flags = VTAP_DEV_SET_OFFLOADS;
	o.offloads = 0; /* until the guest's features say otherwise */
	if (d->o.create) {
		o.flags |= VTAP_DEV_EXCL;
		if (d->o.has_owner) {
			o.flags |= VTAP_DEV_SET_OWNER;
			o.owner = d->o.owner;
		}
		o.queues = d->o.queues ? d->o.queues : 1;
	} else {
		struct vtap_dev_link l = {.sz = sizeof(l)};

		o.flags |= VTAP_DEV_NO_CREATE;
		/* A macvtap/ipvtap: queue pair i is its queue i. */
		if (!vtap_dev__link(d->o.tap, &l))
			o.type = l.type;
		n = vtap_dev__intended_queues(d->o.tap);
		o.queues = d->o.queues ? d->o.queues : n > 0 ? (unsigned)n : 1;
	}
	if (o.queues > VH_PAIRS_MAX)
		o.queues = VH_PAIRS_MAX;
	d->dev = vtap_dev__open(d->o.tap, &o);
	if (!d->dev) {
		err = errno;
		vh_log("tap '%s': %s%s", d->o.tap, strerror(err),
		       err == EPERM    ? " (needs CAP_NET_ADMIN, or be the "
					 "tap's owner)"
		       : err == ENODEV ? " (create it with 'vtapctl dev add', "
					 "or use --create)"
		       : err == EEXIST ? " (exists: use --tap, or another name)"
				       : "");
		return -1;
	}
	d->npairs = o.queues;
	if (vtap_dev__features(d->dev, &feat) == 0)
		d->kernel_offloads = feat.offloads;

	so.queues = d->npairs;
	if (!d->o.create) {
		so.flags = VTAP_STEER_PIN | VTAP_STEER_NO_CREATE;
		d->steer = vtap_steer__open(d->o.tap, &so);
		if (!d->steer && errno != ENOENT)
			vh_log("tap '%s': pinned steering state: %s; using "
			       "vtap's default RSS",
			       d->o.tap, strerror(errno));
	}
	if (!d->steer) {
		so.flags = 0;
		d->steer = vtap_steer__open(d->o.tap, &so);
		if (!d->steer) {
			vh_log("tap '%s': steering: %s (loading BPF needs "
			       "CAP_BPF)",
			       d->o.tap, strerror(errno));
			return -1;
		}
		if (default_rss(d))
			return -1;
	}
	err = vtap_steer__attach_dev(d->steer, d->dev);
	if (err) {
		vh_log("tap '%s': attach steering: %s", d->o.tap,
		       strerror(-err));
		return -1;
	}
	if (d->o.create) {
		err = vtap_dev__set_up(d->dev, true);
		if (err)
			vh_log("tap '%s': set up: %s", d->o.tap,
			       strerror(-err));
	}
	/* For tests: do these offloads in software as a kernel without them
	 * would make vtap-vhost do (e.g. "uso" as on Linux 6.1). */
	if (getenv("VTAP_VHOST_SW_OFFLOADS")) {
		uint32_t sw;

		if (vtap_offloads__parse(getenv("VTAP_VHOST_SW_OFFLOADS"),
					 &sw) ||
		    vtap_dev__set_sw_offloads(d->dev, sw)) {
			vh_log("VTAP_VHOST_SW_OFFLOADS='%s': not an offload "
			       "list",
			       getenv("VTAP_VHOST_SW_OFFLOADS"));
			return -1;
		}
	}
	d->mtu = 1500;
	if (vtap_dev__info(d->o.tap, &info) == 0 && info.mtu)
		d->mtu = info.mtu;
	return 0;
}

static int setup_pairs(struct vh_dev *d)
{
	struct epoll_event fev = {.events = EPOLLIN,
				  .data.u64 = VH_EV(VH_EV_FAIL, 0)};
	int err = vh_workers_init(d);

	if (err || epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->fail_fd, &fev)) {
		vh_log("workers: %s", strerror(err ? -err : errno));
		return -1;
	}
	for (unsigned int i = 0; i < d->npairs; i++) {
		struct vh_pair *p = &d->pair[i];
		struct epoll_event ev = {.events = 0,
					 .data.u64 = VH_EV(VH_EV_TAP, i)};

		p->id = i;
		p->rx.index = 2 * i;
		p->tx.index = 2 * i + 1;
		p->rx.kick_fd = p->rx.call_fd = p->rx.err_fd = -1;
		p->tx.kick_fd = p->tx.call_fd = p->tx.err_fd = -1;
		p->q = vtap_dev__queue(d->dev, i);
		p->tap_fd = vtap_queue__fd(p->q);
		p->attached = true;
		p->pool = calloc(1, sizeof(*p->pool));
		p->bounce = malloc(VH_TAP_HDR + VTAP_FRAME_MAX);
		if (!p->pool || !p->bounce) {
			vh_log("out of memory");
			return -1;
		}
		if (!d->o.no_coalesce) {
			VTAP_OPTS_INIT(vtap_gro_opts, go);

			/* Coalesce where the queue can (a vnet header; USO
			 * only where the kernel's tap takes it). */
			if (!vtap_queue__set_gro(p->q, &go))
				p->gro_buf = malloc((size_t)VH_GRO_BATCH *
						    VH_GRO_STRIDE);
		}
		if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->tap_fd, &ev)) {
			vh_log("epoll: %s", strerror(errno));
			return -1;
		}
	}
	/* Pairs the guest has not enabled are detached until it does. */
	for (unsigned int i = 0; i < d->npairs; i++)
		vh_net_update_pair(d, &d->pair[i]);
	return 0;
}

static void sock_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", path);
}

static void conn_set(struct vh_dev *d, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN,
				 .data.u64 = VH_EV(VH_EV_CONN, 0)};
	struct timeval tv = {.tv_sec = 2};

	/* A frontend that stalls mid-message only stalls itself briefly. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	d->conn_fd = fd;
	/* Guest errors in `vtapctl stats` count from this connection on. */
	vh_pause(d);
	for (unsigned int i = 0; i < d->npairs; i++) {
		memset(&d->pair[i].rx.cnt, 0, sizeof(d->pair[i].rx.cnt));
		memset(&d->pair[i].tx.cnt, 0, sizeof(d->pair[i].tx.cnt));
		vtap_queue__ring_reset(d->pair[i].q);
	}
	vh_resume(d);
	epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
	if (d->listen_fd >= 0)
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->listen_fd, NULL);
	vh_log("%s: frontend connected on %s", d->o.tap, d->o.socket);
}

static void conn_close(struct vh_dev *d)
{
	struct epoll_event ev = {.events = EPOLLIN,
				 .data.u64 = VH_EV(VH_EV_LISTEN, 0)};

	if (d->conn_fd < 0)
		return;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->conn_fd, NULL);
	close(d->conn_fd);
	d->conn_fd = -1;
	vh_reset(d);
	vh_log("%s: frontend disconnected; %s", d->o.tap,
	       d->o.client ? "reconnecting" : "listening again");
	if (d->listen_fd >= 0)
		epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->listen_fd, &ev);
}

static int listen_socket(struct vh_dev *d)
{
	struct epoll_event ev = {.events = EPOLLIN,
				 .data.u64 = VH_EV(VH_EV_LISTEN, 0)};
	struct sockaddr_un sa;
	struct stat st;
	int fd;

	sock_addr(d->o.socket, &sa);
	/* A socket left by an earlier run is replaced; other files are not. */
	if (lstat(d->o.socket, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(d->o.socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 1)) {
		vh_log("socket '%s': %s", d->o.socket, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (d->o.has_owner && chown(d->o.socket, d->o.owner, (gid_t)-1)) {
		vh_log("socket '%s': chown to %u: %s", d->o.socket, d->o.owner,
		       strerror(errno));
		close(fd);
		return -1;
	}
	d->listen_fd = fd;
	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* --client: one connection attempt; the timer retries. */
static void try_connect(struct vh_dev *d)
{
	static bool said;
	struct sockaddr_un sa;
	int fd;

	sock_addr(d->o.socket, &sa);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (!said)
			vh_log("connect to '%s': %s; retrying every 200 ms",
			       d->o.socket, strerror(errno));
		said = true;
		close(fd);
		return;
	}
	said = false;
	conn_set(d, fd);
}

static void on_timer(struct vh_dev *d)
{
	uint64_t v;
	struct vtap_dev_info info;
	static unsigned int ticks;

	if (read(d->timer_fd, &v, sizeof(v)) < 0)
		return;
	if (d->o.client && d->conn_fd < 0)
		try_connect(d);
	if (++ticks % 5)
		return;
	/* The operator may change RSS (vtapctl rss set) or the MTU. */
	vh_pause(d);
	vh_net_refresh_rss(d);
	if (vtap_dev__info(vtap_dev__name(d->dev), &info) == 0 && info.mtu)
		d->mtu = info.mtu;
	vh_resume(d);
}

/* SIGUSR1: one log line per ring, for an operator or a bug report. */
static void dump_state(struct vh_dev *d)
{
	for (unsigned int i = 0; i < 2 * d->npairs; i++) {
		struct vh_vq *vq = vh_vq(d, i);
		uint16_t aidx = 0, uidx = 0;
		uint64_t errs = 0;

		/* The frontend may have shrunk the memory: no fault here. */
		if (vq->avail)
			vh_guest_load16(&vq->avail->idx, &aidx);
		if (vq->used)
			vh_guest_load16(&vq->used->idx, &uidx);

		for (int e = 0; e < VRING_ERR__COUNT; e++)
			errs += vq->cnt.ring_errors[e];
		vh_log("%s: virtqueue %u: size %u %s%s%s%s avail %u used %u "
		       "(ring %u/%u) kicks %llu calls %llu errors %llu%s",
		       vtap_dev__name(d->dev), i, vq->num,
		       vq->started ? "started" : "stopped",
		       vq->enabled ? " enabled" : "",
		       vq->broken ? " broken" : "",
		       vq->kick_fd < 0 && vq->kick_set ? " polled" : "",
		       vq->last_avail, vq->last_used, aidx, uidx,
		       (unsigned long long)vq->cnt.kicks,
		       (unsigned long long)vq->cnt.calls,
		       (unsigned long long)errs,
		       i % 2 == 0 ? (d->pair[i / 2].attached
					     ? (d->pair[i / 2].tap_armed
							? " tap attached, armed"
							: " tap attached")
					     : " tap detached")
				  : "");
	}
}

/* The main thread: the socket, the timer, signals, failed rings. */
static int run(struct vh_dev *d, int sig_fd)
{
	struct epoll_event evs[16];

	while (!d->stop) {
		int n = epoll_wait(d->epfd, evs, 16, -1);

		if (n < 0 && errno != EINTR) {
			vh_log("epoll: %s", strerror(errno));
			return -1;
		}
		for (int i = 0; i < n; i++) {
			uint32_t kind = (uint32_t)(evs[i].data.u64 >> 32);

			switch (kind) {
			case VH_EV_LISTEN: {
				int fd = accept4(d->listen_fd, NULL, NULL,
						 SOCK_CLOEXEC);

				if (fd >= 0 && d->conn_fd >= 0)
					close(fd);
				else if (fd >= 0)
					conn_set(d, fd);
				break;
			}
			case VH_EV_CONN:
				if (d->conn_fd < 0)
					break;
				/* Workers park while a message changes state. */
				vh_pause(d);
				if (vh_handle_message(d) < 0)
					conn_close(d);
				vh_resume(d);
				break;
			case VH_EV_FAIL:
				vh_update_failed(d);
				break;
			case VH_EV_TIMER:
				on_timer(d);
				break;
			default:
				if (evs[i].data.u64 == (uint64_t)sig_fd) {
					struct signalfd_siginfo si;

					if (read(sig_fd, &si, sizeof(si)) ==
						    sizeof(si) &&
					    si.ssi_signo == SIGUSR1)
						dump_state(d);
					else
						d->stop = 1;
				}
				break;
			}
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct vh_dev d;
	struct itimerspec its = {.it_interval.tv_nsec = 200000000,
				 .it_value.tv_nsec = 200000000};
	struct epoll_event ev;
	sigset_t mask;
	int ret, sig_fd;

	ret = parse_args(argc, argv, &d.o);
	if (ret)
		return ret == 1 ? 0 : ret;
	signal(SIGPIPE, SIG_IGN);
	if (vh_guard_init(&d)) {
		vh_log("SIGBUS handler: %s", strerror(errno));
		return 1;
	}
	log_debug = getenv("VTAP_DEBUG") != NULL;
	vtap_set_log(lib_log);
	d.listen_fd = d.conn_fd = d.fail_fd = -1;
	d.guest_hdr = VTAP_VNET_HDR_V1_LEN;
	d.epfd = epoll_create1(EPOLL_CLOEXEC);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d.timer_fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d.epfd < 0 || sig_fd < 0 || d.timer_fd < 0) {
		vh_log("setup: %s", strerror(errno));
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.u64 = (uint64_t)sig_fd;
	epoll_ctl(d.epfd, EPOLL_CTL_ADD, sig_fd, &ev);
	ev.data.u64 = VH_EV(VH_EV_TIMER, 0);
	epoll_ctl(d.epfd, EPOLL_CTL_ADD, d.timer_fd, &ev);
	timerfd_settime(d.timer_fd, 0, &its, NULL);

	if (d.o.netns && enter_netns(d.o.netns))
		return 1;
	if (open_tap(&d) || setup_pairs(&d))
		goto fail;
	d.offered = vh_offered_features(&d);
	d.proto_offered = VH_F(VU_PF_MQ) | VH_F(VU_PF_REPLY_ACK) |
			  VH_F(VU_PF_CONFIGURE_MEM_SLOTS);
	vh_net_refresh_rss(&d);
	if (d.o.client)
		try_connect(&d);
	else if (listen_socket(&d))
		goto fail;
	if (vh_workers_start(&d))
		goto fail;
	vh_log("%s: %u queue pair%s, %s '%s'", vtap_dev__name(d.dev), d.npairs,
	       d.npairs == 1 ? "" : "s",
	       d.o.client ? "connecting to" : "listening on", d.o.socket);
	/* Type=notify: ready once the VMM can connect (or is being dialled). */
	sd_notifyf(0, "READY=1\nSTATUS=%s: %u queue pair%s, %s %s",
		   vtap_dev__name(d.dev), d.npairs, d.npairs == 1 ? "" : "s",
		   d.o.client ? "connecting to" : "listening on", d.o.socket);
	ret = run(&d, sig_fd);
	sd_notifyf(0, "STOPPING=1");
	vh_workers_stop(&d);
	if (d.conn_fd >= 0) {
		close(d.conn_fd);
		d.conn_fd = -1;
	}
	vh_reset(&d);
	if (d.listen_fd >= 0) {
		close(d.listen_fd);
		unlink(d.o.socket);
	}
	vtap_rss__free(d.rss);
	/*
	 * The device first, with the steering still bound: closing its last
	 * queue puts the tap's table back to the operator's intent over
	 * every intended queue, for whoever opens the tap next.
	 */
	vtap_dev__close(d.dev);
	vtap_steer__close(d.steer);
	for (unsigned int i = 0; i < d.npairs; i++) {
		free(d.pair[i].pool);
		free(d.pair[i].bounce);
		free(d.pair[i].gro_buf);
	}
	return ret ? 1 : 0;
fail:
	vh_workers_stop(&d);
	vtap_dev__close(d.dev);
	vtap_steer__close(d.steer);
	return 1;
}
