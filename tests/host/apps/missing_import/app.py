import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import standin  # noqa: E402,F401
import clams_c_module_that_does_not_exist  # noqa: E402,F401


def get_app():
    return standin.StandIn()
