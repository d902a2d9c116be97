"""Settings for the pages bench: Senda's production settings plus the floor view's URLs."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.pages_urls"
