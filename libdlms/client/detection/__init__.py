"""Finding out how a meter talks, with nothing given but the port: listen for pushed data
first, then poll with the public client (``run``); the order and the judgements are data
and pure code (``facts.json``, ``plan``), the results say what was found (``results``)."""

from .plan import (
    AddressCandidate,
    Attempt,
    DetectionFacts,
    ListenOutcome,
    ListenWindow,
    SerialLine,
    address_candidates,
    load_detection_facts,
)
from .results import Detection, NothingDetected, PollDetected, PushDetected
from .run import Detector, detect, speed_is_ours

__all__ = [
    "AddressCandidate",
    "Attempt",
    "Detection",
    "DetectionFacts",
    "Detector",
    "ListenOutcome",
    "ListenWindow",
    "NothingDetected",
    "PollDetected",
    "PushDetected",
    "SerialLine",
    "address_candidates",
    "detect",
    "load_detection_facts",
    "speed_is_ours",
]
