"""clams-c's side of a hosted clams-python app (`clams serve APP_DIR`).

Two uses:
  python3 clams_host.py probe APP_DIR
      run by the server as a short-lived child of the chosen interpreter:
      prints one JSON object on stdout (where libpython is, the sys.path that
      `python3 APP_DIR/app.py` would get, and the app's metadata, from
      metadata.py when the app has one, else from the built app).
  import clams_host
      inside a process that loaded libpython (src/host/python.c): the C side
      calls setup(), load(), build(), annotate() and checks(); each takes and
      returns bytes, so the C side needs no more of the C-API than calls.

Everything an app can do wrong is caught here and turned into text the C
side logs or answers with; nothing here writes to fd 1.
"""
import json
import os
import sys
import time
import traceback

_state = {"app": None, "module": None, "dir": None}


# ---- logging: Python's output goes to the server log, never to a response ---


class _LogStream:
    """A text stream that writes whole lines to fd 2, each prefixed like the
    server's own log lines (time, level, [pid]) and naming the stream."""

    def __init__(self, name):
        self.name = name
        self._buf = ""
        self.encoding = "utf-8"
        self.errors = "replace"

    def write(self, s):
        if not isinstance(s, str):
            s = str(s)
        self._buf += s
        if "\n" in self._buf:  # one split, not one copy of the rest per line
            *lines, self._buf = self._buf.split("\n")
            for line in lines:
                self._emit(line)
        if len(self._buf) > 65536:
            self._emit(self._buf)
            self._buf = ""
        return len(s)

    def _emit(self, line):
        t = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(t))
        data = "%s.%03d INFO [%d] app %s: %s\n" % (
            stamp, int(t * 1000) % 1000, os.getpid(), self.name, line)
        try:
            os.write(2, data.encode("utf-8", "replace"))
        except OSError:
            pass

    def flush(self):
        if self._buf:
            self._emit(self._buf)
            self._buf = ""

    def isatty(self):
        return False

    def fileno(self):
        return 2

    def writable(self):
        return True


def _redirect_output():
    sys.stdout = _LogStream("stdout")
    sys.stderr = _LogStream("stderr")


def flush():
    for s in (sys.stdout, sys.stderr):
        try:
            s.flush()
        except Exception:
            pass
    return b""


# ---- what `python3 APP_DIR/app.py` would see ------------------------------


def _enter_app_dir(app_dir):
    """cwd, sys.path[0] and __main__.__file__ as when app.py is run: the app
    and its metadata.py import as top-level modules, relative paths resolve,
    and clams-python's version lookup (which reads __main__.__file__) finds
    the app's own folder."""
    app_dir = os.path.abspath(app_dir)
    os.chdir(app_dir)
    if sys.path and sys.path[0] == app_dir:
        pass
    elif sys.path:
        sys.path[0] = app_dir
    else:
        sys.path.insert(0, app_dir)
    main = sys.modules.get("__main__")
    if main is not None:
        main.__file__ = os.path.join(app_dir, "app.py")
    _state["dir"] = app_dir
    return app_dir


def _import_app():
    if _state["module"] is None:
        import importlib
        _state["module"] = importlib.import_module("app")
    return _state["module"]


def _build(module):
    """get_app(), else the one ClamsApp subclass the module defines, built
    with no arguments (apps that predate get_app, such as easyocr's)."""
    if callable(getattr(module, "get_app", None)):
        return module.get_app()
    try:
        from clams.app import ClamsApp
    except Exception:
        ClamsApp = None
    found = []
    for v in vars(module).values():
        if isinstance(v, type) and v.__module__ == module.__name__:
            if ClamsApp is not None and issubclass(v, ClamsApp) and v is not ClamsApp:
                found.append(v)
    if len(found) != 1:
        raise RuntimeError("app.py has no get_app() and %d ClamsApp subclasses (need exactly one)"
                           % len(found))
    return found[0]()


def _metadata_json(md):
    if isinstance(md, (bytes, str)):
        return json.loads(md)
    if isinstance(md, dict):
        return md
    if hasattr(md, "jsonify"):
        return json.loads(md.jsonify())
    if hasattr(md, "model_dump_json"):
        return json.loads(md.model_dump_json())
    raise TypeError("appmetadata() returned %s, not metadata" % type(md).__name__)


def _metadata(app_dir):
    """From metadata.py when there is one (no model is loaded for it), with
    clams-python's universal parameters added as ClamsApp.__init__ adds them;
    else from the app built here."""
    if os.path.exists(os.path.join(app_dir, "metadata.py")):
        import metadata as metadatapy
        md = metadatapy.appmetadata()
        try:
            from clams.app import ClamsApp
            universal = getattr(ClamsApp, "universal_parameters", [])
        except Exception:
            universal = []
        if universal and hasattr(md, "add_parameter"):
            have = {p.name for p in getattr(md, "parameters", [])}
            for p in universal:
                if p["name"] not in have:
                    md.add_parameter(**p)
        return _metadata_json(md), "metadata.py"
    app = _build(_import_app())
    return _metadata_json(app.appmetadata()), "the app built in the probe (no metadata.py)"


def _probe(app_dir):
    import sysconfig
    out = os.dup(1)
    os.dup2(2, 1)  # prints while importing the app must not corrupt the answer
    _redirect_output()
    v = sysconfig.get_config_var
    info = {
        "version": "%d.%d.%d" % sys.version_info[:3],
        "executable": sys.executable,
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "base_exec_prefix": getattr(sys, "base_exec_prefix", sys.exec_prefix),
        "implementation": sys.implementation.name,
        "shared": bool(v("Py_ENABLE_SHARED")),
        "libdir": v("LIBDIR"),
        "multiarch": v("MULTIARCH"),
        "instsoname": v("INSTSONAME"),
        "ldlibrary": v("LDLIBRARY"),
        "pythonhome": os.environ.get("PYTHONHOME"),
    }
    try:
        info["sys_path"] = list(sys.path)
        app_dir = _enter_app_dir(app_dir)
        info["sys_path"] = list(sys.path)
        md, source = _metadata(app_dir)
        info["metadata"] = md
        info["metadata_source"] = source
    except BaseException as e:  # SystemExit included: the server says why
        info["metadata_error"] = "".join(traceback.format_exception_only(type(e), e)).strip()
        info["traceback"] = traceback.format_exc()
    flush()
    os.write(out, json.dumps(info).encode())
    os.close(out)


# ---- the embedded side ------------------------------------------------------


def _ok():
    return b"ok"


def _err(prefix, e):
    flush()
    tb = traceback.format_exc()
    sys.stderr.write(tb)
    flush()
    return ("%s: %s: %s" % (prefix, type(e).__name__, e)).encode("utf-8", "replace")


def setup(info_json):
    """Called once after Py_InitializeEx: sys.path, sys.executable, the
    working directory and __main__.__file__ as the probe saw them."""
    try:
        info = json.loads(info_json)
        _redirect_output()
        if info.get("pythonhome_set"):  # set by the C side for the init only
            os.environ.pop("PYTHONHOME", None)
        sys.path[:] = info["sys_path"]
        if info.get("executable"):
            sys.executable = info["executable"]
        sys.argv = [os.path.join(info["app_dir"], "app.py")]
        _enter_app_dir(info["app_dir"])
        return _ok()
    except BaseException as e:
        return _err("setting up the interpreter", e)


def load():
    """Imports the app module (in the template process, or in a worker)."""
    try:
        _import_app()
        return _ok()
    except BaseException as e:
        return _err("importing app.py", e)


def checks():
    """Before a template forks: CUDA must not be initialised (a CUDA context
    does not survive fork), and threads started by the import would be lost
    in the children."""
    torch = sys.modules.get("torch")
    try:
        if torch is not None and torch.cuda.is_initialized():
            return (b"the app initialised CUDA while being imported (torch.cuda is initialised): "
                    b"a process that forks workers must never touch CUDA; move the model "
                    b"loading into __init__ or annotate (or serve without the template: "
                    b"--no-template)")
    except Exception:
        pass
    _freeze()
    import threading
    n = threading.active_count()
    if n > 1:
        names = ", ".join(t.name for t in threading.enumerate())
        sys.stderr.write("importing the app started %d threads (%s): they do not exist in "
                         "forked workers\n" % (n - 1, names))
        flush()
    return _ok()


def _freeze():
    """Moves every object alive now (the imported modules, the built app) to
    the collector's permanent generation: a full collection in a request no
    longer walks them (it was ~10% of a small app's request time), and in a
    process that forks workers the collector stops writing to the pages they
    share with it (copy-on-write: each worker would otherwise end up with its
    own copy of every imported module). Garbage left now is collected first,
    so nothing that is already garbage is kept for ever."""
    import gc
    gc.collect()
    gc.freeze()


def _torch_memory_fraction(fraction):
    """--vram-hard-budget as torch's per-process memory fraction (budget /
    the GPU's total memory), so that torch's allocator refuses an allocation
    beyond the budget with torch.cuda.OutOfMemoryError instead of letting the
    driver fall back to system memory and hide the overrun. Only where torch
    is importable. CUDA is not initialised here: the call is queued with
    torch.cuda._lazy_call (as torch.cuda.manual_seed queues itself), so it
    runs when the app first touches CUDA; a torch without _lazy_call gets it
    at once (this is a worker, after fork: a CUDA context is allowed here).
    The worker sees one GPU (CUDA_VISIBLE_DEVICES is its UUID): device 0."""
    torch = sys.modules.get("torch")
    if torch is None:
        import importlib.util
        if importlib.util.find_spec("torch") is None:
            return "torch is not importable: no memory fraction set"
        import torch
    cuda = getattr(torch, "cuda", None)
    set_fraction = getattr(cuda, "set_per_process_memory_fraction", None)
    if set_fraction is None:
        return "this torch has no torch.cuda.set_per_process_memory_fraction"

    def apply():
        set_fraction(fraction, 0)
        sys.stderr.write("torch per-process memory fraction set to %.4f "
                         "(--vram-hard-budget)\n" % fraction)
        flush()

    lazy = getattr(cuda, "_lazy_call", None)
    if lazy is not None and not cuda.is_initialized():
        lazy(apply)
        return "torch memory fraction %.4f queued for CUDA's initialisation" % fraction
    apply()
    return "torch memory fraction %.4f set" % fraction


def build(limits=b""):
    """Builds the app: in each worker after fork, or in the template with
    --preload. limits (JSON, from the C side; empty in the template):
    "environ", the variables the worker set after fork (its GPU), put into
    os.environ, which was copied when the template's interpreter started;
    "torch_memory_fraction", applied before get_app()."""
    if _state["app"] is not None:
        return _ok()
    try:
        limits = json.loads(limits) if limits else {}
        for k, v in limits.get("environ", {}).items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        fraction = limits.get("torch_memory_fraction")
        if fraction:
            sys.stderr.write(_torch_memory_fraction(float(fraction)) + "\n")
            flush()
        _state["app"] = _build(_import_app())
        _freeze()
        return _ok()
    except BaseException as e:
        return _err("building the app (get_app)", e)


def _params(query):
    from urllib.parse import parse_qsl
    params = {}
    for k, v in parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True):
        params.setdefault(k, []).append(v)
    return params


def _serialize(x):
    if isinstance(x, bytes):
        return x
    if isinstance(x, str):
        return x.encode("utf-8")
    if hasattr(x, "serialize"):
        return x.serialize(pretty=True).encode("utf-8")
    return json.dumps(x).encode("utf-8")


_INVALID = {"ValidationError", "JSONDecodeError", "EnvelopeError"}


def annotate(query, body):
    """POST/PUT: returns b"STATUS CONTENT-TYPE\\n" + body. The exception of a
    failed annotate is handled here, so record_error (which reads
    sys.exc_info()) names it, as under Flask."""
    app = _state["app"]
    params = _params(query)
    text = body.decode("utf-8")
    try:
        out = app.annotate(text, **params)
        return b"200 application/json\n" + _serialize(out)
    except BaseException as e:
        if type(e).__name__ in _INVALID:
            msg = getattr(e, "message", None) or str(e)
            return (b"400 text/plain; charset=utf-8\nInvalid input data. See below for "
                    b"validation error.\n\n" + msg.encode("utf-8", "replace"))
        logger = getattr(app, "logger", None)
        try:
            if logger is not None:
                logger.exception("Error in annotation")
            else:
                traceback.print_exc()
        except Exception:
            pass
        try:
            return b"500 application/json\n" + _serialize(app.record_error(text, **params))
        except BaseException as e2:
            tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
            msg = "%s\n(record_error failed too: %s: %s)" % (tb, type(e2).__name__, e2)
            return b"500 text/plain; charset=utf-8\n" + msg.encode("utf-8", "replace")
    finally:
        flush()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "probe":
        _probe(sys.argv[2])
    else:
        sys.stderr.write("usage: clams_host.py probe APP_DIR\n")
        sys.exit(2)
