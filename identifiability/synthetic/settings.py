"""Settings of the synthetic experiments: the data generating process and the training of a run.

Plain frozen dataclasses, no torch: the workflow builds its plan (every process, run and table
cell) from them while parsing the rules, and a ``snakemake -n`` should not pay for importing torch.
Their defaults are the reference code's, and the one home of these settings' defaults: the config
schema (``schemas/synthetic.schema.yaml``) checks their types and ranges and fills in no default
for them. (Every other config default is the schema's; the paper's baseline is
``reference/paper_baseline.yaml``.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from identifiability.strict_settings import StrictSettings
from identifiability.synthetic.methods import method_info

# Which settings each conditional family reads; used to name runs and to validate settings.
CONDITIONAL_PARAMS: dict[str, tuple[str, ...]] = {
    "vmf": ("kappa",),
    "laplace": ("scale",),
    "normal": ("scale",),
    "truncated_laplace": ("scale", "truncation"),
    "generalized_normal": ("alpha", "shape"),
}

# Whether the paper's theory covers the family (vMF only).
ASSUMPTIONS_HOLD = {"vmf": True}


@dataclass(frozen=True)
class ProcessSettings(StrictSettings):
    """Settings of the data generating process (defaults: the reference code's)."""
    # the paper's cluster-centric process, or the one InfoNCE's identifiability theory is stated for
    # (Zimmermann et al. 2021, cl-ica): latents uniform on the sphere, positives z+ ~ vMF(z, kappa)
    kind: str = "cluster_centric"      # cluster_centric | infonce
    d: int = 5                         # latent (and observation) dimension
    clusters: int = 100                # number of classes |C|
    N: int = 1000                      # number of instance labels (rows of W for DIET)
    cluster_marginal: str = "uniform"  # uniform | laplace | normal (around e1, projected)
    cluster_scale: float = 1.0         # scale of the laplace / normal cluster marginal
    conditional: str = "vmf"           # vmf | laplace | normal | truncated_laplace | generalized_normal
    kappa: float = 10.0                # vMF concentration (infonce: of the positive around its anchor)
    scale: float = 1.0                 # scale of the laplace / normal / truncated laplace conditional
    truncation: float = 1.0            # support [-T, T] of the truncated laplace
    alpha: float = 1.0                 # generalized normal: exp(-alpha * ||v - z||_shape^shape)
    shape: float = 2.0                 # generalized normal shape (1 = Laplace, 2 = Normal)
    generator_layers: int = 4
    generator_candidates: int = 1000   # draws per layer; the best conditioned is kept
    eval_samples: int = 8192           # held-out samples stored in the file

    SCHEMA = ("synthetic.schema.yaml", "process")

    def __post_init__(self):
        self.check_schema()   # each value's type and range: the config schema's rules
        if self.kind == "infonce" and self.conditional != "vmf":
            raise ValueError("the infonce process draws positives from vMF(z, kappa): conditional must be vmf")

    @property
    def has_labels(self) -> bool:
        """Instance labels and classes exist (the cluster-centric process); infonce has none."""
        return self.kind == "cluster_centric"

    def conditional_params(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in CONDITIONAL_PARAMS[self.conditional]}


@dataclass(frozen=True)
class TrainSettings(StrictSettings):
    """Training of one run. ``method`` names the objective (``identifiability.synthetic.methods``)."""
    method: str = "diet"          # diet | supervised | infonce | tcl | gcl (see methods/)
    feature_norm: bool = False    # unit-normalise f(x)
    w_norm: bool = False          # unit-normalise the rows of W
    beta: str = "learned"         # learned (the paper) | fixed (at beta_init; 1 = the reference code)
    beta_init: float = 1.0        # initial (or fixed) inverse temperature beta
    steps: int = 1000
    batch_size: int = 1024
    lr: float = 1e-3
    schedule: str = "cosine"      # constant | cosine (decay to 0 after warm-up)
    warmup_steps: int = 0
    label_noise: float = 0.0      # probability of replacing a label by a uniform draw
    checkpoint_every: int = 500   # steps between (atomic) resume checkpoints; 0 = never
    log_every: int = 100
    # the encoder's matrix products on a CPU: float32, bfloat16 (bfloat16 inputs, float32
    # accumulation), or auto = bfloat16 where this machine is measured to compute them faster;
    # GPUs: float32. Resolved per run into its "products" (identifiability.numerics).
    cpu_matmul: str = "float32"

    SCHEMA = ("synthetic.schema.yaml", "train")

    def __post_init__(self):
        self.check_schema()   # each value's type and range (method: the registry's names)
        if self.label_noise and not method_info(self.method).needs_labels:
            raise ValueError(f"label_noise applies to methods trained on labels; {self.method} has none")

    def head_rows(self, process: ProcessSettings) -> int:
        """Rows of W: one per instance label, one per class, or none (the method's head)."""
        head = method_info(self.method).head
        return {"instances": process.N, "classes": process.clusters, None: 0}[head]

    def check_process(self, process: ProcessSettings) -> None:
        """ValueError if this training cannot run on ``process`` (e.g. labels the process lacks)."""
        if method_info(self.method).needs_labels and not process.has_labels:
            raise ValueError(f"method {self.method} trains on labels, which process kind {process.kind} "
                             "does not have (use infonce there)")

    def lr_at(self, step: int) -> float:
        if step < self.warmup_steps:
            return self.lr * (step + 1) / self.warmup_steps
        if self.schedule == "constant":
            return self.lr
        progress = (step - self.warmup_steps) / max(self.steps - self.warmup_steps, 1)
        return self.lr * 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


# training settings that may differ between runs trained together in one stacked job
PER_RUN_FIELDS = ("feature_norm", "w_norm", "beta", "beta_init", "label_noise")


def theorem_case(train: TrainSettings) -> str | None:
    """Which case of the paper's theorems a training setting is: C1-C4 of Theorem 1 (DIET with
    f(x) and the rows of W normalised or not), "supervised" (Theorem 2), or None (no theorem of
    the paper speaks of it, e.g. InfoNCE)."""
    if train.method == "supervised":
        return "supervised"
    if train.method != "diet":
        return None
    return {(True, True): "C1", (True, False): "C2", (False, True): "C3", (False, False): "C4"}[
        (train.feature_norm, train.w_norm)]
