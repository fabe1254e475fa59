"""Bus routing core: picks the compiled twin unless CODETETHER_NO_EXTENSIONS is set or it is missing."""

import os
from typing import TYPE_CHECKING

__all__ = ["IMPLEMENTATION", "RingBus", "topic_matches", "validate_pattern", "validate_topic"]

if TYPE_CHECKING or os.environ.get("CODETETHER_NO_EXTENSIONS"):
    from ._ringbus_py import RingBus, topic_matches, validate_pattern, validate_topic

    IMPLEMENTATION = "python"
else:
    try:
        from ._ringbus_c import RingBus, topic_matches, validate_pattern, validate_topic

        IMPLEMENTATION = "c"
    except ImportError:
        from ._ringbus_py import RingBus, topic_matches, validate_pattern, validate_topic

        IMPLEMENTATION = "python"
