/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The destination half of the rule: is an address public, or which excluded
 * range holds it.  The excluded list is data (the seed's list by default,
 * `excluded_cidrs` in the config otherwise).  Lookups never allocate.
 *
 * Decisions where the seed is silent (DESIGN.md):
 *  - an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is judged by its IPv4
 *    address;
 *  - `0.0.0.0` and `::` are "unspecified", like the seed's destination.ip ==
 *    "0.0.0.0" / null; the seed excludes only the single address 0.0.0.0.
 */
#ifndef ENTRYGUARD_CLASSIFY_H
#define ENTRYGUARD_CLASSIFY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "entryguard/error.h"

/* Longest CIDR text: a full IPv6 address with an embedded IPv4 and "/128". */
#define EG_CIDR_TEXT_MAX 64

/* Most ranges one classifier holds: the list comes from a config file, and
 * every resource a caller can make us allocate has a limit. */
#define EG_CLASSIFIER_MAX_RANGES 4096

struct eg_address {
	int family;        /* AF_INET or AF_INET6 */
	uint8_t bytes[16]; /* network order; AF_INET uses bytes[0..3] */
};

struct eg_cidr {
	int family;
	uint8_t prefix_length;
	uint8_t bytes[16];           /* network order, host bits cleared */
	char text[EG_CIDR_TEXT_MAX]; /* as written in the list, for reports */
};

enum eg_address_class {
	EG_ADDRESS_PUBLIC,
	EG_ADDRESS_EXCLUDED,    /* inside an excluded range */
	EG_ADDRESS_UNSPECIFIED, /* null, 0.0.0.0, :: */
};

struct eg_classifier;

/* The seed's 27 excluded ranges, in the seed's order. */
extern const char *const eg_seed_excluded_cidrs[];
extern const size_t eg_seed_excluded_cidrs_count;

/* "192.0.2.1", "::ffff:1.2.3.4", "fe80::1".  Errors name the text. */
int eg_address_parse(const char *text, struct eg_address *ret_address, struct eg_error *err);
/* "10.0.0.0/8", "::1" (a bare address is a /32 or /128), "FE80::/10".
 * Host bits set ("10.0.0.1/8") are an error, not silently cleared: the
 * writer meant either a host or a range, and we cannot tell which. */
int eg_cidr_parse(const char *text, struct eg_cidr *ret_cidr, struct eg_error *err);
/* From a sockaddr as connect()/sendto() receive it.  Returns -EAFNOSUPPORT
 * for families other than AF_INET / AF_INET6, -EINVAL for a short length. */
int eg_address_from_sockaddr(const struct sockaddr *address, size_t length,
                             struct eg_address *ret_address, uint16_t *ret_port);
/* Text form into buffer (INET6_ADDRSTRLEN bytes is enough). */
const char *eg_address_format(const struct eg_address *address, char *buffer, size_t size);
/* True for ::ffff:a.b.c.d; *ret_ipv4 then holds a.b.c.d as AF_INET. */
bool eg_address_unmap_ipv4(const struct eg_address *address, struct eg_address *ret_ipv4);

/* At most EG_CLASSIFIER_MAX_RANGES ranges (-E2BIG beyond).  A range of the
 * form ::ffff:a.b.c.d/NN (NN >= 96) holds IPv4 addresses, since mapped
 * addresses are judged as IPv4. */
int eg_classifier_new(const char *const *cidrs, size_t count, struct eg_classifier **ret,
                      struct eg_error *err);
void eg_classifier_free(struct eg_classifier *classifier);

/* Classifies address.  For EG_ADDRESS_EXCLUDED, *ret_range (when not NULL)
 * points at the most specific excluded range that holds it (longest prefix;
 * the first in list order among equals). */
enum eg_address_class eg_classify(const struct eg_classifier *classifier,
                                  const struct eg_address *address,
                                  const struct eg_cidr **ret_range);

bool eg_cidr_contains(const struct eg_cidr *cidr, const struct eg_address *address);

#endif
