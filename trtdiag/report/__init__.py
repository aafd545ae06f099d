"""The HTML reports, rendered from the documents of ``trtdiag.documents`` (see ``report/html.py``)."""
