/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How fast eg_classify() judges a destination, against baselines measured
 * in the same run:
 *  - "load only": the same loop calling a function that only reads the
 *    address (the floor: loop, call and memory cost);
 *  - "naive scan": the list parsed once from text, then every range tried
 *    with eg_cidr_contains() and the longest prefix kept (what one would
 *    write first; the ratio column is against it).
 * Both on the seed's 27 ranges and on 4096 generated ranges (the most a
 * classifier holds).  The addresses are a fixed pseudo-random mix of IPv4,
 * IPv6 and mapped addresses, some inside excluded ranges, some not.
 *
 * Run on demand: build-dir/bench/bench_classify [REPETITIONS]
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "entryguard/classify.h"

#define ADDRESS_COUNT       4096
#define RANDOM_SEED         0x5eedc1a55ull
#define DEFAULT_REPETITIONS 9
#define TARGET_SECONDS      0.05 /* per repetition, after calibration */

/* Results are folded into this so that no work can be optimised away. */
static volatile uint64_t bench_sink;

struct naive_list {
	struct eg_cidr *cidrs;
	size_t count;
};

struct workload {
	const char *name;
	const struct eg_classifier *classifier;
	const struct naive_list *naive;
	const struct eg_address *addresses;
};

typedef uint64_t (*lookup_function)(const struct workload *workload,
                                    const struct eg_address *address);

static uint64_t random_next(uint64_t *seed)
{
	/* splitmix64 */
	uint64_t z = (*seed += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void random_bytes(uint64_t *seed, uint8_t *bytes, size_t size)
{
	for (size_t i = 0; i < size; i += 8) {
		uint64_t value = random_next(seed);
		memcpy(bytes + i, &value, size - i < 8 ? size - i : 8);
	}
}

static double now_seconds(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* A random address inside a random range of the list (its network with
 * random host bits), as IPv4 or mapped when the range is IPv4. */
static struct eg_address address_inside(uint64_t *seed, const struct naive_list *list, bool map)
{
	const struct eg_cidr *cidr = &list->cidrs[random_next(seed) % list->count];
	struct eg_address address = {.family = cidr->family};
	unsigned bits = cidr->family == AF_INET ? 32 : 128;
	uint8_t noise[16];

	random_bytes(seed, noise, sizeof(noise));
	memcpy(address.bytes, cidr->bytes, sizeof(address.bytes));
	for (unsigned bit = cidr->prefix_length; bit < bits; bit++)
		address.bytes[bit / 8] ^= noise[bit / 8] & (uint8_t)(0x80 >> (bit % 8));
	if (map && address.family == AF_INET) {
		memmove(address.bytes + 12, address.bytes, 4);
		memset(address.bytes, 0, 10);
		address.bytes[10] = address.bytes[11] = 0xff;
		address.family = AF_INET6;
	}
	return address;
}

/* 50% IPv4, 30% IPv6, 20% mapped; of each, half drawn from the list's
 * ranges and half uniformly random (IPv6 from 2000::/3). */
static void make_addresses(const struct naive_list *list, struct eg_address *addresses)
{
	uint64_t seed = RANDOM_SEED;

	for (size_t i = 0; i < ADDRESS_COUNT; i++) {
		uint64_t r = random_next(&seed) % 100;
		bool inside = random_next(&seed) & 1;
		struct eg_address address = {0};

		if (inside) {
			address = address_inside(&seed, list, r >= 80);
		} else if (r < 50 || r >= 80) {
			address.family = r < 50 ? AF_INET : AF_INET6;
			random_bytes(&seed, address.bytes + (r < 50 ? 0 : 12), 4);
			if (r >= 80)
				address.bytes[10] = address.bytes[11] = 0xff;
		} else {
			address.family = AF_INET6;
			random_bytes(&seed, address.bytes, 16);
			address.bytes[0] = (uint8_t)(0x20 | (address.bytes[0] & 0x1f));
		}
		addresses[i] = address;
	}
}

static unsigned effective_prefix(const struct eg_cidr *cidr)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (cidr->family == AF_INET6 && cidr->prefix_length >= 96 &&
	    !memcmp(cidr->bytes, mapped, sizeof(mapped)))
		return cidr->prefix_length - 96u;
	return cidr->prefix_length;
}

static enum eg_address_class naive_classify(const struct naive_list *list,
                                            const struct eg_address *address,
                                            const struct eg_cidr **ret_range)
{
	static const uint8_t zero[16];
	struct eg_address unmapped;
	const struct eg_cidr *best = NULL;

	*ret_range = NULL;
	if (eg_address_unmap_ipv4(address, &unmapped))
		address = &unmapped;
	if (!memcmp(address->bytes, zero, address->family == AF_INET ? 4 : 16))
		return EG_ADDRESS_UNSPECIFIED;
	for (size_t i = 0; i < list->count; i++)
		if (eg_cidr_contains(&list->cidrs[i], address) &&
		    (!best || effective_prefix(&list->cidrs[i]) > effective_prefix(best)))
			best = &list->cidrs[i];
	*ret_range = best;
	return best ? EG_ADDRESS_EXCLUDED : EG_ADDRESS_PUBLIC;
}

__attribute__((noinline)) static uint64_t lookup_load_only(const struct workload *workload,
                                                           const struct eg_address *address)
{
	(void)workload;
	__asm__ volatile("" : : "r"(address) : "memory");
	return (uint64_t)address->family + address->bytes[3] + address->bytes[15];
}

__attribute__((noinline)) static uint64_t lookup_naive(const struct workload *workload,
                                                       const struct eg_address *address)
{
	const struct eg_cidr *range;
	return naive_classify(workload->naive, address, &range) + (uintptr_t)range;
}

__attribute__((noinline)) static uint64_t lookup_classify(const struct workload *workload,
                                                          const struct eg_address *address)
{
	const struct eg_cidr *range;
	return eg_classify(workload->classifier, address, &range) + (uintptr_t)range;
}

/* Seconds for `rounds` passes over all addresses. */
static double run_once(const struct workload *workload, lookup_function lookup, size_t rounds)
{
	uint64_t sum = 0;
	double start = now_seconds();

	for (size_t round = 0; round < rounds; round++)
		for (size_t i = 0; i < ADDRESS_COUNT; i++)
			sum += lookup(workload, &workload->addresses[i]);
	bench_sink += sum;
	return now_seconds() - start;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median lookups per second over the repetitions. */
static double measure(const struct workload *workload, lookup_function lookup, int repetitions)
{
	double rates[64];
	double once = run_once(workload, lookup, 1);
	size_t rounds = once > 0 ? (size_t)(TARGET_SECONDS / once) : 1000;

	if (rounds == 0)
		rounds = 1;
	for (int r = 0; r < repetitions; r++)
		rates[r] = (double)(rounds * ADDRESS_COUNT) / run_once(workload, lookup, rounds);
	qsort(rates, (size_t)repetitions, sizeof(rates[0]), compare_doubles);
	return rates[repetitions / 2];
}

/* The classifier and the naive scan must agree before either is timed. */
static size_t check_agreement(const struct workload *workload, size_t *ret_excluded)
{
	size_t disagreements = 0;

	*ret_excluded = 0;
	for (size_t i = 0; i < ADDRESS_COUNT; i++) {
		const struct eg_cidr *fast, *naive;
		enum eg_address_class a =
		    eg_classify(workload->classifier, &workload->addresses[i], &fast);
		enum eg_address_class b =
		    naive_classify(workload->naive, &workload->addresses[i], &naive);
		if (a != b || (fast && strcmp(fast->text, naive->text)))
			disagreements++;
		*ret_excluded += a == EG_ADDRESS_EXCLUDED;
	}
	return disagreements;
}

static void report(const struct workload *workload, int repetitions)
{
	static const struct {
		const char *name;
		lookup_function lookup;
	} methods[] = {
	    {"load only", lookup_load_only},
	    {"naive scan", lookup_naive},
	    {"eg_classify", lookup_classify},
	};
	double rates[3];

	for (size_t m = 0; m < 3; m++)
		rates[m] = measure(workload, methods[m].lookup, repetitions);
	for (size_t m = 0; m < 3; m++)
		printf("%-14s %-12s %14.0f %10.1f %9.2fx\n", workload->name, methods[m].name,
		       rates[m], 1e9 / rates[m], rates[m] / rates[1]);
}

static int prepare(const char *name, const char *const *texts, size_t count,
                   struct eg_classifier **classifier, struct naive_list *naive,
                   struct eg_address *addresses, struct workload *ret_workload)
{
	struct eg_error err = {0};
	size_t excluded, disagreements;

	naive->cidrs = calloc(count, sizeof(*naive->cidrs));
	naive->count = count;
	if (!naive->cidrs)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++)
		if (eg_cidr_parse(texts[i], &naive->cidrs[i], &err) < 0)
			goto fail;
	if (eg_classifier_new(texts, count, classifier, &err) < 0)
		goto fail;
	make_addresses(naive, addresses);
	*ret_workload = (struct workload){name, *classifier, naive, addresses};
	disagreements = check_agreement(ret_workload, &excluded);
	printf("# %s: %zu ranges, %zu of %d addresses excluded, %zu disagreements\n", name, count,
	       excluded, ADDRESS_COUNT, disagreements);
	return disagreements ? -EPROTO : 0;
fail:
	fprintf(stderr, "bench_classify: %s\n", err.message);
	return -EINVAL;
}

/* 4096 ranges that nest: IPv4 /16../32 under 10-13/8, IPv6 /24../128 under
 * 2000::/14, and mapped IPv4. */
static void make_large_list(char (*texts)[EG_CIDR_TEXT_MAX], const char **pointers)
{
	uint64_t seed = RANDOM_SEED ^ 0xffff;

	for (size_t i = 0; i < EG_CLASSIFIER_MAX_RANGES; i++) {
		struct eg_address network = {.family = AF_INET6};
		uint64_t r = random_next(&seed);
		unsigned prefix_length, kind = r % 3;
		char text[INET6_ADDRSTRLEN];

		random_bytes(&seed, network.bytes, 16);
		if (kind == 0) {
			network.family = AF_INET;
			network.bytes[0] = (uint8_t)(10 + (r >> 8) % 4);
			prefix_length = 16 + (unsigned)((r >> 16) % 17);
		} else if (kind == 1) {
			network.bytes[0] = 0x20;
			network.bytes[1] = (uint8_t)((r >> 8) % 4);
			prefix_length = 24 + (unsigned)((r >> 16) % 105);
		} else {
			memset(network.bytes, 0, 10);
			network.bytes[10] = network.bytes[11] = 0xff;
			network.bytes[12] = (uint8_t)(10 + (r >> 8) % 4);
			prefix_length = 112 + (unsigned)((r >> 16) % 17);
		}
		for (unsigned bit = prefix_length; bit < (kind == 0 ? 32u : 128u); bit++)
			network.bytes[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
		snprintf(texts[i], EG_CIDR_TEXT_MAX, "%s/%u",
		         eg_address_format(&network, text, sizeof(text)), prefix_length);
		pointers[i] = texts[i];
	}
}

int main(int argc, char **argv)
{
	static char large_texts[EG_CLASSIFIER_MAX_RANGES][EG_CIDR_TEXT_MAX];
	static const char *large_pointers[EG_CLASSIFIER_MAX_RANGES];
	static struct eg_address seed_addresses[ADDRESS_COUNT], large_addresses[ADDRESS_COUNT];
	struct eg_classifier *seed_classifier = NULL, *large_classifier = NULL;
	struct naive_list seed_naive = {0}, large_naive = {0};
	struct workload seed_workload, large_workload;
	int repetitions = argc > 1 ? atoi(argv[1]) : DEFAULT_REPETITIONS;
	int status = 1;

	if (repetitions < 1 || repetitions > 63) {
		fprintf(stderr, "usage: bench_classify [REPETITIONS (1-63)]\n");
		return 2;
	}
	make_large_list(large_texts, large_pointers);
	if (prepare("seed (27)", eg_seed_excluded_cidrs, eg_seed_excluded_cidrs_count,
	            &seed_classifier, &seed_naive, seed_addresses, &seed_workload) < 0 ||
	    prepare("4096 ranges", large_pointers, EG_CLASSIFIER_MAX_RANGES, &large_classifier,
	            &large_naive, large_addresses, &large_workload) < 0)
		goto out;

	printf("# %d addresses (50%% IPv4, 30%% IPv6, 20%% mapped), seed %#llx, median of %d, "
	       "CLOCK_MONOTONIC\n",
	       ADDRESS_COUNT, RANDOM_SEED, repetitions);
	printf("%-14s %-12s %14s %10s %10s\n", "list", "method", "lookups/s", "ns/lookup",
	       "vs naive");
	report(&seed_workload, repetitions);
	report(&large_workload, repetitions);
	printf("# checksum %llu\n", (unsigned long long)bench_sink);
	status = 0;
out:
	eg_classifier_free(seed_classifier);
	eg_classifier_free(large_classifier);
	free(seed_naive.cidrs);
	free(large_naive.cidrs);
	return status;
}
