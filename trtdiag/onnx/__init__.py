"""Reading ONNX models without their weights: structure (wire format), graph index, shapes and MACs."""
