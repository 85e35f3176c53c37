"""OcrEngine adapters (the only modules that import an OCR package): RapidOCR (default) and PaddleOCR.

Both load offline: rapidocr 3.10 carries PP-OCRv6-small ONNX models in its wheel; the PaddleOCR adapter points
paddleocr at model folders built from those same ONNX files (``DAOBAN_PADDLE_MODEL_DIR``), so nothing is
downloaded. Each adapter has a cheap ``__init__``, a ``warm_up()`` that loads the models, ``read(bytes)``
(the port) and ``read_array(rgb)`` (no re-encoding for pages already decoded).
"""

from __future__ import annotations

import io
import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ModelMissingError, UpstreamError

OcrLine = tuple[str, float, list[list[float]]]
log = logging.getLogger("daoban.documents")


def _decode(image: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(image)).convert("RGB"))


class RapidOcrEngine:
    """rapidocr==3.10.0: PP-OCRv6-small detection + recognition, PP-OCRv4 direction classifier (ONNX)."""

    name = "rapidocr"

    def __init__(self, threads: int = 2, det_side: int = 960) -> None:
        self.threads = threads
        self.det_side = det_side
        self._ocr: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._ocr is not None:
                return
            try:
                from rapidocr import RapidOCR
            except ImportError as exc:
                raise ModelMissingError(
                    "文字识别组件未安装：请运行 pip install rapidocr==3.10.0。",
                    "The OCR engine is not installed: pip install rapidocr==3.10.0.",
                ) from exc
            self._ocr = RapidOCR(
                params={
                    "Global.log_level": "error",
                    "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
                    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                    "Det.limit_side_len": self.det_side,  # longest side for detection (downscale only)
                    "Det.limit_type": "max",
                }
            )
            self._ocr(np.full((64, 256, 3), 255, dtype=np.uint8))  # first call allocates the sessions

    def read(self, image: bytes) -> list[OcrLine]:
        return self.read_array(_decode(image))

    def read_array(self, rgb: np.ndarray) -> list[OcrLine]:
        self.warm_up()
        try:
            res = self._ocr(rgb)
        except Exception as exc:
            log.exception("rapidocr failed")
            raise UpstreamError("文字识别失败，请稍后再试。", "Text recognition failed; try again later.") from exc
        if res.boxes is None or res.txts is None:
            return []
        return [
            (str(t), float(s), [[float(x), float(y)] for x, y in box])
            for t, s, box in zip(res.txts, res.scores, res.boxes, strict=False)
        ]


class PaddleOcrEngine:
    """paddleocr 3.x with ``engine="onnxruntime"``: the optional second engine (``pip install daoban[paddle]``).

    ``model_dir`` holds ``det/`` and ``rec/`` folders (inference.onnx + inference.yml) built from the rapidocr
    wheel's ONNX files by ``python -m eval.paddle_models``; paddleocr never downloads anything then.
    """

    name = "paddleocr"

    def __init__(self, model_dir: Path, threads: int = 2) -> None:
        self.model_dir = Path(model_dir)
        self.threads = threads
        self._ocr: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._ocr is not None:
                return
            if not (self.model_dir / "det").is_dir() or not (self.model_dir / "rec").is_dir():
                raise ModelMissingError(
                    f"PaddleOCR 模型目录缺失：{self.model_dir}（运行 python -m eval.paddle_models 生成）。",
                    f"PaddleOCR model folders missing in {self.model_dir} (run python -m eval.paddle_models).",
                )
            try:
                from paddleocr import PaddleOCR
            except ImportError as exc:
                raise ModelMissingError(
                    "PaddleOCR 未安装：pip install 'daoban[paddle]'。", "PaddleOCR is not installed: daoban[paddle]."
                ) from exc
            self._ocr = PaddleOCR(
                text_detection_model_name="PP-OCRv5_mobile_det",
                text_detection_model_dir=str(self.model_dir / "det"),
                text_recognition_model_name="PP-OCRv5_mobile_rec",
                text_recognition_model_dir=str(self.model_dir / "rec"),
                use_doc_orientation_classify=False,
                use_doc_unwarping=False,
                textline_orientation_model_name="PP-LCNet_x0_25_textline_ori",
                textline_orientation_model_dir=str(self.model_dir / "textline_ori"),
                use_textline_orientation=(self.model_dir / "textline_ori").is_dir(),
                text_det_limit_side_len=960,
                text_det_limit_type="max",
                engine="onnxruntime",
                engine_config={"intra_op_num_threads": self.threads, "inter_op_num_threads": 1},
            )

    def read(self, image: bytes) -> list[OcrLine]:
        return self.read_array(_decode(image))

    def read_array(self, rgb: np.ndarray) -> list[OcrLine]:
        self.warm_up()
        try:
            out = self._ocr.predict(np.ascontiguousarray(rgb[:, :, ::-1]))  # paddleocr expects BGR
        except Exception as exc:
            log.exception("paddleocr failed")
            raise UpstreamError("文字识别失败，请稍后再试。", "Text recognition failed; try again later.") from exc
        lines: list[OcrLine] = []
        for res in out:
            r = res.json.get("res", res.json) if hasattr(res, "json") else res
            for t, s, poly in zip(r["rec_texts"], r["rec_scores"], r["rec_polys"], strict=False):
                lines.append((str(t), float(s), [[float(x), float(y)] for x, y in np.asarray(poly).tolist()]))
        return lines
