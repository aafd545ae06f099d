"""One module per engine artifact format; :mod:`trtdiag.engine.artifacts` registers them."""
