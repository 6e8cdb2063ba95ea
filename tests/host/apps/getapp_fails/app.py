import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import standin  # noqa: E402


def get_app():
    flag = os.environ.get("STANDIN_FAIL_ONCE")
    if flag:  # fail while the file is absent, then work (a transient failure)
        if not os.path.exists(flag):
            open(flag, "w").close()
            raise RuntimeError("get_app failed once on purpose")
        return standin.StandIn(standin.metadata("get_app fails"))
    raise RuntimeError("get_app failed on purpose")
