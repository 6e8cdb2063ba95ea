/* http_floor: the fastest a libmicrohttpd server on this machine can answer
 * the development server's traffic. It reads the request body without
 * parsing it and answers with a fixed body of the same size, using the same
 * MHD threading mode as the development server, so bench/20-http.sh can
 * report the app server's throughput as a fraction of this floor.
 * Usage: http_floor PORT [ANSWER_BYTES]  (the second form answers a fixed
 * size instead, to compare with an app whose output is larger than its input) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#define MAX_ANSWER ((size_t)64 << 20)

static char *answer;      /* MAX_ANSWER bytes of filler, shared by every response */
static size_t fixed_size; /* 0: answer the request's size */

typedef struct {
    size_t received;
} req_t;

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls)
{
    req_t *req = *con_cls;
    if (!req) {
        *con_cls = calloc(1, sizeof(req_t));
        return *con_cls ? MHD_YES : MHD_NO;
    }
    if (*upload_data_size) {
        req->received += *upload_data_size;
        *upload_data_size = 0;
        return MHD_YES;
    }
    size_t n = fixed_size ? fixed_size : req->received ? req->received : 2;
    if (n > MAX_ANSWER)
        n = MAX_ANSWER;
    struct MHD_Response *r = MHD_create_response_from_buffer(n, answer, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    free(*con_cls);
    *con_cls = NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: %s PORT [ANSWER_BYTES]\n", argv[0]);
        return 2;
    }
    if (argc == 3)
        fixed_size = strtoull(argv[2], NULL, 10);
    answer = malloc(MAX_ANSWER);
    if (!answer)
        return 1;
    memset(answer, ' ', MAX_ANSWER);
    answer[0] = '{';
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, (uint16_t)atoi(argv[1]), NULL, NULL,
        handler, NULL, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "cannot listen on port %s\n", argv[1]);
        return 1;
    }
    int sig;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    free(answer);
    return 0;
}
