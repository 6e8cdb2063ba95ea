/* MMIF load+validate+dump throughput and peak memory, beside bare jansson
 * (json_loadb + json_dumpb) on the same bytes, plus the tokenizer request
 * (parse a ~1 MB text, add one Token per word, dump). Each case runs in a
 * forked child so its peak RSS (getrusage) is its own.
 * usage: mmif_bench [--runs N] [--generate OUT N_ANNOTATIONS] [--tokens WORDS] FILE...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clams/mmif.h"

#include "bench_util.h"

static int runs = 5;

/* One timed pass; returns seconds, or -1 on failure. */
typedef double (*pass_fn)(const char *buf, size_t len, int flags, size_t *out_len);

static double pass_jansson(const char *buf, size_t len, int flags, size_t *out_len)
{
    double t = bench_now();
    json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
    if (!j)
        return -1;
    char *out = json_dumps(j, flags ? JSON_INDENT(2) : JSON_COMPACT);
    t = bench_now() - t;
    *out_len = out ? strlen(out) : 0;
    free(out);
    json_decref(j);
    return out ? t : -1;
}

static double pass_clams(const char *buf, size_t len, int flags, size_t *out_len)
{
    double t = bench_now();
    clams_mmif_t *m = clams_mmif_load(buf, len, NULL);
    if (!m)
        return -1;
    char *out = clams_mmif_dumps(m, flags, out_len);
    t = bench_now() - t;
    free(out);
    clams_mmif_free(m);
    return out ? t : -1;
}

/* The tokenizer request: load, one Token per space-separated word of the
 * first document's text, dump. */
static double pass_tokens(const char *buf, size_t len, int flags, size_t *out_len)
{
    double t = bench_now();
    clams_mmif_t *m = clams_mmif_load(buf, len, NULL);
    if (!m)
        return -1;
    json_t *text = json_object_get(
        json_object_get(json_object_get(clams_mmif_document_at(m, 0), "properties"), "text"),
        "@value");
    const char *s = json_string_value(text);
    size_t n = json_string_length(text);
    clams_view_t *v = clams_mmif_add_view(m);
    MUST(clams_view_set_app(v, "http://apps.clams.ai/bench-tokenizer/v1"));
    for (size_t i = 0; i < n;) {
        while (i < n && s[i] == ' ')
            i++;
        size_t start = i;
        while (i < n && s[i] != ' ')
            i++;
        if (i == start)
            break;
        clams_annotation_t *a =
            clams_view_add_annotation(v, "http://mmif.clams.ai/vocabulary/Token/v1");
        MUST(clams_annotation_set_int(a, "start", (long long)start));
        MUST(clams_annotation_set_int(a, "end", (long long)i));
        MUST(clams_annotation_set_str(a, "document", "d1"));
        MUST(clams_annotation_set_strn(a, "word", s + start, i - start));
    }
    char *out = clams_mmif_dumps(m, flags, out_len);
    t = bench_now() - t;
    free(out);
    clams_mmif_free(m);
    return out ? t : -1;
}

/* Runs `runs` passes in a child; prints median time, MB/s and peak RSS. */
static void run_case(const char *label, const char *path, pass_fn fn, int flags)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        size_t len = 0, out_len = 0;
        char *buf = bench_read_file(path, &len);
        if (!buf)
            _exit(1);
        double *t = calloc((size_t)runs, sizeof(double));
        for (int r = 0; r < runs; r++)
            if ((t[r] = fn(buf, len, flags, &out_len)) < 0)
                _exit(2);
        qsort(t, (size_t)runs, sizeof(double), bench_cmp_double);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        double med = t[runs / 2];
        printf(
            "%-34s %-7s in %7.2f MB out %7.2f MB  median %8.4f s  %8.1f MB/s  peak RSS %7.1f MiB\n",
            label, flags ? "pretty" : "compact", (double)len / 1e6, (double)out_len / 1e6, med,
            (double)len / 1e6 / med, (double)ru.ru_maxrss / 1024.0);
        fflush(stdout);
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        printf("%-34s FAILED (status %d)\n", label, st);
}

/* A valid MMIF of one view with n Token annotations. */
static int generate(const char *out, long n)
{
    clams_mmif_t *m = clams_mmif_new(NULL);
    MUST(clams_mmif_add_text_document(m, NULL, "d1", "placeholder text", "en"));
    clams_view_t *v = clams_mmif_add_view(m);
    MUST(clams_view_set_app(v, "http://apps.clams.ai/bench-generator/v1"));
    for (long i = 0; i < n; i++) {
        clams_annotation_t *a =
            clams_view_add_annotation(v, "http://mmif.clams.ai/vocabulary/Token/v1");
        MUST(clams_annotation_set_int(a, "start", i * 6));
        MUST(clams_annotation_set_int(a, "end", i * 6 + 5));
        MUST(clams_annotation_set_str(a, "document", "d1"));
        MUST(clams_annotation_set_str(a, "word", i % 3 ? "token" : "wörd\"s"));
        MUST(clams_annotation_set_real(a, "score", (double)(i % 1000) / 7.0));
    }
    FILE *f = fopen(out, "w");
    int rc = f ? clams_mmif_dump_fd(m, 0, fileno(f)) : -1;
    if (f)
        fclose(f);
    clams_mmif_free(m);
    return rc;
}

/* A MMIF whose only document is ~words*6 bytes of text. */
static int generate_text(const char *out, long words)
{
    char *text = malloc((size_t)words * 6 + 1);
    static const char *w[] = {"alpha", "beta", "gamma", "delta", "ab", "x"};
    size_t n = 0;
    for (long i = 0; i < words; i++) {
        size_t k = strlen(w[i % 6]);
        memcpy(text + n, w[i % 6], k);
        n += k;
        text[n++] = ' ';
    }
    text[n] = '\0';
    clams_mmif_t *m = clams_mmif_new(NULL);
    MUST(clams_mmif_add_text_document(m, NULL, "d1", text, "en"));
    free(text);
    FILE *f = fopen(out, "w");
    int rc = f ? clams_mmif_dump_fd(m, 0, fileno(f)) : -1;
    if (f)
        fclose(f);
    clams_mmif_free(m);
    return rc;
}

int main(int argc, char **argv)
{
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--generate") == 0 && i + 2 < argc) {
            if (generate(argv[i + 1], atol(argv[i + 2])) != 0)
                return 1;
            i += 2;
        } else if (strcmp(argv[i], "--tokens") == 0 && i + 2 < argc) {
            if (generate_text(argv[i + 1], atol(argv[i + 2])) != 0)
                return 1;
            run_case("tokenizer request (clams)", argv[i + 1], pass_tokens, 0);
            run_case("tokenizer request (clams)", argv[i + 1], pass_tokens, 1);
            i += 2;
        } else {
            break;
        }
    }
    if (runs < 1)
        runs = 1;
    for (; i < argc; i++) {
        const char *base = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
        char label[64];
        for (int flags = 0; flags <= 1; flags++) {
            snprintf(label, sizeof(label), "%.24s jansson", base);
            run_case(label, argv[i], pass_jansson, flags);
            snprintf(label, sizeof(label), "%.24s clams", base);
            run_case(label, argv[i], pass_clams, flags);
        }
    }
    return 0;
}
