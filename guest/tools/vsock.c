/*
 * vsock: an AF_VSOCK relay for SharpVirt's default guest (busybox has no vsock tool).
 *
 *   vsock listen PORT          wait for one connection on PORT, then relay it with stdin/stdout
 *   vsock connect CID PORT     connect to CID:PORT (2 is the host), then relay
 *
 * The relay copies stdin to the socket (and shuts the socket's sending side down at the end of stdin) and the
 * socket to stdout, and exits 0 when the peer closes; 1 with a message when a call fails, 2 on bad arguments.
 * Built without a C library (-nostdlib, raw system calls): a few KiB in the initramfs instead of a static glibc.
 */

#define PROGRAM "vsock"
#include "nolibc.h"

#define AF_VSOCK 40
#define SOCK_STREAM 1
#define SHUT_WR 1
#define VMADDR_CID_ANY 0xffffffffu

struct sockaddr_vm {
    unsigned short svm_family;
    unsigned short svm_reserved1;
    unsigned int svm_port;
    unsigned int svm_cid;
    unsigned char svm_zero[4];
};

static int number(const char *s, unsigned int *out)
{
    unsigned long v = 0;
    if (!*s)
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 0xffffffffu / 10)
            return 0;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    if (v > 0xffffffffu)
        return 0;
    *out = (unsigned int)v;
    return 1;
}

static void write_all(int fd, const char *buf, long n)
{
    while (n > 0) {
        long w = sys3(SYS_write, fd, buf, n);
        if (w < 0)
            fail("write", w);
        buf += w;
        n -= w;
    }
}

static __attribute__((noreturn)) void relay(int s)
{
    static char buf[65536];
    struct pollfd fds[2] = { { 0, POLLIN, 0 }, { s, POLLIN, 0 } };
    for (;;) {
        long r = sys3(SYS_poll, fds, 2, -1);
        if (r < 0)
            fail("poll", r);
        if (fds[0].fd >= 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            long n = sys3(SYS_read, 0, buf, sizeof buf);
            if (n <= 0) {
                sys3(SYS_shutdown, s, SHUT_WR, 0);
                fds[0].fd = -1;
            } else {
                write_all(s, buf, n);
            }
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            long n = sys3(SYS_read, s, buf, sizeof buf);
            if (n <= 0)
                leave(0);
            write_all(1, buf, n);
        }
    }
}

static __attribute__((noreturn, used)) void start(long *sp)
{
    static const char usage[] = "usage: vsock listen PORT | vsock connect CID PORT\n";
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    struct sockaddr_vm addr = { AF_VSOCK, 0, 0, VMADDR_CID_ANY, { 0 } };
    const char *cmd = argc > 1 ? argv[1] : "";
    int listen = argc == 3 && cmd[0] == 'l';
    int connect = argc == 4 && cmd[0] == 'c';
    if ((!listen && !connect) || !number(argv[argc - 1], &addr.svm_port) || (connect && !number(argv[2], &addr.svm_cid))) {
        sys3(SYS_write, 2, usage, sizeof usage - 1);
        leave(2);
    }

    long s = sys3(SYS_socket, AF_VSOCK, SOCK_STREAM, 0);
    if (s < 0)
        fail("socket", s);
    long r;
    if (connect) {
        if ((r = sys3(SYS_connect, s, &addr, sizeof addr)) < 0)
            fail("connect", r);
        relay((int)s);
    }
    if ((r = sys3(SYS_bind, s, &addr, sizeof addr)) < 0)
        fail("bind", r);
    if ((r = sys3(SYS_listen, s, 1, 0)) < 0)
        fail("listen", r);
    long c = sys3(SYS_accept, s, 0, 0);
    if (c < 0)
        fail("accept", c);
    relay((int)c);
}
