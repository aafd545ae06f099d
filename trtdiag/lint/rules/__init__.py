"""One module per lint rule; each defines ``RULE`` (a :class:`trtdiag.lint.rules.base.LintRule`).

The ordered list of rules lives in :mod:`trtdiag.lint.registry` so that this package file imports nothing.
"""
