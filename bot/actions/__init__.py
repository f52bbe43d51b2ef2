"""Agents act from Slack, not only type: images out, answers to buyers' cancellation
and return requests, an approval gate for risky replies, a guard against replies sent
to the wrong buyer or in the wrong language, a response-rate guard.

The feature is declared in :mod:`bot.actions.feature`. This package imports nothing:
the core uses some of its leaf modules (``bot.config`` the approval and response-rate
rules, the sender and the relay how cards and images are sent) without importing the
feature.
"""
