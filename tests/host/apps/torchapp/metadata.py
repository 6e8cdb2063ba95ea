import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import standin  # noqa: E402


def appmetadata():
    return standin.metadata(name="Torch stand-in")
