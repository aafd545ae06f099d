"""The versioned JSON documents (analysis, comparison): one document behind JSON and HTML."""
