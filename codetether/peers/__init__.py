"""Peer discovery for ``codetether spawn``: other A2A agents found from ``--peer`` and ``CODETETHER_A2A_PEERS``."""
