"""Reproduction toolkit for "Cross-Entropy Is All You Need To Invert the Data Generating Process".

Library code only: data generating processes, samplers, models, training loops, metrics, HDF5 I/O
and report rendering. The Snakemake workflow and the command-line stages in ``scripts/`` are thin
wrappers over this package.
"""

__version__ = "0.1.0"
