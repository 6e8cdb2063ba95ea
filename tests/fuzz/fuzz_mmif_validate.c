/* libFuzzer harness: the MMIF schema validator on any JSON value jansson
 * accepts (not only objects), checking that a verdict is always given and
 * that clams_mmif_load agrees with parse-then-validate. */
#include <clams/mmif.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    json_t *root = json_loadb((const char *)data, size,
                              JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
    if (!root)
        return 0;
    clams_error_t err = {0};
    int rc = clams_mmif_validate_json(root, &err);
    FUZZ_CHECK(rc == 0 || rc == CLAMS_ESCHEMA, "validate returned %d", rc);
    if (rc == CLAMS_ESCHEMA)
        FUZZ_CHECK(err.path[0] == '\0' || err.path[0] == '/', "bad JSON pointer '%s'", err.path);
    clams_error_t err2 = {0};
    clams_mmif_t *m = clams_mmif_load((const char *)data, size, &err2);
    if (json_is_object(root))
        FUZZ_CHECK((m != NULL) == (rc == 0), "load (%d) and validate (%d) disagree", m != NULL, rc);
    clams_mmif_free(m);
    json_decref(root);
    return 0;
}
