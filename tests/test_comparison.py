"""FP16 vs INT8 comparison on real public engine pairs (../shared/corpus) and on the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import trtdiag

from .conftest import CORPUS, CORPUS_SKIP, ROOT, artifact

TREX = CORPUS / "trex"
LOGS = CORPUS / "logs"


def _art(number: str) -> str:
    return str(artifact(LOGS, number))


def _need_corpus() -> None:
    if not (TREX / "MANIFEST.json").exists():
        pytest.skip(f"{CORPUS_SKIP} at {CORPUS}")


def test_resnet18_a100_trex_pair() -> None:
    """TREx's ResNet-18 on A100: FP16 (007-010) vs QAT INT8 (001-006); the QAT engine is slower."""
    _need_corpus()
    fp16 = sorted(TREX.glob("00[789]_*.json")) + sorted(TREX.glob("010_*.json"))
    int8 = sorted(p for p in TREX.glob("00[1-6]_*.json") if "device" not in p.name)
    c = trtdiag.compare([p for p in fp16 if not p.name.endswith(".meta.json")],
                        [p for p in int8 if not p.name.endswith(".meta.json")])
    assert c.alignment == "structure"  # FP16 and QAT exports number their ONNX nodes differently
    t16, t8, basis = c.totals()
    assert (round(t16, 6), round(t8, 6)) == (1.016832, 1.09568) and basis.startswith("sum of per-layer")
    assert c.fp16.gpu_compute_median_ms == pytest.approx(0.862183)
    assert c.int8.precision_counts == {"FP32": 3, "INT8": 22, "FP16": 11}
    ids = [f.id for f in c.findings]
    assert ids[0] == "int8-slower-than-fp16" and "fp32-fallback-layers" in ids
    slow = next(f for f in c.findings if f.id == "int8-slower-than-fp16")
    assert any("unfused Q/DQ" in n for n in slow.evidence.notes)
    first = c.units[0]
    assert (first.fp16_layer, first.int8_layer) == ("Conv_0 + Relu_1", "conv1.weight + QuantizeLinear_7 + Conv_9")
    assert first.int8_precision == "INT8" and first.delta_ms == pytest.approx(0.201728 - 0.111616)


def test_tf_resnet50_rtx3090_pair_is_faster_in_int8() -> None:
    _need_corpus()
    c = trtdiag.compare([_art("075"), _art("076")], [_art("077"), _art("078")])
    assert c.speedup == pytest.approx(4.272736 / 2.380608, rel=1e-4)
    assert "int8-slower-than-fp16" not in [f.id for f in c.findings]
    assert c.int8.precision_counts.get("INT8") == 58


def test_trtexec_logs_with_only_performance_summaries() -> None:
    _need_corpus()
    c = trtdiag.compare(_art("024"), _art("023"))
    t16, t8, basis = c.totals()
    assert basis.startswith("GPU compute median") and t16 > t8
    assert c.units == ()


def test_compare_cli_writes_html_json_csv(tmp_path: Path) -> None:
    _need_corpus()
    html, js, csv = tmp_path / "c.html", tmp_path / "c.json", tmp_path / "nodes.csv"
    args = [sys.executable, "-m", "trtdiag", "compare", "--fp16", _art("071"), "--fp16", _art("072"),
            "--int8", _art("073"), "--int8", _art("074"), "-o", str(html), "--json", str(js), "--csv", str(csv),
            "--min-speedup", "1.0"]
    proc = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 1 and proc.stdout.startswith("trtdiag: FAIL: compare: INT8 speed-up 0.93x")
    doc = json.loads(js.read_text())
    assert doc["schema"] == "trtdiag.comparison/1" and doc["speedup"] == pytest.approx(0.928036, rel=1e-4)
    from trtdiag.documents.schemas import validate

    pytest.importorskip("jsonschema")
    validate(doc)
    assert csv.read_text().splitlines()[0].startswith("unit,op_type,block")
    page = html.read_text()
    assert "<svg" in page and 'class="strip"' in page and "Top layers by slowdown" in page


def test_missing_artifacts_are_bad_input(tmp_path: Path) -> None:
    empty = tmp_path / "nothing.json"
    empty.write_text('{"foo": 1}')
    proc = subprocess.run([sys.executable, "-m", "trtdiag", "compare", "--fp16", str(empty), "--int8", str(empty)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
