/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel ABI the build machine's headers may be too old to name (Debian 12
 * ships the 6.1 uapi headers; the monitor runs on newer kernels and probes
 * for each facility at run time).  The values are the kernel's ABI and never
 * change; each is defined only when the headers lack it.
 */
#ifndef ENTRYGUARD_MONITOR_KERNEL_ABI_H
#define ENTRYGUARD_MONITOR_KERNEL_ABI_H

#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdint.h>

/* Linux 6.6 (include/uapi/linux/seccomp.h): flags of the listener fd. */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
/* Wake the supervisor, and then the target, on the waker's CPU: the
 * notification becomes a hand-over between two threads on one CPU instead
 * of two cross-CPU wake-ups (TESTBED.md measured ~60 us -> ~20 us). */
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

/* Linux 6.9 (include/uapi/linux/pidfd.h): a pidfd for one thread, so that
 * pidfd_getfd() reads THAT thread's descriptor table and a signal sent
 * through it is thread-directed. */
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

/* include/linux/socket.h: the kernel marks a 32-bit caller's send flags
 * with this bit internally; a 64-bit sendmsg() with it is EINVAL, so it is
 * taken off what a 32-bit caller passed before we send natively. */
#ifndef MSG_CMSG_COMPAT
#define MSG_CMSG_COMPAT 0x80000000u
#endif

/* The 32-bit (i386) layouts of the socket structures, as the kernel's
 * compat code reads them (include/net/compat.h): pointers and lengths are
 * 32 bits, a cmsghdr is 12 bytes aligned to 4. */
struct eg_compat_msghdr {
	uint32_t msg_name;
	int32_t msg_namelen;
	uint32_t msg_iov;
	uint32_t msg_iovlen;
	uint32_t msg_control;
	uint32_t msg_controllen;
	uint32_t msg_flags;
};

struct eg_compat_mmsghdr {
	struct eg_compat_msghdr msg_hdr;
	uint32_t msg_len;
};

struct eg_compat_iovec {
	uint32_t iov_base;
	uint32_t iov_len;
};

struct eg_compat_cmsghdr {
	uint32_t cmsg_len;
	int32_t cmsg_level;
	int32_t cmsg_type;
};

#define EG_COMPAT_CMSG_ALIGN(length) (((length) + 3u) & ~3u)

#endif
