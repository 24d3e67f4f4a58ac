"""ImageNet-X experiment (paper Sec. 4.3, Fig. 3): which annotated factors of variation can a
linear probe read off the representations of pretrained and random networks?

One job per module: ``annotations`` (the 16 binary factors + class), ``images`` (finding the
validation JPEGs), ``weights`` (local torchvision checkpoints, hash-checked), ``models`` (the five
representations and their evaluation transforms), ``extract`` (chunked, resumable HDF5),
``decode`` (balanced logistic-regression probes), ``report`` (t-tests, table, Figure 3).
"""

from identifiability.imagenetx.annotations import FACTORS, ANNOTATED_FACTORS
from identifiability.imagenetx.names import MODELS

__all__ = ["FACTORS", "ANNOTATED_FACTORS", "MODELS"]
