"""``trtdiag fix``: write the Q/DQ model with the sensitive nodes kept out of INT8, then check it.

The pipeline is data -> calibrate -> sensitivity (a sweep, or a saved ``trtdiag.sensitivity/1`` document) ->
selection -> quantize (ModelOpt in its own Python, or ONNX Runtime's quantizer) -> checks (lint placement
rules, no NaN/Inf inside, accuracy against FP32 on held-out batches) -> document. A model whose checks fail
is never reported as fixed: the command exits 1 and names the failing check.
"""
