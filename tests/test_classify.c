/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The address classifier's inputs: parsing and formatting addresses and
 * ranges, malformed input and its messages, containment, sockaddr
 * conversion, classifying without an address, and lookups that never
 * allocate.  The seed ranges, custom lists and the randomised comparison
 * with a reference are in test_classify_ranges.c.
 */
#include "tests/classify_helpers.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "entryguard/classify.h"

/* --- no address --------------------------------------------------------------- */

static void test_classify_without_an_address(void **state)
{
	struct eg_address unknown = {.family = AF_UNIX};
	struct eg_address one = address_of("1.1.1.1");
	const struct eg_cidr *range = (const struct eg_cidr *)&range;
	(void)state;

	assert_int_equal(eg_classify(seed_classifier, NULL, &range), EG_ADDRESS_UNSPECIFIED);
	assert_null(range);
	assert_int_equal(eg_classify(seed_classifier, &unknown, NULL), EG_ADDRESS_UNSPECIFIED);
	/* No classifier: no excluded ranges. */
	assert_int_equal(eg_classify(NULL, &one, NULL), EG_ADDRESS_PUBLIC);
}

/* --- parsing ------------------------------------------------------------------ */

static const char *const malformed[] = {
    "",         "1.2.3",        "1.2.3.4.5",  "256.1.1.1",   "1.1.1.1/",    "1.1.1.1/-1",
    "::1/129",  "a.b.c.d",      "1.2.3.4 ",   " 1.2.3.4",    "1.2. 3.4",    "1.2.3.4\n",
    "01.2.3.4", "fe80::1%eth0", ":::",        "1::2::3",     "gggg::",      "1.1.1.1/8/8",
    "/8",       "1.1.1.1/ 8",   "1.1.1.1/+8", "1.1.1.1/0x8", "10.0.0.0/33",
};

/* The message names the input: its quoted text, or its first characters. */
static void assert_names(const struct eg_error *err, const char *input)
{
	char quoted[128];

	if (strchr(input, '\n'))
		return; /* escaped; checked on its own below */
	snprintf(quoted, sizeof(quoted), "\"%.64s%s", input, strlen(input) > 64 ? "\"..." : "\"");
	if (!strstr(err->message, quoted))
		fail_msg("message for %s does not name it: %s", quoted, err->message);
}

/* Both parsers refuse each, with EINVAL, output untouched, and a message
 * that names the input. */
static void test_parse_malformed(void **state)
{
	struct eg_error err = {0};
	(void)state;

	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		struct eg_address address = {.family = 12345};
		struct eg_cidr cidr = {.family = 12345};
		assert_int_equal(eg_address_parse(malformed[i], &address, &err), -EINVAL);
		assert_int_equal(err.code, EINVAL);
		assert_names(&err, malformed[i]);
		assert_int_equal(eg_cidr_parse(malformed[i], &cidr, &err), -EINVAL);
		assert_int_equal(err.code, EINVAL);
		assert_names(&err, malformed[i]);
		assert_int_equal(address.family, 12345);
		assert_int_equal(cidr.family, 12345);
	}
	assert_int_equal(eg_address_parse(NULL, &(struct eg_address){0}, &err), -EINVAL);
	assert_int_equal(eg_cidr_parse(NULL, &(struct eg_cidr){0}, &err), -EINVAL);
	assert_int_equal(eg_cidr_parse("1.1.1.1", NULL, NULL), -EINVAL);
}

static void test_parse_messages(void **state)
{
	static const struct {
		bool cidr;
		const char *input;
		const char *message;
	} table[] = {
	    {false, "1.2.3", "\"1.2.3\": not an IPv4 or IPv6 address"},
	    {false, "", "\"\": not an IPv4 or IPv6 address (empty)"},
	    {false, "1.2.3.4 ", "\"1.2.3.4 \": not an IPv4 or IPv6 address (contains white space)"},
	    {false, "10.0.0.0/8",
	     "\"10.0.0.0/8\": not an IPv4 or IPv6 address (a range, not an "
	     "address)"},
	    {false, "1.2.3.4\n",
	     "\"1.2.3.4\\x0a\": not an IPv4 or IPv6 address (contains white "
	     "space)"},
	    {false, "fe80::1%eth0",
	     "\"fe80::1%eth0\": not an IPv4 or IPv6 address (zone indexes "
	     "are not supported)"},
	    {true, "10.0.0.0/33", "\"10.0.0.0/33\": prefix length 33 is out of range for IPv4"},
	    {true, "::1/129", "\"::1/129\": prefix length 129 is out of range for IPv6"},
	    {true, "1.1.1.1/", "\"1.1.1.1/\": missing prefix length after \"/\""},
	    {true, "1.1.1.1/-1", "\"1.1.1.1/-1\": prefix length \"-1\" is not a decimal number"},
	    {true, "a.b.c.d/8", "\"a.b.c.d/8\": \"a.b.c.d\" is not an IPv4 or IPv6 address"},
	    {true, "a.b.c.d", "\"a.b.c.d\": not an IPv4 or IPv6 address"},
	    {true, "10.0.0.1/8",
	     "\"10.0.0.1/8\": host bits are set after the /8 prefix (the range "
	     "would be 10.0.0.0/8)"},
	    {true, "FE80::1/10",
	     "\"FE80::1/10\": host bits are set after the /10 prefix (the "
	     "range would be fe80::/10)"},
	    {true, "1.1.1.1/99999999999999999999",
	     "\"1.1.1.1/99999999999999999999\": prefix "
	     "length 999999999999... is out of range for "
	     "IPv4"},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct eg_error err = {0};
		struct eg_address address;
		struct eg_cidr cidr;
		int r = table[i].cidr ? eg_cidr_parse(table[i].input, &cidr, &err)
		                      : eg_address_parse(table[i].input, &address, &err);
		assert_int_equal(r, -EINVAL);
		assert_string_equal(err.message, table[i].message);
	}
}

static void test_parse_long_input(void **state)
{
	static const char *const units[] = {"a", "1.", "1", " ", "::ffff:"};
	(void)state;

	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		for (size_t length = 40; length <= 100000; length *= 5) {
			char *text = malloc(length + 1);
			struct eg_error err = {0};
			struct eg_address address;
			struct eg_cidr cidr;
			size_t unit = strlen(units[u]);
			assert_non_null(text);
			for (size_t i = 0; i < length; i++)
				text[i] = units[u][i % unit];
			text[length] = '\0';
			assert_int_equal(eg_address_parse(text, &address, &err), -EINVAL);
			assert_names(&err, text);
			assert_true(strlen(err.message) < EG_ERROR_MESSAGE_MAX - 1);
			assert_int_equal(eg_cidr_parse(text, &cidr, &err), -EINVAL);
			assert_names(&err, text);
			free(text);
		}
	}
	/* A valid address with a long tail is still invalid. */
	char tail[300];
	struct eg_error err = {0};
	struct eg_address address;
	snprintf(tail, sizeof(tail), "1.1.1.1%0280d", 0);
	assert_int_equal(eg_address_parse(tail, &address, &err), -EINVAL);
	assert_names(&err, tail);
}

static void test_cidr_parse_valid(void **state)
{
	static const struct {
		const char *text;
		int family;
		unsigned prefix_length;
		const char *network;
	} table[] = {
	    {"10.0.0.0/8", AF_INET, 8, "10.0.0.0"},
	    {"0.0.0.0/0", AF_INET, 0, "0.0.0.0"},
	    {"255.255.255.255", AF_INET, 32, "255.255.255.255"},
	    {"192.0.0.8/32", AF_INET, 32, "192.0.0.8"},
	    {"10.0.0.0/08", AF_INET, 8, "10.0.0.0"}, /* leading zeros: still decimal */
	    {"::1", AF_INET6, 128, "::1"},
	    {"::/0", AF_INET6, 0, "::"},
	    {"FE80::/10", AF_INET6, 10, "fe80::"},
	    {"FF00::/8", AF_INET6, 8, "ff00::"},
	    {"::ffff:10.0.0.0/104", AF_INET6, 104, "::ffff:10.0.0.0"},
	    {"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128", AF_INET6, 128,
	     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct eg_cidr cidr;
		struct eg_address network = {0};
		char text[INET6_ADDRSTRLEN];
		assert_int_equal(eg_cidr_parse(table[i].text, &cidr, NULL), 0);
		assert_int_equal(cidr.family, table[i].family);
		assert_int_equal(cidr.prefix_length, table[i].prefix_length);
		assert_string_equal(cidr.text, table[i].text);
		network.family = cidr.family;
		memcpy(network.bytes, cidr.bytes, sizeof(network.bytes));
		assert_string_equal(eg_address_format(&network, text, sizeof(text)),
		                    table[i].network);
	}
}

static void test_address_format_and_unmap(void **state)
{
	struct eg_address address = address_of("::ffff:1.2.3.4"), ipv4;
	struct eg_address unknown = {.family = AF_UNIX};
	char text[INET6_ADDRSTRLEN];
	(void)state;

	assert_string_equal(eg_address_format(&address, text, sizeof(text)), "::ffff:1.2.3.4");
	assert_true(eg_address_unmap_ipv4(&address, &ipv4));
	assert_int_equal(ipv4.family, AF_INET);
	assert_string_equal(eg_address_format(&ipv4, text, sizeof(text)), "1.2.3.4");
	assert_true(eg_address_unmap_ipv4(&address, NULL));

	ipv4.family = 12345;
	address = address_of("::1.2.3.4");
	assert_false(eg_address_unmap_ipv4(&address, &ipv4));
	assert_int_equal(ipv4.family, 12345);
	address = address_of("1.2.3.4");
	assert_false(eg_address_unmap_ipv4(&address, &ipv4));
	assert_false(eg_address_unmap_ipv4(NULL, &ipv4));

	address = address_of("FE80::0:1");
	assert_string_equal(eg_address_format(&address, text, sizeof(text)), "fe80::1");
	assert_string_equal(eg_address_format(&address, text, 4), "?");
	assert_string_equal(eg_address_format(&unknown, text, sizeof(text)), "?");
	assert_string_equal(eg_address_format(NULL, text, sizeof(text)), "?");
}

static void test_cidr_contains(void **state)
{
	struct eg_cidr ten, mapped_ten, everything_ipv6, everything_ipv4;
	struct eg_address inside = address_of("10.1.2.3"), mapped = address_of("::ffff:10.1.2.3");
	struct eg_address outside = address_of("11.0.0.0"), ipv6 = address_of("2001:db8::1");
	(void)state;

	assert_int_equal(eg_cidr_parse("10.0.0.0/8", &ten, NULL), 0);
	assert_int_equal(eg_cidr_parse("::ffff:10.0.0.0/104", &mapped_ten, NULL), 0);
	assert_int_equal(eg_cidr_parse("::/0", &everything_ipv6, NULL), 0);
	assert_int_equal(eg_cidr_parse("0.0.0.0/0", &everything_ipv4, NULL), 0);
	assert_true(eg_cidr_contains(&ten, &inside));
	assert_true(eg_cidr_contains(&ten, &mapped));
	assert_false(eg_cidr_contains(&ten, &outside));
	assert_false(eg_cidr_contains(&ten, &ipv6));
	assert_true(eg_cidr_contains(&mapped_ten, &inside));
	assert_true(eg_cidr_contains(&mapped_ten, &mapped));
	assert_false(eg_cidr_contains(&mapped_ten, &outside));
	assert_true(eg_cidr_contains(&everything_ipv6, &ipv6));
	assert_false(eg_cidr_contains(&everything_ipv6, &mapped)); /* judged as IPv4 */
	assert_true(eg_cidr_contains(&everything_ipv4, &mapped));
	assert_false(eg_cidr_contains(&everything_ipv4, &ipv6));
	assert_false(eg_cidr_contains(NULL, &inside));
	assert_false(eg_cidr_contains(&ten, NULL));
}

/* --- sockaddr ----------------------------------------------------------------- */

static void test_sockaddr_ipv4(void **state)
{
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(443)};
	struct eg_address address = {.family = 12345};
	uint16_t port = 7;
	char text[INET6_ADDRSTRLEN];
	char unaligned[sizeof(in) + 1];
	(void)state;

	inet_pton(AF_INET, "1.2.3.4", &in.sin_addr);
	for (size_t length = 0; length < sizeof(in); length++) {
		assert_int_equal(
		    eg_address_from_sockaddr((struct sockaddr *)&in, length, &address, &port),
		    -EINVAL);
		assert_int_equal(address.family, 12345);
		assert_int_equal(port, 7);
	}
	assert_int_equal(
	    eg_address_from_sockaddr((struct sockaddr *)&in, sizeof(in), &address, &port), 0);
	assert_int_equal(address.family, AF_INET);
	assert_int_equal(port, 443);
	assert_string_equal(eg_address_format(&address, text, sizeof(text)), "1.2.3.4");

	/* As read out of another process: any alignment, port not wanted. */
	memcpy(unaligned + 1, &in, sizeof(in));
	assert_int_equal(eg_address_from_sockaddr((struct sockaddr *)(unaligned + 1), sizeof(in),
	                                          &address, NULL),
	                 0);
	assert_string_equal(eg_address_format(&address, text, sizeof(text)), "1.2.3.4");
}

static void test_sockaddr_ipv6(void **state)
{
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(53)};
	struct eg_address address = {.family = 12345};
	const struct eg_cidr *range = NULL;
	uint16_t port = 7;
	(void)state;

	inet_pton(AF_INET6, "::ffff:192.168.1.1", &in6.sin6_addr);
	/* 24 bytes, without sin6_scope_id, is what the kernel accepts. */
	assert_int_equal(eg_address_from_sockaddr((struct sockaddr *)&in6, 23, &address, &port),
	                 -EINVAL);
	assert_int_equal(address.family, 12345);
	assert_int_equal(eg_address_from_sockaddr((struct sockaddr *)&in6, 24, &address, &port), 0);
	assert_int_equal(address.family, AF_INET6);
	assert_int_equal(port, 53);
	assert_int_equal(eg_classify(seed_classifier, &address, &range), EG_ADDRESS_EXCLUDED);
	assert_string_equal(range->text, "192.168.0.0/16");
	assert_int_equal(
	    eg_address_from_sockaddr((struct sockaddr *)&in6, sizeof(in6), &address, &port), 0);
}

static void test_sockaddr_other_families(void **state)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX, .sun_path = "/run/x.sock"};
	struct sockaddr unspecified = {.sa_family = AF_UNSPEC};
	struct eg_address address = {.family = 12345};
	(void)state;

	assert_int_equal(
	    eg_address_from_sockaddr((struct sockaddr *)&un, sizeof(un), &address, NULL),
	    -EAFNOSUPPORT);
	assert_int_equal(
	    eg_address_from_sockaddr(&unspecified, sizeof(unspecified), &address, NULL),
	    -EAFNOSUPPORT);
	assert_int_equal(eg_address_from_sockaddr((struct sockaddr *)&un, 1, &address, NULL),
	                 -EINVAL);
	assert_int_equal(eg_address_from_sockaddr(NULL, 16, &address, NULL), -EINVAL);
	assert_int_equal(address.family, 12345);
}

/* --- lookups never allocate --------------------------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
#define EG_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EG_TEST_ASAN 1
#endif
#endif

#ifndef EG_TEST_ASAN
/* glibc's own allocator under its internal names: this executable's
 * malloc() wraps them to count calls.  Not under ASan, which owns malloc
 * (the test is then left out). */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);

static volatile bool counting_allocations;
static volatile size_t allocations;

void *malloc(size_t size)
{
	if (counting_allocations)
		allocations++;
	return __libc_malloc(size);
}

void *calloc(size_t count, size_t size)
{
	if (counting_allocations)
		allocations++;
	return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size)
{
	if (counting_allocations)
		allocations++;
	return __libc_realloc(pointer, size);
}

void free(void *pointer)
{
	__libc_free(pointer);
}

static void test_classify_does_not_allocate(void **state)
{
	static const char *const texts[] = {"1.1.1.1",        "10.1.2.3", "::1",        "fe80::1",
	                                    "::ffff:1.1.1.1", "::",       "2001:db8::1"};
	struct eg_address addresses[7];
	struct eg_cidr ten;
	size_t excluded = 0;
	(void)state;

	for (size_t i = 0; i < 7; i++)
		addresses[i] = address_of(texts[i]);
	assert_int_equal(eg_cidr_parse("10.0.0.0/8", &ten, NULL), 0);

	/* The counter works. */
	counting_allocations = true;
	void *volatile probe = malloc(1);
	counting_allocations = false;
	free(probe);
	assert_int_equal(allocations, 1);

	allocations = 0;
	counting_allocations = true;
	for (size_t round = 0; round < 1000; round++) {
		for (size_t i = 0; i < 7; i++) {
			const struct eg_cidr *range;
			excluded += eg_classify(seed_classifier, &addresses[i], &range) ==
			            EG_ADDRESS_EXCLUDED;
			excluded += eg_cidr_contains(&ten, &addresses[i]);
		}
	}
	counting_allocations = false;
	assert_int_equal(allocations, 0);
	assert_int_equal(excluded, 1000 * 4);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_classify_without_an_address),
	    cmocka_unit_test(test_parse_malformed),
	    cmocka_unit_test(test_parse_messages),
	    cmocka_unit_test(test_parse_long_input),
	    cmocka_unit_test(test_cidr_parse_valid),
	    cmocka_unit_test(test_address_format_and_unmap),
	    cmocka_unit_test(test_cidr_contains),
	    cmocka_unit_test(test_sockaddr_ipv4),
	    cmocka_unit_test(test_sockaddr_ipv6),
	    cmocka_unit_test(test_sockaddr_other_families),
#ifndef EG_TEST_ASAN /* cmocka prints a skip as "not ok" in TAP */
	    cmocka_unit_test(test_classify_does_not_allocate),
#endif
	};

	return cmocka_run_group_tests(tests, setup_seed, teardown_seed);
}
