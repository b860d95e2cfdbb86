/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers the OCI parsers share; not part of the interface in include/. */
#ifndef ENTRYGUARD_OCI_INTERNAL_H
#define ENTRYGUARD_OCI_INTERNAL_H

#include <sys/types.h>
#include <yajl/yajl_tree.h>

#include "entryguard/error.h"

/* node.pid: absent or 0 gives 0; negative or beyond pid_t is an error. */
int eg_oci_parse_pid(yajl_val node, const char *where, pid_t *ret_pid, struct eg_error *err);

/* node.annotations: absent, or an object whose values are all strings
 * (*ret untouched when absent). */
int eg_oci_parse_annotations(yajl_val node, const char *where, yajl_val *ret, struct eg_error *err);

#endif
