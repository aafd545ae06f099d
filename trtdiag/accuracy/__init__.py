"""``trtdiag accuracy``: did INT8 engage, and where does accuracy break?

Reads Polygraphy ``RunResults`` (``polygraphy run --save-outputs``) or ``.npz`` files, optionally runs the
FP32 reference itself with ONNX Runtime through Polygraphy's ``OnnxrtRunner``, classifies every output
(:mod:`trtdiag.accuracy.classify`), finds the first diverging intermediate tensor
(:mod:`trtdiag.accuracy.layerwise`) and checks the model for static FP16 hazards
(:mod:`trtdiag.accuracy.hazards`). TensorRT is never imported: files saved on a GPU machine load here.
"""
