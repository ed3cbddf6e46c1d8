/*
 * What SharpVirt's guest tools use instead of a C library: raw x86-64 system calls, an entry point, and error exits.
 * Each tool defines PROGRAM (its name, for messages) before including this, and a start(long *sp) function.
 */
#ifndef SHARPVIRT_NOLIBC_H
#define SHARPVIRT_NOLIBC_H

#define SYS_read 0
#define SYS_write 1
#define SYS_open 2
#define SYS_close 3
#define SYS_poll 7
#define SYS_socket 41
#define SYS_connect 42
#define SYS_accept 43
#define SYS_shutdown 48
#define SYS_bind 49
#define SYS_listen 50
#define SYS_exit 60
#define SYS_kill 62
#define SYS_inotify_init1 294
#define SYS_inotify_add_watch 254

#define POLLIN 1
#define POLLERR 8
#define POLLHUP 16

struct pollfd {
    int fd;
    short events;
    short revents;
};

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
    return ret;
}

#define sys3(n, a, b, c) sys6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)

static unsigned long length(const char *s)
{
    unsigned long n = 0;
    while (s[n])
        n++;
    return n;
}

static void say(const char *s)
{
    sys3(SYS_write, 2, s, length(s));
}

static __attribute__((noreturn)) void leave(int code)
{
    sys3(SYS_exit, code, 0, 0);
    __builtin_unreachable();
}

/* Prints "PROGRAM: WHAT failed, errno N" and exits 1. */
static __attribute__((noreturn)) void fail(const char *what, long err)
{
    char digits[8];
    int i = sizeof digits;
    unsigned long e = (unsigned long)-err;
    say(PROGRAM ": ");
    say(what);
    say(" failed, errno ");
    do {
        digits[--i] = (char)('0' + e % 10);
        e /= 10;
    } while (e && i > 0);
    sys3(SYS_write, 2, digits + i, sizeof digits - i);
    say("\n");
    leave(1);
}

/* The kernel enters here with argc, argv... on the stack; align it for the C code. */
__asm__(".global _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall start\n");

#endif
