"""Built engines: their artifacts (``formats``, registered in ``artifacts``), the data model
(``model``), layer -> ONNX mapping and layer kinds (``mapping``) and per-engine results (``summary``)."""
