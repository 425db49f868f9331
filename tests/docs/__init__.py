"""The documentation's code blocks (docs/guides/*.md and the README), run as tests."""
