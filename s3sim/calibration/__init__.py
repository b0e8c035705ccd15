"""Calibration (simulated method of moments, history matching) and global sensitivity.

Modules, each with one job:

- :mod:`~s3sim.calibration.moments`: one function per empirical moment, from the tables;
- :mod:`~s3sim.calibration.targets`: ``s3sim/data/targets.csv``, SMM loss, implausibility;
- :mod:`~s3sim.calibration.parameters`: uncertain parameters and bounds from config;
- :mod:`~s3sim.calibration.evaluate`: one parameter set on the common seeds;
- :mod:`~s3sim.calibration.calibrate`: Optuna studies (design + optimiser), resumable;
- :mod:`~s3sim.calibration.report`: tables, calibrated scenario, figures;
- :mod:`~s3sim.calibration.sensitivity`: Morris screening and Sobol indices (SALib);
- :mod:`~s3sim.calibration.hydra_study`: ``s3sim -m experiment=calibration|sensitivity``.
"""
