import os

_initialized = False
_queued = []
fraction = None          # what set_per_process_memory_fraction was given
initialised_by = None    # the pid that "initialised CUDA"


def is_initialized():
    return _initialized


def _lazy_call(fn):
    if _initialized:
        fn()
    else:
        _queued.append(fn)


def init():
    global _initialized, initialised_by
    if _initialized:
        return
    _initialized = True
    initialised_by = os.getpid()
    for fn in _queued:
        fn()


def set_per_process_memory_fraction(f, device=None):
    global fraction
    if not _initialized:  # as torch: setting it initialises CUDA
        init()
    fraction = [f, device]
