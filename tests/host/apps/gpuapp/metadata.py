import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import standin  # noqa: E402


def appmetadata():
    # A GPU app: the pool is sized and placed from these (est_gpu_mem_*).
    return standin.metadata(name="GPU stand-in", est_gpu_mem_min=3000, est_gpu_mem_typ=6000)
