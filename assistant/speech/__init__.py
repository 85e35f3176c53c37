"""Voice questions (语音提问): decoding, speech detection, Whisper engines, language handling.

Heavy libraries (PyAV, soundfile, faster-whisper, torch) are imported only where they are used.
"""

from assistant.speech.types import Recognition, Segment, Transcript

__all__ = ["Recognition", "Segment", "Transcript"]
