#!/usr/bin/python3
"""Writes the hostile request corpus, one file per case, into cases/.
Run it again after editing; the files are what the runner reads (and what
gets reviewed), this script only saves typing. Format: README.md."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases")
BASE = json.load(open(os.path.join(HERE, "base.mmif.json")))
BANNER = "Invalid input data. See below for validation error."
TD = "http://mmif.clams.ai/vocabulary/TextDocument/v1"
cases = []


def case(name, note, expect, body=b"", **kw):
    cases.append((name, note, expect, body, kw))


def dumps(o):
    return json.dumps(o).encode()


def with_view_props(props):
    d = json.loads(json.dumps(BASE))
    d["views"] = [{"id": "v_0", "metadata": {"app": "http://apps.clams.ai/other/v1",
                   "contains": {}}, "annotations": [
        {"@type": "http://mmif.clams.ai/vocabulary/Annotation/v6",
         "properties": dict({"id": "a1"}, **props)}]}]
    return d


def bad_input(name, note, body, *more):
    case(name, note, dict(status="400", ctype="text/plain", body=[BANNER] + list(more)), body)


def bad_param(name, note, query, *more, **kw):
    case(name, note, dict(status="400", ctype="application/json",
                          body=['"error"'] + list(more)), dumps(BASE), target="/?" + query,
         **kw)


def ok(name, note, body=None, target="/", *more, **kw):
    case(name, note, dict(status="200", ctype="application/json", body=["rel-test"] + list(more)),
         dumps(BASE) if body is None else body, target=target, **kw)


base_s = dumps(BASE)
# ---- JSON syntax ------------------------------------------------------------
bad_input("json_empty_body", "no body at all", b"")
bad_input("json_truncated", "the document stops mid-string", base_s[:40])
bad_input("json_truncated_half", "half of a valid document", base_s[:len(base_s) // 2])
bad_input("json_trailing_garbage", "a valid document followed by junk", base_s + b" xyz")
bad_input("json_two_documents", "two documents back to back", base_s + base_s)
bad_input("json_single_quotes", "Python-style quotes", b"{'metadata': {}}")
bad_input("json_trailing_comma", "a comma before }", b'{"metadata": {"mmif": "x"},}')
bad_input("json_nan", "NaN is not JSON", b'{"metadata": NaN}')
bad_input("json_comment", "comments are not JSON", b'/* hi */ {"metadata": {}}')
bad_input("json_null", "the literal null", b"null")
bad_input("json_number", "a bare number", b"42")
bad_input("json_string", "a bare string", b'"mmif"')
bad_input("json_empty_array", "an array, not an object", b"[]")
bad_input("json_empty_object", "an object without the required keys", b"{}")
bad_input("json_bom", "a UTF-8 byte order mark first", b"\xef\xbb\xbf" + base_s)
bad_input("utf8_invalid_byte", "0xFF inside a string",
          base_s.replace(b"Hello", b"Hel\xfflo"))
bad_input("utf8_overlong", "overlong encoding of '/'", base_s.replace(b"Hello", b"\xc0\xafHello"))
bad_input("utf8_truncated_sequence", "a 3-byte sequence cut short",
          base_s.replace(b"Hello", b"\xe2\x82Hello"))
bad_input("utf8_surrogate_encoded", "a surrogate encoded in UTF-8 (CESU)",
          base_s.replace(b"Hello", b"\xed\xa0\x80Hello"))
bad_input("json_lone_surrogate_escape", "\\ud800 alone",
          base_s.replace(b"Hello", b"\\ud800Hello"))
case("json_nul_escape", "\\u0000 inside a string is valid JSON: kept, as clams-python does",
     dict(status="200", ctype="application/json", body=['\\u0000Hello']),
     base_s.replace(b"Hello", b"\\u0000Hello"))
bad_input("json_raw_control_char", "a raw 0x01 in a string", base_s.replace(b"Hello", b"\x01Hello"))
bad_input("json_raw_nul_byte", "a raw NUL byte in the body", base_s.replace(b"Hello", b"\x00Hello"))
bad_input("json_bad_escape", "\\q is no escape", base_s.replace(b"Hello", b"\\qHello"))
case("deep_arrays_100000", "100000 nested arrays, closed",
     dict(status="400", ctype="text/plain", body=[BANNER, "depth"]),
     gen='"{\\"metadata\\": {\\"mmif\\": \\"http://mmif.clams.ai/1.1.0\\"}, \\"documents\\": " + '
         '"["*100000 + "]"*100000 + ", \\"views\\": []}"')
case("deep_objects_100000", "100000 nested objects, closed",
     dict(status="400", ctype="text/plain", body=[BANNER, "depth"]),
     gen='"{\\"a\\":"*100000 + "1" + "}"*100000')
case("deep_arrays_unclosed", "100000 [ and nothing else",
     dict(status="400", ctype="text/plain", body=[BANNER]), gen='"["*100000')
ok("deep_props_1000", "an annotation property nested 1000 deep (under the parser's limit)",
   json.dumps(with_view_props({"x": 0})).replace('"x": 0', '"x": ' + "[" * 1000 + "]" * 1000)
   .encode())
bad_input("number_overflow", "1e999999 does not fit a double",
          dumps(with_view_props({"x": 0})).replace(b'"x": 0', b'"x": 1e999999'))
bad_input("integer_overflow", "an integer beyond 64 bits",
          dumps(with_view_props({"x": 0})).replace(b'"x": 0', b'"x": 99999999999999999999999'))
case("number_100000_digits", "an integer with 100000 digits",
     dict(status="400", ctype="text/plain", body=[BANNER]),
     gen='"{\\"metadata\\": {\\"mmif\\": \\"http://mmif.clams.ai/1.1.0\\"}, \\"x\\": " + '
         '"9"*100000 + "}"')
ok("number_underflow", "1e-999999 rounds to 0",
   dumps(with_view_props({"x": 0})).replace(b'"x": 0', b'"x": 1e-999999'))
ok("number_negative_zero", "-0 and -0.0",
   dumps(with_view_props({"x": 0})).replace(b'"x": 0', b'"x": [-0, -0.0, 1E+2]'))
case("huge_string_900k", "a 900000-byte text value (under the 1 MiB limit)",
     dict(status="200", ctype="application/json", body=["rel-test"]),
     gen='"{\\"metadata\\": {\\"mmif\\": \\"http://mmif.clams.ai/1.1.0\\"}, \\"documents\\": '
         '[{\\"@type\\": \\"' + TD + '\\", \\"properties\\": {\\"id\\": \\"d1\\", \\"text\\": '
         '{\\"@value\\": \\"" + "x"*900000 + "\\"}}}], \\"views\\": []}"')
case("huge_key_500k", "a 500000-byte property name",
     dict(status="200", ctype="application/json", body=["rel-test"]),
     gen='"{\\"metadata\\": {\\"mmif\\": \\"http://mmif.clams.ai/1.1.0\\"}, \\"documents\\": '
         '[{\\"@type\\": \\"' + TD + '\\", \\"properties\\": {\\"id\\": \\"d1\\", \\"" + '
         '"k"*500000 + "\\": 1}}], \\"views\\": []}"')
many = {"metadata": {"mmif": "http://mmif.clams.ai/1.1.0"}, "views": [], "documents": [
    {"@type": TD, "properties": {"id": "d%d" % i, "text": {"@value": "x"}}} for i in range(8000)]}
ok("many_documents_8000", "8000 TextDocuments: 8000 annotations out", dumps(many))
bad_input("duplicate_top_key", "metadata twice",
          b'{"metadata": {"mmif": "http://mmif.clams.ai/1.1.0"}, "metadata": {"mmif": "x"}, '
          b'"documents": [], "views": []}', "duplicate")
bad_input("duplicate_nested_key", "a duplicate key deep in a document",
          base_s.replace(b'"id": "d1"', b'"id": "d1", "id": "d2"'), "duplicate")
case("duplicate_document_ids", "two documents with the same id (schema-valid)",
     dict(status="200|400", body=[]),
     dumps(dict(BASE, documents=BASE["documents"] * 2)))

# ---- MMIF shapes ------------------------------------------------------------
def shape(name, note, mutate):
    d = json.loads(json.dumps(BASE))
    mutate(d)
    bad_input(name, note, dumps(d))


shape("mmif_no_metadata", "metadata missing", lambda d: d.pop("metadata"))
shape("mmif_no_version", "metadata.mmif missing", lambda d: d["metadata"].pop("mmif"))
shape("mmif_metadata_string", "metadata is a string", lambda d: d.update(metadata="x"))
shape("mmif_version_number", "metadata.mmif is a number", lambda d: d["metadata"].update(mmif=1))
shape("mmif_documents_object", "documents is an object", lambda d: d.update(documents={}))
shape("mmif_no_views", "views missing", lambda d: d.pop("views"))
shape("mmif_views_null", "views is null", lambda d: d.update(views=None))
shape("mmif_extra_top_key", "an unknown top-level key", lambda d: d.update(extra=1))
shape("mmif_doc_no_type", "a document without @type", lambda d: d["documents"][0].pop("@type"))
shape("mmif_doc_type_number", "@type is a number", lambda d: d["documents"][0].update({"@type": 5}))
shape("mmif_doc_type_empty", "@type is empty", lambda d: d["documents"][0].update({"@type": ""}))
shape("mmif_doc_no_id", "a document without id",
      lambda d: d["documents"][0]["properties"].pop("id"))
shape("mmif_doc_id_number", "id is a number",
      lambda d: d["documents"][0]["properties"].update(id=7))
# The schema's "text" definition is not referenced by annotationProperties:
# these two are schema-valid, and accepted like python-jsonschema accepts them.
d1 = json.loads(json.dumps(BASE)); d1["documents"][0]["properties"]["text"] = {"@value": 5}
ok("mmif_text_value_number", "text @value is a number (the schema allows it)", dumps(d1))
d2 = json.loads(json.dumps(BASE)); d2["documents"][0]["properties"]["text"]["x"] = 1
ok("mmif_text_extra_key", "text has an unknown key (the schema allows it)", dumps(d2))
shape("mmif_doc_is_array", "a document that is an array", lambda d: d.update(documents=[[]]))
shape("mmif_view_no_id", "a view without id",
      lambda d: d.update(views=[{"metadata": {"app": "http://a.b/c", "contains": {}},
                                 "annotations": []}]))
shape("mmif_view_no_app", "view metadata without app",
      lambda d: d.update(views=[{"id": "v_0", "metadata": {"contains": {}}, "annotations": []}]))
shape("mmif_view_contains_array", "contains is an array",
      lambda d: d.update(views=[{"id": "v_0", "metadata": {"app": "http://a.b/c", "contains": []},
                                 "annotations": []}]))
shape("mmif_view_contains_bad_key", "a contains key that is not a URI",
      lambda d: d.update(views=[{"id": "v_0", "metadata": {"app": "http://a.b/c",
                                 "contains": {"Token": {}}}, "annotations": []}]))
shape("mmif_view_annotations_object", "annotations is an object",
      lambda d: d.update(views=[{"id": "v_0", "metadata": {"app": "http://a.b/c", "contains": {}},
                                 "annotations": {}}]))
shape("mmif_view_error_no_message", "an error without message",
      lambda d: d.update(views=[{"id": "v_0", "metadata": {"app": "http://a.b/c", "error": {}},
                                 "annotations": []}]))
shape("mmif_annotation_no_properties", "an annotation without properties",
      lambda d: d.update(views=[{"id": "v_0", "metadata": {"app": "http://a.b/c", "contains": {}},
                                 "annotations": [{"@type": "http://x.y/T"}]}]))
shape("mmif_view_both_contains_error", "contains and error together (oneOf)",
      lambda d: d.update(views=[{"id": "v_0", "metadata": {"app": "http://a.b/c", "contains": {},
                                 "error": {"message": "m"}}, "annotations": []}]))

# ---- envelopes --------------------------------------------------------------
def env(name, note, obj, expect):
    case(name, note, expect, dumps(obj) if not isinstance(obj, bytes) else obj)


OKJ = dict(status="200", ctype="application/json", body=["rel-test"])
ENV400 = lambda *m: dict(status="400", ctype="text/plain", body=[BANNER] + list(m))
env("envelope_object", "parameters {} and mmif as an object", {"parameters": {}, "mmif": BASE}, OKJ)
env("envelope_string", "mmif as a JSON string", {"parameters": {}, "mmif": json.dumps(BASE)}, OKJ)
env("envelope_params_array", "parameters is an array", {"parameters": [], "mmif": BASE},
    ENV400("Envelope error", "parameters"))
env("envelope_params_string", "parameters is a string", {"parameters": "count=2", "mmif": BASE},
    ENV400("Envelope error"))
env("envelope_params_null", "parameters is null", {"parameters": None, "mmif": BASE},
    ENV400("Envelope error"))
env("envelope_no_mmif", "the mmif key is missing", {"parameters": {}}, ENV400("mmif"))
env("envelope_mmif_not_json", "mmif is a string that is not JSON",
    {"parameters": {}, "mmif": "{not json"}, ENV400("Envelope error"))
env("envelope_mmif_number", "mmif is a number", {"parameters": {}, "mmif": 42}, ENV400())
env("envelope_mmif_invalid", "mmif is an object without views",
    {"parameters": {}, "mmif": {"metadata": {"mmif": "http://mmif.clams.ai/1.1.0"},
                                "documents": []}}, ENV400())
env("envelope_bad_count", "an integer parameter given a word",
    {"parameters": {"count": "abc"}, "mmif": BASE},
    dict(status="400", ctype="application/json", body=['"error"', "count"]))
env("envelope_good_count", "an integer parameter as a JSON number",
    {"parameters": {"count": 5}, "mmif": BASE}, dict(OKJ, body=["rel-test", '"count":5']))
env("envelope_bad_choice", "a multivalued choice out of range",
    {"parameters": {"labels": ["A", "D"]}, "mmif": BASE},
    dict(status="400", ctype="application/json", body=['"error"', "labels"]))
env("envelope_map", "a map parameter as an object", {"parameters": {"labelMap": {"k": "v"}},
                                                      "mmif": BASE}, OKJ)
env("envelope_nested_value", "an undefined parameter with a nested value",
    {"parameters": {"nested": {"a": {"b": [1, 2]}}}, "mmif": BASE}, OKJ)
env("envelope_10000_params", "10000 undefined parameters",
    {"parameters": {"p%d" % i: i for i in range(10000)}, "mmif": BASE}, OKJ)
case("envelope_deep_mmif_string", "mmif string holding 100000 nested arrays",
     ENV400("Envelope error"),
     gen='"{\\"parameters\\": {}, \\"mmif\\": \\"" + "["*100000 + "\\"}"')
env("envelope_fail_param", "the envelope asks the app to fail",
    {"parameters": {"fault": "fail"}, "mmif": BASE},
    dict(status="500", ctype="application/json", body=['"error"', "failed on purpose"]))

# ---- runtime parameters -------------------------------------------------------
bad_param("param_int_word", "count=abc", "count=abc", "count")
bad_param("param_int_float", "count=1.5", "count=1.5", "count")
bad_param("param_int_huge", "count beyond 64 bits", "count=99999999999999999999999", "count")
bad_param("param_int_empty", "count= (empty)", "count=", "count")
bad_param("param_number_word", "ratio=abc", "ratio=abc", "ratio")
bad_param("param_number_hex", "ratio=0x10 (Python float() refuses hex)", "ratio=0x10", "ratio")
ok("param_number_inf", "ratio=1e999 is inf for Python", target="/?ratio=1e999")
ok("param_number_nan", "ratio=nan", target="/?ratio=nan")
bad_param("param_choice", "mode=medium", "mode=medium", "mode")
bad_param("param_multi_choice", "labels=A&labels=D: element by element", "labels=A&labels=D",
          "labels")
ok("param_multi_ok", "labels=A&labels=B&labels=C", target="/?labels=A&labels=B&labels=C")
bad_param("param_map_no_colon", "a map value without ':'", "labelMap=novalue", "labelMap")
ok("param_map_many", "200 map entries", target="/?" + "&".join(
    "labelMap=k%d:v%d" % (i, i) for i in range(200)))
ok("param_bool_garbage", "flag=garbage is true (only False/false/F/f/0 are false)",
   target="/?flag=garbage")
ok("param_repeated_single", "count=1&count=2: the first wins", target="/?count=1&count=2")
ok("param_pretty_odd", "pretty=maybe", target="/?pretty=maybe")
ok("param_undefined_300", "300 undefined parameters",
   target="/?" + "&".join("u%d=%d" % (i, i) for i in range(300)))
case("param_undefined_1000", "1000 undefined parameters (9 KB of query)",
     dict(status="200"), dumps(BASE),
     target="/?" + "&".join("u%d=%d" % (i, i) for i in range(1000)), timeout="15")
case("param_same_undefined_2000", "one undefined parameter 2000 times",
     dict(status="200"), dumps(BASE), target="/?" + "&".join(["u=1"] * 2000),
     timeout="15")
ok("param_long_value_16k", "a 16 KiB value", target="/?labelMap=k:" + "v" * 16384)
ok("param_nul_escape", "count=1%002: a NUL cuts the value", target="/?count=1%002")
ok("param_bad_escapes", "%zz and a lone %", target="/?count=1&u=%zz%&v=%")
ok("param_only_separators", "?&&&==&=", target="/?&&&==&=")
ok("param_no_value", "?flag (no '=')", target="/?flag")
ok("param_key_utf8", "a UTF-8 key and value", target="/?%C3%A9t%C3%A9=%E2%98%95")
case("param_value_not_utf8", "count=%FF: a bad value that is not UTF-8",
     dict(status="400", ctype="application/json", body=['"error"', "count"]), dumps(BASE),
     target="/?count=%FF")
case("param_choice_not_utf8", "labels=%F2: a bad choice that is not UTF-8",
     dict(status="400", ctype="application/json", body=['"error"', "labels"]), dumps(BASE),
     target="/?labels=%F2")
case("param_undefined_key_not_utf8", "%FF=1: an undefined key that is not UTF-8",
     dict(status="200", ctype="application/json", body=["rel-test"]), dumps(BASE),
     target="/?%FF=1")
ok("param_hwfetch_no_gpu", "hwFetch=true where no GPU tooling exists",
   target="/?hwFetch=true&runningTime=false")
ok("param_sleep_negative", "sleep=-5", target="/?sleep=-5")
case("app_failure", "the app fails: 500 error view",
     dict(status="500", ctype="application/json", body=['"error"', "failed on purpose"]),
     dumps(BASE), target="/?fault=fail")
case("app_failure_put", "PUT, the app fails", dict(status="500", ctype="application/json",
     body=['"error"']), dumps(BASE), target="/?fault=fail", method="PUT")

# ---- HTTP: methods, paths ---------------------------------------------------------
case("get_metadata", "GET /", dict(status="200", ctype="application/json",
     body=["Reliability Test App"]), method="GET")
case("get_metadata_pretty", "GET /?pretty=true", dict(status="200", body=["\n"]), method="GET",
     target="/?pretty=true")
case("head_root", "HEAD /", dict(status="200"), method="HEAD")
case("get_with_body", "GET / carrying a body", dict(status="200", body=["Reliability"]),
     b"ignored body", method="GET")
ok("put_annotate", "PUT / annotates too", method="PUT")
for m in ("DELETE", "PATCH", "OPTIONS", "TRACE", "FOO"):
    case("method_" + m.lower(), m + " / is not allowed", dict(status="405", body=["not allowed"]),
         method=m)
case("path_unknown_get", "GET /nope", dict(status="404", body=["Not found"]), method="GET",
     target="/nope")
case("path_unknown_post", "POST /nope", dict(status="404"), target="/nope")
case("path_traversal", "GET /../../etc/passwd", dict(status="404"), method="GET",
     target="/../../etc/passwd")
case("path_double_slash", "GET //", dict(status="404"), method="GET", target="//")
case("path_encoded_slash", "GET /%2F", dict(status="404"), method="GET", target="/%2F")
case("path_healthz", "GET /healthz: both servers answer it",
     dict(status="200"), method="GET", target="/healthz")
case("path_metrics", "GET /metrics", dict(status_dev="404", status_prod="200"), method="GET",
     target="/metrics")
case("path_post_healthz", "POST /healthz", dict(status="405"), target="/healthz")

# ---- HTTP: bodies and framing -----------------------------------------------------------
case("body_over_limit", "1.5 MiB body, limit 1 MiB",
     dict(status="413", body=["too large"]), gen='" "*1572864')
case("body_declared_10g", "Content-Length: 10 GB, nothing sent",
     dict(status="413", body=["too large"]), content_length="10000000000")
case("chunked_ok", "the probe document in 7-byte chunks", OKJ, base_s, chunked="7")
case("chunked_over_limit", "1.5 MiB chunked, limit 1 MiB", dict(status="413",
     body=["too large"]), gen='" "*1572864', chunked="65536")
case("content_length_negative", "Content-Length: -1", dict(status="400"), base_s,
     content_length="none", header="Content-Length: -1")
RAW = "Host: 127.0.0.1\\r\\nConnection: close\\r\\n"
def raw(name, note, expect, gen=None, **kw):
    case(name, note, expect, raw="yes", gen=gen, **kw)
raw("content_length_word", "Content-Length: abc", dict(status="400"),
    '"POST / HTTP/1.1\\r\\n' + RAW + 'Content-Length: abc\\r\\n\\r\\n{}"')
raw("content_length_twice", "two different Content-Length headers", dict(status="400"),
    '"POST / HTTP/1.1\\r\\n' + RAW + 'Content-Length: 2\\r\\nContent-Length: 3\\r\\n\\r\\n{}x"')
raw("chunked_bad_size", "a chunk size that is not hex", dict(status="400"),
    '"POST / HTTP/1.1\\r\\n' + RAW + 'Transfer-Encoding: chunked\\r\\n\\r\\nzz\\r\\n{}\\r\\n0\\r\\n\\r\\n"')
raw("chunked_huge_size", "a chunk size of 2^64-1, then the client closes",
    dict(status="0|400|413"), half_close="yes", timeout="10", gen=
    '"POST / HTTP/1.1\\r\\n' + RAW + 'Transfer-Encoding: chunked\\r\\n\\r\\nffffffffffffffff\\r\\n{}\\r\\n"')
raw("chunked_and_length", "both Transfer-Encoding and Content-Length (smuggling shape)",
    dict(status="400"),
    '"POST / HTTP/1.1\\r\\n' + RAW + 'Content-Length: 5\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n"')
raw("smuggle_xchunked", "Transfer-Encoding: xchunked (unknown coding): 501 at once",
    dict(status="501", body=["not implemented"]), timeout="5",
    gen='"POST / HTTP/1.1\\r\\n' + RAW + 'Transfer-Encoding: xchunked\\r\\n\\r\\n{}"')
raw("smuggle_xchunked_length", "xchunked with a valid Content-Length: refused at once",
    dict(status="400|501"), timeout="5",
    gen='"POST / HTTP/1.1\\r\\n' + RAW + 'Transfer-Encoding: xchunked\\r\\nContent-Length: 2\\r\\n\\r\\n{}"')
raw("smuggle_chunked_identity", "Transfer-Encoding: chunked, identity: not plain chunked",
    dict(status="400|501"), timeout="5",
    gen='"POST / HTTP/1.1\\r\\n' + RAW + 'Transfer-Encoding: chunked, identity\\r\\n\\r\\n0\\r\\n\\r\\n"')
raw("smuggle_length_then_chunked", "Content-Length then Transfer-Encoding: chunked: 400",
    dict(status="400", body=["ambiguous"]),
    '"POST / HTTP/1.1\\r\\n' + RAW + 'Content-Length: 5\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n"')
raw("transfer_encoding_gzip", "Transfer-Encoding: gzip, then the client closes",
    dict(status="0|400|501"), half_close="yes", timeout="10", gen=
    '"POST / HTTP/1.1\\r\\n' + RAW + 'Transfer-Encoding: gzip\\r\\n\\r\\nxx"')
raw("expect_100_continue", "Expect: 100-continue, then the body", OKJ,
    '"POST / HTTP/1.1\\r\\n' + RAW + 'Expect: 100-continue\\r\\nContent-Length: %d\\r\\n\\r\\n" + base'
    % len(base_s))
raw("pipelined_two", "two requests in one write: the first answer", OKJ,
    '"POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: %d\\r\\n\\r\\n" + base + "GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"'
    % len(base_s))
raw("request_line_garbage", "HELLO (closed without an answer, or 400)", dict(status="0|400"), '"HELLO\\r\\n\\r\\n"')
raw("request_line_no_version", "GET / (HTTP/0.9 style)", dict(status="0|400"),
    '"GET /\\r\\n\\r\\n"')
raw("request_http2_version", "HTTP/2.0 in an HTTP/1 request line", dict(status="400|505"),
    '"GET / HTTP/2.0\\r\\n' + RAW + '\\r\\n"')
raw("request_http_9_9", "HTTP/9.9", dict(status="400|505"), '"GET / HTTP/9.9\\r\\n' + RAW + '\\r\\n"')
raw("request_no_host", "HTTP/1.1 without Host (libmicrohttpd tolerates it)", dict(status="200|400"),
    '"GET / HTTP/1.1\\r\\nConnection: close\\r\\n\\r\\n"')
raw("request_http10", "HTTP/1.0 without Host is fine", dict(status="200"),
    '"GET / HTTP/1.0\\r\\n\\r\\n"')
raw("header_no_colon", "a header line without ':'", dict(status="400"),
    '"GET / HTTP/1.1\\r\\n' + RAW + 'NoColonHere\\r\\n\\r\\n"')
raw("header_nul_byte", "a NUL byte in a header value", dict(status="200|400"),
    '"GET / HTTP/1.1\\r\\n' + RAW + 'X-A: a\\0b\\r\\n\\r\\n"')
raw("header_folded", "obsolete line folding", dict(status="200|400"),
    '"GET / HTTP/1.1\\r\\n' + RAW + 'X-A: a\\r\\n b\\r\\n\\r\\n"')
raw("header_huge_200k", "one 200000-byte header value", dict(status="400|413|431"),
    '"GET / HTTP/1.1\\r\\n' + RAW + 'X-Big: " + "a"*200000 + "\\r\\n\\r\\n"')
raw("header_10000_lines", "10000 headers", dict(status="400|413|431"),
    '"GET / HTTP/1.1\\r\\n' + RAW + '" + "X-A: b\\r\\n"*10000 + "\\r\\n"')
raw("target_huge_200k", "a 200000-byte query string", dict(status="400|413|414|431"),
    '"GET /?" + "a"*200000 + " HTTP/1.1\\r\\n' + RAW + '\\r\\n"')
raw("target_absolute_uri", "an absolute URI as the target", dict(status="200|400|404"),
    '"GET http://127.0.0.1/ HTTP/1.1\\r\\n' + RAW + '\\r\\n"')
raw("target_asterisk", "OPTIONS *", dict(status="400|404|405"),
    '"OPTIONS * HTTP/1.1\\r\\n' + RAW + '\\r\\n"')
raw("method_lowercase", "post / (methods are case-sensitive)", dict(status="405|400"),
    '"post / HTTP/1.1\\r\\n' + RAW + 'Content-Length: 2\\r\\n\\r\\n{}"')
raw("body_shorter_than_declared", "Content-Length 5000, 10 bytes, then the client closes",
    dict(status="0"), '"POST / HTTP/1.1\\r\\n' + RAW + 'Content-Length: 5000\\r\\n\\r\\n0123456789"',
    half_close="yes", timeout="10")
raw("chunked_unterminated", "chunked body without the last chunk, then the client closes",
    dict(status="0"), '"POST / HTTP/1.1\\r\\n' + RAW + 'Transfer-Encoding: chunked\\r\\n\\r\\n2\\r\\n{}\\r\\n"',
    half_close="yes", timeout="10")
raw("headers_unterminated", "headers that never end, then the client closes", dict(status="0"),
    '"POST / HTTP/1.1\\r\\nHost: x\\r\\nX-A: b"', half_close="yes", timeout="10")
case("content_type_text", "Content-Type: text/plain on valid MMIF", OKJ, base_s,
     header="Content-Type: text/plain")
case("content_type_form", "Content-Type: application/x-www-form-urlencoded", OKJ, base_s,
     header="Content-Type: application/x-www-form-urlencoded")
case("content_type_multipart", "Content-Type: multipart/form-data with a boundary",
     dict(status="200|400"), base_s, header="Content-Type: multipart/form-data; boundary=zz")


def write():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".case"):
            os.remove(os.path.join(OUT, f))
    for i, (name, note, expect, body, kw) in enumerate(cases):
        lines = ["note: " + note]
        for k in ("method", "target", "header", "raw", "content_length", "chunked", "gen",
                  "half_close", "timeout", "only", "known"):
            if kw.get(k):
                lines.append("%s: %s" % (k.replace("_", "-"), kw[k]))
        if "status" in expect:
            lines.append("expect-status: " + expect["status"])
        if "status_dev" in expect:
            lines.append("expect-status-dev: " + expect["status_dev"])
            lines.append("expect-status-prod: " + expect["status_prod"])
        if expect.get("ctype"):
            lines.append("expect-ctype: " + expect["ctype"])
        for b in expect.get("body", []):
            lines.append("expect-body: " + b)
        data = ("\n".join(lines) + "\n\n").encode() + (b"" if kw.get("gen") else body)
        with open(os.path.join(OUT, "%03d_%s.case" % (i + 1, name)), "wb") as f:
            f.write(data)
    print("%d cases written to %s" % (len(cases), OUT))


write()
