/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * egprobe's network half: the connection attempts (tcp, udp, udp-sendto,
 * udp-sendmsg, udp-sendmmsg, by libc, socketcall(2) or the direct syscall),
 * loopback, race, storm and burst.  See the top of egprobe.c.
 */
#include "egprobe.h"

/* Fills *address from "ADDR" and PORT; returns its length, or 0. */
socklen_t parse_address(const char *text, const char *port_text, struct sockaddr_storage *address)
{
	uint16_t port = (uint16_t)parse_number(port_text, 0, 65535, "port");
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	char *scope;

	memset(address, 0, sizeof(*address));
	if (strlen(text) >= sizeof(host))
		return 0;
	strcpy(host, text);
	scope = strchr(host, '%');
	if (scope)
		*scope++ = '\0';
	if (!scope) {
		struct sockaddr_in *ipv4 = (struct sockaddr_in *)address;

		if (inet_pton(AF_INET, host, &ipv4->sin_addr) == 1) {
			ipv4->sin_family = AF_INET;
			ipv4->sin_port = htons(port);
			return sizeof(*ipv4);
		}
	}
	struct sockaddr_in6 *ipv6 = (struct sockaddr_in6 *)address;

	if (inet_pton(AF_INET6, host, &ipv6->sin6_addr) != 1)
		return 0;
	ipv6->sin6_family = AF_INET6;
	ipv6->sin6_port = htons(port);
	if (scope) {
		ipv6->sin6_scope_id = if_nametoindex(scope);
		if (!ipv6->sin6_scope_id)
			return 0;
	}
	return sizeof(*ipv6);
}

const char *attempt_name(enum attempt attempt)
{
	switch (attempt) {
	case ATTEMPT_TCP:
		return "tcp";
	case ATTEMPT_UDP_CONNECT:
		return "udp";
	case ATTEMPT_UDP_SENDTO:
		return "udp-sendto";
	case ATTEMPT_UDP_SENDMSG:
		return "udp-sendmsg";
	case ATTEMPT_UDP_SENDMMSG:
		return "udp-sendmmsg";
	}
	return "?";
}

static const char *route_prefix(enum route route)
{
	return route == ROUTE_SOCKETCALL ? "sc-" : route == ROUTE_DIRECT ? "sys-" : "";
}

static const char *errno_name(int error)
{
	switch (error) {
	case EPERM:
		return "EPERM";
	case EACCES:
		return "EACCES";
	case ENOSYS:
		return "ENOSYS";
	case EINPROGRESS:
		return "EINPROGRESS";
	case ENETUNREACH:
		return "ENETUNREACH";
	case EHOSTUNREACH:
		return "EHOSTUNREACH";
	case ECONNREFUSED:
		return "ECONNREFUSED";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case EAGAIN:
		return "EAGAIN";
	case EINVAL:
		return "EINVAL";
	case EFAULT:
		return "EFAULT";
	case EBADF:
		return "EBADF";
	case EADDRNOTAVAIL:
		return "EADDRNOTAVAIL";
	case EAFNOSUPPORT:
		return "EAFNOSUPPORT";
	case EMSGSIZE:
		return "EMSGSIZE";
	case EINTR:
		return "EINTR";
	}
	return "E?";
}

/* "Operation not permitted [EPERM]".  Not inlined: where gcc -O2 inlines it, it
 * sees the 160-byte buffer and -Wformat-truncation fails the loopback
 * checks' copies into their smaller detail buffers (cut short on purpose). */
__attribute__((noinline)) const char *describe_errno(int error)
{
	static char text[160];

	snprintf(text, sizeof(text), "%s [%s]", strerror(error), errno_name(error));
	return text;
}

/* The four calls, by route.  On x86_64 there is no socketcall(2). */
#if defined(__i386__)
static long socketcall_call(int call, unsigned long *args)
{
	return syscall(SYS_socketcall, call, args);
}
#endif

static int route_unsupported(enum route route)
{
#if defined(__i386__)
	(void)route;
	return 0;
#else
	if (route != ROUTE_SOCKETCALL)
		return 0;
	errno = ENOSYS;
	return -1;
#endif
}

static int call_connect(enum route route, int fd, const struct sockaddr *address, socklen_t length)
{
	if (route_unsupported(route))
		return -1;
	switch (route) {
	case ROUTE_SOCKETCALL: {
#if defined(__i386__)
		unsigned long args[3] = {(unsigned long)fd, (unsigned long)address, length};

		return (int)socketcall_call(1 + 2 /* SYS_CONNECT */, args);
#else
		break;
#endif
	}
	case ROUTE_DIRECT:
		return (int)syscall(__NR_connect, fd, address, length);
	case ROUTE_LIBC:
		break;
	}
	return connect(fd, address, length);
}

static ssize_t call_sendto(enum route route, int fd, const void *data, size_t size, int flags,
                           const struct sockaddr *address, socklen_t length)
{
	if (route_unsupported(route))
		return -1;
	switch (route) {
	case ROUTE_SOCKETCALL: {
#if defined(__i386__)
		unsigned long args[6] = {(unsigned long)fd,    (unsigned long)data,    size,
		                         (unsigned long)flags, (unsigned long)address, length};

		return socketcall_call(11 /* SYS_SENDTO */, args);
#else
		break;
#endif
	}
	case ROUTE_DIRECT:
		return syscall(__NR_sendto, fd, data, size, flags, address, length);
	case ROUTE_LIBC:
		break;
	}
	return sendto(fd, data, size, flags, address, length);
}

static ssize_t call_sendmsg(enum route route, int fd, const struct msghdr *header, int flags)
{
	if (route_unsupported(route))
		return -1;
	switch (route) {
	case ROUTE_SOCKETCALL: {
#if defined(__i386__)
		unsigned long args[3] = {(unsigned long)fd, (unsigned long)header,
		                         (unsigned long)flags};

		return socketcall_call(16 /* SYS_SENDMSG */, args);
#else
		break;
#endif
	}
	case ROUTE_DIRECT:
		return syscall(__NR_sendmsg, fd, header, flags);
	case ROUTE_LIBC:
		break;
	}
	return sendmsg(fd, header, flags);
}

static int call_sendmmsg(enum route route, int fd, struct mmsghdr *messages, unsigned count,
                         int flags)
{
	if (route_unsupported(route))
		return -1;
	switch (route) {
	case ROUTE_SOCKETCALL: {
#if defined(__i386__)
		unsigned long args[4] = {(unsigned long)fd, (unsigned long)messages, count,
		                         (unsigned long)flags};

		return (int)socketcall_call(20 /* SYS_SENDMMSG */, args);
#else
		break;
#endif
	}
	case ROUTE_DIRECT:
		return (int)syscall(__NR_sendmmsg, fd, messages, count, flags);
	case ROUTE_LIBC:
		break;
	}
	return sendmmsg(fd, messages, count, flags);
}

/* Polls a pending TCP connect until it resolves or the deadline passes. */
static const char *tcp_outcome(int fd, int64_t deadline)
{
	static char outcome[160];
	struct pollfd poll_fd = {.fd = fd, .events = POLLOUT};
	int64_t left = deadline - monotonic_ms();
	int error = 0;
	socklen_t length = sizeof(error);

	if (left < 0)
		left = 0;
	if (poll(&poll_fd, 1, (int)left) <= 0)
		return "still pending [EINPROGRESS]";
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0)
		error = errno;
	snprintf(outcome, sizeof(outcome), "%s", error ? describe_errno(error) : "connected");
	return outcome;
}

static void print_attempt_time(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	fprintf(stderr, "egprobe[%d]: attempt at %lld us\n", (int)getpid(),
	        (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000);
}

int attempt_main(enum attempt attempt, enum route route, int argc, char **argv)
{
	struct sockaddr_storage address;
	socklen_t length;
	long hold_ms;
	int64_t deadline;
	int fd, r;
	const char *outcome;
	char payload[] = "x";
	struct iovec vector = {.iov_base = payload, .iov_len = 1};
	struct msghdr header = {.msg_iov = &vector, .msg_iovlen = 1};
	struct mmsghdr messages[1];

	if (argc < 2) {
		fprintf(stderr, "usage: egprobe %s%s ADDR PORT [HOLD_MS]\n", route_prefix(route),
		        attempt_name(attempt));
		return 2;
	}
	length = parse_address(argv[0], argv[1], &address);
	if (!length) {
		fprintf(stderr, "egprobe: \"%s\" is not an IP address\n", argv[0]);
		return 2;
	}
	hold_ms = argc > 2 ? parse_number(argv[2], 0, 600000, "hold ms") : DEFAULT_HOLD_MS;
	deadline = monotonic_ms() + hold_ms;
	fd = socket(
	    address.ss_family,
	    (attempt == ATTEMPT_TCP ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		fprintf(stderr, "egprobe: socket: %s\n", describe_errno(errno));
		return 2;
	}
	header.msg_name = &address;
	header.msg_namelen = length;
	memset(messages, 0, sizeof(messages));
	messages[0].msg_hdr = header;
	/* The attempt's wall-clock time, for measuring attempt-to-alert delay
	 * against the alert's @timestamp. */
	print_attempt_time();
	switch (attempt) {
	case ATTEMPT_UDP_SENDTO:
		r = (int)call_sendto(route, fd, payload, 1, 0, (struct sockaddr *)&address, length);
		outcome = r < 0 ? describe_errno(errno) : "sent";
		break;
	case ATTEMPT_UDP_SENDMSG:
		r = (int)call_sendmsg(route, fd, &header, 0);
		outcome = r < 0 ? describe_errno(errno) : "sent";
		break;
	case ATTEMPT_UDP_SENDMMSG:
		r = call_sendmmsg(route, fd, messages, 1, 0);
		outcome = r < 0 ? describe_errno(errno) : r == 1 ? "sent" : "sent none";
		break;
	case ATTEMPT_TCP:
	case ATTEMPT_UDP_CONNECT:
	default:
		r = call_connect(route, fd, (struct sockaddr *)&address, length);
		if (r < 0 && errno == EINPROGRESS)
			outcome = tcp_outcome(fd, deadline);
		else if (r < 0)
			outcome = describe_errno(errno);
		else if (attempt == ATTEMPT_UDP_CONNECT)
			outcome = send(fd, "x", 1, 0) < 0 ? describe_errno(errno) : "sent";
		else
			outcome = "connected";
		break;
	}
	fprintf(stderr, "egprobe[%d]: %s%s %s port %s: %s\n", (int)getpid(), route_prefix(route),
	        attempt_name(attempt), argv[0], argv[1], outcome);
	/* Keep the socket for the rest of the hold, whatever happened. */
	if (deadline > monotonic_ms())
		sleep_ms((long)(deadline - monotonic_ms()));
	close(fd);
	return 0;
}

/* ---- allowed calls: loopback -------------------------------------------- */

static int loopback_failures;

static void check(bool ok, const char *what, const char *detail)
{
	fprintf(stderr, "egprobe[%d]: loopback %s: %s%s%s\n", (int)getpid(), what,
	        ok ? "ok" : "FAILED", detail && *detail ? ": " : "", detail ? detail : "");
	if (!ok)
		loopback_failures++;
}

/* A socket bound to 127.0.0.1 on a free port (a listener for TCP). */
static int loopback_bound(int type, struct sockaddr_in *ret_address)
{
	socklen_t length = sizeof(*ret_address);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	memset(ret_address, 0, sizeof(*ret_address));
	ret_address->sin_family = AF_INET;
	ret_address->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)ret_address, sizeof(*ret_address)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0) ||
	    getsockname(fd, (struct sockaddr *)ret_address, &length) < 0) {
		fprintf(stderr, "egprobe: loopback: %s\n", describe_errno(errno));
		exit(2);
	}
	return fd;
}

/* Waits up to 2 s for fd to become readable; 1 when it did. */
static int wait_readable(int fd)
{
	struct pollfd poll_fd = {.fd = fd, .events = POLLIN};

	return poll(&poll_fd, 1, 2000) == 1;
}

static void loopback_tcp(enum route route, bool nonblocking)
{
	struct sockaddr_in server;
	int listener = loopback_bound(SOCK_STREAM, &server), client, accepted = -1, r;
	char buffer[16] = {0}, detail[128] = "";
	const char *what = nonblocking ? "tcp connect (non-blocking)" : "tcp connect (blocking)";

	client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
	r = call_connect(route, client, (struct sockaddr *)&server, sizeof(server));
	if (r < 0 && nonblocking && errno == EINPROGRESS) {
		struct pollfd poll_fd = {.fd = client, .events = POLLOUT};
		int error = 0;
		socklen_t length = sizeof(error);

		if (poll(&poll_fd, 1, 2000) == 1 &&
		    getsockopt(client, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && !error)
			r = 0;
		else
			errno = error ? error : ETIMEDOUT;
	}
	if (r < 0)
		snprintf(detail, sizeof(detail), "%s", describe_errno(errno));
	check(r == 0, what, detail);
	if (r == 0) {
		bool flows;

		accepted = wait_readable(listener) ? accept(listener, NULL, NULL) : -1;
		flows = accepted >= 0 && write(client, "ping", 4) == 4 && wait_readable(accepted) &&
		        read(accepted, buffer, sizeof(buffer)) == 4 && !memcmp(buffer, "ping", 4) &&
		        write(accepted, "pong", 4) == 4 && wait_readable(client) &&
		        read(client, buffer, sizeof(buffer)) == 4 && !memcmp(buffer, "pong", 4);
		check(flows,
		      nonblocking ? "tcp data both ways (non-blocking)" : "tcp data both ways",
		      NULL);
	}
	if (accepted >= 0)
		close(accepted);
	close(client);
	close(listener);
}

static void received(int receiver, const char *want, const char *what)
{
	char buffer[32] = {0}, detail[96];
	ssize_t got = wait_readable(receiver) ? recv(receiver, buffer, sizeof(buffer) - 1, 0) : -1;

	snprintf(detail, sizeof(detail), "received %zd byte(s) \"%s\", wanted \"%s\"", got,
	         got > 0 ? buffer : "", want);
	check(got == (ssize_t)strlen(want) && !memcmp(buffer, want, strlen(want)), what, detail);
}

static void loopback_udp(enum route route)
{
	struct sockaddr_in target;
	int receiver = loopback_bound(SOCK_DGRAM, &target);
	int sender = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	char one[] = "ab", two[] = "cd", detail[96] = "";
	struct iovec vectors[2] = {{one, 2}, {two, 2}};
	struct msghdr header = {.msg_name = &target,
	                        .msg_namelen = sizeof(target),
	                        .msg_iov = vectors,
	                        .msg_iovlen = 2};
	struct mmsghdr messages[2];
	ssize_t r;
	int sent;

	r = call_sendto(route, sender, "udp1", 4, 0, (struct sockaddr *)&target, sizeof(target));
	if (r < 0)
		snprintf(detail, sizeof(detail), "%s", describe_errno(errno));
	check(r == 4, "udp sendto", detail);
	received(receiver, "udp1", "udp sendto payload");

	r = call_sendmsg(route, sender, &header, 0);
	if (r < 0)
		snprintf(detail, sizeof(detail), "%s", describe_errno(errno));
	check(r == 4, "udp sendmsg (two iovecs)", r < 0 ? detail : NULL);
	received(receiver, "abcd", "udp sendmsg payload");

	memset(messages, 0, sizeof(messages));
	messages[0].msg_hdr = header;
	messages[1].msg_hdr = header;
	messages[1].msg_hdr.msg_iov = &vectors[1];
	messages[1].msg_hdr.msg_iovlen = 1;
	sent = call_sendmmsg(route, sender, messages, 2, 0);
	snprintf(detail, sizeof(detail), "returned %d%s%s, msg_len %u and %u", sent,
	         sent < 0 ? " " : "", sent < 0 ? describe_errno(errno) : "", messages[0].msg_len,
	         messages[1].msg_len);
	check(sent == 2 && messages[0].msg_len == 4 && messages[1].msg_len == 2,
	      "udp sendmmsg (two messages)", detail);
	received(receiver, "abcd", "udp sendmmsg first payload");
	received(receiver, "cd", "udp sendmmsg second payload");
	close(sender);
	close(receiver);
}

int loopback_main(int argc, char **argv)
{
	enum route route = ROUTE_LIBC;

	if (argc > 0 && !strcmp(argv[0], "sc"))
		route = ROUTE_SOCKETCALL;
	else if (argc > 0 && !strcmp(argv[0], "sys"))
		route = ROUTE_DIRECT;
	print_attempt_time();
	loopback_tcp(route, false);
	loopback_tcp(route, true);
	loopback_udp(route);
	fprintf(stderr, "egprobe[%d]: loopback (%s): %s\n", (int)getpid(),
	        route == ROUTE_SOCKETCALL ? "socketcall"
	        : route == ROUTE_DIRECT   ? "direct"
	                                  : "libc",
	        loopback_failures ? "SOME FAILED" : "all passed");
	return loopback_failures ? 1 : 0;
}

/* ---- the race ----------------------------------------------------------- */

/* The sockaddr the connect()s use; the flipper rewrites its address. */
static struct sockaddr_in race_target;
static volatile int race_stop;
static uint32_t race_private, race_public;

static void *race_flipper(void *unused)
{
	volatile uint32_t *field = (volatile uint32_t *)&race_target.sin_addr.s_addr;

	(void)unused;
	while (!race_stop) {
		*field = race_private;
		for (volatile int i = 0; i < 300; i++)
			;
		*field = race_public;
		for (volatile int i = 0; i < 300; i++)
			;
	}
	*field = race_private;
	return NULL;
}

static void drain_accepts(int listener)
{
	int fd;

	while ((fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0)
		close(fd);
}

int race_main(int argc, char **argv)
{
	struct sockaddr_in server;
	struct in_addr public_address;
	long count, max_ms, done = 0, denied = 0, loopback = 0, elsewhere = 0, other = 0;
	int64_t started, ended;
	int listener, first_other = 0;
	pthread_t flipper;

	if (argc < 2) {
		fprintf(stderr, "usage: egprobe race COUNT MAX_MS [ADDR]\n");
		return 2;
	}
	count = parse_number(argv[0], 1, 1000000, "count");
	max_ms = parse_number(argv[1], 1, 600000, "max ms");
	if (inet_pton(AF_INET, argc > 2 ? argv[2] : "1.1.1.1", &public_address) != 1) {
		fprintf(stderr, "egprobe: race: not an IPv4 address\n");
		return 2;
	}
	listener = loopback_bound(SOCK_STREAM, &server);
	fcntl(listener, F_SETFL, O_NONBLOCK);
	race_private = server.sin_addr.s_addr;
	race_public = public_address.s_addr;
	race_target = server;
	if (pthread_create(&flipper, NULL, race_flipper, NULL) != 0) {
		fprintf(stderr, "egprobe: race: pthread_create failed\n");
		return 2;
	}
	print_attempt_time();
	started = monotonic_ms();
	for (; done < count && monotonic_ms() - started < max_ms; done++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		int r, error = 0;

		if (fd < 0) {
			fprintf(stderr, "egprobe: race: socket: %s\n", describe_errno(errno));
			break;
		}
		r = connect(fd, (struct sockaddr *)&race_target, sizeof(race_target));
		if (r < 0 && errno == EPERM) {
			denied++;
		} else if (r == 0 || errno == EINPROGRESS) {
			/* Let through: it must complete to 127.0.0.1.  One to the
			 * public address sits in SYN-SENT in the sinkhole. */
			struct pollfd poll_fd = {.fd = fd, .events = POLLOUT};
			struct sockaddr_in peer;
			socklen_t length = sizeof(error);

			if (poll(&poll_fd, 1, 300) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && !error &&
			    (length = sizeof(peer),
			     getpeername(fd, (struct sockaddr *)&peer, &length) == 0) &&
			    peer.sin_addr.s_addr == race_private) {
				loopback++;
			} else {
				char text[INET_ADDRSTRLEN] = "?";

				length = sizeof(peer);
				if (getpeername(fd, (struct sockaddr *)&peer, &length) == 0)
					inet_ntop(AF_INET, &peer.sin_addr, text, sizeof(text));
				if (++elsewhere <= 5)
					fprintf(stderr,
					        "egprobe[%d]: race: attempt %ld was let through "
					        "(%s) and "
					        "did not complete to 127.0.0.1 within 300 ms "
					        "(SO_ERROR %s, "
					        "peer %s)\n",
					        (int)getpid(), done + 1,
					        r == 0 ? "0" : "EINPROGRESS",
					        error ? errno_name(error) : "none", text);
			}
		} else {
			other++;
			if (!first_other)
				first_other = errno;
		}
		close(fd);
		drain_accepts(listener);
	}
	ended = monotonic_ms();
	race_stop = 1;
	pthread_join(flipper, NULL);
	close(listener);
	fprintf(stderr,
	        "egprobe[%d]: race: %ld attempts in %lld ms: %ld denied [EPERM], %ld to "
	        "127.0.0.1, %ld elsewhere, %ld other errors%s%s\n",
	        (int)getpid(), done, (long long)(ended - started), denied, loopback, elsewhere,
	        other, first_other ? ": " : "", first_other ? describe_errno(first_other) : "");
	return elsewhere ? 3 : 0;
}

/* ---- cost: connects per second to a loopback listener ------------------- */

int storm_main(int argc, char **argv)
{
	struct sockaddr_in server;
	long ms, done = 0, failed = 0;
	int64_t started, elapsed;
	int listener;

	if (argc < 1) {
		fprintf(stderr, "usage: egprobe storm MS\n");
		return 2;
	}
	ms = parse_number(argv[0], 1, 600000, "ms");
	listener = loopback_bound(SOCK_STREAM, &server);
	print_attempt_time();
	started = monotonic_ms();
	while ((elapsed = monotonic_ms() - started) < ms) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), accepted;

		if (fd < 0)
			break;
		if (connect(fd, (struct sockaddr *)&server, sizeof(server)) == 0) {
			accepted = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
			if (accepted >= 0)
				close(accepted);
			done++;
		} else {
			failed++;
		}
		close(fd);
	}
	close(listener);
	fprintf(stderr, "egprobe[%d]: storm: %ld connects in %lld ms (%ld failed): %lld/s\n",
	        (int)getpid(), done, (long long)elapsed, failed,
	        elapsed > 0 ? (long long)done * 1000 / elapsed : 0LL);
	return failed ? 1 : 0;
}

/* Many attempts at once, for the monitor's rate limit and memory bounds:
 * every socket is made and connected before the first one is closed, so a
 * sock_diag dump sees them all at the same time. */
int burst_main(int argc, char **argv)
{
	struct sockaddr_storage address;
	socklen_t length;
	long count, port, hold_ms, made = 0, pending = 0, connected = 0, failed = 0;
	int64_t deadline;
	int first_error = 0, status = 0;
	int *fds;

	if (argc < 3) {
		fprintf(stderr, "usage: egprobe burst N ADDR PORT [HOLD_MS]\n");
		return 2;
	}
	count = parse_number(argv[0], 1, BURST_MAX, "burst size");
	port = parse_number(argv[2], 1, 65535, "port");
	if (port + count - 1 > 65535) {
		fprintf(stderr, "egprobe: burst: ports %ld..%ld go past 65535\n", port,
		        port + count - 1);
		return 2;
	}
	length = parse_address(argv[1], argv[2], &address);
	if (!length) {
		fprintf(stderr, "egprobe: \"%s\" is not an IP address\n", argv[1]);
		return 2;
	}
	hold_ms = argc > 3 ? parse_number(argv[3], 0, 600000, "hold ms") : BURST_HOLD_MS;
	fds = calloc((size_t)count, sizeof(*fds));
	if (!fds) {
		fprintf(stderr, "egprobe: burst: out of memory\n");
		return 2;
	}
	{
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		fprintf(stderr, "egprobe[%d]: burst starts at %lld us\n", (int)getpid(),
		        (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000);
	}
	/* Containers often start with a soft RLIMIT_NOFILE of 1024: a burst may
	 * use up to the hard limit. */
	{
		struct rlimit files;

		if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
			files.rlim_cur = files.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &files);
		}
	}
	deadline = monotonic_ms() + hold_ms;
	for (made = 0; made < count; made++) {
		uint16_t this_port = htons((uint16_t)(port + made));
		int fd = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

		if (fd < 0) {
			fprintf(stderr, "egprobe: burst: socket %ld of %ld: %s\n", made + 1, count,
			        strerror(errno));
			status = 2;
			break;
		}
		fds[made] = fd;
		if (address.ss_family == AF_INET)
			((struct sockaddr_in *)&address)->sin_port = this_port;
		else
			((struct sockaddr_in6 *)&address)->sin6_port = this_port;
		if (connect(fd, (struct sockaddr *)&address, length) == 0)
			connected++;
		else if (errno == EINPROGRESS)
			pending++;
		else {
			failed++;
			if (!first_error)
				first_error = errno;
		}
	}
	fprintf(stderr,
	        "egprobe[%d]: burst tcp %s ports %ld..%ld: %ld attempts, %ld pending, %ld "
	        "connected, %ld failed%s%s\n",
	        (int)getpid(), argv[1], port, port + made - 1, made, pending, connected, failed,
	        first_error ? ": " : "", first_error ? strerror(first_error) : "");
	/* Keep every socket for the rest of the hold, whatever happened. */
	if (deadline > monotonic_ms())
		sleep_ms((long)(deadline - monotonic_ms()));
	for (long i = 0; i < made; i++)
		close(fds[i]);
	free(fds);
	return status;
}
