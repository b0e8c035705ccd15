"""Command-line entry points (``s3sim``, ``s3sim-analyze``, ``s3sim-dashboard``)."""
