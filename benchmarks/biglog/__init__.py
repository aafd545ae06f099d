"""The synthetic verbose build log of benchmarks/make_big_log.py, in parts: model, BERT graph, timing,
writer, sections."""
