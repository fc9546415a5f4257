"""Suite-wide settings.

Under CI (``CI`` set in the environment) hypothesis runs derandomized: the property
tests explore the same examples every time, so a landing is never decided by an
unlucky draw. Locally they keep exploring new examples on every run.
"""
import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
