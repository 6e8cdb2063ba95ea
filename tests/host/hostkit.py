"""What the host tests share: a failure list that reports as it goes, a
free port for a server, and for the tests that need a real Python package a
venv made once per build folder with pip (marked complete only when pip
succeeded; exit 77, skip, when pip cannot install the package: PyPI
unreachable)."""
import os
import shutil
import socket
import subprocess
import sys

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL:", msg, flush=True)
    return cond


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_venv(venv, requirement, timeout=600):
    """The venv at `venv` with `requirement` installed; its python."""
    py = os.path.join(venv, "bin", "python")
    if os.path.exists(os.path.join(venv, ".complete")):
        return py
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([shutil.which("python3"), "-m", "venv", venv], check=True, timeout=300)
    try:
        p = subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                            requirement], capture_output=True, text=True, timeout=timeout)
        why = p.stderr[-2000:] if p.returncode != 0 else None
    except subprocess.TimeoutExpired:  # a network that hangs rather than refuses
        why = "pip ran past %d s" % timeout
    if why is not None:
        shutil.rmtree(venv, ignore_errors=True)
        print("SKIP: pip could not install %s (PyPI unreachable?):\n%s" % (requirement, why))
        sys.exit(77)
    open(os.path.join(venv, ".complete"), "w").close()
    return py
