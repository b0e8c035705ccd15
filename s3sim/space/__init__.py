"""The product space and the economic-complexity metrics measured on it.

:mod:`s3sim.space.metrics` (RCA, proximity, relatedness density, ECI/PCI, COI/COG) is
pure numpy; :mod:`s3sim.space.product_space` builds :class:`ProductSpace` objects (the
Atlas HS92 space, seeded synthetic spaces, spaces derived from trade data). Nothing in
this package imports the model, Mesa or Hydra.
"""
