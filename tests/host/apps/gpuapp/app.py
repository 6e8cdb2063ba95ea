"""A GPU app's stand-in under the fake NVML (tests/gpu/README.md): imports
torch (the fake one beside it) as GPU apps do; on do=gpu it "initialises
CUDA" (the fake torch.cuda.init, which runs the calls queued for it), then
"allocates" GPU_APP_MIB on its GPU by writing its procs/ file in the fake's
folder, and reports where it runs and what torch was told."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import standin  # noqa: E402
import torch  # noqa: E402  (tests/host/apps/gpuapp/torch: a fake)


def _hold(mib):
    """What this process holds on its GPU, as the fake driver reads it."""
    d = os.environ["CLAMS_FAKE_GPU_DIR"]
    tmp = os.path.join(d, "procs", ".%d" % os.getpid())
    with open(tmp, "w") as f:
        f.write("%s %d\n" % (os.environ.get("CUDA_VISIBLE_DEVICES", ""), mib << 20))
    os.rename(tmp, os.path.join(d, "procs", str(os.getpid())))


class GpuStandIn(standin.StandIn):
    def __init__(self):
        super().__init__()
        if os.environ.get("GPU_APP_INIT_MIB"):  # a context made by get_app()
            _hold(int(os.environ["GPU_APP_INIT_MIB"]))
        self.md = standin.metadata(name="GPU stand-in", est_gpu_mem_min=3000,
                                   est_gpu_mem_typ=6000)

    def annotate(self, body, **params):
        if params.get("do", [""])[0] != "gpu":
            return super().annotate(body, **params)
        torch.cuda.init()
        gpu = os.environ.get("CUDA_VISIBLE_DEVICES", "")
        _hold(int(params.get("mib", [os.environ.get("GPU_APP_MIB", "0")])[0]))
        time.sleep(float(params.get("seconds", ["0"])[0]))
        out = json.loads(super().annotate(body, **params))
        out["views"][-1]["metadata"]["gpu"] = {
            "visible": gpu, "pid": os.getpid(), "fraction": torch.cuda.fraction,
            "initialised_by": torch.cuda.initialised_by}
        return json.dumps(out)


def get_app():
    return GpuStandIn()
