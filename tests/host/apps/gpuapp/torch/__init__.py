"""A fake torch for tests/host: only what clams_host.py touches in torch.cuda
(is_initialized, _lazy_call, set_per_process_memory_fraction), recording what
it was asked, and init() standing for the app's first CUDA call."""
from . import cuda  # noqa: F401
