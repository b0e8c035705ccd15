"""The simulated economy as plain numpy state and one function per yearly sub-model.

The engine never imports Mesa, Hydra or matplotlib; :class:`s3sim.model.S3Model` is a
thin Mesa facade over it. Layout (``docs/architecture.md``):

``state`` (:class:`~s3sim.engine.state.EconomyState`), ``build`` (construction),
``space_arrays`` (product-space arrays shared across runs), ``observation`` (what a
policy sees and plans), ``draws`` (the year's random numbers), ``diversification``
(attempts, subsidies, success, ventures), ``growth`` (growth and exit), ``measure``
(output, RCA, presence, density), ``step`` (one year), and the state holders
``firms``, ``market``, ``research``, ``regions``, ``rng``, ``initial_data``.
"""
