/* One job of 'dmf run' as a child process: the same dmf binary with the
 * job's arguments, its stdout and stderr captured, so that a crash or a
 * kill stays inside the job. */
#ifndef DMF_RUN_CHILD_H
#define DMF_RUN_CHILD_H

#include <signal.h>
#include <stddef.h>

typedef struct {
    int exit_code;    /* the exit status, or 128 + the signal that ended it */
    int signal;       /* that signal, 0 when the child exited */
    int abandoned;    /* killed by the runner because stopping was asked */
    char *out;        /* all of stdout, NUL-terminated */
    size_t out_len;
    char *err;        /* the last bytes of stderr, NUL-terminated */
    size_t err_len;
    double time_s;
} child_result;

/* What makes the runner abandon a running child: `*signals` (bumped by the
 * runner's SIGTERM/SIGINT handler) reaching `abandon_at`. */
typedef struct {
    volatile sig_atomic_t *signals;
    int abandon_at;
    int echo_stderr; /* copy the child's stderr to ours as it comes */
    void (*on_signal)(void *data); /* called once per new signal seen */
    void *data;
    void (*on_tick)(void *data);     /* may be NULL: called at least every 200 ms while the job runs */
    void (*before_echo)(void *data); /* may be NULL: called before the job's stderr is copied to ours */
} child_watch;

/* Runs /proc/self/exe with argv (argv[0] is the name shown) in `dir`; the
 * child ignores SIGINT and SIGTERM (the runner decides) and dies with the
 * runner.  Returns 0, or -1 with a message printed when it could not start. */
int child_run(char *const argv[], const char *dir, const child_watch *watch, child_result *res);
void child_result_clear(child_result *res);

#endif
