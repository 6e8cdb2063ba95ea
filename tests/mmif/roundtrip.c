/* Load + dump (compact and pretty) of each valid MMIF file must give JSON
 * equal to the file's own (json_equal: same values, any key order). */
#include <stdio.h>
#include <stdlib.h>

#include "clams/mmif.h"

static int check(const char *path, json_t *orig, const clams_mmif_t *m, int flags)
{
    size_t len = 0;
    char *out = clams_mmif_dumps(m, flags, &len);
    json_error_t jerr;
    json_t *back = out ? json_loadb(out, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    int bad = !back || !json_equal(orig, back);
    if (bad)
        fprintf(stderr, "%s: %s dump differs%s%s\n", path, flags ? "pretty" : "compact",
                back ? "" : ": ", back ? "" : (out ? jerr.text : "no output"));
    json_decref(back);
    free(out);
    return bad;
}

int main(int argc, char **argv)
{
    int failures = 0;
    for (int i = 1; i < argc; i++) {
        clams_error_t err;
        clams_error_clear(&err);
        json_error_t jerr;
        json_t *orig = json_load_file(argv[i], 0, &jerr);
        clams_mmif_t *m = clams_mmif_load_file(argv[i], &err);
        if (!orig || !m) {
            fprintf(stderr, "%s: cannot load: %s\n", argv[i], m ? jerr.text : err.text);
            failures++;
        } else {
            failures += check(argv[i], orig, m, 0);
            failures += check(argv[i], orig, m, CLAMS_DUMP_PRETTY);
            json_t *tj = clams_mmif_to_json(m);
            if (!json_equal(orig, tj)) {
                fprintf(stderr, "%s: to_json differs\n", argv[i]);
                failures++;
            }
            json_decref(tj);
        }
        json_decref(orig);
        clams_mmif_free(m);
    }
    printf("%d files, %d failures\n", argc - 1, failures);
    return failures != 0;
}
