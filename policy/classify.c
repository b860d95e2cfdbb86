/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The destination half of the rule: addresses, ranges, and the classifier
 * that says which excluded range (if any) holds an address.
 *
 * Decisions this file makes, beyond classify.h:
 *  - A range with host bits set ("10.0.0.1/8") is an error whose message
 *    suggests the range it would be; silently clearing the bits could widen
 *    an exclusion the writer never meant.
 *  - Mapped addresses (::ffff:a.b.c.d) are judged as IPv4, so a range
 *    ::ffff:a.b.c.d/NN with NN >= 96 is stored as the IPv4 range
 *    a.b.c.d/(NN-96).  An IPv6 range shorter than /96 ("::/0") never holds
 *    a mapped address: that traffic leaves the host as IPv4.
 *  - eg_classify() on a NULL address or an unknown family answers
 *    "unspecified": there is no destination IP to judge, like the seed's
 *    `destination.ip == null`.
 *  - Only a literal ::ffff:0:0/96 address is unmapped; IPv4-compatible
 *    (::a.b.c.d) and NAT64 (64:ff9b::/96) addresses are judged as IPv6.
 *
 * Lookups: ranges are grouped by prefix length, longest first, so the first
 * group with a hit gives the most specific range.  Within a group the
 * networks are sorted, so a hit is found with one masked load and a short
 * scan or a binary search, and 4096 ranges cost a few dozen compares rather
 * than 4096.  Words are loaded in network byte order as they lie in memory;
 * a mask compare does not care about byte order, only about using the same
 * order on both sides.
 */
#include "entryguard/classify.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entryguard/cleanup.h"

const char *const eg_seed_excluded_cidrs[] = {
    "10.0.0.0/8",      "127.0.0.0/8",     "169.254.0.0/16",  "172.16.0.0/12",
    "192.0.0.0/24",    "192.0.0.0/29",    "192.0.0.8/32",    "192.0.0.9/32",
    "192.0.0.10/32",   "192.0.0.170/32",  "192.0.0.171/32",  "192.0.2.0/24",
    "192.31.196.0/24", "192.52.193.0/24", "192.168.0.0/16",  "192.88.99.0/24",
    "224.0.0.0/4",     "100.64.0.0/10",   "192.175.48.0/24", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24",  "240.0.0.0/4",     "::1",
    "FE80::/10",       "FF00::/8",        "172.31.0.0/16",
};
const size_t eg_seed_excluded_cidrs_count =
    sizeof(eg_seed_excluded_cidrs) / sizeof(eg_seed_excluded_cidrs[0]);

/* How much of a bad input an error message shows: enough to recognise it,
 * never enough to push the reason out of the message buffer. */
#define QUOTE_SHOWN_MAX 64
#define QUOTE_BUFFER    (2 + QUOTE_SHOWN_MAX * 4 + 4)

/* Within a group, a scan beats a binary search up to about a cache line of
 * entries. */
#define GROUP_SCAN_MAX 8

struct ipv4_entry {
	uint32_t network;
	uint32_t range; /* index into classifier->ranges */
};

struct ipv4_group {
	uint32_t mask;
	uint32_t first;
	uint32_t count;
};

struct ipv6_entry {
	uint64_t network[2];
	uint32_t range;
};

struct ipv6_group {
	uint64_t mask[2];
	uint32_t first;
	uint32_t count;
};

struct eg_classifier {
	struct eg_cidr *ranges; /* list order, as parsed */
	size_t range_count;
	struct ipv4_entry *ipv4_entries; /* by prefix length (longest first), network, index */
	struct ipv4_group *ipv4_groups;
	size_t ipv4_group_count;
	struct ipv6_entry *ipv6_entries;
	struct ipv6_group *ipv6_groups;
	size_t ipv6_group_count;
};

/* "text" in double quotes, with control and non-ASCII bytes escaped and a
 * long text cut, for error messages. */
static const char *quote(const char *text, char buffer[QUOTE_BUFFER])
{
	size_t used = 0;
	size_t shown = 0;

	buffer[used++] = '"';
	for (; text[shown] && shown < QUOTE_SHOWN_MAX; shown++) {
		unsigned char c = (unsigned char)text[shown];
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			used += (size_t)snprintf(buffer + used, 5, "\\x%02x", c);
		else
			buffer[used++] = (char)c;
	}
	buffer[used++] = '"';
	if (text[shown])
		used += (size_t)snprintf(buffer + used, 4, "...");
	buffer[used] = '\0';
	return buffer;
}

static uint32_t load32(const uint8_t *bytes)
{
	uint32_t value;
	memcpy(&value, bytes, sizeof(value));
	return value;
}

static void load128(const uint8_t *bytes, uint64_t ret_words[2])
{
	memcpy(ret_words, bytes, 2 * sizeof(uint64_t));
}

static void prefix_mask_bytes(uint8_t *mask, size_t size, unsigned prefix_length)
{
	for (size_t i = 0; i < size; i++) {
		unsigned bits = prefix_length > 8 * i ? prefix_length - 8 * (unsigned)i : 0;
		mask[i] = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
	}
}

static size_t family_size(int family)
{
	return family == AF_INET ? 4 : 16;
}

static bool bytes_are_mapped(const uint8_t bytes[16])
{
	static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return memcmp(bytes, mapped_prefix, sizeof(mapped_prefix)) == 0;
}

bool eg_address_unmap_ipv4(const struct eg_address *address, struct eg_address *ret_ipv4)
{
	if (!address || address->family != AF_INET6 || !bytes_are_mapped(address->bytes))
		return false;
	if (ret_ipv4) {
		struct eg_address ipv4 = {.family = AF_INET};
		memcpy(ipv4.bytes, address->bytes + 12, 4);
		*ret_ipv4 = ipv4;
	}
	return true;
}

/* inet_pton on text[0..length), choosing the family by the presence of a
 * colon.  Returns false for anything inet_pton refuses. */
static bool parse_address_bytes(const char *text, size_t length, struct eg_address *ret_address)
{
	char copy[INET6_ADDRSTRLEN];
	struct eg_address address = {0};

	if (length == 0 || length >= sizeof(copy))
		return false;
	memcpy(copy, text, length);
	copy[length] = '\0';
	address.family = memchr(copy, ':', length) ? AF_INET6 : AF_INET;
	if (inet_pton(address.family, copy, address.bytes) != 1)
		return false;
	*ret_address = address;
	return true;
}

/* Why text (not a valid address) is not one, in a parenthesis, or "". */
static const char *address_hint(const char *text, size_t length)
{
	if (length == 0)
		return " (empty)";
	if (length >= INET6_ADDRSTRLEN)
		return " (too long)";
	if (strpbrk(text, " \t\n\r\v\f"))
		return " (contains white space)";
	if (strchr(text, '/'))
		return " (a range, not an address)";
	if (strchr(text, '%'))
		return " (zone indexes are not supported)";
	return "";
}

int eg_address_parse(const char *text, struct eg_address *ret_address, struct eg_error *err)
{
	char quoted[QUOTE_BUFFER];
	size_t length;

	if (!text || !ret_address)
		return eg_error_set(err, EINVAL, "no address given");
	length = strlen(text);
	if (!parse_address_bytes(text, length, ret_address))
		return eg_error_set(err, EINVAL, "%s: not an IPv4 or IPv6 address%s",
		                    quote(text, quoted), address_hint(text, length));
	return 0;
}

/* The prefix length after the slash: decimal digits only, no sign or
 * space. */
static int parse_prefix_length(const char *whole, const char *digits, int family,
                               unsigned *ret_prefix_length, struct eg_error *err)
{
	char quoted[QUOTE_BUFFER];
	char quoted_digits[QUOTE_BUFFER];
	unsigned maximum = family == AF_INET ? 32 : 128;
	unsigned value = 0;

	if (*digits == '\0')
		return eg_error_set(err, EINVAL, "%s: missing prefix length after \"/\"",
		                    quote(whole, quoted));
	for (const char *p = digits; *p; p++) {
		if (*p < '0' || *p > '9')
			return eg_error_set(err, EINVAL,
			                    "%s: prefix length %s is not a decimal number",
			                    quote(whole, quoted), quote(digits, quoted_digits));
		if (value <= maximum)
			value = value * 10 + (unsigned)(*p - '0');
	}
	if (value > maximum)
		return eg_error_set(err, EINVAL, "%s: prefix length %.12s%s is out of range for %s",
		                    quote(whole, quoted), digits, strlen(digits) > 12 ? "..." : "",
		                    family == AF_INET ? "IPv4" : "IPv6");
	*ret_prefix_length = value;
	return 0;
}

int eg_cidr_parse(const char *text, struct eg_cidr *ret_cidr, struct eg_error *err)
{
	char quoted[QUOTE_BUFFER];
	char quoted_address[QUOTE_BUFFER];
	struct eg_address address;
	struct eg_cidr cidr = {0};
	const char *slash;
	size_t length, address_length;
	unsigned prefix_length;
	uint8_t mask[16];
	int r;

	if (!text || !ret_cidr)
		return eg_error_set(err, EINVAL, "no range given");
	length = strlen(text);
	if (length >= sizeof(cidr.text))
		return eg_error_set(err, EINVAL,
		                    "%s: too long for an address or range (%zu characters, at most "
		                    "%zu)",
		                    quote(text, quoted), length, sizeof(cidr.text) - 1);
	slash = strchr(text, '/');
	address_length = slash ? (size_t)(slash - text) : length;
	if (!parse_address_bytes(text, address_length, &address)) {
		if (!slash)
			return eg_error_set(err, EINVAL, "%s: not an IPv4 or IPv6 address%s",
			                    quote(text, quoted), address_hint(text, length));
		memcpy(cidr.text, text, address_length);
		return eg_error_set(err, EINVAL, "%s: %s is not an IPv4 or IPv6 address",
		                    quote(text, quoted), quote(cidr.text, quoted_address));
	}
	prefix_length = (unsigned)family_size(address.family) * 8;
	if (slash) {
		r = parse_prefix_length(text, slash + 1, address.family, &prefix_length, err);
		if (r < 0)
			return r;
	}

	prefix_mask_bytes(mask, family_size(address.family), prefix_length);
	for (size_t i = 0; i < family_size(address.family); i++) {
		if (address.bytes[i] & (uint8_t)~mask[i]) {
			char network[INET6_ADDRSTRLEN];
			for (size_t j = 0; j < family_size(address.family); j++)
				address.bytes[j] &= mask[j];
			eg_address_format(&address, network, sizeof(network));
			return eg_error_set(err, EINVAL,
			                    "%s: host bits are set after the /%u prefix (the range "
			                    "would be %s/%u)",
			                    quote(text, quoted), prefix_length, network,
			                    prefix_length);
		}
	}

	cidr.family = address.family;
	cidr.prefix_length = (uint8_t)prefix_length;
	memcpy(cidr.bytes, address.bytes, sizeof(cidr.bytes));
	memcpy(cidr.text, text, length + 1);
	*ret_cidr = cidr;
	return 0;
}

int eg_address_from_sockaddr(const struct sockaddr *address, size_t length,
                             struct eg_address *ret_address, uint16_t *ret_port)
{
	struct eg_address result = {0};
	sa_family_t family;
	uint16_t port;

	/* The sockaddr may come from another process's memory, copied into any
	 * buffer: read it with memcpy, never through a misaligned struct. */
	if (!address || !ret_address || length < sizeof(family))
		return -EINVAL;
	memcpy(&family, (const char *)address + offsetof(struct sockaddr, sa_family),
	       sizeof(family));
	if (family == AF_INET) {
		struct sockaddr_in in;
		if (length < sizeof(in))
			return -EINVAL;
		memcpy(&in, address, sizeof(in));
		result.family = AF_INET;
		memcpy(result.bytes, &in.sin_addr, 4);
		port = ntohs(in.sin_port);
	} else if (family == AF_INET6) {
		/* The kernel accepts the RFC 2133 size, without sin6_scope_id
		 * (SIN6_LEN_RFC2133, 24 bytes); so must we, or a connect() the
		 * kernel performs would go unjudged. */
		struct sockaddr_in6 in6 = {0};
		size_t needed = offsetof(struct sockaddr_in6, sin6_scope_id);
		if (length < needed)
			return -EINVAL;
		memcpy(&in6, address, needed);
		result.family = AF_INET6;
		memcpy(result.bytes, &in6.sin6_addr, 16);
		port = ntohs(in6.sin6_port);
	} else {
		return -EAFNOSUPPORT;
	}
	*ret_address = result;
	if (ret_port)
		*ret_port = port;
	return 0;
}

const char *eg_address_format(const struct eg_address *address, char *buffer, size_t size)
{
	if (!address || !buffer || size > (size_t)INT32_MAX ||
	    (address->family != AF_INET && address->family != AF_INET6) ||
	    !inet_ntop(address->family, address->bytes, buffer, (socklen_t)size))
		return "?";
	return buffer;
}

/* The effective form of a range: a mapped IPv6 range becomes IPv4. */
static void cidr_effective(const struct eg_cidr *cidr, int *ret_family, unsigned *ret_prefix,
                           const uint8_t **ret_bytes)
{
	if (cidr->family == AF_INET6 && cidr->prefix_length >= 96 &&
	    bytes_are_mapped(cidr->bytes)) {
		*ret_family = AF_INET;
		*ret_prefix = cidr->prefix_length - 96u;
		*ret_bytes = cidr->bytes + 12;
	} else {
		*ret_family = cidr->family;
		*ret_prefix = cidr->prefix_length;
		*ret_bytes = cidr->bytes;
	}
}

bool eg_cidr_contains(const struct eg_cidr *cidr, const struct eg_address *address)
{
	struct eg_address unmapped;
	const uint8_t *network;
	unsigned prefix_length;
	uint8_t mask[16];
	int family;

	if (!cidr || !address)
		return false;
	if (eg_address_unmap_ipv4(address, &unmapped))
		address = &unmapped;
	cidr_effective(cidr, &family, &prefix_length, &network);
	if (family != address->family || (family != AF_INET && family != AF_INET6))
		return false;
	prefix_mask_bytes(mask, family_size(family), prefix_length);
	for (size_t i = 0; i < family_size(family); i++)
		if ((address->bytes[i] & mask[i]) != network[i])
			return false;
	return true;
}

/* Sorting before grouping: longest prefix first, then by network (any fixed
 * order works for the search), then list order so that the first hit among
 * equal ranges is the first written. */
struct sort_entry {
	unsigned prefix_length;
	uint64_t network[2]; /* IPv4: network[0] holds the 32-bit word */
	uint32_t range;
};

static int compare_u64(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

static int compare_sort_entries(const void *a, const void *b)
{
	const struct sort_entry *x = a, *y = b;
	int c = compare_u64(y->prefix_length, x->prefix_length);

	if (!c)
		c = compare_u64(x->network[0], y->network[0]);
	if (!c)
		c = compare_u64(x->network[1], y->network[1]);
	if (!c)
		c = compare_u64(x->range, y->range);
	return c;
}

/* Sorts one family's entries and counts the distinct prefix lengths. */
static size_t sort_and_count_groups(struct sort_entry *entries, size_t count)
{
	size_t groups = 0;

	qsort(entries, count, sizeof(*entries), compare_sort_entries);
	for (size_t i = 0; i < count; i++)
		if (i == 0 || entries[i].prefix_length != entries[i - 1].prefix_length)
			groups++;
	return groups;
}

static int build_ipv4(struct eg_classifier *classifier, struct sort_entry *sorted, size_t count)
{
	size_t group_count = sort_and_count_groups(sorted, count);
	size_t group = 0;

	classifier->ipv4_entries = calloc(count ? count : 1, sizeof(struct ipv4_entry));
	classifier->ipv4_groups = calloc(group_count ? group_count : 1, sizeof(struct ipv4_group));
	if (!classifier->ipv4_entries || !classifier->ipv4_groups)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		if (i == 0 || sorted[i].prefix_length != sorted[i - 1].prefix_length) {
			uint8_t mask[4];
			prefix_mask_bytes(mask, sizeof(mask), sorted[i].prefix_length);
			group = i == 0 ? 0 : group + 1;
			classifier->ipv4_groups[group].mask = load32(mask);
			classifier->ipv4_groups[group].first = (uint32_t)i;
		}
		classifier->ipv4_groups[group].count++;
		classifier->ipv4_entries[i].network = (uint32_t)sorted[i].network[0];
		classifier->ipv4_entries[i].range = sorted[i].range;
	}
	classifier->ipv4_group_count = group_count;
	return 0;
}

static int build_ipv6(struct eg_classifier *classifier, struct sort_entry *sorted, size_t count)
{
	size_t group_count = sort_and_count_groups(sorted, count);
	size_t group = 0;

	classifier->ipv6_entries = calloc(count ? count : 1, sizeof(struct ipv6_entry));
	classifier->ipv6_groups = calloc(group_count ? group_count : 1, sizeof(struct ipv6_group));
	if (!classifier->ipv6_entries || !classifier->ipv6_groups)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		if (i == 0 || sorted[i].prefix_length != sorted[i - 1].prefix_length) {
			uint8_t mask[16];
			prefix_mask_bytes(mask, sizeof(mask), sorted[i].prefix_length);
			group = i == 0 ? 0 : group + 1;
			load128(mask, classifier->ipv6_groups[group].mask);
			classifier->ipv6_groups[group].first = (uint32_t)i;
		}
		classifier->ipv6_groups[group].count++;
		memcpy(classifier->ipv6_entries[i].network, sorted[i].network,
		       sizeof(sorted[i].network));
		classifier->ipv6_entries[i].range = sorted[i].range;
	}
	classifier->ipv6_group_count = group_count;
	return 0;
}

/* Splits the parsed ranges by effective family and builds both tables. */
static int build_tables(struct eg_classifier *classifier)
{
	size_t count = classifier->range_count;
	_cleanup_free_ struct sort_entry *ipv4 = calloc(count ? count : 1, sizeof(*ipv4));
	_cleanup_free_ struct sort_entry *ipv6 = calloc(count ? count : 1, sizeof(*ipv6));
	size_t ipv4_count = 0, ipv6_count = 0;
	int r;

	if (!ipv4 || !ipv6)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		const uint8_t *bytes;
		unsigned prefix_length;
		int family;
		struct sort_entry *entry;

		cidr_effective(&classifier->ranges[i], &family, &prefix_length, &bytes);
		entry = family == AF_INET ? &ipv4[ipv4_count++] : &ipv6[ipv6_count++];
		entry->prefix_length = prefix_length;
		entry->range = (uint32_t)i;
		if (family == AF_INET)
			entry->network[0] = load32(bytes);
		else
			load128(bytes, entry->network);
	}
	r = build_ipv4(classifier, ipv4, ipv4_count);
	if (r < 0)
		return r;
	return build_ipv6(classifier, ipv6, ipv6_count);
}

void eg_classifier_free(struct eg_classifier *classifier)
{
	if (!classifier)
		return;
	free(classifier->ranges);
	free(classifier->ipv4_entries);
	free(classifier->ipv4_groups);
	free(classifier->ipv6_entries);
	free(classifier->ipv6_groups);
	free(classifier);
}
EG_DEFINE_CLEANUP(struct eg_classifier *, eg_classifier_free)

int eg_classifier_new(const char *const *cidrs, size_t count, struct eg_classifier **ret,
                      struct eg_error *err)
{
	_cleanup_(eg_classifier_freep) struct eg_classifier *classifier = NULL;
	int r;

	if (!ret)
		return eg_error_set(err, EINVAL, "no place to return the classifier");
	if (count > EG_CLASSIFIER_MAX_RANGES)
		return eg_error_set(err, E2BIG, "too many excluded ranges: %zu (at most %d)", count,
		                    EG_CLASSIFIER_MAX_RANGES);
	if (count > 0 && !cidrs)
		return eg_error_set(err, EINVAL, "no list of %zu excluded ranges given", count);

	classifier = calloc(1, sizeof(*classifier));
	if (!classifier)
		return eg_error_set_errno(err, ENOMEM, "excluded ranges");
	classifier->ranges = calloc(count ? count : 1, sizeof(*classifier->ranges));
	if (!classifier->ranges)
		return eg_error_set_errno(err, ENOMEM, "excluded ranges");
	for (size_t i = 0; i < count; i++) {
		if (!cidrs[i])
			return eg_error_set(err, EINVAL, "excluded range %zu of %zu is missing",
			                    i + 1, count);
		r = eg_cidr_parse(cidrs[i], &classifier->ranges[i], err);
		if (r < 0)
			return r;
	}
	classifier->range_count = count;
	r = build_tables(classifier);
	if (r < 0)
		return eg_error_set_errno(err, -r, "excluded ranges");

	*ret = steal_pointer(&classifier);
	return 0;
}

/* The position of the first entry whose network equals key, or -1. */
static long find_ipv4(const struct ipv4_entry *entries, uint32_t count, uint32_t key)
{
	uint32_t low = 0, high = count;

	if (count <= GROUP_SCAN_MAX) {
		for (uint32_t i = 0; i < count; i++)
			if (entries[i].network == key)
				return i;
		return -1;
	}
	while (low < high) {
		uint32_t middle = low + (high - low) / 2;
		if (entries[middle].network < key)
			low = middle + 1;
		else
			high = middle;
	}
	return low < count && entries[low].network == key ? (long)low : -1;
}

static bool ipv6_less(const uint64_t a[2], const uint64_t b[2])
{
	return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1]);
}

static long find_ipv6(const struct ipv6_entry *entries, uint32_t count, const uint64_t key[2])
{
	uint32_t low = 0, high = count;

	if (count <= GROUP_SCAN_MAX) {
		for (uint32_t i = 0; i < count; i++)
			if (entries[i].network[0] == key[0] && entries[i].network[1] == key[1])
				return i;
		return -1;
	}
	while (low < high) {
		uint32_t middle = low + (high - low) / 2;
		if (ipv6_less(entries[middle].network, key))
			low = middle + 1;
		else
			high = middle;
	}
	if (low < count && entries[low].network[0] == key[0] && entries[low].network[1] == key[1])
		return low;
	return -1;
}

static const struct eg_cidr *lookup_ipv4(const struct eg_classifier *classifier, uint32_t value)
{
	for (size_t g = 0; g < classifier->ipv4_group_count; g++) {
		const struct ipv4_group *group = &classifier->ipv4_groups[g];
		const struct ipv4_entry *entries = classifier->ipv4_entries + group->first;
		long found = find_ipv4(entries, group->count, value & group->mask);
		if (found >= 0)
			return &classifier->ranges[entries[found].range];
	}
	return NULL;
}

static const struct eg_cidr *lookup_ipv6(const struct eg_classifier *classifier,
                                         const uint64_t value[2])
{
	for (size_t g = 0; g < classifier->ipv6_group_count; g++) {
		const struct ipv6_group *group = &classifier->ipv6_groups[g];
		const struct ipv6_entry *entries = classifier->ipv6_entries + group->first;
		uint64_t key[2] = {value[0] & group->mask[0], value[1] & group->mask[1]};
		long found = find_ipv6(entries, group->count, key);
		if (found >= 0)
			return &classifier->ranges[entries[found].range];
	}
	return NULL;
}

enum eg_address_class eg_classify(const struct eg_classifier *classifier,
                                  const struct eg_address *address,
                                  const struct eg_cidr **ret_range)
{
	const struct eg_cidr *range = NULL;
	enum eg_address_class result = EG_ADDRESS_UNSPECIFIED;
	bool is_ipv4 = false;
	uint32_t ipv4 = 0;
	uint64_t ipv6[2] = {0, 0};

	if (address && address->family == AF_INET) {
		is_ipv4 = true;
		ipv4 = load32(address->bytes);
	} else if (address && address->family == AF_INET6 && bytes_are_mapped(address->bytes)) {
		is_ipv4 = true;
		ipv4 = load32(address->bytes + 12);
	} else if (address && address->family == AF_INET6) {
		load128(address->bytes, ipv6);
	} else {
		goto out;
	}

	if (is_ipv4 ? ipv4 == 0 : (ipv6[0] | ipv6[1]) == 0)
		goto out;
	if (classifier)
		range = is_ipv4 ? lookup_ipv4(classifier, ipv4) : lookup_ipv6(classifier, ipv6);
	result = range ? EG_ADDRESS_EXCLUDED : EG_ADDRESS_PUBLIC;
out:
	if (ret_range)
		*ret_range = range;
	return result;
}
