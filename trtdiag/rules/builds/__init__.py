"""Build-log rules, one module per rule; the order they run in is listed in trtdiag/rules/registry.py."""
