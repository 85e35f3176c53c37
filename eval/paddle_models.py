"""Build PaddleOCR 3.x model folders from the ONNX files inside the rapidocr wheel (offline, no download).

    python -m eval.paddle_models [--out DIR]   # default: <models_dir>/paddleocr

Each folder holds ``inference.onnx`` and the ``inference.yml`` paddlex reads (pre-/post-processing). The
detector is PP-OCRv6-small (normalisation mean = std = 0.5, as rapidocr runs it); the recogniser's character
list comes from the ONNX metadata. The textline-orientation model (0°/180°) is the wheel's PP-OCR cls model.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import yaml

DET = {
    "Global": {"model_name": "PP-OCRv5_mobile_det"},
    "PreProcess": {
        "transform_ops": [
            {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
            {"DetResizeForTest": {"limit_side_len": 960, "limit_type": "max"}},
            {"NormalizeImage": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "scale": 1 / 255, "order": "hwc"}},
            {"ToCHWImage": None},
            {"KeepKeys": {"keep_keys": ["image", "shape"]}},
        ]
    },
    "PostProcess": {"name": "DBPostProcess", "thresh": 0.3, "box_thresh": 0.5, "max_candidates": 1000,
                    "unclip_ratio": 1.6},
}  # fmt: skip


ORIENTATION = {  # rapidocr's 0°/180° line classifier (ch_ppocr_mobile_v2.0_cls, input 3×48×192)
    "Global": {"model_name": "PP-LCNet_x0_25_textline_ori"},
    "PreProcess": {
        "transform_ops": [
            {"ResizeImage": {"size": [192, 48]}},
            {"NormalizeImage": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "scale": 1 / 255, "order": ""}},
            {"ToCHWImage": None},
        ]
    },
    "PostProcess": {"Topk": {"topk": 1, "label_list": ["0_degree", "180_degree"]}},
}


def rec_config(characters: list[str]) -> dict:
    return {
        "Global": {"model_name": "PP-OCRv5_mobile_rec"},
        "PreProcess": {
            "transform_ops": [
                {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
                {"RecResizeImg": {"image_shape": [3, 48, 320]}},
                {"KeepKeys": {"keep_keys": ["image", "length"]}},
            ]
        },
        "PostProcess": {"name": "CTCLabelDecode", "character_dict": characters},
    }


def build(out: Path) -> Path:
    import onnxruntime as ort
    import rapidocr

    src = Path(rapidocr.__file__).parent / "models"
    det, rec = src / "PP-OCRv6_det_small.onnx", src / "PP-OCRv6_rec_small.onnx"
    cls = src / "ch_ppocr_mobile_v2.0_cls_mobile.onnx"
    chars = ort.InferenceSession(str(rec)).get_modelmeta().custom_metadata_map["character"].splitlines()
    for name, model, cfg in (("det", det, DET), ("rec", rec, rec_config(chars)), ("textline_ori", cls, ORIENTATION)):
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(model, folder / "inference.onnx")
        (folder / "inference.yml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return out


def main() -> None:
    from assistant.settings import get_settings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=get_settings().models_dir / "paddleocr")
    print(build(ap.parse_args().out))


if __name__ == "__main__":
    main()
