"""Reading inputs: file checks and gzip (files), the one-pass keyword scanner (scan, chunks, matchers),
log-line prefixes (prefix) and TensorRT version strings (versions)."""
