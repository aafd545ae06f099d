"""weigh_names searches each category once over all names (fast on a million warned names); it must give
what the plain definition gives: every name checked against every category, shown under the first it fits."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from trtdiag.rules import transformer_names as T

PARTS = ["/encoder/layer.1/attention/self/query/MatMul_output_0", "input_ids", "attention_mask_output", "Softmax_12",
         "/encoder/layers/0/LayerNorm/weight", "ln_1.bias", "word_embeddings", "x", "/transformer/h/3/mlp",
         "ONNXTRT_Broadcast_12_output", "/decoder.blocks.2/Add", "SOFTMAX", "INPUT_IDS", "multihead_attn",
         "/layer_norm/Mul", "Layernorm é", "a\nb"]


def plain(names: list[str]) -> T.NameEvidence:
    found: dict[str, list[str]] = {}
    strong = False
    for name in names:
        shown = False
        for category, is_strong, pattern in T.CATEGORIES:
            if pattern.search(name):
                bucket = found.setdefault(category, [])
                if not shown and len(bucket) < T.MAX_NAMES and name not in bucket:
                    bucket.append(name)
                shown = True
                strong = strong or is_strong
    helpers = T._broadcast_next_to_layernorm(names)
    if helpers:
        found[T.BROADCAST] = helpers
    ordered = [c for c, _, _ in T.CATEGORIES if c in found] + ([T.BROADCAST] if helpers else [])
    return T.NameEvidence(tuple((c, tuple(found[c])) for c in ordered), strong)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PARTS), st.one_of(st.just(""), st.integers(0, 9).map(lambda k: f"_{k}"))),
                max_size=14))
def test_bulk_weighing_equals_the_plain_definition(parts: list[tuple[str, str]]) -> None:
    names = [a + b for a, b in parts]
    assert T.weigh_names(names) == plain(names)
    saved = T.SLICE
    try:
        T.SLICE = 3  # several slices: examples and presence carried from one slice to the next
        assert T.weigh_names(names) == plain(names)
    finally:
        T.SLICE = saved


def test_many_names_fitting_an_earlier_category_keep_the_first_examples() -> None:
    names = [f"/encoder/layers/{i}/LayerNorm/weight" for i in range(5000)] + ["/encoder/layers/9/attention/x"]
    got = dict(T.weigh_names(names).categories)
    assert got["LayerNorm weights/biases"] == tuple(names[:3])
    assert got["attention names"] == (names[-1],)


def test_every_category_has_its_needles() -> None:
    """A category without needles would never be searched; each pattern's own examples hold a needle."""
    assert set(T.NEEDLES) == {c for c, _, _ in T.CATEGORIES}
    examples = {"LayerNorm weights/biases": "ln_1.bias", "LayerNorm nodes": "LayerNormalization",
                "text-model inputs": "attention_mask", "attention names": "multihead", "embedding tables":
                "position_embeddings", "encoder/decoder layer paths": "transformer.h.3", "Softmax": "Softmax_1"}
    for category, _, pattern in T.CATEGORIES:
        name = examples[category]
        assert pattern.search(name)
        text = name.lower() if pattern.flags & 2 and pattern.pattern.startswith("(?i)") else name
        assert any(n in text for n in T.NEEDLES[category]), category
