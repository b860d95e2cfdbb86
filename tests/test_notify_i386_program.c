/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A 32-bit (i386) target for test_notify_edge: built with gcc -m32 -static
 * and run inside the test's sinkhole namespace under the seccomp filter.
 * It makes its calls both through socketcall(2), the way 32-bit programs
 * did for decades, and as the direct syscalls, and prints one "name=value"
 * line per result (a negative errno, or the call's value).
 *
 * Usage: test_notify_i386_program NETNS_INODE
 * Every socket is proven to live in the namespace with that inode before it
 * is used (SIOCGSKNS); otherwise the program exits 99 at once.
 */
#define _GNU_SOURCE /* struct mmsghdr; built outside the project flags */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/net.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static unsigned long long expected_inode;

static int checked_socket(int type)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), netns;
	struct stat status;

	if (fd < 0)
		exit(98);
	netns = ioctl(fd, SIOCGSKNS);
	if (netns < 0 || fstat(netns, &status) < 0 || status.st_ino != expected_inode)
		exit(99);
	close(netns);
	return fd;
}

static long socketcall(int call, unsigned long *args)
{
	return syscall(SYS_socketcall, call, args);
}

static void print(const char *name, long value)
{
	printf("%s=%ld\n", name, value < 0 ? -(long)errno : value);
}

static struct sockaddr_in address(const char *text, unsigned short port)
{
	struct sockaddr_in result = {.sin_family = AF_INET, .sin_port = htons(port)};

	result.sin_addr.s_addr = inet_addr(text);
	return result;
}

static void public_calls(void)
{
	struct sockaddr_in web = address("1.1.1.1", 80), dns = address("8.8.8.8", 53);
	int tcp = checked_socket(SOCK_STREAM), tcp2 = checked_socket(SOCK_STREAM);
	int udp = checked_socket(SOCK_DGRAM);
	char query[] = "q";
	struct iovec vector = {query, 1};
	struct msghdr header = {
	    .msg_name = &dns, .msg_namelen = sizeof(dns), .msg_iov = &vector, .msg_iovlen = 1};
	struct mmsghdr messages[1] = {{.msg_hdr = header}};
	unsigned long connect_args[3] = {tcp, (unsigned long)&web, sizeof(web)};
	unsigned long sendto_args[6] = {udp, (unsigned long)query, 1,
	                                0,   (unsigned long)&dns,  sizeof(dns)};
	unsigned long sendmsg_args[3] = {udp, (unsigned long)&header, 0};
	unsigned long sendmmsg_args[4] = {udp, (unsigned long)messages, 1, 0};

	print("socketcall_connect_public", socketcall(SYS_CONNECT, connect_args));
	print("direct_connect_public", syscall(__NR_connect, tcp2, &web, sizeof(web)));
	print("socketcall_sendto_public", socketcall(SYS_SENDTO, sendto_args));
	print("socketcall_sendmsg_public", socketcall(SYS_SENDMSG, sendmsg_args));
	print("socketcall_sendmmsg_public", socketcall(SYS_SENDMMSG, sendmmsg_args));
	print("direct_sendto_public", syscall(__NR_sendto, udp, query, 1, 0, &dns, sizeof(dns)));
	close(tcp);
	close(tcp2);
	close(udp);
}

static int bound(int type, struct sockaddr_in *ret)
{
	int fd = checked_socket(type);
	socklen_t length = sizeof(*ret);

	*ret = address("127.0.0.1", 0);
	if (bind(fd, (struct sockaddr *)ret, sizeof(*ret)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 4) < 0) ||
	    getsockname(fd, (struct sockaddr *)ret, &length) < 0)
		exit(97);
	return fd;
}

static void loopback_tcp(void)
{
	struct sockaddr_in server;
	int listener = bound(SOCK_STREAM, &server), client = checked_socket(SOCK_STREAM);
	unsigned long args[3] = {client, (unsigned long)&server, sizeof(server)};

	print("socketcall_connect_loopback", socketcall(SYS_CONNECT, args));
	print("accepted", accept(listener, NULL, NULL) >= 0);
}

static void loopback_udp(void)
{
	struct sockaddr_in receiver_address;
	int receiver = bound(SOCK_DGRAM, &receiver_address), udp = checked_socket(SOCK_DGRAM);
	char one[] = "ab", two[] = "cd", buffer[16] = {0};
	struct iovec vectors[2] = {{one, 2}, {two, 2}};
	struct msghdr header = {.msg_name = &receiver_address,
	                        .msg_namelen = sizeof(receiver_address),
	                        .msg_iov = vectors,
	                        .msg_iovlen = 2};
	struct mmsghdr messages[2] = {{.msg_hdr = header}, {.msg_hdr = header}};
	unsigned long sendmsg_args[3] = {udp, (unsigned long)&header, 0};
	unsigned long sendmmsg_args[4] = {udp, (unsigned long)messages, 2, 0};
	union {
		char buffer[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control = {0};
	struct cmsghdr *item = &control.align;
	struct msghdr received = {.msg_iov = vectors,
	                          .msg_iovlen = 1,
	                          .msg_control = control.buffer,
	                          .msg_controllen = sizeof(control.buffer)};
	int ttl = 7, on = 1;

	print("socketcall_sendmsg_loopback", socketcall(SYS_SENDMSG, sendmsg_args));
	recv(receiver, buffer, sizeof(buffer), 0);
	print("sendmsg_payload_ok", !memcmp(buffer, "abcd", 4));
	messages[1].msg_hdr.msg_iovlen = 1;
	print("socketcall_sendmmsg_loopback", socketcall(SYS_SENDMMSG, sendmmsg_args));
	print("sendmmsg_length_0", messages[0].msg_len);
	print("sendmmsg_length_1", messages[1].msg_len);
	recv(receiver, buffer, sizeof(buffer), 0);
	recv(receiver, buffer, sizeof(buffer), 0);
	/* Ancillary data in the 32-bit layout, widened by the monitor. */
	setsockopt(receiver, IPPROTO_IP, IP_RECVTTL, &on, sizeof(on));
	item->cmsg_level = IPPROTO_IP;
	item->cmsg_type = IP_TTL;
	item->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(item), &ttl, sizeof(ttl));
	header.msg_control = control.buffer;
	header.msg_controllen = sizeof(control.buffer);
	header.msg_iovlen = 1;
	print("socketcall_sendmsg_ttl", socketcall(SYS_SENDMSG, sendmsg_args));
	memset(&control, 0, sizeof(control));
	ttl = -1;
	if (recvmsg(receiver, &received, 0) >= 0 && (item = CMSG_FIRSTHDR(&received)) &&
	    item->cmsg_type == IP_TTL)
		memcpy(&ttl, CMSG_DATA(item), sizeof(ttl));
	print("received_ttl", ttl);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	expected_inode = strtoull(argv[1], NULL, 10);
	setvbuf(stdout, NULL, _IOLBF, 0);
	public_calls();
	loopback_tcp();
	loopback_udp();
	return 0;
}
