"""compare checks its inputs before trusting them: --fp16/--int8 given the wrong way round, an INT8 side with
no INT8 layer, engines of different networks, and several builds' artifacts in one log or folder (never
merged or dropped silently)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from trtdiag.cli import main
from trtdiag.comparison import compare_artifacts

from .conftest import FIXTURES, MODELS

ENGINES = FIXTURES / "engines"
FP16, QDQ = ENGINES / "fp16", ENGINES / "int8_qdq"


def _compare(tmp_path: Path, fp16: Path, int8: Path, *extra: str) -> tuple[int, str, dict | None]:
    out = tmp_path / "c.json"
    r = CliRunner().invoke(main, ["compare", "--fp16", str(fp16), "--int8", str(int8), "-o", str(tmp_path / "c.html"),
                                  "--json", str(out), *extra])
    return r.exit_code, r.stderr, json.loads(out.read_text()) if out.exists() else None


def test_right_way_round_has_no_input_warning(tmp_path: Path) -> None:
    code, err, doc = _compare(tmp_path, FP16, QDQ, "--strict")
    assert code == 0 and "warning" not in err
    assert doc is not None and doc["inputs_check"] == {"different_networks": None, "sides": None, "swapped": False}


def test_swapped_sides_warn_and_strict_exits_2_writing_nothing(tmp_path: Path) -> None:
    code, err, doc = _compare(tmp_path, QDQ, FP16)
    assert code == 0 and "look swapped" in err
    assert doc is not None and doc["inputs_check"]["swapped"] is True
    assert doc["notes"][0].startswith("The FP16 side has 10 INT8 layers and the INT8 side none")
    strict_dir = tmp_path / "strict"
    strict_dir.mkdir()
    code, err, doc = _compare(strict_dir, QDQ, FP16, "--strict")
    assert code == 2 and doc is None and not (strict_dir / "c.html").exists()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trtdiag: error: ") and "swapped" in lines[0]


def test_int8_side_without_int8_layers_is_a_warning_not_a_usage_error(tmp_path: Path) -> None:
    code, err, doc = _compare(tmp_path, FP16, FP16, "--strict")
    assert code == 0 and "The INT8 side has no INT8 layer" in err
    assert doc is not None and doc["inputs_check"]["swapped"] is False and doc["inputs_check"]["sides"]


def test_engines_of_different_networks_fail_strict(tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(QDQ, other)
    for f in other.iterdir():  # the same engine with other I/O names: "a different network" to the check
        if f.suffix == ".json":
            text = f.read_text().replace('"input_ids"', '"images"').replace('"attention_mask"', '"image_mask"')
            f.write_text(text.replace('"last_hidden_state"', '"logits"').replace('"pooler_output"', '"boxes"'))
    code, err, doc = _compare(tmp_path, FP16, other)
    assert code == 0 and "look like different networks" in err
    assert doc is not None and "share no I/O tensor" in doc["inputs_check"]["different_networks"]
    code, _, _ = _compare(tmp_path, FP16, other, "--strict")
    assert code == 1


def test_a_folder_with_two_builds_exports_says_which_is_used(tmp_path: Path) -> None:
    folder = tmp_path / "int8"
    folder.mkdir()
    shutil.copy(QDQ / "layers.json", folder / "a_layers.json")
    shutil.copy(ENGINES / "int8_implicit" / "layers.json", folder / "b_layers.json")
    c = compare_artifacts(FP16, folder)
    assert any(n.startswith("b_layers.json: not used: a_layers.json already gave this engine's layers")
               for n in c.int8.notes), c.int8.notes
    code, err, _ = _compare(tmp_path, FP16, folder)
    assert code == 0 and "trtdiag: note: b_layers.json: not used" in err


def test_a_log_holding_two_builds_says_how_many_listings_and_which_is_used(tmp_path: Path) -> None:
    two = tmp_path / "two_builds.log"
    two.write_bytes((ENGINES / "int8_implicit" / "build.log").read_bytes() + (QDQ / "build.log").read_bytes())
    code, err, doc = _compare(tmp_path, FP16, two, "--model", str(MODELS / "xlmr_tiny_ts_op17.onnx"))
    assert code == 0 and "2 engine layer listings found; the last one" in err
    assert doc is not None and doc["int8"]["precision_counts"].get("INT8") == 10  # the last build (Q/DQ)
