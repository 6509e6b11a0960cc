"""memstream model-export: train, evaluate and export memory transformers to ONNX."""
import torch

torch.set_num_threads(2)  # the project's machines have 2 cores; more threads only contend
