"""Signals the placement services send for the layers above them."""

from django.dispatch import Signal

# Sent by every placement service that writes assignments, inside its transaction, after the write, with
# `referral_ids`: the starts whose assignments changed. participants keeps the stored waiting periods with it
# (participants.services.waiting_periods_refresh), which this layer cannot import.
assignments_changed = Signal()
