/* The apps a run needs. A C app binary is started as a production server on
 * a free loopback port (`APP --production --host 127.0.0.1 --port N`); a
 * clams-python app folder (one with app.py) through the same tool's
 * `clams serve DIR --production ...`; a URL is an
 * app someone else runs. Either way the runner learns the app's identifier
 * and version from GET / (they go into every output's key and ledger line)
 * and how many requests it serves at once from /metrics.
 *
 * A started app gets its own process group (a terminal's Ctrl-C reaches the
 * runner, which then drains, not the apps, which would drop their requests)
 * and PR_SET_PDEATHSIG, so a runner killed with SIGKILL leaves no server
 * holding a GPU behind it. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/run/run.h"

typedef struct {
    char *buf;
    size_t len;
} body_t;

static size_t on_body(char *p, size_t size, size_t n, void *data)
{
    body_t *b = data;
    size_t add = size * n;
    if (b->len + add > (64u << 20))
        return 0; /* metadata and metrics are small; refuse a runaway answer */
    char *nb = realloc(b->buf, b->len + add + 1);
    if (!nb)
        return 0;
    memcpy(nb + b->len, p, add);
    b->len += add;
    nb[b->len] = '\0';
    b->buf = nb;
    return add;
}

/* GET base+path: the status (0 on a transport error, with why in err) and
 * the body (new, or NULL). */
static long http_get(const char *base, const char *path, double timeout_s, char **body, char *err,
                     size_t errsize)
{
    char url[4300];
    size_t bl = strlen(base);
    snprintf(url, sizeof url, "%.*s%s", (int)(bl && base[bl - 1] == '/' ? bl - 1 : bl), base, path);
    CURL *c = curl_easy_init();
    if (!c)
        return 0;
    body_t b = {0};
    char ebuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    long status = 0;
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else if (err)
        snprintf(err, errsize, "%s", ebuf[0] ? ebuf : curl_easy_strerror(rc));
    curl_easy_cleanup(c);
    if (body)
        *body = b.buf;
    else
        free(b.buf);
    return status;
}

/* The file-name part of an identifier: "http://apps.clams.ai/tokenizer/v1.0"
 * with version "v1.0" gives "tokenizer". Anything outside [A-Za-z0-9._-]
 * becomes '-'. */
static char *name_of(const char *identifier, const char *version)
{
    char *id = strdup(identifier ? identifier : "app");
    if (!id)
        return NULL;
    size_t n = strlen(id);
    while (n > 0 && id[n - 1] == '/')
        id[--n] = '\0';
    char *last = strrchr(id, '/');
    if (last && version && strcmp(last + 1, version) == 0 && last != id) {
        *last = '\0';
        last = strrchr(id, '/');
    }
    char *name = strdup(last ? last + 1 : id);
    free(id);
    for (char *c = name; c && *c; c++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *c))
            *c = '-';
    return name;
}

/* GET / : identifier, version and (when the pipeline gave none) the name. */
static int read_metadata(run_stage_t *s, char *err, size_t errsize)
{
    char *body = NULL;
    long st = http_get(s->url, "/", 10, &body, err, errsize);
    json_t *j = st == 200 && body ? json_loads(body, 0, NULL) : NULL;
    free(body);
    if (!j) {
        if (st != 0)
            snprintf(err, errsize, "GET / answered %ld, not app metadata", st);
        return -1;
    }
    const char *id = json_string_value(json_object_get(j, "identifier"));
    const char *ver = json_string_value(json_object_get(j, "app_version"));
    free(s->identifier);
    free(s->version);
    s->identifier = strdup(id ? id : s->url);
    s->version = strdup(ver ? ver : "");
    if (!s->name)
        s->name = name_of(id, ver);
    json_decref(j);
    return s->identifier && s->version && s->name ? 0 : -1;
}

/* Requests the app serves at once: the workers /metrics lists as spawning,
 * ready or busy (standby replacements have a state of their own and are not
 * counted: they serve only once a worker leaves); 1 for an app without
 * /metrics (clams-python's own servers). */
static int read_workers(const run_stage_t *s)
{
    char *body = NULL;
    long st = http_get(s->url, "/metrics", 5, &body, NULL, 0);
    int n = 0;
    for (char *l = st == 200 ? body : NULL; l && *l;) {
        int v = 0;
        if (sscanf(l, "clams_workers{state=\"ready\"} %d", &v) == 1 ||
            sscanf(l, "clams_workers{state=\"busy\"} %d", &v) == 1 ||
            sscanf(l, "clams_workers{state=\"spawning\"} %d", &v) == 1)
            n += v;
        char *nl = strchr(l, '\n');
        l = nl ? nl + 1 : NULL;
    }
    free(body);
    return n > 0 ? n : 1;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* In the child: its own group, death with the runner, the log as output. */
static void child_exec(const run_stage_t *s, int logfd, pid_t parent, int port)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(127);
    dup2(logfd, 1);
    dup2(logfd, 2);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
        dup2(devnull, 0);
    for (size_t i = 0; s->env && s->env[i]; i++)
        putenv(s->env[i]);
    char portbuf[16];
    snprintf(portbuf, sizeof portbuf, "%d", port);
    const char *argv[64];
    int n = 0;
    char self[4096];
    if (s->kind == RUN_APP_PYDIR) {
        ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
        self[sl > 0 ? sl : 0] = '\0';
        argv[n++] = self;
        argv[n++] = "serve";
    }
    argv[n++] = s->app;
    argv[n++] = "--production";
    argv[n++] = "--host";
    argv[n++] = "127.0.0.1";
    argv[n++] = "--port";
    argv[n++] = portbuf;
    for (size_t i = 0; s->args && s->args[i] && n < 63; i++)
        argv[n++] = s->args[i];
    argv[n] = NULL;
    execv(argv[0], (char *const *)argv);
    fprintf(stderr, "clams run: cannot execute %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Waits for /readyz while the server lives. 0, or -1 with why in err. */
static int wait_ready(run_stage_t *s, double timeout_s, char *err, size_t errsize)
{
    double until = run_now() + timeout_s;
    while (run_now() < until) {
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            snprintf(err, errsize, "the app exited while starting (%s %d; log: %.600s)",
                     WIFEXITED(status) ? "status" : "signal",
                     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), s->log_path);
            return -1;
        }
        if (http_get(s->url, "/readyz", 2, NULL, NULL, 0) == 200)
            return 0;
        usleep(50 * 1000);
    }
    snprintf(err, errsize, "not ready after %.0f s (log: %.600s)", timeout_s, s->log_path);
    return -1;
}

static int spawn(run_stage_t *s, const run_opts_t *o, const char *logdir, char *err, size_t errsize)
{
    snprintf(s->log_path, sizeof s->log_path, "%s/%02d-%s.log", logdir, s->number,
             s->name ? s->name : "app");
    int logfd = open(s->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    s->port = free_port();
    if (logfd < 0 || s->port < 0) {
        snprintf(err, errsize, "%.600s: %s", s->log_path, strerror(errno));
        if (logfd >= 0)
            close(logfd);
        return -1;
    }
    free(s->url);
    if (asprintf(&s->url, "http://127.0.0.1:%d/", s->port) < 0)
        s->url = NULL;
    pid_t parent = getpid();
    s->pid = s->url ? fork() : -1;
    if (s->pid == 0)
        child_exec(s, logfd, parent, s->port);
    close(logfd);
    if (s->pid < 0) {
        s->pid = 0;
        snprintf(err, errsize, "cannot start: %s", strerror(errno));
        return -1;
    }
    int rc = wait_ready(s, o->start_timeout_s, err, errsize);
    if (rc != 0)
        run_app_stop(s);
    return rc;
}

int run_app_start(run_stage_t *s, const run_opts_t *o, const char *logdir)
{
    char err[1024] = "";
    if (s->kind == RUN_APP_URL) {
        s->url = strdup(s->app);
        if (read_metadata(s, err, sizeof err) != 0) {
            /* Not fatal: the stage's requests are retried (and its
             * metadata read again) as for any unreachable app. */
            fprintf(stderr, "clams run: stage %d: %s: %s\n", s->number, s->app, err);
            s->workers = s->concurrency > 0 ? s->concurrency : 1;
            return 0;
        }
    } else {
        int tries = 0;
        int rc;
        /* The free port can be taken between our probe and the app's bind:
         * try a few. */
        while ((rc = spawn(s, o, logdir, err, sizeof err)) != 0 && ++tries < 3)
            ;
        if (rc != 0 || read_metadata(s, err, sizeof err) != 0) {
            fprintf(stderr, "clams run: stage %d: %s: %s\n", s->number, s->app, err);
            run_app_stop(s);
            return -1;
        }
        fprintf(stderr, "clams run: stage %d: %s started (pid %d, port %d)\n", s->number, s->name,
                (int)s->pid, s->port);
    }
    s->workers = s->concurrency > 0   ? s->concurrency
                 : o->concurrency > 0 ? o->concurrency
                                      : read_workers(s);
    return 0;
}

int run_app_meta(run_stage_t *s, char *err, size_t errsize)
{
    return s->identifier ? 0 : read_metadata(s, err, errsize);
}

bool run_app_dead(run_stage_t *s)
{
    if (s->kind == RUN_APP_URL || s->pid <= 0)
        return false;
    int status;
    if (waitpid(s->pid, &status, WNOHANG) != s->pid)
        return false;
    kill(-s->pid, SIGKILL); /* its workers, if any outlived it */
    s->pid = 0;
    return true;
}

int run_app_restart(run_stage_t *s, const run_opts_t *o, const char *logdir)
{
    if (s->restarts >= o->max_restarts) {
        s->down = true;
        return -1;
    }
    s->restarts++;
    char err[1024] = "";
    run_app_stop(s);
    if (spawn(s, o, logdir, err, sizeof err) != 0) {
        fprintf(stderr, "clams run: stage %d: %s: restart failed: %s\n", s->number, s->name, err);
        return run_app_restart(s, o, logdir);
    }
    if (s->concurrency <= 0 && o->concurrency <= 0)
        s->workers = read_workers(s);
    fprintf(stderr, "clams run: stage %d: %s restarted (pid %d, port %d; restart %d of %d)\n",
            s->number, s->name, (int)s->pid, s->port, s->restarts, o->max_restarts);
    return 0;
}

void run_app_stop(run_stage_t *s)
{
    if (s->kind == RUN_APP_URL || s->pid <= 0)
        return;
    /* SIGTERM: the production server drains (answers what it holds) and
     * exits; a bounded wait, then the whole group goes. */
    kill(s->pid, SIGTERM);
    double until = run_now() + 15;
    int status;
    while (waitpid(s->pid, &status, WNOHANG) == 0 && run_now() < until)
        usleep(20 * 1000);
    kill(-s->pid, SIGKILL);
    waitpid(s->pid, &status, WNOHANG);
    s->pid = 0;
}

void run_stage_key(run_stage_t *s, const run_stage_t *prev)
{
    if (!s->identifier || (prev && !prev->key[0])) {
        s->key[0] = '\0';
        return;
    }
    char *text = NULL;
    if (asprintf(&text, "%s\n%s\n%s\n%s\n", prev ? prev->key : "", s->identifier, s->version,
                 s->params_hash) < 0)
        return;
    clams_cli_md5_hex(text, strlen(text), s->key);
    free(text);
}

void run_keys_update(run_pipeline_t *p)
{
    for (int i = 0; i < p->nstages; i++)
        run_stage_key(&p->stages[i], i ? &p->stages[i - 1] : NULL);
}
