"""Pure kernels: numpy + OpenCV on HWC arrays; no classes, no randomness."""
