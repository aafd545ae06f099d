"""Engine (FP16-vs-INT8 comparison) rules, one module per rule; listed in trtdiag/rules/registry.py."""
