"""``trtdiag sensitivity``: which MatMul/Gemm/Conv groups to keep out of INT8, measured on CPU.

The pipeline is data -> calibrate (once) -> range check -> variants -> sweep -> commands -> document.
Every stage simulates INT8 with ONNX Runtime's QDQ quantizer (an optional dependency: ``onnxruntime``),
so it needs neither a GPU nor TensorRT. The variants of a sweep derive from one all-INT8 template
(:mod:`trtdiag.sensitivity.template`); ``trtdiag fix`` (:mod:`trtdiag.fix`) reuses the data, the
calibration and the range check (:func:`trtdiag.sensitivity.pipeline.prepare`).
"""
