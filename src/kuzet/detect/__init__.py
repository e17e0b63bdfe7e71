"""detect stage: normalisation, language, lexicons, indicators, a learned model, fusion.

Detector.default().detect(text, title=..., image_text=..., html=...) -> records.Verdict
"""

from kuzet.detect.detector import Detector

__all__ = ["Detector"]
