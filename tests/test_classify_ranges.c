/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The address classifier's ranges: the seed's 27 ranges edge by edge and by
 * hand (IPv4, IPv6 and mapped addresses), classifiers built from custom
 * lists, and a randomised comparison of 4096 ranges against a bit-by-bit
 * reference.  Parsing, formatting and sockaddr conversion are in
 * test_classify.c.
 *
 * Expectations come from two places: hand-written tables for the cases a
 * reader should be able to check against DESIGN.md, and a deliberately
 * naive reference (one bit at a time, longest prefix wins, list order among
 * equals) for everything computed.
 */
#include "tests/classify_helpers.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entryguard/classify.h"

static const char *class_name(enum eg_address_class class)
{
	switch (class) {
	case EG_ADDRESS_PUBLIC:
		return "public";
	case EG_ADDRESS_EXCLUDED:
		return "excluded";
	case EG_ADDRESS_UNSPECIFIED:
		return "unspecified";
	}
	return "?";
}

/* --- the reference: one bit at a time ------------------------------------ */

static bool bit_at(const uint8_t *bytes, unsigned bit)
{
	return (bytes[bit / 8] >> (7 - bit % 8)) & 1;
}

static bool reference_is_mapped(const uint8_t *bytes)
{
	for (unsigned i = 0; i < 10; i++)
		if (bytes[i])
			return false;
	return bytes[10] == 0xff && bytes[11] == 0xff;
}

/* The IPv4 view of a mapped address or range (prefix 96 or more). */
static void reference_view(int *family, const uint8_t **bytes, unsigned *prefix)
{
	if (*family == AF_INET6 && *prefix >= 96 && reference_is_mapped(*bytes)) {
		*family = AF_INET;
		*bytes += 12;
		*prefix -= 96;
	}
}

static bool reference_contains(const struct eg_cidr *cidr, const struct eg_address *address)
{
	int address_family = address->family, cidr_family = cidr->family;
	const uint8_t *address_bytes = address->bytes, *cidr_bytes = cidr->bytes;
	unsigned address_prefix = 128, prefix = cidr->prefix_length;

	reference_view(&address_family, &address_bytes, &address_prefix);
	reference_view(&cidr_family, &cidr_bytes, &prefix);
	if (address_family != cidr_family)
		return false;
	for (unsigned bit = 0; bit < prefix; bit++)
		if (bit_at(address_bytes, bit) != bit_at(cidr_bytes, bit))
			return false;
	return true;
}

/* Returns the class; *ret_index is the holding range's index or -1. */
static enum eg_address_class reference_classify(const struct eg_cidr *list, size_t count,
                                                const struct eg_address *address, long *ret_index)
{
	int family = address->family;
	const uint8_t *bytes = address->bytes;
	unsigned best_prefix = 128;
	bool all_zero = true;

	*ret_index = -1;
	reference_view(&family, &bytes, &best_prefix);
	for (size_t i = 0; i < (family == AF_INET ? 4u : 16u); i++)
		all_zero = all_zero && bytes[i] == 0;
	if (all_zero)
		return EG_ADDRESS_UNSPECIFIED;
	for (size_t i = 0; i < count; i++) {
		int cidr_family = list[i].family;
		const uint8_t *cidr_bytes = list[i].bytes;
		unsigned prefix = list[i].prefix_length;
		reference_view(&cidr_family, &cidr_bytes, &prefix);
		if (reference_contains(&list[i], address) &&
		    (*ret_index < 0 || prefix > best_prefix)) {
			*ret_index = (long)i;
			best_prefix = prefix;
		}
	}
	return *ret_index < 0 ? EG_ADDRESS_PUBLIC : EG_ADDRESS_EXCLUDED;
}

static void parse_list(const char *const *texts, size_t count, struct eg_cidr *ret_list)
{
	for (size_t i = 0; i < count; i++) {
		struct eg_error err = {0};
		if (eg_cidr_parse(texts[i], &ret_list[i], &err) < 0)
			fail_msg("cannot parse %s: %s", texts[i], err.message);
	}
}

/* Classifies with the classifier and with the reference; they must agree
 * on the class and on the range's text. */
static void assert_agrees_with_reference(const struct eg_classifier *classifier,
                                         const struct eg_cidr *list, size_t count,
                                         const struct eg_address *address)
{
	char text[INET6_ADDRSTRLEN];
	const struct eg_cidr *range = (const struct eg_cidr *)&range;
	long index;
	enum eg_address_class got = eg_classify(classifier, address, &range);
	enum eg_address_class want = reference_classify(list, count, address, &index);
	const char *want_range = index >= 0 ? list[index].text : "(none)";
	const char *got_range = range ? range->text : "(none)";

	if (got != want || strcmp(got_range, want_range) != 0)
		fail_msg("%s: got %s %s, reference says %s %s",
		         eg_address_format(address, text, sizeof(text)), class_name(got), got_range,
		         class_name(want), want_range);
	if (got != EG_ADDRESS_EXCLUDED)
		assert_null(range);
}

static void assert_class(const struct eg_classifier *classifier, const char *text,
                         enum eg_address_class want, const char *want_range)
{
	struct eg_address address = address_of(text);
	const struct eg_cidr *range = NULL;
	enum eg_address_class got = eg_classify(classifier, &address, &range);
	const char *got_range = range ? range->text : "(none)";

	if (got != want || strcmp(got_range, want_range ? want_range : "(none)") != 0)
		fail_msg("%s: got %s %s, expected %s %s", text, class_name(got), got_range,
		         class_name(want), want_range ? want_range : "(none)");
}

/* --- address arithmetic for edges ------------------------------------------ */

/* Adds delta (+1 or -1); false when the address wraps around. */
static bool address_step(struct eg_address *address, int delta)
{
	for (size_t i = address->family == AF_INET ? 4 : 16; i-- > 0;) {
		if (delta > 0 && ++address->bytes[i] != 0)
			return true;
		if (delta < 0 && address->bytes[i]-- != 0)
			return true;
	}
	return false;
}

static void range_edges(const struct eg_cidr *cidr, struct eg_address *first,
                        struct eg_address *last)
{
	unsigned bits = cidr->family == AF_INET ? 32 : 128;

	memset(first, 0, sizeof(*first));
	first->family = cidr->family;
	memcpy(first->bytes, cidr->bytes, sizeof(first->bytes));
	*last = *first;
	for (unsigned bit = cidr->prefix_length; bit < bits; bit++)
		last->bytes[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
}

/* --- the seed list ----------------------------------------------------------- */

static void test_seed_list_is_the_design_list(void **state)
{
	/* Copied from DESIGN.md, in its order. */
	static const char *const design =
	    "10.0.0.0/8 127.0.0.0/8 169.254.0.0/16 172.16.0.0/12 192.0.0.0/24 192.0.0.0/29 "
	    "192.0.0.8/32 192.0.0.9/32 192.0.0.10/32 192.0.0.170/32 192.0.0.171/32 "
	    "192.0.2.0/24 192.31.196.0/24 192.52.193.0/24 192.168.0.0/16 192.88.99.0/24 "
	    "224.0.0.0/4 100.64.0.0/10 192.175.48.0/24 198.18.0.0/15 198.51.100.0/24 "
	    "203.0.113.0/24 240.0.0.0/4 ::1 FE80::/10 FF00::/8 172.31.0.0/16";
	char joined[1024] = "";
	(void)state;

	assert_int_equal(eg_seed_excluded_cidrs_count, 27);
	for (size_t i = 0; i < eg_seed_excluded_cidrs_count; i++) {
		struct eg_cidr cidr;
		if (i)
			strcat(joined, " ");
		strcat(joined, eg_seed_excluded_cidrs[i]);
		assert_int_equal(eg_cidr_parse(eg_seed_excluded_cidrs[i], &cidr, NULL), 0);
		assert_string_equal(cidr.text, eg_seed_excluded_cidrs[i]);
	}
	assert_string_equal(joined, design);
}

/* For every seed range: its first and last address are excluded by the
 * most specific range holding them, and the addresses just outside are not
 * held by it (whatever else holds them agrees with the reference). */
static void test_seed_range_edges(void **state)
{
	struct eg_cidr list[27];
	size_t checked = 0;
	(void)state;

	parse_list(eg_seed_excluded_cidrs, eg_seed_excluded_cidrs_count, list);
	for (size_t i = 0; i < eg_seed_excluded_cidrs_count; i++) {
		struct eg_address edges[2], outside[2];
		range_edges(&list[i], &edges[0], &edges[1]);
		outside[0] = edges[0];
		outside[1] = edges[1];
		bool has_outside[2] = {address_step(&outside[0], -1),
		                       address_step(&outside[1], +1)};

		for (int e = 0; e < 2; e++) {
			const struct eg_cidr *range = NULL;
			assert_int_equal(eg_classify(seed_classifier, &edges[e], &range),
			                 EG_ADDRESS_EXCLUDED);
			assert_non_null(range);
			assert_true(eg_cidr_contains(range, &edges[e]));
			assert_true(range->prefix_length >= list[i].prefix_length);
			assert_agrees_with_reference(seed_classifier, list, 27, &edges[e]);
			checked++;
			if (!has_outside[e])
				continue;
			range = NULL;
			eg_classify(seed_classifier, &outside[e], &range);
			if (range && !strcmp(range->text, list[i].text))
				fail_msg("%s holds an address just outside it", list[i].text);
			assert_false(eg_cidr_contains(&list[i], &outside[e]));
			assert_agrees_with_reference(seed_classifier, list, 27, &outside[e]);
			checked++;
		}
	}
	/* 27 ranges x 2 edges, and all neighbours but 255.255.255.255 + 1 and
	 * ffff:...:ffff + 1. */
	assert_int_equal(checked, 27 * 4 - 2);
}

struct expectation {
	const char *address;
	enum eg_address_class class;
	const char *range;
};

static void check_table(const struct expectation *table, size_t count)
{
	for (size_t i = 0; i < count; i++)
		assert_class(seed_classifier, table[i].address, table[i].class, table[i].range);
}

static void test_seed_ipv4_by_hand(void **state)
{
	static const struct expectation table[] = {
	    {"9.255.255.255", EG_ADDRESS_PUBLIC, NULL},
	    {"10.0.0.0", EG_ADDRESS_EXCLUDED, "10.0.0.0/8"},
	    {"10.255.255.255", EG_ADDRESS_EXCLUDED, "10.0.0.0/8"},
	    {"11.0.0.0", EG_ADDRESS_PUBLIC, NULL},
	    {"172.15.255.255", EG_ADDRESS_PUBLIC, NULL},
	    {"172.16.0.0", EG_ADDRESS_EXCLUDED, "172.16.0.0/12"},
	    {"172.30.255.255", EG_ADDRESS_EXCLUDED, "172.16.0.0/12"},
	    {"172.31.0.0", EG_ADDRESS_EXCLUDED, "172.31.0.0/16"},
	    {"172.31.255.255", EG_ADDRESS_EXCLUDED, "172.31.0.0/16"},
	    {"172.32.0.0", EG_ADDRESS_PUBLIC, NULL},
	    {"192.0.0.0", EG_ADDRESS_EXCLUDED, "192.0.0.0/29"},
	    {"192.0.0.7", EG_ADDRESS_EXCLUDED, "192.0.0.0/29"},
	    {"192.0.0.8", EG_ADDRESS_EXCLUDED, "192.0.0.8/32"},
	    {"192.0.0.9", EG_ADDRESS_EXCLUDED, "192.0.0.9/32"},
	    {"192.0.0.10", EG_ADDRESS_EXCLUDED, "192.0.0.10/32"},
	    {"192.0.0.11", EG_ADDRESS_EXCLUDED, "192.0.0.0/24"},
	    {"192.0.0.170", EG_ADDRESS_EXCLUDED, "192.0.0.170/32"},
	    {"192.0.0.172", EG_ADDRESS_EXCLUDED, "192.0.0.0/24"},
	    {"192.0.1.0", EG_ADDRESS_PUBLIC, NULL},
	    {"126.255.255.255", EG_ADDRESS_PUBLIC, NULL},
	    {"127.0.0.1", EG_ADDRESS_EXCLUDED, "127.0.0.0/8"},
	    {"128.0.0.0", EG_ADDRESS_PUBLIC, NULL},
	    {"100.63.255.255", EG_ADDRESS_PUBLIC, NULL},
	    {"100.127.255.255", EG_ADDRESS_EXCLUDED, "100.64.0.0/10"},
	    {"100.128.0.0", EG_ADDRESS_PUBLIC, NULL},
	    {"169.254.169.254", EG_ADDRESS_EXCLUDED, "169.254.0.0/16"},
	    {"198.17.255.255", EG_ADDRESS_PUBLIC, NULL},
	    {"198.19.255.255", EG_ADDRESS_EXCLUDED, "198.18.0.0/15"},
	    {"198.20.0.0", EG_ADDRESS_PUBLIC, NULL},
	    {"223.255.255.255", EG_ADDRESS_PUBLIC, NULL},
	    {"224.0.0.0", EG_ADDRESS_EXCLUDED, "224.0.0.0/4"},
	    {"239.255.255.255", EG_ADDRESS_EXCLUDED, "224.0.0.0/4"},
	    {"240.0.0.0", EG_ADDRESS_EXCLUDED, "240.0.0.0/4"},
	    {"255.255.255.255", EG_ADDRESS_EXCLUDED, "240.0.0.0/4"},
	    {"1.1.1.1", EG_ADDRESS_PUBLIC, NULL},
	    {"8.8.8.8", EG_ADDRESS_PUBLIC, NULL},
	    /* The seed excludes the single address 0.0.0.0, not 0.0.0.0/8. */
	    {"0.0.0.0", EG_ADDRESS_UNSPECIFIED, NULL},
	    {"0.0.0.1", EG_ADDRESS_PUBLIC, NULL},
	};
	(void)state;
	check_table(table, sizeof(table) / sizeof(table[0]));
}

static void test_seed_ipv6_by_hand(void **state)
{
	static const struct expectation table[] = {
	    {"::", EG_ADDRESS_UNSPECIFIED, NULL},
	    {"::1", EG_ADDRESS_EXCLUDED, "::1"},
	    {"::2", EG_ADDRESS_PUBLIC, NULL},
	    {"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", EG_ADDRESS_PUBLIC, NULL},
	    {"fe80::", EG_ADDRESS_EXCLUDED, "FE80::/10"},
	    {"fe80::1", EG_ADDRESS_EXCLUDED, "FE80::/10"},
	    {"FEBF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF", EG_ADDRESS_EXCLUDED, "FE80::/10"},
	    {"fec0::", EG_ADDRESS_PUBLIC, NULL},
	    {"feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", EG_ADDRESS_PUBLIC, NULL},
	    {"ff00::", EG_ADDRESS_EXCLUDED, "FF00::/8"},
	    {"ff02::1", EG_ADDRESS_EXCLUDED, "FF00::/8"},
	    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", EG_ADDRESS_EXCLUDED, "FF00::/8"},
	    {"2001:4860:4860::8888", EG_ADDRESS_PUBLIC, NULL},
	    {"fc00::1", EG_ADDRESS_PUBLIC, NULL}, /* ULA: not in the seed */
	    /* Not unmapped: IPv4-compatible and NAT64 addresses are IPv6. */
	    {"::10.1.2.3", EG_ADDRESS_PUBLIC, NULL},
	    {"64:ff9b::10.1.2.3", EG_ADDRESS_PUBLIC, NULL},
	};
	(void)state;
	check_table(table, sizeof(table) / sizeof(table[0]));
}

static void test_seed_mapped_by_hand(void **state)
{
	static const struct expectation table[] = {
	    {"::ffff:10.1.2.3", EG_ADDRESS_EXCLUDED, "10.0.0.0/8"},
	    {"::ffff:1.1.1.1", EG_ADDRESS_PUBLIC, NULL},
	    {"::ffff:0.0.0.0", EG_ADDRESS_UNSPECIFIED, NULL},
	    {"::ffff:127.0.0.1", EG_ADDRESS_EXCLUDED, "127.0.0.0/8"},
	    {"::ffff:169.254.169.254", EG_ADDRESS_EXCLUDED, "169.254.0.0/16"},
	    {"::FFFF:192.0.0.8", EG_ADDRESS_EXCLUDED, "192.0.0.8/32"},
	    {"::ffff:a01:203", EG_ADDRESS_EXCLUDED, "10.0.0.0/8"},
	    {"::ffff:255.255.255.255", EG_ADDRESS_EXCLUDED, "240.0.0.0/4"},
	};
	(void)state;
	check_table(table, sizeof(table) / sizeof(table[0]));
}

/* --- custom classifiers ------------------------------------------------------- */

static void test_custom_classifier(void **state)
{
	static const char *const list[] = {
	    "10.0.0.0/8",      "10.1.0.0/16", "2001:db8::/32",
	    "2001:db8:1::/48", "203.0.113.7", "::ffff:192.168.0.0/112",
	};
	struct eg_classifier *classifier = NULL;
	struct eg_error err = {0};
	(void)state;

	assert_int_equal(eg_classifier_new(list, 6, &classifier, &err), 0);
	assert_class(classifier, "10.1.2.3", EG_ADDRESS_EXCLUDED, "10.1.0.0/16");
	assert_class(classifier, "10.2.0.0", EG_ADDRESS_EXCLUDED, "10.0.0.0/8");
	assert_class(classifier, "::ffff:10.1.255.255", EG_ADDRESS_EXCLUDED, "10.1.0.0/16");
	assert_class(classifier, "2001:db8::1", EG_ADDRESS_EXCLUDED, "2001:db8::/32");
	assert_class(classifier, "2001:db8:1:2::1", EG_ADDRESS_EXCLUDED, "2001:db8:1::/48");
	assert_class(classifier, "2001:db9::", EG_ADDRESS_PUBLIC, NULL);
	assert_class(classifier, "203.0.113.7", EG_ADDRESS_EXCLUDED, "203.0.113.7");
	assert_class(classifier, "203.0.113.8", EG_ADDRESS_PUBLIC, NULL);
	assert_class(classifier, "192.168.5.5", EG_ADDRESS_EXCLUDED, "::ffff:192.168.0.0/112");
	assert_class(classifier, "::ffff:192.168.5.5", EG_ADDRESS_EXCLUDED,
	             "::ffff:192.168.0.0/112");
	assert_class(classifier, "127.0.0.1", EG_ADDRESS_PUBLIC, NULL); /* not in this list */
	assert_class(classifier, "::1", EG_ADDRESS_PUBLIC, NULL);
	assert_class(classifier, "0.0.0.0", EG_ADDRESS_UNSPECIFIED, NULL);
	eg_classifier_free(classifier);
}

static void test_classifier_order_among_equals(void **state)
{
	static const char *const list[] = {"::ffff:10.0.0.0/104", "10.0.0.0/8", "10.0.0.0/8",
	                                   "::/0"};
	struct eg_classifier *classifier = NULL;
	(void)state;

	assert_int_equal(eg_classifier_new(list, 4, &classifier, NULL), 0);
	assert_class(classifier, "10.9.9.9", EG_ADDRESS_EXCLUDED, "::ffff:10.0.0.0/104");
	assert_class(classifier, "2001:db8::1", EG_ADDRESS_EXCLUDED, "::/0");
	assert_class(classifier, "::1", EG_ADDRESS_EXCLUDED, "::/0");
	assert_class(classifier, "::", EG_ADDRESS_UNSPECIFIED, NULL);
	assert_class(classifier, "::ffff:1.1.1.1", EG_ADDRESS_PUBLIC, NULL); /* IPv4 */
	eg_classifier_free(classifier);

	/* Two spellings of one range: the first written is reported. */
	static const char *const spellings[] = {"10.0.0.0/08", "10.0.0.0/8"};
	assert_int_equal(eg_classifier_new(spellings, 2, &classifier, NULL), 0);
	assert_class(classifier, "10.9.9.9", EG_ADDRESS_EXCLUDED, "10.0.0.0/08");
	eg_classifier_free(classifier);
	assert_int_equal(eg_classifier_new(spellings + 1, 1, &classifier, NULL), 0);
	assert_class(classifier, "10.9.9.9", EG_ADDRESS_EXCLUDED, "10.0.0.0/8");
	eg_classifier_free(classifier);
}

static void test_classifier_empty(void **state)
{
	struct eg_classifier *classifier = NULL;
	(void)state;

	assert_int_equal(eg_classifier_new(NULL, 0, &classifier, NULL), 0);
	assert_class(classifier, "10.0.0.1", EG_ADDRESS_PUBLIC, NULL);
	assert_class(classifier, "::1", EG_ADDRESS_PUBLIC, NULL);
	assert_class(classifier, "::", EG_ADDRESS_UNSPECIFIED, NULL);
	eg_classifier_free(classifier);
	eg_classifier_free(NULL);
}

static void test_classifier_errors(void **state)
{
	static const char *const bad[] = {"10.0.0.0/8", "10.0.0.0/33", "::1"};
	static const char *const missing[] = {"10.0.0.0/8", NULL};
	struct eg_classifier *classifier = (struct eg_classifier *)&classifier;
	struct eg_classifier *const untouched = classifier;
	const char **many = calloc(EG_CLASSIFIER_MAX_RANGES + 1, sizeof(*many));
	struct eg_error err = {0};
	(void)state;

	assert_int_equal(eg_classifier_new(bad, 3, &classifier, &err), -EINVAL);
	assert_string_equal(err.message, "\"10.0.0.0/33\": prefix length 33 is out of range for "
	                                 "IPv4");
	assert_int_equal(eg_classifier_new(missing, 2, &classifier, &err), -EINVAL);
	assert_string_equal(err.message, "excluded range 2 of 2 is missing");
	assert_int_equal(eg_classifier_new(NULL, 3, &classifier, &err), -EINVAL);
	assert_int_equal(eg_classifier_new(bad, 1, NULL, &err), -EINVAL);

	assert_non_null(many);
	for (size_t i = 0; i <= EG_CLASSIFIER_MAX_RANGES; i++)
		many[i] = "1.1.1.1";
	assert_int_equal(eg_classifier_new(many, EG_CLASSIFIER_MAX_RANGES + 1, &classifier, &err),
	                 -E2BIG);
	assert_int_equal(err.code, E2BIG);
	assert_string_equal(err.message, "too many excluded ranges: 4097 (at most 4096)");
	assert_ptr_equal(classifier, untouched);

	assert_int_equal(eg_classifier_new(many, EG_CLASSIFIER_MAX_RANGES, &classifier, &err), 0);
	assert_class(classifier, "1.1.1.1", EG_ADDRESS_EXCLUDED, "1.1.1.1");
	eg_classifier_free(classifier);
	free(many);
}

/* --- randomised: 4096 ranges against the reference ------------------------ */

static uint64_t random_next(uint64_t *seed)
{
	/* splitmix64: deterministic, good enough to spread bits. */
	uint64_t z = (*seed += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* A random range text whose networks crowd into a few prefixes, so that
 * ranges nest and overlap. */
static void random_range(uint64_t *seed, char *text, size_t size)
{
	struct eg_address network = {0};
	uint64_t r = random_next(seed);
	unsigned kind = r % 3, prefix_length;
	char address[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < 16; i += 8) {
		uint64_t bits = random_next(seed);
		memcpy(network.bytes + i, &bits, 8);
	}
	if (kind == 0) { /* IPv4 */
		network.family = AF_INET;
		network.bytes[0] = (uint8_t)(10 + (r >> 8) % 4);
		prefix_length = 16 + (unsigned)((r >> 16) % 17);
	} else if (kind == 1) { /* IPv6 */
		network.family = AF_INET6;
		network.bytes[0] = 0x20;
		network.bytes[1] = (uint8_t)((r >> 8) % 4);
		network.bytes[2] = (uint8_t)((r >> 12) % 4);
		/* Half share their upper 64 bits, so that a lookup must
		 * compare both words. */
		if ((r >> 24) & 1)
			memset(network.bytes + 3, 0, 5);
		prefix_length = 24 + (unsigned)((r >> 16) % 105);
	} else { /* mapped IPv4 */
		network.family = AF_INET6;
		memset(network.bytes, 0, 10);
		network.bytes[10] = network.bytes[11] = 0xff;
		network.bytes[12] = (uint8_t)(10 + (r >> 8) % 4);
		prefix_length = 96 + 16 + (unsigned)((r >> 16) % 17);
	}
	for (unsigned bit = prefix_length; bit < (network.family == AF_INET ? 32u : 128u); bit++)
		network.bytes[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
	snprintf(text, size, "%s/%u", eg_address_format(&network, address, sizeof(address)),
	         prefix_length);
}

static void test_random_ranges_against_reference(void **state)
{
	enum { RANGES = EG_CLASSIFIER_MAX_RANGES, ADDRESSES = 4000 };
	char(*texts)[EG_CIDR_TEXT_MAX] = calloc(RANGES, sizeof(*texts));
	const char **pointers = calloc(RANGES, sizeof(*pointers));
	struct eg_cidr *list = calloc(RANGES, sizeof(*list));
	struct eg_classifier *classifier = NULL;
	struct eg_error err = {0};
	uint64_t seed = 20240611;
	size_t excluded = 0;
	(void)state;

	assert_non_null(texts);
	assert_non_null(pointers);
	assert_non_null(list);
	for (size_t i = 0; i < RANGES; i++) {
		random_range(&seed, texts[i], sizeof(texts[i]));
		pointers[i] = texts[i];
	}
	if (eg_classifier_new(pointers, RANGES, &classifier, &err) < 0)
		fail_msg("%s", err.message);
	parse_list(pointers, RANGES, list);

	for (size_t n = 0; n < ADDRESSES; n++) {
		/* Near a range: its network with a few low bits changed, or
		 * mapped, or the other family's view. */
		const struct eg_cidr *near = &list[random_next(&seed) % RANGES];
		struct eg_address address = {.family = near->family};
		uint64_t r = random_next(&seed);
		const struct eg_cidr *range;
		memcpy(address.bytes, near->bytes, sizeof(address.bytes));
		address.bytes[address.family == AF_INET ? 3 : 15] ^= (uint8_t)r;
		address.bytes[address.family == AF_INET ? 2 : 14] ^= (uint8_t)((r >> 8) & 0x3);
		if (address.family == AF_INET && (r >> 16) % 3 == 0) {
			memmove(address.bytes + 12, address.bytes, 4);
			memset(address.bytes, 0, 10);
			address.bytes[10] = address.bytes[11] = 0xff;
			address.family = AF_INET6;
		}
		assert_agrees_with_reference(classifier, list, RANGES, &address);
		excluded += eg_classify(classifier, &address, &range) == EG_ADDRESS_EXCLUDED;
	}
	/* Both outcomes were exercised. */
	assert_true(excluded > ADDRESSES / 4);
	assert_true(excluded < ADDRESSES);
	eg_classifier_free(classifier);
	free(list);
	free(pointers);
	free(texts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seed_list_is_the_design_list),
	    cmocka_unit_test(test_seed_range_edges),
	    cmocka_unit_test(test_seed_ipv4_by_hand),
	    cmocka_unit_test(test_seed_ipv6_by_hand),
	    cmocka_unit_test(test_seed_mapped_by_hand),
	    cmocka_unit_test(test_custom_classifier),
	    cmocka_unit_test(test_classifier_order_among_equals),
	    cmocka_unit_test(test_classifier_empty),
	    cmocka_unit_test(test_classifier_errors),
	    cmocka_unit_test(test_random_ranges_against_reference),
	};

	return cmocka_run_group_tests(tests, setup_seed, teardown_seed);
}
