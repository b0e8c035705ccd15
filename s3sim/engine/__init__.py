"""The simulated economy as plain numpy state and one function per yearly sub-model.

The engine never imports Mesa, Hydra or matplotlib; :class:`s3sim.model.S3Model` is a
thin Mesa facade over it.
"""
