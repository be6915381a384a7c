"""Pure-Python building blocks: token codecs, key ring, policy engine, header parsing.

Nothing in this package imports Django, so it stays fast, fuzzable and easy to reason about.
"""
