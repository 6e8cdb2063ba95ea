/* The tokenizer example: the scanner's tokens, code-point offsets and
 * sentence ends on ASCII and multi-byte UTF-8 text, then the app over HTTP
 * (every Token's [start, end) in code points is its word, sentences cover
 * their tokens, parameters change the output, the output is valid MMIF). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "common.h"
#include "tokenize.h"
#include "../support/check_run.h"

typedef struct {
    const char *text;
    char words[64][32];
    size_t cps[64][2];
    bool ends[64];
    int n;
} collect_t;

static int collect(const tok_span_t *t, bool end, void *data)
{
    collect_t *c = data;
    ck_assert_int_lt(c->n, 64);
    snprintf(c->words[c->n], 32, "%.*s", (int)(t->byte_end - t->byte_start),
             c->text + t->byte_start);
    c->cps[c->n][0] = t->cp_start;
    c->cps[c->n][1] = t->cp_end;
    c->ends[c->n] = end;
    c->n++;
    return 0;
}

static collect_t scan(const char *text)
{
    collect_t c = {.text = text};
    ck_assert_int_eq(tok_scan(text, strlen(text), collect, &c), 0);
    return c;
}

START_TEST(test_ascii)
{
    collect_t c = scan("Hello, world! It's 3.14 (e-mail). Next line");
    const char *want[] = {"Hello", ",",      "world", "!", "It's", "3.14",
                          "(",     "e-mail", ")",     ".", "Next", "line"};
    ck_assert_int_eq(c.n, 12);
    for (int i = 0; i < 12; i++)
        ck_assert_str_eq(c.words[i], want[i]);
    ck_assert_int_eq((int)c.cps[2][0], 7);
    ck_assert_int_eq((int)c.cps[2][1], 12);
    bool ends[] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1};
    for (int i = 0; i < 12; i++)
        ck_assert_msg(c.ends[i] == ends[i], "token %d (%s)", i, c.words[i]);
}
END_TEST

START_TEST(test_utf8_offsets)
{
    /* é is 2 bytes, ☕ 3, 😀 4; the no-break space separates. */
    collect_t c = scan("Café ☕ naïve\xc2\xa0😀ok. «Oui.» Fin");
    const char *want[] = {"Café", "☕", "naïve", "😀ok", ".", "«", "Oui", ".", "»", "Fin"};
    size_t cps[][2] = {{0, 4},   {5, 6},   {7, 12},  {13, 16}, {16, 17},
                       {18, 19}, {19, 22}, {22, 23}, {23, 24}, {25, 28}};
    ck_assert_int_eq(c.n, 10);
    for (int i = 0; i < 10; i++) {
        ck_assert_str_eq(c.words[i], want[i]);
        ck_assert_int_eq((int)c.cps[i][0], (int)cps[i][0]);
        ck_assert_int_eq((int)c.cps[i][1], (int)cps[i][1]);
    }
    ck_assert(c.ends[4]);  /* "ok." */
    ck_assert(!c.ends[7]); /* the closing » stays in the sentence */
    ck_assert(c.ends[8]);
    ck_assert(c.ends[9]);
}
END_TEST

START_TEST(test_blank_line_and_ellipsis)
{
    collect_t c = scan("no stop here\n\n  new para... yes");
    ck_assert_int_eq(c.n, 9);
    ck_assert(c.ends[2]);                /* "here" before the blank line */
    ck_assert(!c.ends[5] && !c.ends[6]); /* dots of "..." */
    ck_assert(c.ends[7]);
    ck_assert(c.ends[8]);
    collect_t e = scan("   \n ");
    ck_assert_int_eq(e.n, 0);
}
END_TEST

/* The byte range of code points [start, end) of s. */
static char *cp_slice(const char *s, long start, long end)
{
    long cp = 0;
    const char *b = NULL, *e = NULL;
    for (const char *p = s;; p++) {
        if ((*p & 0xC0) != 0x80) {
            if (cp == start)
                b = p;
            if (cp == end) {
                e = p;
                break;
            }
            if (!*p)
                break;
            cp++;
        }
    }
    ck_assert_msg(b && e, "offsets %ld-%ld out of range", start, end);
    return strndup(b, (size_t)(e - b));
}

static const char TEXT[] = "Dr. Smith's café opened at 9.30! Ça va? «Très bien.»\n\nAu revoir ☕";

static char *mmif_with_text(void)
{
    json_t *s = json_string(TEXT);
    char *q = json_dumps(s, JSON_ENCODE_ANY), *out = NULL;
    ck_assert(asprintf(&out,
                       "{\"metadata\": {\"mmif\": \"http://mmif.clams.ai/1.1.0\"}, "
                       "\"documents\": [{\"@type\": \"http://mmif.clams.ai/vocabulary/"
                       "TextDocument/v1\", \"properties\": {\"id\": \"d1\", \"text\": "
                       "{\"@value\": %s}}}], \"views\": []}",
                       q) > 0);
    free(q);
    json_decref(s);
    return out;
}

/* A text holding U+0000 (valid JSON, written \u0000) is accepted and kept,
 * as clams-python does; it was refused with a 400 naming a jansson flag. */
START_TEST(test_http_nul_in_text)
{
    clams_ts_server_t srv;
    ck_assert_int_eq(clams_ts_server_start(&srv, TOKENIZER_PATH, NULL, NULL, 60), 0);
    const char *in = "{\"metadata\":{\"mmif\":\"http://mmif.clams.ai/1.1.0\"},\"documents\":[{"
                     "\"@type\":\"http://mmif.clams.ai/vocabulary/TextDocument/v1\",\"properties\":"
                     "{\"id\":\"d1\",\"text\":{\"@value\":\"ab\\u0000cd ef\"}}}],\"views\":[]}";
    clams_ts_response_t r;
    ck_assert_int_eq(clams_ts_post(srv.base_url, NULL, in, &r), 0);
    ck_assert_msg(r.status == 200, "%ld: %s", r.status, r.body);
    ck_assert_msg(!strstr(r.body, "JSON_"), "a library internal in the answer: %s", r.body);
    assert_valid_mmif(&r);
    json_t *d = parse_body(&r);
    json_t *text = json_object_get(
        json_object_get(
            json_object_get(json_array_get(json_object_get(d, "documents"), 0), "properties"),
            "text"),
        "@value");
    ck_assert_int_eq(json_string_length(text), 8);
    ck_assert(memcmp(json_string_value(text), "ab\0cd ef", 8) == 0);
    json_decref(d);
    clams_ts_response_free(&r);
    clams_ts_server_stop(&srv, 0, 30);
}
END_TEST

/* A TextDocument whose text is a file at its location (what `clams source
 * text:...` makes) is tokenized, not skipped. */
START_TEST(test_location_text)
{
    char path[] = "/tmp/clams-tok-text-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const char *text = "Hello there. Café cat.\r\n";
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char *in = NULL;
    ck_assert(asprintf(&in,
                       "{\"metadata\": {\"mmif\": \"http://mmif.clams.ai/1.1.0\"}, "
                       "\"documents\": [{\"@type\": \"http://mmif.clams.ai/vocabulary/"
                       "TextDocument/v1\", \"properties\": {\"id\": \"d1\", \"mime\": "
                       "\"text/plain\", \"location\": \"file://%s\"}}], \"views\": []}",
                       path) > 0);
    const char *argv[] = {TOKENIZER_PATH, "annotate", "-", "-", NULL};
    char *out = NULL, *err = NULL;
    int rc = clams_ts_run(argv, NULL, in, strlen(in), 60, &out, &err);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    json_t *d = json_loads(out, 0, NULL);
    ck_assert_ptr_nonnull(d);
    json_t *anns = json_object_get(json_array_get(json_object_get(d, "views"), 0), "annotations");
    int words = 0;
    size_t i;
    json_t *a;
    json_array_foreach (anns, i, a) {
        const char *w =
            json_string_value(json_object_get(json_object_get(a, "properties"), "word"));
        if (w && (!strcmp(w, "Hello") || !strcmp(w, "Café") || !strcmp(w, "cat")))
            words++;
    }
    ck_assert_msg(words == 3, "the location's text was not tokenized: %s", out);
    json_decref(d);
    free(out);
    free(err);
    free(in);
    unlink(path);
}
END_TEST

START_TEST(test_http_offsets)
{
    clams_ts_server_t srv;
    ck_assert_int_eq(clams_ts_server_start(&srv, TOKENIZER_PATH, NULL, NULL, 60), 0);
    char *in = mmif_with_text();
    clams_ts_response_t r;
    ck_assert_int_eq(clams_ts_post(srv.base_url, "sentenceTargets=true", in, &r), 0);
    ck_assert_int_eq((int)r.status, 200);
    assert_valid_mmif(&r);
    json_t *d = parse_body(&r);
    json_t *view = json_array_get(json_object_get(d, "views"), 0);
    size_t i;
    json_t *a;
    int tokens = 0, sentences = 0;
    json_array_foreach (json_object_get(view, "annotations"), i, a) {
        json_t *p = json_object_get(a, "properties");
        const char *type = json_string_value(json_object_get(a, "@type"));
        long st = (long)json_integer_value(json_object_get(p, "start"));
        long en = (long)json_integer_value(json_object_get(p, "end"));
        ck_assert_str_eq(json_string_value(json_object_get(p, "document")), "d1");
        char *slice = strstr(type, "Token") ? cp_slice(TEXT, st, en) : NULL;
        if (strstr(type, "Token")) {
            ck_assert_str_eq(slice, json_string_value(json_object_get(p, "word")));
            tokens++;
        } else {
            /* sentenceTargets: anchored by its tokens, not by offsets too */
            ck_assert(json_array_size(json_object_get(p, "targets")) > 0);
            ck_assert_msg(!json_object_get(p, "start") && !json_object_get(p, "end"),
                          "a Sentence with both targets and start/end");
            sentences++;
        }
        free(slice);
    }
    ck_assert_int_eq(tokens, 19);
    ck_assert_int_eq(sentences, 5); /* "Dr." ends one too: no abbreviation list */
    json_decref(d);
    clams_ts_response_free(&r);
    /* lowercase, no sentences */
    ck_assert_int_eq(clams_ts_post(srv.base_url, "lowercase=true&splitSentences=false", in, &r), 0);
    ck_assert_int_eq((int)r.status, 200);
    ck_assert_ptr_null(strstr(r.body, "Sentence/v1"));
    ck_assert_ptr_nonnull(strstr(r.body, "\"smith's\""));
    ck_assert_ptr_null(strstr(r.body, "\"Smith's\""));
    clams_ts_response_free(&r);
    clams_ts_server_stop(&srv, 0, 60);
    char *log = clams_ts_server_log(&srv);
    ck_assert_msg(!log || !strstr(log, "Sanitizer"), "server log: %s", log);
    free(log);
    unlink(srv.log_path);
    free(in);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http_tokenizer");
    TCase *tc = tcase_create("tokenizer");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_ascii);
    tcase_add_test(tc, test_utf8_offsets);
    tcase_add_test(tc, test_blank_line_and_ellipsis);
    tcase_add_test(tc, test_http_offsets);
    tcase_add_test(tc, test_http_nul_in_text);
    tcase_add_test(tc, test_location_text);
    suite_add_tcase(s, tc);
    return clams_ts_run_suite(s, false);
}
