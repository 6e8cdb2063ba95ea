#!/usr/bin/python3
"""Static checks of the container files and Kubernetes manifests under deploy/
(no container engine or cluster here): they must agree with the code they run.

usage: check_deploy.py ROOT BUILD_DIR
  - every deploy/k8s/*.yaml parses; each Deployment's flags exist in its app's
    --help, its port is the server's default (5000, read from src/serve/options.c),
    probes and Prometheus annotations use paths the server answers (src/sup),
    terminationGracePeriodSeconds exceeds --graceful-timeout, a GPU app requests
    nvidia.com/gpu, CPU limits are set, a Service targets the port;
  - each Containerfile runs the production server in exec form with STOPSIGNAL
    SIGTERM, a /healthz HEALTHCHECK and the default port."""
import glob
import json
import os
import re
import subprocess
import sys

import yaml

root, build = sys.argv[1], sys.argv[2]
errors = []


def fail(msg):
    errors.append(msg)


def src_text(pattern):
    return "".join(open(f, encoding="utf-8").read() for f in glob.glob(os.path.join(root, pattern)))


sup = src_text("src/sup/*.c") + src_text("src/http/*.c")
m = re.search(r"o->http\.port\s*=\s*(\d+)", src_text("src/serve/options.c"))
DEFAULT_PORT = int(m.group(1)) if m else fail("no default port in src/serve/options.c")
for path in ("/healthz", "/readyz", "/metrics"):
    if f'"{path}"' not in sup:
        fail(f"the server code (src/sup) has no route {path}")


def app_help(name):
    exe = os.path.join(build, "examples", name, name)
    out = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        fail(f"{exe} --help failed")
    return out.stdout


def hosted_help():
    """--help of `clams serve` on the stand-in app (its flags are a C app's
    plus the hosted ones); None where no shared libpython is at hand."""
    exe = os.path.join(build, "bin", "clams")
    out = subprocess.run([exe, "serve", os.path.join(root, "tests/host/apps/standin"), "--help"],
                         capture_output=True, text=True, timeout=120)
    return out.stdout if out.returncode == 0 and "--warmup" in out.stdout else None


def app_metadata(name):
    exe = os.path.join(build, "examples", name, name)
    out = subprocess.run([exe, "--describe"], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        fail(f"{exe} --describe failed")
        return {}
    return json.loads(out.stdout)


def check_gpu_figures():
    """The est_gpu_mem_typ the docs and the manifest quote is the one the
    tone detector declares (its --describe), and the pool arithmetic in
    docs/operators.md follows from it."""
    typ = app_metadata("tone-detector").get("est_gpu_mem_typ")
    k8s = open(os.path.join(root, "deploy/k8s/tone-detector.yaml"), encoding="utf-8").read()
    m = re.search(r"est_gpu_mem_typ \((\d+) MiB here\)", k8s)
    if not m or int(m.group(1)) != typ:
        fail(f"deploy/k8s/tone-detector.yaml quotes est_gpu_mem_typ "
             f"{m.group(1) if m else '(none)'} MiB; the tone detector declares {typ}")
    ops = open(os.path.join(root, "docs/operators.md"), encoding="utf-8").read()
    m = re.search(r"one (\d+) GiB GPU\s+for an app declaring `est_gpu_mem_typ` (\d+) MiB, the pool "
                  r"is min\((\d+), (\d+)\) = (\d+)", ops)
    if not m:
        fail("docs/operators.md: the pool example is gone")
        return
    gib, doc_typ, cpu_side, gpu_side, pool = map(int, m.groups())
    if doc_typ != typ:
        fail(f"docs/operators.md quotes est_gpu_mem_typ {doc_typ} MiB; the tone detector "
             f"declares {typ}")
    if gpu_side != gib * 1024 // doc_typ or pool != min(cpu_side, gpu_side):
        fail(f"docs/operators.md: min({cpu_side}, {gpu_side}) = {pool} does not follow from "
             f"{gib} GiB / {doc_typ} MiB")


def flags_of(args):
    return [a.split("=")[0] for a in args if a.startswith("--")]


def flag_value(args, flag, default):
    for i, a in enumerate(args):
        if a == flag and i + 1 < len(args):
            return float(args[i + 1])
        if a.startswith(flag + "="):
            return float(a.split("=", 1)[1])
    return default


def check_flags(where, args, help_text):
    for f in flags_of(args):
        if not re.search(r"(^|\s)" + re.escape(f) + r"\b", help_text):
            fail(f"{where}: flag {f} is not in the app's --help")
    if "--production" not in args:
        fail(f"{where}: does not run --production")


def port_number(container, ref):
    if isinstance(ref, int):
        return ref
    for p in container.get("ports", []):
        if p.get("name") == ref:
            return p["containerPort"]
    fail(f"port {ref!r} is not declared")
    return None


def check_deployment(f, d, services):
    name = d["metadata"]["name"]
    where = f"{os.path.basename(f)}:{name}"
    pod = d["spec"]["template"]
    spec = pod["spec"]
    c = spec["containers"][0]
    args = c.get("args", []) + c.get("command", [])[1:]
    hosted = pod["metadata"]["labels"].get("clams.ai/hosted") == "python"
    help_text = (hosted_help() or "") if hosted else app_help(name)
    if help_text:
        check_flags(where, args, help_text)
    port = int(flag_value(args, "--port", DEFAULT_PORT))
    if port != DEFAULT_PORT:
        fail(f"{where}: --port {port} differs from the server's default {DEFAULT_PORT}")
    if port not in [p["containerPort"] for p in c.get("ports", [])]:
        fail(f"{where}: containerPort does not match --port {port}")
    probes = {"readinessProbe": "/readyz", "livenessProbe": "/healthz"}
    for probe, path in probes.items():
        get = c.get(probe, {}).get("httpGet", {})
        if get.get("path") != path:
            fail(f"{where}: {probe} should GET {path}, has {get.get('path')}")
        if port_number(c, get.get("port")) != port:
            fail(f"{where}: {probe} port is not the server port")
    ann = pod["metadata"].get("annotations", {})
    if ann.get("prometheus.io/scrape") != "true" or ann.get("prometheus.io/path") != "/metrics" \
            or str(ann.get("prometheus.io/port")) != str(port):
        fail(f"{where}: Prometheus annotations should scrape /metrics on {port}: {ann}")
    graceful = flag_value(args, "--graceful-timeout", 30.0)
    m = re.search(r"--graceful-timeout SECONDS.*?default (\d+)", help_text, re.S)
    if "--graceful-timeout" not in args and m:
        graceful = float(m.group(1))
    pre = 0.0
    stop = c.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    if stop[:1] == ["sleep"]:
        pre = float(stop[1])
    grace = spec.get("terminationGracePeriodSeconds", 30)
    if grace <= graceful + pre:
        fail(f"{where}: terminationGracePeriodSeconds {grace} <= graceful timeout {graceful}"
             f" + preStop {pre}")
    limits = c.get("resources", {}).get("limits", {})
    if "cpu" not in limits:
        fail(f"{where}: no CPU limit (the worker pool follows the cgroup quota)")
    meta = {} if hosted else json.loads(subprocess.run(
        [os.path.join(build, "examples", name, name), "--describe"],
        capture_output=True, text=True, timeout=60).stdout or "{}")
    if meta.get("est_gpu_mem_typ") and "nvidia.com/gpu" not in limits:
        fail(f"{where}: a GPU app (est_gpu_mem_typ) without an nvidia.com/gpu limit")
    labels = pod["metadata"]["labels"]
    ok = any(all(labels.get(k) == v for k, v in s["spec"]["selector"].items()) and
             any(port_number(c, p.get("targetPort")) == port for p in s["spec"]["ports"])
             for s in services)
    if not ok:
        fail(f"{where}: no Service selects it on port {port}")


def check_run_job(f, job, configmaps):
    """A `clams run` Indexed Job: exit codes routed as docs/run.md says, flags
    that `clams run --help` lists, a grace period longer than the drain, and
    a pipeline whose apps and parameters exist (the examples' --describe)."""
    where = f"{os.path.basename(f)}:{job['metadata']['name']}"
    spec = job["spec"]
    pod = spec["template"]["spec"]
    if spec.get("completionMode") != "Indexed" or pod.get("restartPolicy") != "Never":
        fail(f"{where}: not an Indexed Job with restartPolicy Never")
    actions = {}
    for rule in spec.get("podFailurePolicy", {}).get("rules", []):
        for code in rule.get("onExitCodes", {}).get("values", []):
            actions[code] = rule["action"]
    want = {1: ("FailIndex",), 75: ("Count",), 130: ("Count",), 2: ("FailJob", "FailIndex")}
    for code, ok in want.items():
        if actions.get(code) not in ok:
            fail(f"{where}: exit {code} should be {' or '.join(ok)}, is {actions.get(code)}")
    if "backoffLimitPerIndex" not in spec:
        fail(f"{where}: no backoffLimitPerIndex (75 would never be retried per index)")
    c = pod["containers"][0]
    args = c.get("args", [])
    out = subprocess.run([os.path.join(build, "bin", "clams"), "run", "--help"],
                         capture_output=True, text=True, timeout=60)
    if args[:1] != ["run"]:
        fail(f"{where}: the container does not run `clams run`: {args}")
    for flag in flags_of(args):
        if not re.search(r"(^|\s)" + re.escape(flag) + r"\b", out.stdout):
            fail(f"{where}: flag {flag} is not in `clams run --help`")
    if "--item" not in args or args[args.index("--item") + 1] != "auto":
        fail(f"{where}: each pod should run its own item (--item auto)")
    drain = flag_value(args, "--drain-timeout", 60.0)
    if pod.get("terminationGracePeriodSeconds", 30) <= drain:
        fail(f"{where}: terminationGracePeriodSeconds does not exceed --drain-timeout {drain}")
    for cm in configmaps:
        for stage in json.loads(cm["data"]["pipeline.json"])["stages"]:
            name = os.path.basename(stage["app"])
            declared = {p["name"] for p in app_metadata(name).get("parameters", [])}
            for k in stage.get("params", {}):
                if k not in declared:
                    fail(f"{where}: {name} has no parameter {k}")
            dockerfile = open(os.path.join(root, "deploy/container/Containerfile.run")).read()
            m = re.search(r"ARG APPS=\"?([^\"\n]*)", dockerfile)
            if not m or name not in m.group(1).split():
                fail(f"{where}: Containerfile.run does not install {name} by default")


manifests = sorted(glob.glob(os.path.join(root, "deploy/k8s/*.yaml")))
if not manifests:
    fail("no manifests under deploy/k8s")
deployments = 0
for f in manifests:
    docs = [d for d in yaml.safe_load_all(open(f, encoding="utf-8")) if d]
    services = [d for d in docs if d["kind"] == "Service"]
    for d in docs:
        if d["kind"] == "Deployment":
            deployments += 1
            check_deployment(f, d, services)
        if d["kind"] == "Job":
            check_run_job(f, d, [c for c in docs if c["kind"] == "ConfigMap"])


def check_containerfile(f, help_text):
    text = open(f, encoding="utf-8").read().replace("\\\n", " ")
    where = os.path.relpath(f, root)
    lines = [l.strip() for l in text.splitlines() if l.strip() and not l.lstrip().startswith("#")]

    def last(instr):
        found = [l[len(instr):].strip() for l in lines if l.upper().startswith(instr + " ")]
        return found[-1] if found else None

    entry, cmd = last("ENTRYPOINT"), last("CMD")
    argv = []
    for what, v in (("ENTRYPOINT", entry), ("CMD", cmd)):
        try:
            argv += json.loads(v) if v else []
        except ValueError:
            fail(f"{where}: {what} is not in exec (JSON) form: {v}")
    if not entry or not json.loads(entry):
        fail(f"{where}: no ENTRYPOINT")
    elif "tini" not in json.loads(entry)[0] and "clams" not in json.loads(entry)[0]:
        fail(f"{where}: ENTRYPOINT should start the app or tini: {entry}")
    if help_text is not None:
        check_flags(where, argv, help_text)
    elif "--production" not in argv:
        fail(f"{where}: does not run --production")
    if int(flag_value(argv, "--port", DEFAULT_PORT)) != DEFAULT_PORT:
        fail(f"{where}: port differs from {DEFAULT_PORT}")
    if last("STOPSIGNAL") != "SIGTERM":
        fail(f"{where}: STOPSIGNAL SIGTERM missing")
    hc = last("HEALTHCHECK") or ""
    if f":{DEFAULT_PORT}/healthz" not in hc:
        fail(f"{where}: HEALTHCHECK does not GET /healthz on {DEFAULT_PORT}")
    if last("EXPOSE") != str(DEFAULT_PORT):
        fail(f"{where}: EXPOSE {DEFAULT_PORT} missing")
    return lines


check_gpu_figures()
cpu = check_containerfile(os.path.join(root, "deploy/container/Containerfile"), app_help("tokenizer"))
if not any(re.match(r"FROM debian:12\S* AS sdk", l, re.I) for l in cpu):
    fail("Containerfile: the build stage is not Debian 12")
gpu = check_containerfile(os.path.join(root, "deploy/container/Containerfile.cuda"),
                          app_help("tone-detector"))
if not any(re.match(r"FROM nvidia/cuda:\S*runtime", l) for l in gpu):
    fail("Containerfile.cuda: the final stage is not an nvidia/cuda runtime image")
check_containerfile(os.path.join(root, "templates/app/Containerfile"), None)
py = check_containerfile(os.path.join(root, "deploy/container/Containerfile.python"),
                         hosted_help())
if not any(re.match(r"FROM \$\{BASE\}", l) for l in py):
    fail("Containerfile.python: the final stage is not the app's clams-python image")

for e in errors:
    print("FAIL:", e)
if errors:
    sys.exit(1)
print(f"deploy: {deployments} deployments, the run Job and 4 Containerfiles agree with the code")
