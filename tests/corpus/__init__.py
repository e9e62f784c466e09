"""A corpus of convolutions written the way people write and publish them (see `manifest.py`)."""
