/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The sock_diag decoder fed with crafted datagrams: fields, multipart
 * replies, the socket limit, stale sequences, the kernel's errors, and every
 * kind of malformed message (lengths, short payloads, families, attributes,
 * protocols, types), for dumps and for destroy messages.
 */
#include "unit.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "monitor/sockdiag.h"

#define SEQUENCE 7
#define COOKIE   0x1122334455667788ULL

struct builder {
	uint8_t buffer[8192] __attribute__((aligned(8)));
	size_t length;
};

struct received {
	struct eg_socket_info sockets[8];
	size_t count;
};

static int receive(const struct eg_socket_info *socket, void *userdata)
{
	struct received *received = userdata;

	if (received->count < 8)
		received->sockets[received->count] = *socket;
	received->count++;
	return 0;
}

static struct nlmsghdr *put(struct builder *builder, uint16_t type, uint32_t sequence,
                            const void *payload, size_t payload_length)
{
	struct nlmsghdr *header = (void *)(builder->buffer + builder->length);

	header->nlmsg_len = NLMSG_LENGTH(payload_length);
	header->nlmsg_type = type;
	header->nlmsg_flags = NLM_F_MULTI;
	header->nlmsg_seq = sequence;
	header->nlmsg_pid = 0;
	if (payload_length)
		memcpy(NLMSG_DATA(header), payload, payload_length);
	builder->length += NLMSG_ALIGN(header->nlmsg_len);
	return header;
}

/* A socket message; protocol_attribute 0: none, else INET_DIAG_PROTOCOL. */
static struct nlmsghdr *put_socket(struct builder *builder, uint32_t sequence, int family,
                                   const char *source, const char *destination,
                                   int protocol_attribute)
{
	struct {
		struct inet_diag_msg message;
		struct nlattr attribute;
		uint8_t protocol;
		uint8_t padding[3];
	} payload = {0};
	struct inet_diag_msg *message = &payload.message;

	message->idiag_family = (uint8_t)family;
	message->idiag_state = TCP_SYN_SENT;
	message->idiag_uid = 1000;
	message->idiag_inode = 4242;
	message->id.idiag_sport = htons(40000);
	message->id.idiag_dport = htons(443);
	message->id.idiag_cookie[0] = (uint32_t)COOKIE;
	message->id.idiag_cookie[1] = (uint32_t)(COOKIE >> 32);
	inet_pton(family, source, message->id.idiag_src);
	inet_pton(family, destination, message->id.idiag_dst);
	payload.attribute.nla_len = NLA_HDRLEN + 1;
	payload.attribute.nla_type = INET_DIAG_PROTOCOL;
	payload.protocol = (uint8_t)protocol_attribute;
	return put(builder, SOCK_DIAG_BY_FAMILY, sequence, &payload,
	           protocol_attribute ? sizeof(*message) + NLA_HDRLEN + 1 : sizeof(*message));
}

static void put_done(struct builder *builder, int code)
{
	put(builder, NLMSG_DONE, SEQUENCE, &code, sizeof(code));
}

static struct eg_sockdiag_decoder tcp_decoder(struct received *received, uint32_t max_sockets)
{
	return (struct eg_sockdiag_decoder){
	    .sequence = SEQUENCE,
	    .protocol = IPPROTO_TCP,
	    .max_sockets = max_sockets,
	    .callback = receive,
	    .userdata = received,
	};
}

static void decodes_fields_of_both_families(void **state)
{
	struct builder builder = {0};
	struct received received = {0};
	struct eg_sockdiag_decoder decoder = tcp_decoder(&received, 10);
	const struct eg_socket_info *socket = &received.sockets[0];
	uint8_t expected[16];

	(void)state;
	put_socket(&builder, SEQUENCE, AF_INET, "10.0.0.2", "1.1.1.1", 0);
	put_socket(&builder, SEQUENCE, AF_INET6, "fd00::2", "2606:4700::1111", IPPROTO_TCP);
	put_done(&builder, 0);
	assert_int_equal(eg_sockdiag_decode(&decoder, builder.buffer, builder.length, NULL), 1);
	assert_true(decoder.done);
	assert_int_equal(received.count, 2);
	assert_int_equal(socket->protocol, IPPROTO_TCP);
	assert_int_equal(socket->family, AF_INET);
	assert_int_equal(socket->state, TCP_SYN_SENT);
	assert_int_equal(socket->uid, 1000);
	assert_int_equal(socket->inode, 4242);
	assert_true(socket->cookie == COOKIE);
	assert_int_equal(socket->source_port, 40000);
	assert_int_equal(socket->destination_port, 443);
	assert_int_equal(socket->destination.family, AF_INET);
	inet_pton(AF_INET, "1.1.1.1", expected);
	assert_memory_equal(socket->destination.bytes, expected, 4);
	socket = &received.sockets[1];
	assert_int_equal(socket->family, AF_INET6);
	inet_pton(AF_INET6, "2606:4700::1111", expected);
	assert_memory_equal(socket->destination.bytes, expected, 16);
	inet_pton(AF_INET6, "fd00::2", expected);
	assert_memory_equal(socket->source.bytes, expected, 16);
}

static void multipart_reply_over_datagrams(void **state)
{
	struct builder first = {0}, second = {0};
	struct received received = {0};
	struct eg_sockdiag_decoder decoder = tcp_decoder(&received, 10);

	(void)state;
	put_socket(&first, SEQUENCE, AF_INET, "10.0.0.2", "1.1.1.1", 0);
	put_socket(&second, SEQUENCE, AF_INET, "10.0.0.2", "1.0.0.1", 0);
	put_done(&second, 0);
	assert_int_equal(eg_sockdiag_decode(&decoder, first.buffer, first.length, NULL), 0);
	assert_false(decoder.done);
	assert_int_equal(eg_sockdiag_decode(&decoder, second.buffer, second.length, NULL), 1);
	assert_int_equal(received.count, 2);
	assert_int_equal(decoder.stats.delivered, 2);
}

static void limit_truncates_but_counts(void **state)
{
	struct builder builder = {0};
	struct received received = {0};
	struct eg_sockdiag_decoder decoder = tcp_decoder(&received, 1);

	(void)state;
	for (int i = 0; i < 3; i++)
		put_socket(&builder, SEQUENCE, AF_INET, "10.0.0.2", "1.1.1.1", 0);
	put_done(&builder, 0);
	assert_int_equal(eg_sockdiag_decode(&decoder, builder.buffer, builder.length, NULL), 1);
	assert_int_equal(received.count, 1);
	assert_int_equal(decoder.stats.delivered, 1);
	assert_int_equal(decoder.stats.received, 3);
	assert_true(decoder.stats.truncated);
}

/* Replies to the legacy TCPDIAG_GETSOCK request: TCP dumps only. */
static void legacy_reply_type_in_tcp_dumps_only(void **state)
{
	struct builder builder = {0};
	struct received received = {0};
	struct eg_sockdiag_decoder decoder = tcp_decoder(&received, 10);

	(void)state;
	put_socket(&builder, SEQUENCE, AF_INET6, "fd00::2", "2606:4700::1111", 0)->nlmsg_type =
	    TCPDIAG_GETSOCK;
	put_done(&builder, 0);
	assert_int_equal(eg_sockdiag_decode(&decoder, builder.buffer, builder.length, NULL), 1);
	assert_int_equal(received.count, 1);
	assert_int_equal(received.sockets[0].protocol, IPPROTO_TCP);
	decoder = tcp_decoder(&received, 10);
	decoder.protocol = IPPROTO_UDP;
	assert_int_equal(eg_sockdiag_decode(&decoder, builder.buffer, builder.length, NULL),
	                 -EBADMSG);
}

static void stale_sequence_skipped(void **state)
{
	struct builder builder = {0};
	struct received received = {0};
	struct eg_sockdiag_decoder decoder = tcp_decoder(&received, 10);

	(void)state;
	put_socket(&builder, SEQUENCE - 1, AF_INET, "10.0.0.2", "1.1.1.1", 0);
	put(&builder, NLMSG_DONE, SEQUENCE - 1, &(int){0}, sizeof(int));
	put(&builder, NLMSG_NOOP, SEQUENCE, NULL, 0);
	put_done(&builder, 0);
	assert_int_equal(eg_sockdiag_decode(&decoder, builder.buffer, builder.length, NULL), 1);
	assert_int_equal(received.count, 0);
	assert_int_equal(decoder.stats.stale_messages, 2);
}

static int decode_one(uint16_t type, const void *payload, size_t length, bool *ret_done)
{
	struct builder builder = {0};
	struct received received = {0};
	struct eg_sockdiag_decoder decoder = tcp_decoder(&received, 10);
	struct eg_error err = {0};
	int r;

	put(&builder, type, SEQUENCE, payload, length);
	r = eg_sockdiag_decode(&decoder, builder.buffer, builder.length, &err);
	if (r < 0)
		assert_true(err.message[0] != '\0');
	*ret_done = decoder.done;
	return r;
}

static void kernel_errors_end_the_reply(void **state)
{
	struct nlmsgerr error = {.error = -EPERM};
	bool done;

	(void)state;
	assert_int_equal(decode_one(NLMSG_ERROR, &error, sizeof(error), &done), -EPERM);
	assert_true(done);
	error.error = 0; /* an ack */
	assert_int_equal(decode_one(NLMSG_ERROR, &error, sizeof(error), &done), 1);
	error.error = 5;
	assert_int_equal(decode_one(NLMSG_ERROR, &error, sizeof(error), &done), -EBADMSG);
	assert_int_equal(decode_one(NLMSG_ERROR, NULL, 0, &done), -EBADMSG);
	assert_int_equal(decode_one(NLMSG_DONE, &(int){-EINTR}, sizeof(int), &done), -EINTR);
	assert_int_equal(decode_one(NLMSG_DONE, NULL, 0, &done), 1);
	assert_true(done);
	assert_int_equal(decode_one(99, NULL, 0, &done), -EBADMSG);
}

/* Runs one datagram that must be refused, with no socket delivered. */
static void assert_refused(struct builder *builder, int protocol, bool multicast)
{
	struct received received = {0};
	struct eg_sockdiag_decoder decoder = tcp_decoder(&received, 10);
	struct eg_error err = {0};

	decoder.protocol = protocol;
	decoder.multicast = multicast;
	assert_int_equal(eg_sockdiag_decode(&decoder, builder->buffer, builder->length, &err),
	                 -EBADMSG);
	assert_true(err.message[0] != '\0');
	assert_int_equal(received.count, 0);
}

static void malformed_messages_refused(void **state)
{
	struct builder builder;
	struct nlmsghdr *header;
	struct nlattr *attribute;

	(void)state;
	builder = (struct builder){.length = 8}; /* shorter than a header */
	assert_refused(&builder, IPPROTO_TCP, false);

	builder = (struct builder){0};
	put_done(&builder, 0);
	((struct nlmsghdr *)builder.buffer)->nlmsg_len = 12; /* below a header */
	assert_refused(&builder, IPPROTO_TCP, false);

	builder = (struct builder){0};
	header = put_socket(&builder, SEQUENCE, AF_INET, "10.0.0.2", "1.1.1.1", 0);
	header->nlmsg_len += 64; /* past the datagram */
	assert_refused(&builder, IPPROTO_TCP, false);

	builder = (struct builder){0};
	put(&builder, SOCK_DIAG_BY_FAMILY, SEQUENCE, (uint8_t[40]){AF_INET}, 40); /* short */
	assert_refused(&builder, IPPROTO_TCP, false);

	builder = (struct builder){0};
	header = put_socket(&builder, SEQUENCE, AF_INET, "10.0.0.2", "1.1.1.1", 0);
	((struct inet_diag_msg *)NLMSG_DATA(header))->idiag_family = AF_UNIX;
	assert_refused(&builder, IPPROTO_TCP, false);

	builder = (struct builder){0};
	header = put_socket(&builder, SEQUENCE, AF_INET, "10.0.0.2", "1.1.1.1", IPPROTO_UDP);
	assert_refused(&builder, IPPROTO_TCP, false); /* UDP in a TCP dump */

	attribute = (struct nlattr *)((uint8_t *)NLMSG_DATA(header) + sizeof(struct inet_diag_msg));
	attribute->nla_len = 2; /* below an attribute header */
	assert_refused(&builder, IPPROTO_UDP, false);
	attribute->nla_len = 64; /* past the message */
	assert_refused(&builder, IPPROTO_UDP, false);
	attribute->nla_len = NLA_HDRLEN; /* no protocol byte */
	assert_refused(&builder, IPPROTO_UDP, false);
	attribute->nla_len = NLA_HDRLEN + 1;
	*((uint8_t *)attribute + NLA_HDRLEN) = IPPROTO_SCTP;
	assert_refused(&builder, 0, true); /* not TCP or UDP */

	builder = (struct builder){0};
	put_socket(&builder, SEQUENCE, AF_INET, "10.0.0.2", "1.1.1.1", 0);
	assert_refused(&builder, 0, true); /* a destroy message names its protocol */
}

static void destroy_messages_decoded(void **state)
{
	struct builder builder = {0};
	struct received received = {0};
	struct eg_sockdiag_decoder decoder = {
	    .multicast = true, .max_sockets = 10, .callback = receive, .userdata = &received};
	struct nlmsghdr *last;

	(void)state;
	put_socket(&builder, 0, AF_INET6, "fd00::2", "2606:4700::1111", IPPROTO_UDP);
	put(&builder, NLMSG_DONE, 0, NULL, 0); /* means nothing in a multicast */
	last = put_socket(&builder, 12345, AF_INET, "10.0.0.2", "1.1.1.1", IPPROTO_TCP);
	/* The last message without its alignment padding is whole. */
	assert_int_not_equal(NLMSG_ALIGN(last->nlmsg_len), last->nlmsg_len);
	builder.length -= NLMSG_ALIGN(last->nlmsg_len) - last->nlmsg_len;
	assert_int_equal(eg_sockdiag_decode(&decoder, builder.buffer, builder.length, NULL), 1);
	assert_int_equal(received.count, 2);
	assert_int_equal(received.sockets[0].protocol, IPPROTO_UDP);
	assert_int_equal(received.sockets[1].protocol, IPPROTO_TCP);
	assert_int_equal(decoder.stats.stale_messages, 0);

	decoder.callback = NULL;
	assert_int_equal(eg_sockdiag_decode(&decoder, builder.buffer, builder.length, NULL),
	                 -EINVAL);
}

static void names_and_destinations(void **state)
{
	struct eg_socket_info socket = {0};

	(void)state;
	assert_string_equal(eg_sockdiag_state_name(TCP_TIME_WAIT), "TIME-WAIT");
	assert_string_equal(eg_sockdiag_state_name(0), "UNKNOWN");
	assert_string_equal(eg_sockdiag_state_name(12), "UNKNOWN");
	assert_string_equal(eg_sockdiag_state_name(-1), "UNKNOWN");
	assert_false(eg_socket_info_has_destination(&socket));
	socket.destination_port = 53;
	assert_true(eg_socket_info_has_destination(&socket));
	socket.destination_port = 0;
	socket.destination.bytes[15] = 1;
	assert_true(eg_socket_info_has_destination(&socket));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(decodes_fields_of_both_families),
	    cmocka_unit_test(multipart_reply_over_datagrams),
	    cmocka_unit_test(limit_truncates_but_counts),
	    cmocka_unit_test(legacy_reply_type_in_tcp_dumps_only),
	    cmocka_unit_test(stale_sequence_skipped),
	    cmocka_unit_test(kernel_errors_end_the_reply),
	    cmocka_unit_test(malformed_messages_refused),
	    cmocka_unit_test(destroy_messages_decoded),
	    cmocka_unit_test(names_and_destinations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
