/* Test support: starting app binaries as children on free ports, waiting for
 * them to answer, stopping them, and running commands to completion. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int clams_ts_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int port = 0;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

int clams_ts_wait(pid_t pid, double timeout_s, int *status)
{
    double end = now_s() + timeout_s;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
        if (now_s() > end)
            return -1;
        usleep(10000);
    }
}

void clams_ts_kill(pid_t pid)
{
    int st;
    if (pid <= 0)
        return;
    kill(pid, SIGKILL);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
}

static void put_env(const char *const *env)
{
    for (size_t i = 0; env && env[i]; i++)
        putenv((char *)env[i]);
}

static pid_t spawn_server(const char *binary, const char *const *args, const char *const *env,
                          int port, const char *log_path)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    put_env(env);
    size_t n = 0;
    while (args && args[n])
        n++;
    const char **argv = calloc(n + 6, sizeof(*argv));
    char portbuf[16];
    snprintf(portbuf, sizeof(portbuf), "%d", port);
    argv[0] = binary;
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = args[i];
    argv[n + 1] = "--host";
    argv[n + 2] = "127.0.0.1";
    argv[n + 3] = "--port";
    argv[n + 4] = portbuf;
    execv(binary, (char *const *)argv);
    _exit(127);
}

int clams_ts_server_start(clams_ts_server_t *s, const char *binary, const char *const *args,
                          const char *const *env, double timeout_s)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->log_path, sizeof(s->log_path), "/tmp/clams-ts-%d-%ld.log", (int)getpid(),
             (long)(now_s() * 1000));
    for (int attempt = 0; attempt < 4; attempt++) {
        s->port = clams_ts_free_port();
        snprintf(s->base_url, sizeof(s->base_url), "http://127.0.0.1:%d/", s->port);
        s->pid = spawn_server(binary, args, env, s->port, s->log_path);
        if (s->pid < 0)
            return -1;
        double end = now_s() + timeout_s;
        while (now_s() < end) {
            int st;
            if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
                s->pid = 0;
                break; /* exited early: maybe the port was taken; try another */
            }
            clams_ts_response_t r;
            int rc = clams_ts_request("GET", s->base_url, NULL, NULL, NULL, 0, 2.0, &r);
            clams_ts_response_free(&r);
            if (rc == 0)
                return 0;
            usleep(50000);
        }
        if (s->pid) {
            clams_ts_kill(s->pid);
            s->pid = 0;
            return -1;
        }
    }
    return -1;
}

int clams_ts_server_stop(clams_ts_server_t *s, int sig, double timeout_s)
{
    if (!s->pid)
        return -1;
    int st = -1;
    kill(s->pid, sig ? sig : SIGTERM);
    if (clams_ts_wait(s->pid, timeout_s, &st) != 0) {
        clams_ts_kill(s->pid);
        st = -1;
    }
    s->pid = 0;
    return st;
}

char *clams_ts_server_log(const clams_ts_server_t *s)
{
    return clams_ts_read_file(s->log_path, NULL);
}

/* Drains both pipes while feeding stdin, until EOF on both or the deadline. */
static int pump(int in_fd, const char *data, size_t len, int out_fd, int err_fd, char **out,
                char **err, double end)
{
    size_t cap[2] = {4096, 4096}, n[2] = {0, 0}, sent = 0;
    char *buf[2] = {malloc(cap[0]), malloc(cap[1])};
    int fds[2] = {out_fd, err_fd};
    if (!data || len == 0) {
        close(in_fd);
        in_fd = -1;
    }
    while ((fds[0] >= 0 || fds[1] >= 0) && now_s() < end) {
        struct pollfd p[3] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}, {in_fd, POLLOUT, 0}};
        if (poll(p, 3, 100) < 0 && errno != EINTR)
            break;
        for (int k = 0; k < 2; k++) {
            if (fds[k] < 0 || !(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (n[k] + 4096 > cap[k])
                buf[k] = realloc(buf[k], cap[k] *= 2);
            ssize_t r = read(fds[k], buf[k] + n[k], cap[k] - n[k] - 1);
            if (r <= 0) {
                close(fds[k]);
                fds[k] = -1;
            } else {
                n[k] += (size_t)r;
            }
        }
        if (in_fd >= 0 && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(in_fd, data + sent, len - sent);
            if (w > 0)
                sent += (size_t)w;
            if (w < 0 || sent == len) {
                close(in_fd);
                in_fd = -1;
            }
        }
    }
    int timed_out = fds[0] >= 0 || fds[1] >= 0;
    for (int k = 0; k < 2; k++) {
        if (fds[k] >= 0)
            close(fds[k]);
        buf[k][n[k]] = '\0';
    }
    if (in_fd >= 0)
        close(in_fd);
    if (out)
        *out = buf[0];
    else
        free(buf[0]);
    if (err)
        *err = buf[1];
    else
        free(buf[1]);
    return timed_out ? -1 : 0;
}

int clams_ts_run(const char *const *argv, const char *const *env, const char *stdin_data,
                 size_t stdin_len, double timeout_s, char **out, char **err)
{
    int pin[2], pout[2], perr[2];
    if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC))
        return -1;
    signal(SIGPIPE, SIG_IGN);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(pin[0], STDIN_FILENO);
        dup2(pout[1], STDOUT_FILENO);
        dup2(perr[1], STDERR_FILENO);
        put_env(env);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pin[0]);
    close(pout[1]);
    close(perr[1]);
    double end = now_s() + timeout_s;
    int timed_out = pump(pin[1], stdin_data, stdin_len, pout[0], perr[0], out, err, end);
    int st;
    if (timed_out || clams_ts_wait(pid, end - now_s() + 1.0, &st) != 0) {
        clams_ts_kill(pid);
        return -1;
    }
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
}
