/* Signals of the master arrive through a signalfd inside its event loop, so
 * no handler runs master code asynchronously: TERM/INT (drain and stop), HUP
 * (replace workers), CHLD (reap). Workers get the dispositions and mask back. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/internal.h"
#include "sup/sup_internal.h"

int clams__signals_open(sigset_t *old_mask)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &set, old_mask) != 0)
        return CLAMS_ESYS;
    int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        sigprocmask(SIG_SETMASK, old_mask, NULL);
        errno = e;
        return CLAMS_ESYS;
    }
    /* A client that goes away mid-write must not kill the master, nor a
     * file-size limit (ulimit -f) a write of a body into its memfd: that
     * write fails with EFBIG instead, and the request gets a 413. */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
    return fd;
}

void clams__signals_close(int sigfd, const sigset_t *old_mask)
{
    if (sigfd >= 0)
        close(sigfd);
    sigprocmask(SIG_SETMASK, old_mask, NULL);
}

void clams__signals_child_reset(const sigset_t *old_mask)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (int s = 1; s < NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP)
            continue;
        sigaction(s, &sa, NULL); /* fails harmlessly for invalid numbers */
    }
    /* A worker over a file-size limit fails its memfd write (EFBIG) and
     * exits, so its request gets a 500, rather than dying of SIGXFSZ. */
    signal(SIGXFSZ, SIG_IGN);
    sigprocmask(SIG_SETMASK, old_mask, NULL);
}
