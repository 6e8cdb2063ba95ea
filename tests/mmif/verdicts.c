/* Prints "<file> valid|invalid" for each MMIF file given, as clams_mmif_load
 * judges it; compare_verdicts.py checks these against python-jsonschema. */
#include <stdio.h>

#include "clams/mmif.h"

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        clams_error_t err;
        clams_error_clear(&err);
        clams_mmif_t *m = clams_mmif_load_file(argv[i], &err);
        printf("%s %s\n", argv[i], m ? "valid" : "invalid");
        if (!m && (err.code == CLAMS_ESCHEMA) && (!err.rule[0] || !err.text[0])) {
            fprintf(stderr, "%s: schema error without rule or text\n", argv[i]);
            return 1;
        }
        clams_mmif_free(m);
    }
    return 0;
}
