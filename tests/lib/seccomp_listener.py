#!/usr/bin/python3
"""A seccomp listener that records what an OCI runtime sends it.

    seccomp_listener.py --socket PATH --out PREFIX [--count N] [--timeout S] [--mode 0600]
                        [--sequence FILE]

Binds a SOCK_STREAM unix socket at PATH (what runc's and crun's
linux.seccomp.listenerPath and crun's run.oci.seccomp.receiver annotation name),
writes PATH + ".ready" once it listens, then for each of N connections:
  PREFIX.json       the message bytes exactly as received (the container process state:
                    {"ociVersion","fds":["seccompFd"],"pid","metadata","state":{...}})
  PREFIX.fds.txt    how many fds came by SCM_RIGHTS, the names the message gives them,
                    what each fd is (readlink of /proc/self/fd/N), message size
(with N > 1 the second connection gets PREFIX-2.json and so on).

Every received fd is closed at once. With nothing answering, a syscall that the filter
sends to the listener then fails with ENOSYS, so the container must not make one.
Exits 0 after N connections, 2 on timeout.
"""

import argparse
import array
import json
import os
import socket
import sys
import time

MAX_FDS = 16  # runtimes send one (seccompFd); room for more, to see it if they do


def receive_message(connection):
    data = bytearray()
    fds = []
    truncated = False
    chunks = 0
    fd_space = socket.CMSG_SPACE(MAX_FDS * array.array("i").itemsize)
    while True:
        chunk, ancillary, flags, _ = connection.recvmsg(65536, fd_space)
        if flags & socket.MSG_CTRUNC:
            truncated = True
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                received = array.array("i")
                received.frombytes(payload[: len(payload) - len(payload) % received.itemsize])
                fds.extend(received)
        if not chunk:
            break
        chunks += 1
        data.extend(chunk)
    return bytes(data), fds, truncated, chunks


def describe_fds(data, fds, truncated, chunks):
    lines = [f"fds_received={len(fds)}"]
    try:
        names = json.loads(data).get("fds")
        lines.append("fd_names=" + json.dumps(names))
    except (ValueError, AttributeError) as error:
        lines.append(f"fd_names=unparsable message: {error}")
    for index, fd in enumerate(fds):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError as error:
            target = f"unreadable: {error}"
        lines.append(f"fd[{index}]={target}")
    lines.append(f"control_truncated={'yes' if truncated else 'no'}")
    lines.append(f"message_bytes={len(data)}")
    lines.append(f"recvmsg_calls_with_data={chunks}")
    ends_with_newline = "yes" if data.endswith(b"\n") else "no"
    lines.append(f"ends_with_newline={ends_with_newline}")
    return "\n".join(lines) + "\n"


def write_file(path, content):
    temporary = path + ".part"
    with open(temporary, "wb") as handle:
        handle.write(content)
    os.replace(temporary, path)


def note_sequence(path, event):
    if path:
        with open(path, "a") as sequence:
            sequence.write(event + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True)
    parser.add_argument("--out", required=True, help="output path prefix")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--mode", default="0600", help="socket file mode (octal)")
    parser.add_argument("--sequence", help="append 'listener-connected' and, after EOF, "
                        "'listener-closed' to this file (record-hook.sh appends its stages "
                        "to the same file)")
    arguments = parser.parse_args()

    try:
        os.unlink(arguments.socket)
    except FileNotFoundError:
        pass
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    server.bind(arguments.socket)
    os.chmod(arguments.socket, int(arguments.mode, 8))
    server.listen(4)
    write_file(arguments.socket + ".ready", f"{os.getpid()}\n".encode())

    deadline = time.monotonic() + arguments.timeout
    for number in range(1, arguments.count + 1):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            print("seccomp_listener: timed out", file=sys.stderr)
            return 2
        server.settimeout(remaining)
        try:
            connection, _ = server.accept()
        except socket.timeout:
            print("seccomp_listener: timed out", file=sys.stderr)
            return 2
        note_sequence(arguments.sequence, "listener-connected")
        with connection:
            connection.settimeout(30)
            data, fds, truncated, chunks = receive_message(connection)
        description = describe_fds(data, fds, truncated, chunks)
        for fd in fds:
            os.close(fd)
        note_sequence(arguments.sequence, "listener-closed")
        prefix = arguments.out if number == 1 else f"{arguments.out}-{number}"
        write_file(prefix + ".json", data)
        write_file(prefix + ".fds.txt", description.encode())
    server.close()
    os.unlink(arguments.socket)
    return 0


if __name__ == "__main__":
    sys.exit(main())
