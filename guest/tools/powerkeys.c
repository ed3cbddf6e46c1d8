/*
 * powerkeys: turns the power button and Ctrl-Alt-Del into what busybox's poweroff and reboot ask of PID 1.
 *
 *   powerkeys          watch every /dev/input/event* device, present and future
 *
 * A press of KEY_POWER (Linux's ACPI button driver reports one when the VMM's power button is pressed) sends SIGUSR2
 * to PID 1, as `poweroff` does; Ctrl+Alt+Delete on a keyboard sends SIGTERM, as `reboot` does. Input devices that
 * appear later (the PS/2 keyboard is probed asynchronously) are picked up through inotify on /dev/input.
 * Built without a C library, so it keeps no thread-local state and costs nothing while it waits in poll().
 */

#define PROGRAM "powerkeys"
#include "nolibc.h"

#define O_RDONLY 0
#define O_CLOEXEC 02000000
#define IN_CREATE 0x100
#define SIGUSR2 12
#define SIGTERM 15
#define ENOENT 2

#define EV_KEY 1
#define KEY_LEFTCTRL 29
#define KEY_LEFTALT 56
#define KEY_RIGHTCTRL 97
#define KEY_RIGHTALT 100
#define KEY_DELETE 111
#define KEY_POWER 116

#define MAX_DEVICES 32

struct input_event {
    long sec, usec;
    unsigned short type, code;
    int value;
};

struct inotify_event {
    int wd;
    unsigned int mask, cookie, len;
};

static struct pollfd fds[1 + MAX_DEVICES];
static int opened[MAX_DEVICES];
static int inotify, dev_watch = -1, input_watch = -1;
static int ctrl, alt;

/* Opens /dev/input/eventN unless it is open already or does not exist (yet). */
static void open_device(int n)
{
    char path[] = "/dev/input/eventNN";
    int at = sizeof "/dev/input/event" - 1;
    if (n < 0 || n >= MAX_DEVICES || opened[n])
        return;
    if (n >= 10)
        path[at++] = (char)('0' + n / 10);
    path[at++] = (char)('0' + n % 10);
    path[at] = 0;
    long fd = sys3(SYS_open, path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) {
        if (fd != -ENOENT)
            fail("open /dev/input/event", fd);
        return;
    }
    opened[n] = 1;
    fds[1 + n].fd = (int)fd;
}

static void scan_devices(void)
{
    for (int n = 0; n < MAX_DEVICES; n++)
        open_device(n);
}

/* Watches /dev/input once it exists; until then, /dev for its creation. */
static void watch_input_dir(void)
{
    if (input_watch >= 0)
        return;
    long w = sys3(SYS_inotify_add_watch, inotify, "/dev/input", IN_CREATE);
    if (w >= 0) {
        input_watch = (int)w;
        scan_devices();
    } else if (dev_watch < 0) {
        if ((w = sys3(SYS_inotify_add_watch, inotify, "/dev", IN_CREATE)) < 0)
            fail("inotify_add_watch /dev", w);
        dev_watch = (int)w;
        /* /dev/input may have appeared between the two calls. */
        watch_input_dir();
    }
}

static int same(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* "eventN" -> N, anything else -> -1. */
static int event_number(const char *name)
{
    static const char prefix[] = "event";
    int n = 0, i;
    for (i = 0; i < (int)sizeof prefix - 1; i++)
        if (name[i] != prefix[i])
            return -1;
    if (!name[i])
        return -1;
    for (; name[i]; i++) {
        if (name[i] < '0' || name[i] > '9' || n >= MAX_DEVICES)
            return -1;
        n = n * 10 + (name[i] - '0');
    }
    return n;
}

static void read_inotify(void)
{
    static char buf[4096] __attribute__((aligned(8)));
    long got = sys3(SYS_read, inotify, buf, sizeof buf);
    if (got < 0)
        fail("read inotify", got);
    for (long at = 0; at + (long)sizeof(struct inotify_event) <= got;) {
        struct inotify_event *e = (struct inotify_event *)(buf + at);
        const char *name = (const char *)(e + 1);
        if (e->len > 0 && e->wd == dev_watch && same(name, "input"))
            watch_input_dir();
        else if (e->len > 0 && e->wd == input_watch)
            open_device(event_number(name));
        at += (long)sizeof(struct inotify_event) + e->len;
    }
}

static void key(unsigned short code, int value)
{
    int pressed = value != 0;
    switch (code) {
    case KEY_LEFTCTRL:
    case KEY_RIGHTCTRL:
        ctrl = pressed;
        break;
    case KEY_LEFTALT:
    case KEY_RIGHTALT:
        alt = pressed;
        break;
    case KEY_POWER:
        if (value == 1)
            sys3(SYS_kill, 1, SIGUSR2, 0);
        break;
    case KEY_DELETE:
        if (value == 1 && ctrl && alt)
            sys3(SYS_kill, 1, SIGTERM, 0);
        break;
    }
}

static void read_device(int n)
{
    struct input_event events[16];
    long got = sys3(SYS_read, fds[1 + n].fd, events, sizeof events);
    if (got <= 0) {
        /* The device went away: forget it, so that a new one with its number is opened. */
        sys3(SYS_close, fds[1 + n].fd, 0, 0);
        fds[1 + n].fd = -1;
        opened[n] = 0;
        return;
    }
    for (long i = 0; i < got / (long)sizeof events[0]; i++)
        if (events[i].type == EV_KEY)
            key(events[i].code, events[i].value);
}

static __attribute__((noreturn, used)) void start(long *sp)
{
    (void)sp;
    long fd = sys3(SYS_inotify_init1, O_CLOEXEC, 0, 0);
    if (fd < 0)
        fail("inotify_init1", fd);
    inotify = (int)fd;
    fds[0] = (struct pollfd){ inotify, POLLIN, 0 };
    for (int n = 0; n < MAX_DEVICES; n++)
        fds[1 + n] = (struct pollfd){ -1, POLLIN, 0 };
    watch_input_dir();
    for (;;) {
        long r = sys3(SYS_poll, fds, 1 + MAX_DEVICES, -1);
        if (r < 0)
            fail("poll", r);
        if (fds[0].revents & POLLIN)
            read_inotify();
        for (int n = 0; n < MAX_DEVICES; n++)
            if (fds[1 + n].fd >= 0 && (fds[1 + n].revents & (POLLIN | POLLHUP | POLLERR)))
                read_device(n);
    }
}
