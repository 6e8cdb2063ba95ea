"""A stand-in for a clams-python app, without clams-python: the same
contract (get_app() -> object with appmetadata, annotate, record_error) and
answers shaped as clams-python's, so that `clams serve` can be tested on a
plain clone. Behaviour on request is chosen by the `do` parameter."""
import ctypes
import json
import os
import sys
import threading
import time
import traceback

IDENT = "http://apps.clams.ai/standin/v1"


def metadata(name="Stand-in app", **extra):
    md = {
        "name": name,
        "description": "a clams-python stand-in for clams-c's tests",
        "app_version": "v1",
        "mmif_version": "1.1.0",
        "app_license": "Apache 2.0",
        "identifier": IDENT,
        "url": "https://example.org/standin",
        "input": [{"@type": "http://mmif.clams.ai/vocabulary/TextDocument/v1", "required": True}],
        "output": [{"@type": "http://mmif.clams.ai/vocabulary/Token/v1"}],
        "parameters": [
            {"name": "do", "description": "what to do", "type": "string", "default": "tokens",
             "multivalued": False},
            {"name": "label", "description": "labels", "type": "string", "default": [],
             "multivalued": True},
        ],
    }
    md.update(extra)
    return md


def _new_view(mmif, params):
    n = len(mmif["views"])
    ids = {v["id"] for v in mmif["views"]}
    while "v_%d" % n in ids:
        n += 1
    view = {"id": "v_%d" % n,
            "metadata": {"timestamp": "2020-01-01T00:00:00", "app": IDENT,
                         "contains": {}, "parameters": {k: v[0] if len(v) == 1 else v
                                                        for k, v in params.items()}},
            "annotations": []}
    mmif["views"].append(view)
    return view


_leak = []


class StandIn:
    def __init__(self, md=None):
        self.md = md or metadata()
        self.ticks = 0
        self.thread = None

    def start_thread(self):
        def tick():
            while True:
                self.ticks += 1
                time.sleep(0.01)
        self.thread = threading.Thread(target=tick, name="ticker")
        self.thread.start()  # not a daemon: the worker must still exit

    def appmetadata(self, **kwargs):
        return json.dumps(self.md)

    def annotate(self, body, **params):
        for k, v in params.items():
            assert isinstance(v, list) and all(isinstance(x, str) for x in v), (k, v)
        mmif = json.loads(body)
        if "mmif" in mmif and "parameters" in mmif:  # an envelope
            for k, v in mmif["parameters"].items():
                params.setdefault(k, [str(v)])
            mmif = mmif["mmif"]
        do = params.get("do", ["tokens"])[0]
        view = _new_view(mmif, params)
        if do == "raise":
            raise ValueError("boom from annotate")
        if do == "segv":
            ctypes.string_at(0)
        if do == "loop":
            while True:
                pass
        if do == "import":
            import clams_c_module_that_does_not_exist  # noqa: F401
        if do == "exit":
            sys.exit(3)
        if do == "print":
            print("hello from print")
            print("hello from stderr", file=sys.stderr)
            os.write(1, b"hello from fd 1\n")
        if do == "leak":
            _leak.append(bytearray(60 << 20))
        if do == "sleep":
            time.sleep(float(params.get("seconds", ["1"])[0]))
        if do == "threads":
            t0 = self.ticks
            time.sleep(0.2)
            view["metadata"]["ticked"] = self.ticks - t0
        if do == "pid":
            view["metadata"]["pid"] = os.getpid()
        view["metadata"]["contains"]["http://mmif.clams.ai/vocabulary/Token/v1"] = {
            "document": "d1"}
        text = ""
        for d in mmif.get("documents", []):
            text = d.get("properties", {}).get("text", {}).get("@value", "") or text
        if do == "big":
            text = "x" * (100 << 20)
            view["annotations"].append({"@type": "http://mmif.clams.ai/vocabulary/Token/v1",
                                        "properties": {"id": "t_big", "word": text}})
        else:
            for i, w in enumerate(text.split()):
                view["annotations"].append({"@type": "http://mmif.clams.ai/vocabulary/Token/v1",
                                            "properties": {"id": "t_%d" % i, "word": w}})
        labels = params.get("label", [])
        if labels:
            view["metadata"]["labels"] = labels
        pretty = params.get("pretty", ["false"])[0].lower() in ("true", "t", "1")
        return json.dumps(mmif, indent=2 if pretty else None)

    def record_error(self, body, **params):
        mmif = json.loads(body)
        if "mmif" in mmif and "parameters" in mmif:
            mmif = mmif["mmif"]
        view = _new_view(mmif, params)
        t, v, tb = sys.exc_info()
        view["metadata"]["error"] = {"message": "%s: %s" % (t, v),
                                     "stackTrace": "".join(traceback.format_tb(tb))}
        return json.dumps(mmif, indent=2)
