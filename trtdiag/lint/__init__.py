"""``trtdiag lint``: Q/DQ placement checks on an ONNX model before the TensorRT build.

Entry point: :func:`trtdiag.lint.run.lint_model`. The layers, from data to output:
``knowledge`` (the TensorRT fusion rules relied on, as data with their documentation section),
``model`` (a weight-free view of the Q/DQ nodes, their scales and zero-points), ``rules`` (one module
per rule), ``run`` (the linter), ``document`` (JSON ``trtdiag.lint/1``) and ``report`` (HTML).
This package file stays empty of imports so that importing one layer never pulls in the others.
"""
