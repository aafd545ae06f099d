"""Is the model a transformer, judged from the tensor and node names of a log alone (no ONNX model)?

Why weigh names: excerpts of one real XLM-R build got different verdicts because a fixed count of
three attention/LayerNorm names was reached in some excerpts and not in others. Names differ in how
much they prove. ``embeddings.LayerNorm.weight_output`` or ``attention_mask`` alone are unambiguous;
a ``Softmax`` alone is not (every classifier ends in one), but a Softmax inside an encoder/decoder
layer path is attention. So each name is put into evidence categories, and the decision is:

- any *strong* category (LayerNorm weights/biases or LayerNorm nodes, attention/self-attention
  names, text-model inputs, embedding tables), or
- two different *weak* categories (Softmax, encoder/decoder layer paths, ``ONNXTRT_Broadcast``
  helpers warned next to LayerNorm names).

The result names what convinced it, so the finding can say so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice

from trtdiag.bulk import SLICE, JoinedNames, names_with

#: (category, strong?, pattern), in the order the finding lists them.
CATEGORIES: tuple[tuple[str, bool, re.Pattern[str]], ...] = (
    ("LayerNorm weights/biases", True,
     re.compile(r"(?i)(?:layer_?norm|\bln_\w*|\bln\d*)[./_](?:weight|bias|gamma|beta)")),
    ("LayerNorm nodes", True, re.compile(r"(?i)layer_?norm(?:alization)?")),
    ("text-model inputs", True, re.compile(r"^(?:input_ids|attention_mask|token_type_ids|position_ids)(?:_output)?$")),
    ("attention names", True, re.compile(r"(?i)self_attn|attention|\battn\b|/attn/|\.attn\.|multi_?head")),
    ("embedding tables", True, re.compile(r"(?i)(?:word|position|token_type)_embeddings")),
    ("encoder/decoder layer paths", False,
     re.compile(r"(?i)(?:encoder|decoder)[./](?:layers?|blocks?|h)\b|transformer[./]h[./]\d+")),
    ("Softmax", False, re.compile(r"Softmax|softmax")),
)
#: Plain words without which a category's pattern cannot match, looked for with ``in`` (many times faster than
#: a regex that has no literal to start from) before the pattern searches a slice of names. Lower case for the
#: case-insensitive patterns (searched in the lowered names), as written for the others.
NEEDLES: dict[str, tuple[str, ...]] = {
    "LayerNorm weights/biases": ("norm", "ln"),
    "LayerNorm nodes": ("norm",),
    "text-model inputs": ("input_ids", "attention_mask", "token_type_ids", "position_ids"),
    "attention names": ("attn", "attention", "multi"),
    "embedding tables": ("_embeddings",),
    "encoder/decoder layer paths": ("encoder", "decoder", "transformer"),
    "Softmax": ("oftmax",),
}
BROADCAST = "ONNXTRT_Broadcast helpers next to LayerNorm names"
_BROADCAST_WORD = re.compile("onnxtrt_broadcast")
MAX_NAMES = 3  # examples kept per category


@dataclass(frozen=True)
class NameEvidence:
    """Which categories the names fell into, with a few example names each."""

    categories: tuple[tuple[str, tuple[str, ...]], ...]
    strong: bool

    @property
    def convincing(self) -> bool:
        return self.strong or len(self.categories) >= 2

    def describe(self) -> str:
        """``LayerNorm weights/biases (a, b); text-model inputs (input_ids)``."""
        return "; ".join(f"{cat} ({', '.join(names) if names else 'the same names'})" for cat, names in self.categories)


def weigh_names(names: Sequence[str]) -> NameEvidence:
    """Sort ``names`` (in log order) into evidence categories. A name counts for every category it fits
    but is shown once, under the first (the finding stays short)."""
    found: dict[str, list[str]] = {}
    examined: dict[str, int] = {}
    strong = False
    chunks = iter(names)
    while part := list(islice(chunks, SLICE)):  # slices bound the joined text's memory
        joined = JoinedNames(part)
        for index, (category, is_strong, pattern) in enumerate(CATEGORIES):
            bucket = found.get(category)
            if bucket is not None and (len(bucket) >= MAX_NAMES or examined[category] >= EXAMPLE_SCAN):
                continue  # present, and its examples are settled
            for i in joined.hits(pattern, NEEDLES[category]):
                strong = strong or is_strong
                bucket = found.setdefault(category, [])
                name = part[i]
                if name not in bucket and not any(p.search(name) for _, _, p in CATEGORIES[:index]):
                    bucket.append(name)
                examined[category] = examined.get(category, 0) + 1
                if len(bucket) >= MAX_NAMES or examined[category] >= EXAMPLE_SCAN:
                    break
    helpers = _broadcast_next_to_layernorm(names)
    if helpers:
        found[BROADCAST] = helpers
    ordered = [c for c, _, _ in CATEGORIES if c in found] + ([BROADCAST] if helpers else [])
    return NameEvidence(tuple((c, tuple(found[c])) for c in ordered), strong)


#: Matches of a category examined for its examples: past this, a category whose names all fit an earlier
#: category keeps fewer examples rather than costing a search per name of a million.
EXAMPLE_SCAN = 2000


def _broadcast_next_to_layernorm(names: Sequence[str]) -> list[str]:
    """``ONNXTRT_Broadcast_N_output`` right before or after a LayerNorm name: the parser's helper for a
    LayerNorm weight (TensorRT broadcasts the 1-D weight to the activation's rank)."""
    out: list[str] = []
    for i in names_with(_BROADCAST_WORD, names):
        name = names[i]
        if not name.startswith("ONNXTRT_Broadcast"):
            continue
        near = [*names[max(0, i - 2):i], *names[i + 1:i + 3]]
        if any(re.search(r"(?i)layer_?norm", n) for n in near) and name not in out:
            out.append(name)
            if len(out) >= MAX_NAMES:
                break
    return out
