"""Signals of intake, for other apps to act on without intake importing them."""

from django.dispatch import Signal

# Sent after the commit that published a job's web model: kwargs job_id, artifact_id.
intake_published = Signal()
