/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Finding the real runtime, and handing the process over to it. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "entryguard/cleanup.h"
#include "oci/runtime/runtime.h"

bool eg_runtime_is_self(const char *path)
{
	struct stat self, other;

	/* /proc/self/exe names the file this process runs, whatever link or
	 * copy of a path it was started by. */
	if (stat("/proc/self/exe", &self) < 0 || stat(path, &other) < 0)
		return false;
	return self.st_dev == other.st_dev && self.st_ino == other.st_ino;
}

/* 0 when path is a regular file we may execute, else a negative errno. */
static int check_executable(const char *path)
{
	struct stat status;

	if (stat(path, &status) < 0)
		return -errno;
	if (!S_ISREG(status.st_mode))
		return -EACCES;
	return access(path, X_OK) < 0 ? -errno : 0;
}

static int explicit_runtime(const char *path, const char *source, char **ret_path,
                            struct eg_error *err)
{
	int r;

	if (path[0] != '/')
		return eg_error_set(err, EINVAL, "%s: \"%s\" is not an absolute path", source,
		                    path);
	r = check_executable(path);
	if (r < 0)
		return eg_error_set_errno(err, -r, "%s: %s", source, path);
	if (eg_runtime_is_self(path))
		return eg_error_set(err, ELOOP,
		                    "%s: %s is entryguard-runtime itself; name the real runtime "
		                    "(runc or crun)",
		                    source, path);
	*ret_path = strdup(path);
	return *ret_path ? 0 : eg_error_set(err, ENOMEM, "out of memory");
}

/* name in each absolute folder of the ':'-separated list, in order.
 * Relative entries are skipped: a runtime's cwd is the bundle. */
static int search(const char *list, const char *name, char **ret_path)
{
	for (const char *p = list; p && *p;) {
		size_t length = strcspn(p, ":");
		char candidate[PATH_MAX];

		if (p[0] == '/' &&
		    (size_t)snprintf(candidate, sizeof(candidate), "%.*s/%s", (int)length, p,
		                     name) < sizeof(candidate) &&
		    check_executable(candidate) == 0 && !eg_runtime_is_self(candidate)) {
			*ret_path = strdup(candidate);
			return *ret_path ? 1 : -ENOMEM;
		}
		p += length + (p[length] == ':');
	}
	return 0;
}

int eg_real_runtime_find(const char *configured, char **ret_path, struct eg_error *err)
{
	static const char *const names[] = EG_RUNTIME_DEFAULT_NAMES;
	const char *environment = getenv("ENTRYGUARD_RUNTIME");
	int r;

	if (environment && environment[0])
		return explicit_runtime(environment, "ENTRYGUARD_RUNTIME", ret_path, err);
	if (configured)
		return explicit_runtime(configured, "runtime.path", ret_path, err);
	/* $PATH first, whichever name it has: it is what whoever started us
	 * chose; the fallback folders only after it. */
	for (size_t list = 0; list < 2; list++)
		for (size_t i = 0; names[i]; i++) {
			r = search(list == 0 ? getenv("PATH") : EG_RUNTIME_FALLBACK_PATH, names[i],
			           ret_path);
			if (r < 0)
				return eg_error_set(err, -r, "out of memory");
			if (r > 0)
				return 0;
		}
	return eg_error_set(err, ENOENT,
	                    "no runtime found: neither runc nor crun is in PATH or %s; set "
	                    "runtime.path in the config",
	                    EG_RUNTIME_FALLBACK_PATH);
}

int eg_runtime_exec(const char *runtime, char **argv)
{
	argv[0] = (char *)runtime;
	execv(runtime, argv);
	return errno == ENOENT ? 127 : 126;
}
