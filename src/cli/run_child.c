/* fork + exec of the dmf binary for one job, with both output streams read
 * through poll() so that neither pipe can fill and stall the child. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "run_child.h"

/* How much of the child's stderr is kept: enough for its last messages. */
#define ERR_KEEP 4096

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        p += w;
        n -= (size_t)w;
    }
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void start_child(char *const argv[], const char *dir, int out_fd, int err_fd, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* a SIGKILLed runner takes its job along */
    if (getppid() != parent) _exit(127);
    if (dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) _exit(127);
    /* Ignored signals stay ignored across exec: the runner alone decides
     * whether a job stops, also when the terminal or Slurm signals the whole
     * process group. */
    signal(SIGINT, SIG_IGN); /* also discards one that is pending */
    signal(SIGTERM, SIG_IGN);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (chdir(dir) != 0) {
        static const char msg[] = "dmf run: cannot enter the job file's directory\n";
        write_all(2, msg, sizeof msg - 1);
        _exit(126);
    }
    execv("/proc/self/exe", argv);
    static const char msg[] = "dmf run: cannot execute /proc/self/exe\n";
    write_all(2, msg, sizeof msg - 1);
    _exit(127);
}

/* Appends to the growing stdout buffer; 0 or -1 when out of memory. */
static int keep_out(child_result *res, size_t *cap, const char *p, size_t n)
{
    if (res->out_len + n + 1 > *cap) {
        size_t want = *cap ? *cap : 4096;
        while (want < res->out_len + n + 1) want *= 2;
        char *grown = realloc(res->out, want);
        if (!grown) return -1;
        res->out = grown;
        *cap = want;
    }
    memcpy(res->out + res->out_len, p, n);
    res->out_len += n;
    res->out[res->out_len] = '\0';
    return 0;
}

/* Keeps the last ERR_KEEP bytes of stderr. */
static void keep_err(child_result *res, const char *p, size_t n)
{
    if (n >= ERR_KEEP) {
        memcpy(res->err, p + n - ERR_KEEP, ERR_KEEP);
        res->err_len = ERR_KEEP;
    } else {
        size_t drop = res->err_len + n > ERR_KEEP ? res->err_len + n - ERR_KEEP : 0;
        memmove(res->err, res->err + drop, res->err_len - drop);
        memcpy(res->err + res->err_len - drop, p, n);
        res->err_len = res->err_len - drop + n;
    }
    res->err[res->err_len] = '\0';
}

int child_run(char *const argv[], const char *dir, const child_watch *watch, child_result *res)
{
    memset(res, 0, sizeof *res);
    res->err = calloc(ERR_KEEP + 1, 1);
    int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
    if (!res->err || pipe(out_pipe) != 0 || pipe(err_pipe) != 0) {
        fprintf(stderr, "dmf run: cannot start a job: %s\n", res->err ? strerror(errno) : "out of memory");
        for (int k = 0; k < 2; k++) {
            if (out_pipe[k] >= 0) close(out_pipe[k]);
            if (err_pipe[k] >= 0) close(err_pipe[k]);
        }
        return -1;
    }
    fcntl(out_pipe[0], F_SETFD, FD_CLOEXEC);
    fcntl(err_pipe[0], F_SETFD, FD_CLOEXEC);
    fflush(NULL);
    /* Held back until the child ignores them: a SIGTERM to the whole group
     * just after fork() must not kill the job that is meant to finish. */
    sigset_t stop, saved;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigprocmask(SIG_BLOCK, &stop, &saved);
    double start = cli_now();
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) start_child(argv, dir, out_pipe[1], err_pipe[1], parent);
    sigprocmask(SIG_SETMASK, &saved, NULL);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (pid < 0) {
        fprintf(stderr, "dmf run: cannot start a job: %s\n", strerror(errno));
        close(out_pipe[0]);
        close(err_pipe[0]);
        return -1;
    }
    struct pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    size_t out_cap = 0;
    int open_count = 2, seen = *watch->signals, out_of_memory = 0;
    char buf[65536];
    while (open_count > 0) {
        /* The timeout only bounds how late a signal that slipped in just
         * before poll() is noticed. */
        int ready = poll(fds, 2, 200);
        if (*watch->signals != seen) {
            seen = *watch->signals;
            if (watch->on_signal) watch->on_signal(watch->data);
            if (seen >= watch->abandon_at && !res->abandoned) {
                kill(pid, SIGKILL);
                res->abandoned = 1;
            }
        }
        if (watch->on_tick) watch->on_tick(watch->data);
        if (ready <= 0) continue;
        for (int k = 0; k < 2; k++) {
            if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t got = read(fds[k].fd, buf, sizeof buf);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) {
                close(fds[k].fd);
                fds[k].fd = -1;
                open_count--;
            } else if (k == 0) {
                if (!out_of_memory && keep_out(res, &out_cap, buf, (size_t)got)) out_of_memory = 1;
            } else {
                keep_err(res, buf, (size_t)got);
                if (watch->echo_stderr && watch->before_echo) watch->before_echo(watch->data);
                if (watch->echo_stderr) write_all(2, buf, (size_t)got);
            }
        }
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    res->time_s = cli_now() - start;
    if (WIFSIGNALED(status)) {
        res->signal = WTERMSIG(status);
        res->exit_code = 128 + res->signal;
    } else {
        res->exit_code = WEXITSTATUS(status);
    }
    if (out_of_memory) {
        static const char msg[] = "dmf run: the job's output did not fit in memory\n";
        keep_err(res, msg, sizeof msg - 1);
        if (res->exit_code == 0) res->exit_code = EXIT_BAD_INPUT;
    }
    if (!res->out && keep_out(res, &out_cap, "", 0)) return -1;
    return 0;
}

void child_result_clear(child_result *res)
{
    free(res->out);
    free(res->err);
    memset(res, 0, sizeof *res);
}
