"""Diagnosis rules: each root cause is one module whose ``RULE`` carries its id, severity and words as data.

``base.py`` is the protocol (:class:`~trtdiag.rules.base.Rule`, sorting, CI verdicts), ``context.py`` what
rules look at, ``builds/`` and ``engines/`` one module per rule, ``registry.py`` the ordered lists and the
entry points (``run_rules``, ``run_comparison_rules``, ``markdown_table``), ``cache_check.py`` the
calibration-cache checks against the model and the build.
"""
