"""Replay of the ONNX parser's unique-name counter (names the node behind ``ONNXTRT_Broadcast_<N>``).

``increments`` holds, as data, what each modelled importer registers; ``replay`` walks a graph in
node order through a simulated ``ImporterContext``; ``fit`` maps the helper numbers seen in a log
onto the predicted broadcasts with one offset; ``attribute`` applies the result to mapped tensors.
"""
