"""A stand-in app that uses torch the way real CLAMS apps do: torch is
imported at module level (so in clams serve's template process, which forks
the workers), the model is made in get_app() (in each worker), and every
request runs it on the CPU with torch's intra-op thread pool. torch's pools
are not fork-safe once started, so a template that had run a torch operation
would hand its workers a broken pool; this app shows that the template does
not, and that CUDA is not initialised there either."""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import standin  # noqa: E402


class TorchApp(standin.StandIn):
    def __init__(self):
        super().__init__(standin.metadata(name="Torch stand-in"))
        # What the worker inherited from the template, before it does anything.
        self.cuda_initialized_at_start = torch.cuda.is_initialized()
        torch.manual_seed(0)
        self.model = torch.nn.Sequential(torch.nn.Linear(256, 256), torch.nn.ReLU(),
                                         torch.nn.Linear(256, 16))

    def annotate(self, body, **params):
        out = json.loads(super().annotate(body, **params))
        torch.set_num_threads(2)  # the intra-op pool runs on two threads
        with torch.no_grad():
            x = torch.randn(512, 256)
            y = self.model(x @ torch.randn(256, 256))
        total = float(y.sum())
        out["views"][-1]["metadata"]["torch"] = {
            "pid": os.getpid(),
            "threads": torch.get_num_threads(),
            "finite": math.isfinite(total),
            "cudaInitializedAtStart": self.cuda_initialized_at_start,
            "cudaInitializedNow": torch.cuda.is_initialized(),
        }
        return json.dumps(out)


def get_app():
    return TorchApp()
