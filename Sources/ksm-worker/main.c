/*
 * ksm-worker: the worker process of the host-kernel scenario runner.
 *
 * The driver spawns this program with a pipe on fd 0 (commands) and a pipe on
 * fd 1 (replies).  It sends one command per line and waits for one reply line
 * per command (except `exit`, which has no reply).  The worker executes every
 * command with raw system calls in its own address space, so that the driver
 * can replay a memory scenario on the real kernel and inspect the resulting
 * VMAs (/proc/PID/maps, /proc/PID/smaps, ...).
 *
 * WHY NO malloc AND NO stdio
 *   The scenario itself moves the program break (brk) and the driver compares
 *   every VMA of this process against a model.  Any allocation done by the
 *   worker (malloc, or stdio which allocates its buffers with malloc) could
 *   grow the heap or create anonymous mappings behind the scenario's back.
 *   Hence: no malloc, no stdio, only read(2)/write(2)/open(2)/syscall(2),
 *   hand-written number parsing/formatting, all buffers static, small stack.
 *   The process is single-threaded.  SIGCHLD is set to SIG_IGN at start so
 *   forked children that exit are reaped by the kernel.
 *   Shared-library constructors may still have grown the heap before main()
 *   (SwiftPM links libswiftCore/libstdc++ into this target); main() moves the
 *   break back to start_brk first, see drop_preexisting_heap().
 *
 * PROTOCOL
 *   A line is tokens separated by single spaces, terminated by '\n'.  Numbers
 *   are unsigned decimal (digits only, addresses up to 64 bits); anything
 *   else, an overflow, a value too large for the argument's type, a wrong
 *   number of tokens, an unknown command or an over-long line gives `err 22`.
 *   Replies are one line each:
 *     ok            success, no value
 *     ok VALUE      success with a decimal value (negative only for prctl)
 *     err ERRNO     failure, ERRNO is the decimal errno value
 *
 *   ping                           -> ok PID
 *   mmap ADDR LEN PROT FLAGS FD OFF
 *                                  -> mmap(ADDR, LEN, PROT, FLAGS, FD-1, OFF);
 *                                     FD is sent as fd+1 (0 means fd -1) so that
 *                                     no number is negative.  ok RESULT_ADDR
 *   munmap ADDR LEN                -> ok
 *   mprotect ADDR LEN PROT         -> ok
 *   madvise ADDR LEN ADVICE        -> ok
 *   prctl OPTION ARG2              -> prctl(OPTION, ARG2, 0, 0, 0); ok RET
 *                                     (err E when it returns -1)
 *   brk ADDR                       -> raw brk syscall; ok NEWBRK (never fails;
 *                                     `brk 0` queries the current break)
 *   startbrk                       -> ok START_BRK (field 47 of /proc/self/stat)
 *   open PATH FLAGS MODE           -> open(PATH, FLAGS, MODE); ok FD
 *                                     (PATH contains no spaces)
 *   close FD                       -> ok
 *   ftruncate FD LEN               -> ok
 *   memfd NAME                     -> memfd_create(NAME, 0); ok FD
 *   fork CMDPATH REPPATH           -> fork().  The parent replies `ok CHILDPID`
 *                                     on its own fd 1 and goes on.  The child
 *                                     opens CMDPATH (a FIFO) O_RDONLY -- this
 *                                     blocks until the driver opens it for
 *                                     writing -- then REPPATH O_WRONLY (blocks
 *                                     until the driver opens it for reading),
 *                                     moves them onto fd 0 / fd 1, discards any
 *                                     input buffered from the parent's stream,
 *                                     replies `ok PID` on the new fd 1 and
 *                                     serves commands from there.  If the child
 *                                     cannot set up its FIFOs it _exit(127)s.
 *   exec                           -> execve("/proc/self/exe",
 *                                     {argv0, "--exec", NULL}, environ).
 *                                     On failure: err E.  The new image, seeing
 *                                     argv[1] == "--exec", writes `ok PID` (the
 *                                     reply to `exec`) and serves as usual.
 *                                     Input buffered but not yet consumed at the
 *                                     time of exec is lost: wait for the reply.
 *   exit                           -> _exit(0), no reply.
 *   unmerge_outside LO HI          -> for every line of /proc/self/maps whose
 *                                     range [start,end) does not overlap
 *                                     [LO,HI) and whose name is neither
 *                                     "[heap]" nor "[vsyscall]":
 *                                     madvise(start, end-start, MADV_UNMERGEABLE);
 *                                     individual errors are ignored.
 *                                     ok N, N = number of calls that returned 0.
 *
 *   EOF on fd 0 makes the worker _exit(0).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef MADV_UNMERGEABLE
#define MADV_UNMERGEABLE 13
#endif

extern char **environ;

/* ------------------------------------------------------------------------ */
/* Output                                                                   */

static char out_buf[64];

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            _exit(1); /* the driver is gone: nothing sensible left to do */
        }
        p += (size_t)w;
        n -= (size_t)w;
    }
}

/* Writes `ok`, `ok VALUE` or `err VALUE` followed by '\n' to fd 1. */
static void reply(const char *word, int has_value, int negative, uint64_t value)
{
    char digits[24];
    size_t nd = 0, n = 0;

    while (*word)
        out_buf[n++] = *word++;
    if (has_value) {
        out_buf[n++] = ' ';
        if (negative)
            out_buf[n++] = '-';
        do {
            digits[nd++] = (char)('0' + value % 10);
            value /= 10;
        } while (value != 0);
        while (nd > 0)
            out_buf[n++] = digits[--nd];
    }
    out_buf[n++] = '\n';
    write_all(1, out_buf, n);
}

static void reply_ok(void) { reply("ok", 0, 0, 0); }
static void reply_u(uint64_t v) { reply("ok", 1, 0, v); }
static void reply_s(int64_t v)
{
    if (v < 0)
        reply("ok", 1, 1, (uint64_t)0 - (uint64_t)v);
    else
        reply("ok", 1, 0, (uint64_t)v);
}
static void reply_err(int e) { reply("err", 1, 0, (uint64_t)(unsigned)e); }

/* ------------------------------------------------------------------------ */
/* Line reader on fd 0                                                      */

#define IN_SIZE 8192
static char in_buf[IN_SIZE + 1];
static size_t in_start, in_end;

static void reader_reset(void) { in_start = in_end = 0; }

/*
 * Returns the next line (NUL-terminated, without '\n') or NULL when the line
 * was longer than the buffer (it is consumed and discarded up to its '\n').
 * On EOF (or a read error) on fd 0 the process exits.
 */
static char *read_line(size_t *len)
{
    int overlong = 0;

    for (;;) {
        for (size_t i = in_start; i < in_end; i++) {
            if (in_buf[i] == '\n') {
                char *line = in_buf + in_start;
                in_buf[i] = '\0';
                *len = i - in_start;
                in_start = i + 1;
                if (in_start == in_end)
                    in_start = in_end = 0;
                return overlong ? NULL : line;
            }
        }
        /* No complete line buffered. */
        if (in_start > 0) {
            size_t n = in_end - in_start;
            for (size_t i = 0; i < n; i++)
                in_buf[i] = in_buf[in_start + i];
            in_start = 0;
            in_end = n;
        }
        if (in_end == IN_SIZE) { /* line too long: drop what we have */
            overlong = 1;
            in_start = in_end = 0;
        }
        ssize_t r = read(0, in_buf + in_end, IN_SIZE - in_end);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            _exit(1);
        }
        if (r == 0)
            _exit(0);
        in_end += (size_t)r;
    }
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                  */

#define MAX_TOKENS 8

/* Strict unsigned decimal: digits only, no sign, value <= max. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (*s == '\0')
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

static int streq(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

/* Splits in place at single spaces; an empty token makes the line invalid. */
static int tokenize(char *line, size_t len, char **tok)
{
    int n = 0;
    size_t start = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i == len || line[i] == ' ') {
            if (i == start || n == MAX_TOKENS)
                return -1;
            line[i] = '\0';
            tok[n++] = line + start;
            start = i + 1;
        }
    }
    return n;
}

/* ------------------------------------------------------------------------ */
/* Commands                                                                 */

static char *self_argv0;

#define U32_MAX ((uint64_t)UINT32_MAX)
#define I32_MAX ((uint64_t)INT32_MAX)
#define I64_MAX ((uint64_t)INT64_MAX)

static char file_buf[65536];

/* Field 47 (start_brk) of /proc/self/stat; fields are counted after the last
 * ')' because field 2 (comm) may contain spaces and parentheses.
 * Returns 0 or an errno value. */
static int read_start_brk(uint64_t *out)
{
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, file_buf + n, sizeof file_buf - 1 - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            return e;
        }
        if (r == 0 || (n += (size_t)r) == sizeof file_buf - 1)
            break;
    }
    close(fd);
    file_buf[n] = '\0';

    size_t p = n;
    for (size_t i = 0; i < n; i++)
        if (file_buf[i] == ')')
            p = i;
    if (p == n)
        return EIO;
    /* After ')' comes " S ..." : field 3 is the first token. */
    int field = 2;
    size_t i = p + 1;
    while (i < n) {
        while (i < n && (file_buf[i] == ' ' || file_buf[i] == '\n'))
            i++;
        if (i >= n)
            break;
        size_t s = i;
        while (i < n && file_buf[i] != ' ' && file_buf[i] != '\n')
            i++;
        field++;
        if (field == 47) {
            file_buf[i] = '\0';
            return parse_u64(file_buf + s, UINT64_MAX, out) == 0 ? 0 : EIO;
        }
    }
    return EIO;
}

static void cmd_startbrk(void)
{
    uint64_t v;
    int e = read_start_brk(&v);
    if (e != 0)
        reply_err(e);
    else
        reply_u(v);
}

/*
 * Give back a heap that shared-library constructors created before main().
 *
 * When SwiftPM builds this target it links through swiftc, which adds
 * swiftrt.o and -lswiftCore even to a pure C executable; libswiftCore pulls in
 * libstdc++, whose constructor (the exception-handling emergency pool,
 * eh_alloc.cc) calls malloc(72704) -> glibc's sbrk -> a 132 KiB [heap] exists
 * before main() runs.  (A plain `gcc main.c` build has no such heap.)  The
 * scenario must start from an empty heap (brk == start_brk), so the break is
 * moved back to start_brk here.  The memory those constructors got from
 * malloc becomes dangling; that is safe only because nothing in this process
 * calls malloc afterwards: the worker itself never does, and the libc calls
 * it makes (read, write, open, close, dup2, fcntl, fork, execve, signal,
 * getpid, syscall, _exit) do not allocate.  Keep it that way.
 */
static void drop_preexisting_heap(void)
{
    uint64_t start;
    unsigned long cur = (unsigned long)syscall(SYS_brk, 0UL);
    if (read_start_brk(&start) == 0 && cur > start)
        syscall(SYS_brk, (unsigned long)start);
}

/* Hexadecimal field of a maps line; advances *p past it. */
static int parse_hex(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    int nd = 0;

    while (s < end) {
        char c = *s;
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            break;
        if (nd == 16)
            return -1;
        v = (v << 4) | d;
        nd++;
        s++;
    }
    if (nd == 0)
        return -1;
    *p = s;
    *out = v;
    return 0;
}

static int name_is(const char *s, const char *end, const char *name)
{
    while (s < end && *name && *s == *name) {
        s++;
        name++;
    }
    return s == end && *name == '\0';
}

/* One line of /proc/self/maps (without '\n'). Returns 1 if madvise returned 0. */
static int unmerge_line(const char *s, const char *end, uint64_t lo, uint64_t hi)
{
    uint64_t start, stop;

    if (parse_hex(&s, end, &start) != 0 || s >= end || *s != '-')
        return 0;
    s++;
    if (parse_hex(&s, end, &stop) != 0 || stop <= start)
        return 0;
    /* Skip perms, offset, dev, inode; the rest (after spaces) is the name. */
    for (int f = 0; f < 4; f++) {
        while (s < end && *s == ' ')
            s++;
        while (s < end && *s != ' ')
            s++;
    }
    while (s < end && *s == ' ')
        s++;
    if (name_is(s, end, "[heap]") || name_is(s, end, "[vsyscall]"))
        return 0;
    if (start < hi && stop > lo) /* overlaps [lo, hi) */
        return 0;
    return syscall(SYS_madvise, (unsigned long)start, (unsigned long)(stop - start),
                   (unsigned long)MADV_UNMERGEABLE) == 0;
}

static void cmd_unmerge_outside(uint64_t lo, uint64_t hi)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        reply_err(errno);
        return;
    }
    uint64_t count = 0;
    size_t have = 0;     /* bytes buffered in file_buf */
    int skipping = 0;    /* inside a line longer than the buffer */
    for (;;) {
        ssize_t r = read(fd, file_buf + have, sizeof file_buf - have);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            reply_err(e);
            return;
        }
        if (r == 0) {
            if (have > 0 && !skipping)
                count += (uint64_t)unmerge_line(file_buf, file_buf + have, lo, hi);
            break;
        }
        have += (size_t)r;
        size_t ls = 0;
        for (size_t i = 0; i < have; i++) {
            if (file_buf[i] != '\n')
                continue;
            if (!skipping)
                count += (uint64_t)unmerge_line(file_buf + ls, file_buf + i, lo, hi);
            skipping = 0;
            ls = i + 1;
        }
        if (ls == 0 && have == sizeof file_buf) {
            skipping = 1; /* absurdly long line: ignore it */
            have = 0;
            continue;
        }
        for (size_t i = ls; i < have; i++)
            file_buf[i - ls] = file_buf[i];
        have -= ls;
    }
    close(fd);
    reply_u(count);
}

static int move_fd(int from, int to)
{
    if (from == to)
        return 0;
    if (dup2(from, to) < 0)
        return -1;
    close(from);
    return 0;
}

static void cmd_fork(const char *cmdpath, const char *reppath)
{
    pid_t pid = fork();
    if (pid < 0) {
        reply_err(errno);
        return;
    }
    if (pid > 0) {
        reply_u((uint64_t)pid);
        return;
    }
    /* Child: leave the parent's pipes, switch to the FIFOs. */
    int cfd, rfd;
    do
        cfd = open(cmdpath, O_RDONLY);
    while (cfd < 0 && errno == EINTR);
    if (cfd < 0)
        _exit(127);
    do
        rfd = open(reppath, O_WRONLY);
    while (rfd < 0 && errno == EINTR);
    if (rfd < 0)
        _exit(127);
    /* Keep the new descriptors away from 0/1 before the dup2s. */
    if (cfd == 1) {
        int t = fcntl(cfd, F_DUPFD, 2);
        if (t < 0)
            _exit(127);
        close(cfd);
        cfd = t;
    }
    if (rfd == 0) {
        int t = fcntl(rfd, F_DUPFD, 2);
        if (t < 0)
            _exit(127);
        close(rfd);
        rfd = t;
    }
    if (move_fd(cfd, 0) != 0 || move_fd(rfd, 1) != 0)
        _exit(127);
    reader_reset();
    reply_u((uint64_t)getpid());
}

static void cmd_exec(void)
{
    char *args[3];
    args[0] = self_argv0 ? self_argv0 : (char *)"ksm-worker";
    args[1] = (char *)"--exec";
    args[2] = NULL;
    execve("/proc/self/exe", args, environ);
    reply_err(errno);
}

static void dispatch(char **t, int n)
{
    const char *c = t[0];
    uint64_t a[6];
    long r;

#define ARGS(count) (n == (count) + 1)
#define NUM(i, max) (parse_u64(t[(i) + 1], (max), &a[i]) == 0)
#define SYSRESULT(expr)                                                        \
    do {                                                                       \
        r = (expr);                                                            \
        if (r == -1)                                                           \
            reply_err(errno);                                                  \
        else                                                                   \
            reply_ok();                                                        \
    } while (0)

    if (streq(c, "ping") && ARGS(0)) {
        reply_u((uint64_t)getpid());
    } else if (streq(c, "mmap") && ARGS(6) && NUM(0, UINT64_MAX) &&
               NUM(1, UINT64_MAX) && NUM(2, U32_MAX) && NUM(3, U32_MAX) &&
               NUM(4, I32_MAX + 1) && NUM(5, UINT64_MAX)) {
        long fd = (long)a[4] - 1;
        r = syscall(SYS_mmap, (unsigned long)a[0], (unsigned long)a[1],
                    (unsigned long)a[2], (unsigned long)a[3], fd,
                    (unsigned long)a[5]);
        if (r == -1)
            reply_err(errno);
        else
            reply_u((uint64_t)(unsigned long)r);
    } else if (streq(c, "munmap") && ARGS(2) && NUM(0, UINT64_MAX) &&
               NUM(1, UINT64_MAX)) {
        SYSRESULT(syscall(SYS_munmap, (unsigned long)a[0], (unsigned long)a[1]));
    } else if (streq(c, "mprotect") && ARGS(3) && NUM(0, UINT64_MAX) &&
               NUM(1, UINT64_MAX) && NUM(2, U32_MAX)) {
        SYSRESULT(syscall(SYS_mprotect, (unsigned long)a[0], (unsigned long)a[1],
                          (unsigned long)a[2]));
    } else if (streq(c, "madvise") && ARGS(3) && NUM(0, UINT64_MAX) &&
               NUM(1, UINT64_MAX) && NUM(2, I32_MAX)) {
        SYSRESULT(syscall(SYS_madvise, (unsigned long)a[0], (unsigned long)a[1],
                          (long)a[2]));
    } else if (streq(c, "prctl") && ARGS(2) && NUM(0, I32_MAX) &&
               NUM(1, UINT64_MAX)) {
        r = syscall(SYS_prctl, (long)a[0], (unsigned long)a[1], 0UL, 0UL, 0UL);
        if (r == -1)
            reply_err(errno);
        else
            reply_s((int64_t)r);
    } else if (streq(c, "brk") && ARGS(1) && NUM(0, UINT64_MAX)) {
        /* glibc's syscall() would only flag -4095..-1, which brk never
         * returns: it answers the (possibly unchanged) break. */
        r = syscall(SYS_brk, (unsigned long)a[0]);
        reply_u((uint64_t)(unsigned long)r);
    } else if (streq(c, "startbrk") && ARGS(0)) {
        cmd_startbrk();
    } else if (streq(c, "open") && ARGS(3) && NUM(1, U32_MAX) &&
               NUM(2, U32_MAX)) {
        int fd = open(t[1], (int)(uint32_t)a[1], (mode_t)a[2]);
        if (fd < 0)
            reply_err(errno);
        else
            reply_u((uint64_t)fd);
    } else if (streq(c, "close") && ARGS(1) && NUM(0, I32_MAX)) {
        SYSRESULT(close((int)a[0]));
    } else if (streq(c, "ftruncate") && ARGS(2) && NUM(0, I32_MAX) &&
               NUM(1, I64_MAX)) {
        SYSRESULT(ftruncate((int)a[0], (off_t)a[1]));
    } else if (streq(c, "memfd") && ARGS(1)) {
        r = syscall(SYS_memfd_create, t[1], 0U);
        if (r == -1)
            reply_err(errno);
        else
            reply_u((uint64_t)r);
    } else if (streq(c, "fork") && ARGS(2)) {
        cmd_fork(t[1], t[2]);
    } else if (streq(c, "exec") && ARGS(0)) {
        cmd_exec();
    } else if (streq(c, "exit") && ARGS(0)) {
        _exit(0);
    } else if (streq(c, "unmerge_outside") && ARGS(2) && NUM(0, UINT64_MAX) &&
               NUM(1, UINT64_MAX)) {
        cmd_unmerge_outside(a[0], a[1]);
    } else {
        reply_err(EINVAL);
    }
#undef ARGS
#undef NUM
#undef SYSRESULT
}

int main(int argc, char **argv)
{
    static char *tok[MAX_TOKENS];

    drop_preexisting_heap();
    self_argv0 = argc > 0 ? argv[0] : NULL;
    signal(SIGCHLD, SIG_IGN);

    if (argc > 1 && streq(argv[1], "--exec"))
        reply_u((uint64_t)getpid()); /* the reply to the `exec` command */

    for (;;) {
        size_t len;
        char *line = read_line(&len);
        if (line == NULL) {
            reply_err(EINVAL);
            continue;
        }
        int n = tokenize(line, len, tok);
        if (n <= 0) {
            reply_err(EINVAL);
            continue;
        }
        dispatch(tok, n);
    }
}
