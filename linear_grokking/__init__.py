"""Linear models that grok (issues 21-22). Subpackages import nothing heavy at package import."""
