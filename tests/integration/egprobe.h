/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * egprobe: what its two halves share.  egprobe.c has main(), the dispatch,
 * the usage text, the process commands and the fake monitor; egprobe_net.c
 * has the connection attempts, loopback, race, storm and burst.  See the top
 * of egprobe.c for the commands.
 */
#ifndef EGPROBE_H
#define EGPROBE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* struct mmsghdr, accept4; also built without the project's flags */
#endif
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_HOLD_MS  1500
#define BURST_HOLD_MS    1000
#define BURST_MAX        4096
/* How long a double-forked process waits to see itself re-parented. */
#define REPARENT_WAIT_MS 2000

enum attempt {
	ATTEMPT_TCP,
	ATTEMPT_UDP_CONNECT,
	ATTEMPT_UDP_SENDTO,
	ATTEMPT_UDP_SENDMSG,
	ATTEMPT_UDP_SENDMMSG,
};

/* How a call reaches the kernel: glibc's wrapper, socketcall(2) (i386), or
 * the direct syscall. */
enum route {
	ROUTE_LIBC,
	ROUTE_SOCKETCALL,
	ROUTE_DIRECT,
};

/* egprobe.c */
int64_t monotonic_ms(void);
void sleep_ms(long ms);
long parse_number(const char *text, long low, long high, const char *what);

/* egprobe_net.c */
socklen_t parse_address(const char *text, const char *port_text, struct sockaddr_storage *address);
const char *describe_errno(int error);
const char *attempt_name(enum attempt attempt);
int attempt_main(enum attempt attempt, enum route route, int argc, char **argv);
int loopback_main(int argc, char **argv);
int race_main(int argc, char **argv);
int storm_main(int argc, char **argv);
int burst_main(int argc, char **argv);

/* egprobe_shapes.c: more attempt shapes for the scenario corpus
 * (tests/scenarios/).  Returns -1 for a command it does not know.  Weak, so
 * that a build of egprobe.c and egprobe_net.c alone (bench/run) still
 * links; the commands are then unknown. */
int shapes_main(const char *command, int argc, char **argv) __attribute__((weak));

#endif
