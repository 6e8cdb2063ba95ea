/* rel_limits: the limits that protect a server from its clients, measured
 * against the development or the production server (argv[1] = dev|prod):
 *  - slowloris: SLOW connections send a request one byte at a time (half of
 *    them stuck in the headers, half in a declared body) while normal
 *    requests are sent; with one worker, every normal request must still be
 *    answered 200 (a slow client never holds a worker or the event loop);
 *  - idle connections: IDLE connections opened and left silent, then a
 *    normal request must be answered;
 *  - half-closed connections: clients send a whole keep-alive GET, a
 *    request cut in its headers or body, or two pipelined requests, and shut
 *    their sending side; each must get its answers (or none) and be closed
 *    by the server within
 *    HALF_LIMIT_S, far sooner than the 60 s idle timeout. libmicrohttpd's
 *    epoll loop held such connections for the whole timeout (see
 *    src/http/http.c, src/sup/halfclose.c).
 *   rel_limits dev|prod APP BASE_MMIF */
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rawhttp.h"
#include "support.h"

#define SLOW         64
#define IDLE         400
#define HALF         16
#define HALF_LIMIT_S 10.0 /* far above a healthy close (milliseconds), far below the 60 s timeout */

static atomic_int stop_flag;
static int port;

static int open_conn(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((unsigned short)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Keeps SLOW connections trickling one byte each every 100 ms. */
static void *slowloris(void *arg)
{
    (void)arg;
    static const char head[] = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaa"
                               "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    static const char body_head[] = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
                                    "100000\r\n\r\n";
    int fds[SLOW];
    size_t pos[SLOW];
    for (int i = 0; i < SLOW; i++) {
        fds[i] = open_conn();
        pos[i] = 0;
        if (fds[i] >= 0 && i % 2)
            send(fds[i], body_head, strlen(body_head), MSG_NOSIGNAL);
    }
    while (!atomic_load(&stop_flag)) {
        for (int i = 0; i < SLOW; i++) {
            if (fds[i] < 0)
                continue;
            char ch = i % 2 ? '[' : head[pos[i] % (sizeof(head) - 1)];
            if (send(fds[i], &ch, 1, MSG_NOSIGNAL) != 1) {
                close(fds[i]); /* dropped by the server: open a fresh one */
                fds[i] = open_conn();
                pos[i] = 0;
                if (fds[i] >= 0 && i % 2)
                    send(fds[i], body_head, strlen(body_head), MSG_NOSIGNAL);
                continue;
            }
            pos[i]++;
        }
        usleep(100000);
    }
    for (int i = 0; i < SLOW; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return NULL;
}

static bool normal_request(const char *base, size_t len)
{
    raw_buf_t req = {0};
    raw_buf_printf(&req,
                   "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: "
                   "%zu\r\n\r\n",
                   len);
    raw_buf_add(&req, base, len);
    raw_resp_t r;
    raw_exchange(port, req.data, req.len, 60, &r);
    bool ok = r.status == 200 && strstr(r.body, "rel-test");
    if (!ok)
        printf("normal request: status %d%s\n", r.status, r.timed_out ? " (timed out)" : "");
    raw_resp_free(&r);
    raw_buf_free(&req);
    return ok;
}

/* One half-closed client: sends req, shuts its sending side, and returns
 * true when it got `answers` 200 answers and the server then closed the
 * connection within HALF_LIMIT_S. With `stopped` the server (pid) is stopped
 * once it has accepted the connection and until the client has sent and
 * half-closed, so the bytes and the FIN reach it together: the case
 * libmicrohttpd's edge-triggered epoll loop missed. */
static bool half_closed_released(const char *req, size_t len, int answers, pid_t stopped)
{
    int fd = open_conn();
    if (stopped > 0) {
        usleep(50000); /* accepted and watched by the server before it stops */
        kill(stopped, SIGSTOP);
    }
    bool sent =
        fd >= 0 && send(fd, req, len, MSG_NOSIGNAL) == (ssize_t)len && shutdown(fd, SHUT_WR) == 0;
    if (stopped > 0) {
        usleep(20000); /* let the FIN land before the server runs again */
        kill(stopped, SIGCONT);
    }
    bool closed = false;
    raw_buf_t got = {0};
    char buf[4096];
    double end = raw_now() + HALF_LIMIT_S;
    for (double left; sent && (left = end - raw_now()) > 0;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
            break;
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) {
            closed = true; /* EOF, or a reset: either way the server let go */
            break;
        }
        raw_buf_add(&got, buf, (size_t)n);
    }
    if (fd >= 0)
        close(fd);
    int n200 = 0;
    for (const char *at = got.data; at && (at = strstr(at, "HTTP/1.1 200 ")); at++)
        n200++;
    raw_buf_free(&got);
    return closed && n200 == answers;
}

/* The half-close shapes, each HALF times, half of them with the server
 * stopped: a whole keep-alive GET (answered, then closed); a request cut in
 * its headers and one cut in its body (closed without an answer: the client
 * said it will send nothing more); an annotate POST and a GET pipelined (both
 * answered, the POST by a worker, before the close). */
static bool half_closed_all(pid_t server, const char *base, size_t base_len)
{
    static const char get[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    raw_buf_t pipelined = {0};
    raw_buf_printf(&pipelined, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %zu\r\n\r\n",
                   base_len);
    raw_buf_add(&pipelined, base, base_len);
    raw_buf_add(&pipelined, get, strlen(get));
    const struct {
        const char *name, *req;
        size_t len;
        int answers;
    } shapes[] = {
        {"whole keep-alive GET", get, strlen(get), 1},
        {"cut in the headers", "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: b", 0, 0},
        {"cut in the body", "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{\"a",
         0, 0},
        {"annotate POST and GET pipelined", pipelined.data, pipelined.len, 2},
    };
    bool all = true;
    for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
        size_t len = shapes[k].len ? shapes[k].len : strlen(shapes[k].req);
        int ok = 0;
        for (int i = 0; i < HALF; i++)
            ok += half_closed_released(shapes[k].req, len, shapes[k].answers, i % 2 ? server : 0);
        printf("half-closed, %s: %d of %d got %d answer(s) and were closed within %.0f s (half "
               "of them sent while the server was stopped)\n",
               shapes[k].name, ok, HALF, shapes[k].answers, HALF_LIMIT_S);
        all = all && ok == HALF;
    }
    raw_buf_free(&pipelined);
    return all;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    bool prod = strcmp(argv[1], "prod") == 0;
    size_t base_len = 0;
    char *base = clams_ts_read_file(argv[3], &base_len);
    if (!base)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    const char *dev_args[] = {NULL};
    /* The half-close shapes check that a request complete before the FIN
     * is answered: --ignore-client-abort keeps that for queued requests too
     * (by default one still waiting for a worker is dropped; test_sup's
     * client_abort cases). */
    const char *prod_args[] = {"--production", "--workers", "1", "--ignore-client-abort", NULL};
    const char *env[] = {"CLAMS_NVML_LIBRARY=/nonexistent/x", "CLAMS_NVIDIA_SMI=/nonexistent/x",
                         NULL};
    clams_ts_server_t s;
    if (clams_ts_server_start(&s, argv[2], prod ? prod_args : dev_args, env, 60) != 0)
        return 1;
    port = s.port;
    pthread_t th;
    pthread_create(&th, NULL, slowloris, NULL);
    usleep(500000);
    int ok = 0, n = 20;
    for (int i = 0; i < n; i++)
        ok += normal_request(base, base_len);
    atomic_store(&stop_flag, 1);
    pthread_join(th, NULL);
    printf("slowloris (%d slow connections, 1 byte / 100 ms): %d of %d normal requests "
           "answered 200\n",
           SLOW, ok, n);
    int idle[IDLE], opened = 0;
    for (int i = 0; i < IDLE; i++)
        if ((idle[i] = open_conn()) >= 0)
            opened++;
    bool idle_ok = normal_request(base, base_len);
    printf("idle connections: %d open, a normal request %s\n", opened,
           idle_ok ? "answered 200" : "was NOT answered");
    for (int i = 0; i < IDLE; i++)
        if (idle[i] >= 0)
            close(idle[i]);
    bool half_ok = half_closed_all(s.pid, base, base_len);
    int st = clams_ts_server_stop(&s, SIGTERM, 60);
    bool clean = st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    printf("server stop: %s\n", clean ? "exit 0" : "NOT clean");
    free(base);
    return ok == n && idle_ok && half_ok && clean ? 0 : 1;
}
