import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import standin  # noqa: E402

if os.environ.get("STANDIN_IMPORT_SLEEP"):
    import time
    time.sleep(float(os.environ["STANDIN_IMPORT_SLEEP"]))


def get_app():
    app = standin.StandIn()
    if os.environ.get("STANDIN_THREADS"):
        app.start_thread()
    return app


if __name__ == "__main__":
    print("app.py must not be run as __main__ by clams serve", file=sys.stderr)
    sys.exit(9)
