"""memstream model-export: train, evaluate and export memory transformers to ONNX."""
import os

import torch

# The project's machines have 2 cores; more threads only contend. MEMSTREAM_THREADS=1 is faster
# when other builds share the machine (intra-op barriers stall on a preempted thread).
torch.set_num_threads(max(1, int(os.environ.get("MEMSTREAM_THREADS", "2"))))
