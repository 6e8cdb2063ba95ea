/* The whole annotate pipeline in-process, without HTTP: envelope, parse,
 * validate, refine parameters, annotate, sign, stamp, check, dump, as the
 * development server and the workers run it per request. The app is a small
 * tokenizer-like annotate (Token with start/end/word/document, Sentence per
 * '.'), so the figures match the tokenizer example's request cost.
 * usage: pipeline_bench [--runs R] [--iters N] [--query "k=v&..."] [--default-heap] [FILE]
 * (--default-heap: leave glibc malloc untuned, as it was before the servers
 * called clams__malloc_tune)
 *   without FILE: the ~2 KB TextDocument MMIF of bench/20-http.sh.
 * Prints the median over R batches of N requests: microseconds per request,
 * output bytes, and microseconds per output annotation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/pipeline.h"
#include "clams/clams.h"
#include "common/internal.h"

#include "bench_util.h"

#define VOCAB "http://mmif.clams.ai/vocabulary/"

static size_t last_anns;

static int bench_annotate(clams_annotate_ctx_t *ctx, clams_mmif_t *mmif, const clams_params_t *p)
{
    (void)p;
    clams_view_t *v = clams_annotate_add_view(ctx, mmif);
    if (!v)
        return clams_annotate_fail(ctx, "no view");
    MUST(clams_view_add_contains_new(v, VOCAB "Token/v1", NULL));
    MUST(clams_view_add_contains_new(v, VOCAB "Sentence/v1", NULL));
    size_t nanns = 0;
    for (size_t d = 0; d < clams_mmif_document_count(mmif); d++) {
        json_t *props = json_object_get(clams_mmif_document_at(mmif, d), "properties");
        const char *id = json_string_value(json_object_get(props, "id"));
        json_t *tj = json_object_get(json_object_get(props, "text"), "@value");
        const char *t = json_string_value(tj);
        size_t n = json_string_length(tj), i = 0, sent = 0;
        while (t && i < n) {
            while (i < n && t[i] == ' ')
                i++;
            if (i >= n)
                break;
            size_t s = i;
            if (t[i] == '.' || t[i] == ',')
                i++;
            else
                while (i < n && t[i] != ' ' && t[i] != '.' && t[i] != ',')
                    i++;
            clams_annotation_t *a = clams_view_add_annotation(v, VOCAB "Token/v1");
            MUST(clams_annotation_set_int(a, "start", (long long)s));
            MUST(clams_annotation_set_int(a, "end", (long long)i));
            MUST(clams_annotation_set_strn(a, "word", t + s, i - s));
            MUST(clams_annotation_set_str(a, "document", id));
            nanns++;
            if (t[s] == '.') {
                clams_annotation_t *se = clams_view_add_annotation(v, VOCAB "Sentence/v1");
                MUST(clams_annotation_set_int(se, "start", (long long)sent));
                MUST(clams_annotation_set_int(se, "end", (long long)i));
                MUST(clams_annotation_set_str(se, "document", id));
                sent = i + 1;
                nanns++;
            }
        }
    }
    last_anns = nanns;
    return 0;
}

static const clams_param_spec_t params[] = {
    {.name = "splitSentences",
     .description = "x",
     .type = CLAMS_PARAM_BOOLEAN,
     .default_value = "true"},
    {.name = "lowercase",
     .description = "x",
     .type = CLAMS_PARAM_BOOLEAN,
     .default_value = "false"},
    {0},
};
static const clams_io_spec_t inputs[] = {{.type = VOCAB "TextDocument/v1"}, {0}};
static const clams_io_spec_t outputs[] = {
    {.type = VOCAB "Token/v1"}, {.type = VOCAB "Sentence/v1"}, {0}};

static const clams_app_t app = {
    .name = "pipeline bench",
    .description = "tokenizer-like app for the pipeline benchmark",
    .app_version = "v1.0",
    .app_license = "Apache-2.0",
    .identifier = "pipeline-bench",
    .url = "https://example.org/pipeline-bench",
    .input = inputs,
    .output = outputs,
    .parameters = params,
    .annotate = bench_annotate,
};

static char *small_mmif(size_t *len)
{
    static const char sentence[] =
        "Archives chain dozens of CLAMS apps into pipelines over thousands of hours. ";
    size_t cap = 24 * sizeof(sentence) + 512;
    char *b = malloc(cap);
    int n = snprintf(b, cap,
                     "{\"metadata\": {\"mmif\": \"http://mmif.clams.ai/1.1.0\"}, "
                     "\"documents\": [{\"@type\": \"http://mmif.clams.ai/vocabulary/"
                     "TextDocument/v1\", \"properties\": {\"id\": \"d1\", \"text\": "
                     "{\"@value\": \"");
    for (int i = 0; i < 24; i++)
        n += snprintf(b + n, cap - (size_t)n, "%s", sentence);
    n += snprintf(b + n, cap - (size_t)n, "\"}}}], \"views\": []}");
    *len = (size_t)n;
    return b;
}

int main(int argc, char **argv)
{
    int runs = 5, iters = 2000;
    const char *file = NULL, *query = "";
    int tune_heap = 1; /* as the servers do; --default-heap measures without */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc)
            iters = atoi(argv[++i]);
        else if (strcmp(argv[i], "--query") == 0 && i + 1 < argc)
            query = argv[++i];
        else if (strcmp(argv[i], "--default-heap") == 0)
            tune_heap = 0;
        else
            file = argv[i];
    }
    if (runs < 1 || runs > 100 || iters < 1)
        return 2;
    if (tune_heap && clams__malloc_tune() < 0)
        return 1;
    size_t len;
    char *body = file ? bench_read_file(file, &len) : small_mmif(&len);
    clams_error_t err = {0};
    clams__app_rt_t *rt = clams__app_rt_new(&app, &err);
    clams__query_t q = {0};
    if (!body || !rt || clams__query_parse(&q, query) != 0) {
        fprintf(stderr, "setup failed: %s\n", err.text);
        return 1;
    }
    double med[100];
    size_t out_len = 0;
    for (int r = 0; r < runs; r++) {
        double t = bench_now();
        for (int i = 0; i < iters; i++) {
            clams__response_t resp;
            if (clams__app_rt_annotate(rt, &q, body, len, &resp) != 0 || resp.status != 200) {
                fprintf(stderr, "request failed: %d %.*s\n", resp.status, 300,
                        resp.body ? resp.body : "");
                return 1;
            }
            out_len = resp.len;
            clams__response_free(&resp);
        }
        med[r] = (bench_now() - t) / iters;
    }
    qsort(med, (size_t)runs, sizeof(double), bench_cmp_double);
    double us = med[runs / 2] * 1e6;
    printf("input %zu bytes, output %zu bytes, %zu annotations: median %.2f us/request "
           "(%d x %d), %.3f us/annotation, %.0f requests/s\n",
           len, out_len, last_anns, us, runs, iters, us / (double)(last_anns ? last_anns : 1),
           1e6 / us);
    clams__query_free(&q);
    clams__app_rt_free(rt);
    free(body);
    return 0;
}
