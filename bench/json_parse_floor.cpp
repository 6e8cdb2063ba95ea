// What parsing a request body costs with the JSON parser clams-c uses
// (jansson's json_loadb) against simdjson, the fastest parser Debian
// packages, both on the same file. Two simdjson figures: its own DOM, and
// its DOM turned into the jansson tree the MMIF model is built on, which is
// what replacing json_loadb in the pipeline would cost. Built only when
// libsimdjson-dev is installed (bench/CMakeLists.txt); C++ because
// simdjson is. Evidence for the parse share of docs/performance.md.
// usage: json_parse_floor [--iters N] [--runs R] FILE...
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <jansson.h>
#include <simdjson.h>

#include "bench_util.h"

namespace {

json_t *to_jansson(simdjson::dom::element e);

json_t *array_to_jansson(simdjson::dom::array a)
{
    json_t *out = json_array();
    for (simdjson::dom::element v : a)
        json_array_append_new(out, to_jansson(v));
    return out;
}

json_t *object_to_jansson(simdjson::dom::object o)
{
    json_t *out = json_object();
    for (simdjson::dom::key_value_pair kv : o)
        json_object_setn_new_nocheck(out, kv.key.data(), kv.key.size(), to_jansson(kv.value));
    return out;
}

// simdjson has already checked UTF-8, so jansson's _nocheck constructors.
json_t *to_jansson(simdjson::dom::element e)
{
    switch (e.type()) {
    case simdjson::dom::element_type::OBJECT: return object_to_jansson(e.get_object().value());
    case simdjson::dom::element_type::ARRAY: return array_to_jansson(e.get_array().value());
    case simdjson::dom::element_type::STRING: {
        std::string_view s = e.get_string().value();
        return json_stringn_nocheck(s.data(), s.size());
    }
    case simdjson::dom::element_type::INT64: return json_integer(e.get_int64().value());
    case simdjson::dom::element_type::UINT64:
        return json_real(static_cast<double>(e.get_uint64().value()));
    case simdjson::dom::element_type::DOUBLE: return json_real(e.get_double().value());
    case simdjson::dom::element_type::BOOL: return json_boolean(e.get_bool().value());
    default: return json_null();
    }
}

struct timing {
    double us;
    bool ok;
};

template <typename F> timing median_us(int runs, int iters, F &&once)
{
    double med[100];
    bool ok = true;
    for (int r = 0; r < runs; r++) {
        double t = bench_now();
        for (int i = 0; i < iters; i++)
            ok = once() && ok;
        med[r] = (bench_now() - t) / iters;
    }
    qsort(med, static_cast<size_t>(runs), sizeof(double), bench_cmp_double);
    return {med[runs / 2] * 1e6, ok};
}

} // namespace

int main(int argc, char **argv)
{
    int iters = 2000, runs = 5, status = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--iters") && i + 1 < argc) {
            iters = atoi(argv[++i]);
            continue;
        }
        if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
            runs = atoi(argv[++i]);
            continue;
        }
        if (iters < 1 || runs < 1 || runs > 100)
            return 2;
        size_t len;
        char *body = bench_read_file(argv[i], &len);
        if (!body) {
            fprintf(stderr, "cannot read %s\n", argv[i]);
            return 1;
        }
        simdjson::padded_string padded(body, len);
        simdjson::dom::parser parser;
        // Correctness first: both parsers must build the same tree.
        json_error_t jerr;
        json_t *ref = json_loadb(body, len, 0, &jerr);
        simdjson::dom::element root;
        if (!ref || parser.parse(padded).get(root)) {
            fprintf(stderr, "%s: not parsed by both\n", argv[i]);
            return 1;
        }
        json_t *conv = to_jansson(root);
        bool same = json_equal(ref, conv);
        json_decref(conv);
        json_decref(ref);
        int n = len > (1 << 20) / 2 ? (iters / 200 > 5 ? iters / 200 : 5) : iters;
        timing jan = median_us(runs, n, [&] {
            json_t *j = json_loadb(body, len, 0, &jerr);
            json_decref(j);
            return j != nullptr;
        });
        timing sj = median_us(runs, n, [&] {
            simdjson::dom::element el;
            return parser.parse(padded).get(el) == simdjson::SUCCESS;
        });
        timing sjj = median_us(runs, n, [&] {
            simdjson::dom::element el;
            if (parser.parse(padded).get(el))
                return false;
            json_t *j = to_jansson(el);
            json_decref(j);
            return j != nullptr;
        });
        printf("%s (%zu bytes), median of %d x %d:\n", argv[i], len, runs, n);
        printf("  jansson json_loadb           %10.2f us\n", jan.us);
        printf("  simdjson DOM                 %10.2f us  (%.1fx faster)\n", sj.us, jan.us / sj.us);
        printf("  simdjson DOM -> jansson tree %10.2f us  (%.1fx faster), same tree: %s\n",
               sjj.us, jan.us / sjj.us, same ? "yes" : "NO");
        if (!jan.ok || !sj.ok || !sjj.ok || !same)
            status = 1;
        free(body);
    }
    return status;
}
