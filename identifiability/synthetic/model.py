"""Encoder f and head W for R independent runs held as stacked tensors.

Every parameter carries a leading run dimension R; a forward pass is a handful of batched matmuls,
so R runs (seeds, or settings sharing shapes) train in one process as if each were alone: no
tensor mixes runs, BatchNorm statistics are per run, and Adam is element-wise. The switches
feature_norm, w_norm and learn_beta may differ between stacked runs (one bool per run, applied
with torch.where); a switch shared by all runs is one bool and costs nothing extra.

Encoder (paper / reference code): hidden widths [10d, 50d, 50d, 50d, 50d, 10d], each
Linear -> BatchNorm1d -> LeakyReLU (slope 0.01, torch's default, as in the reference encoder;
the Linear bias is omitted since BatchNorm cancels it), then a Linear to d outputs; optional
unit-norm output. Head: bias-free rows w_j, optionally unit-norm. Logits: beta * <w_j, f(x)>,
beta learnable (log-parametrised) or fixed.

Speed: each hidden layer is one bmm and one BatchNorm + LeakyReLU over the (R, B, C) activations
(on the CPU in training a compiled kernel fuses the two, forward and backward, in that layout, so
no tensor is ever transposed and copied between the matmuls; elsewhere torch's); the
cross-entropy over the N rows of W is fused with its gradient and chunked over the batch
(``linear_cross_entropy``) so the (B, N) logits never exist at once, on the CPU by a compiled
kernel in cache-sized tiles. The compiled kernels (``cpu_kernels``) have this module's torch code
as their fallback and as their reference in tests.
"""

from __future__ import annotations

import functools
import math
import os
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from identifiability.device import cpu_blas, matmul_precision

HIDDEN_FACTORS = (10, 50, 50, 50, 50, 10)
BN_EPS = 1e-5
BN_MOMENTUM = 0.1
ENCODER_SLOPE = 0.01   # torch.nn.LeakyReLU default, as in the reference encoder
LOGIT_CHUNK_ELEMENTS = 1 << 19   # logits per chunk of the fused cross-entropy (fits in cache)
MIN_CHUNK = 16


Switch = bool | tuple[bool, ...]   # one value for every stacked run, or one per run

SWITCHES = ("feature_norm", "w_norm", "learn_beta")


@dataclass(frozen=True)
class ModelShape:
    """Shape and switches of one run, or of stacked runs (``stack``: a switch per run if they differ)."""
    d: int
    head_rows: int
    feature_norm: Switch
    w_norm: Switch
    learn_beta: Switch
    hidden_factors: tuple[int, ...] = HIDDEN_FACTORS
    head_bias: bool = False      # a learned bias per row of W (TCL, GCL)

    @property
    def widths(self) -> list[int]:
        return [self.d] + [k * self.d for k in self.hidden_factors]

    @staticmethod
    def stack(shapes: list[ModelShape]) -> ModelShape:
        """The shape of these runs stacked: sizes must agree; a switch stays one bool where all agree."""
        sizes = {(s.d, s.head_rows, s.hidden_factors, s.head_bias) for s in shapes}
        if len(sizes) != 1:
            raise ValueError(f"stacked runs must share (d, head_rows, hidden_factors, head_bias); got {sorted(sizes)}")
        switches = {}
        for name in SWITCHES:
            values = tuple(getattr(s, name) for s in shapes)
            switches[name] = values[0] if len(set(values)) == 1 else values
        return replace(shapes[0], **switches)


@functools.lru_cache(maxsize=None)
def _run_mask(switch: tuple[bool, ...], device: torch.device) -> torch.Tensor:
    """Per-run switch as a (R, 1, 1) bool tensor, made once per device (no copy to the GPU each step)."""
    return torch.tensor(switch, device=device)[:, None, None]


def _unit_norm_where(t: torch.Tensor, switch: Switch) -> torch.Tensor:
    """Unit-normalise the last dimension of (R, rows, n) ``t`` for the runs whose switch is on."""
    if isinstance(switch, tuple):
        return torch.where(_run_mask(switch, t.device), F.normalize(t, dim=-1), t)
    return F.normalize(t, dim=-1) if switch else t


def init_run_parameters(shape: ModelShape, generator: torch.Generator, beta_init: float = 1.0) -> dict[str, torch.Tensor]:
    """Parameters of ONE run (no leading R), initialised like torch.nn.Linear (weights: out x in)."""
    dev = generator.device

    def uniform(shape_, fan_in):
        bound = 1.0 / math.sqrt(fan_in)
        return (torch.rand(shape_, generator=generator, device=dev) * 2 - 1) * bound

    p: dict[str, torch.Tensor] = {}
    widths = shape.widths
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        p[f"hidden{i}.weight"] = uniform((b, a), a)
        p[f"hidden{i}.bn_weight"] = torch.ones(b, device=dev)
        p[f"hidden{i}.bn_bias"] = torch.zeros(b, device=dev)
    p["out.weight"] = uniform((shape.d, widths[-1]), widths[-1])
    p["out.bias"] = uniform((shape.d,), widths[-1])
    p["head.weight"] = uniform((shape.head_rows, shape.d), shape.d)
    if shape.head_bias:   # zeros: no draw, so the generator's stream after initialisation is unchanged
        p["head.bias"] = torch.zeros(shape.head_rows, device=dev)
    p["log_beta"] = torch.full((), math.log(beta_init), device=dev)
    return p


def init_run_buffers(shape: ModelShape, device) -> dict[str, torch.Tensor]:
    b: dict[str, torch.Tensor] = {}
    for i, width in enumerate(shape.widths[1:]):
        b[f"hidden{i}.running_mean"] = torch.zeros(width, device=device)
        b[f"hidden{i}.running_var"] = torch.ones(width, device=device)
    return b


def trainable_names(shape: ModelShape, names) -> list[str]:
    """All but log_beta, which is trained when any run learns beta (see ``trained_beta``), and
    the head when there is none (a method without W)."""
    learn = shape.learn_beta
    learn_beta = any(learn) if isinstance(learn, tuple) else learn
    return [n for n in names if (n != "log_beta" or learn_beta) and not (n.startswith("head.") and shape.head_rows == 0)]


def stack_runs(per_run: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    return {k: torch.stack([r[k] for r in per_run]).contiguous() for k in per_run[0]}


def unstack_run(stacked: dict[str, torch.Tensor], r: int) -> dict[str, torch.Tensor]:
    return {k: v[r].detach().clone() for k, v in stacked.items()}


def _linear(h: torch.Tensor, weight: torch.Tensor, blas: str | None = None) -> torch.Tensor:
    """h @ weight^T per run: (R, B, in) x (R, out, in) -> (R, B, out), on the CPU in float32 by
    ``blas`` (mkl: torch's; openblas: numpy's; None: ``identifiability.device.cpu_blas``'s choice),
    on other devices by torch."""
    if h.device.type == "cpu" and h.dtype == torch.float32 and (blas or cpu_blas()) == "openblas":
        return _OpenBlasProduct.apply(h, weight)
    return _torch_linear(h, weight)


def _torch_linear(h: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``_linear`` by torch's own BLAS; a plain mm when R == 1."""
    if h.shape[0] == 1:
        return torch.mm(h[0], weight[0].t()).unsqueeze(0)
    return torch.bmm(h, weight.transpose(1, 2))


def _numpy_bmm(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a @ b per run by numpy (one BLAS gemm per run; transposed views are passed as such, not
    copied), sharing memory with torch on both sides."""
    return torch.from_numpy(np.matmul(a.detach().numpy(), b.detach().numpy()))


class _OpenBlasProduct(torch.autograd.Function):
    """h @ weight^T per run, forward and backward, by numpy's BLAS (see ``_linear``)."""

    @staticmethod
    def forward(ctx, h, weight):
        ctx.save_for_backward(h, weight)
        return _numpy_bmm(h, weight.transpose(1, 2))

    @staticmethod
    def backward(ctx, grad):
        h, weight = ctx.saved_tensors
        grad = grad.contiguous()
        return _numpy_bmm(grad, weight), _numpy_bmm(grad.transpose(1, 2), h)


class _OneDnnBfloat16Product(torch.autograd.Function):
    """h @ weight^T per run, forward and backward, with oneDNN's bfloat16 switch on (bfloat16
    inputs, float32 accumulation and outputs): the backward runs after the forward's context has
    closed, so it sets its own."""

    @staticmethod
    def forward(ctx, h, weight):
        ctx.save_for_backward(h, weight)
        with matmul_precision("bfloat16"):
            return _torch_linear(h, weight)

    @staticmethod
    def backward(ctx, grad):
        h, weight = ctx.saved_tensors
        with matmul_precision("bfloat16"):
            return torch.bmm(grad, weight), torch.bmm(grad.transpose(1, 2), h)


class _Bfloat16TensorProduct(torch.autograd.Function):
    """h @ weight^T per run, forward and backward, on explicit bfloat16 tensors (inputs rounded to
    bfloat16, the products' outputs bfloat16 too), cast back to float32: what reaches the
    bfloat16 units of CPUs where oneDNN's switch does not (AMD's AVX-512 BF16)."""

    @staticmethod
    def forward(ctx, h, weight):
        h16, w16 = h.bfloat16(), weight.bfloat16()
        ctx.save_for_backward(h16, w16)
        return _torch_linear(h16, w16).float()

    @staticmethod
    def backward(ctx, grad):
        h16, w16 = ctx.saved_tensors
        g16 = grad.bfloat16()
        return torch.bmm(g16, w16).float(), torch.bmm(g16.transpose(1, 2), h16).float()


_HIDDEN_PRODUCTS = {"bfloat16-onednn": _OneDnnBfloat16Product, "bfloat16-tensors": _Bfloat16TensorProduct}


def encode(params: dict[str, torch.Tensor], buffers: dict[str, torch.Tensor], shape: ModelShape,
           x: torch.Tensor, train: bool, products: str | None = None) -> torch.Tensor:
    """f(x) for stacked runs. ``x``: (R, B, d) -> (R, B, d).

    In training mode BatchNorm uses batch statistics and updates the running buffers in place.
    ``products`` (a run's resolved products, ``identifiability.numerics``; None: float32 by
    ``identifiability.device.cpu_blas``'s choice, as evaluation does): float32 by torch's BLAS or by
    numpy's OpenBLAS, or bfloat16, which computes the products between hidden layers (10d -> 50d
    -> ... -> 10d, all but 0.2 % of the encoder's multiply-adds) with bfloat16 inputs, forward and
    backward, by oneDNN's switch or on bfloat16 tensors; the layers that read the observations x
    and write f(x) stay float32 (by torch's BLAS), as do BatchNorm, the head and the loss.
    """
    hidden = _HIDDEN_PRODUCTS.get(products)
    blas = None if products is None else ("openblas" if products == "float32-openblas" else "mkl")
    h = x                                                   # (R, B, d)
    for i in range(len(shape.hidden_factors)):
        weight = params[f"hidden{i}.weight"]
        if i > 0 and hidden is not None:
            h = hidden.apply(h, weight)                                     # (R, B, C)
        else:
            h = _linear(h, weight, blas)                                    # (R, B, C)
        h = batch_norm_leaky_relu(h, buffers[f"hidden{i}.running_mean"], buffers[f"hidden{i}.running_var"],
                                  params[f"hidden{i}.bn_weight"], params[f"hidden{i}.bn_bias"], train)
    out = torch.baddbmm(params["out.bias"].unsqueeze(1), h, params["out.weight"].transpose(1, 2))
    return _unit_norm_where(out, shape.feature_norm)


def batch_norm_leaky_relu(h: torch.Tensor, running_mean: torch.Tensor, running_var: torch.Tensor,
                          weight: torch.Tensor, bias: torch.Tensor, train: bool) -> torch.Tensor:
    """LeakyReLU(BatchNorm(h)) of R stacked runs, ``h`` (R, B, C) with (R, C) statistics and
    affine parameters (or one run's (B, C) with (C,)): each run's channel is normalised over its
    B rows; in training mode with batch statistics, updating the running ones in place (as torch's).
    The compiled kernel takes the stacked layout as it is; torch's BatchNorm sees the runs' channels
    as the R * C columns of one (B, R * C) matrix (a transposed copy when R > 1)."""
    if train and (kernel := _kernels_for(h, weight)) is not None:
        return _BatchNormLeakyReLU.apply(h, weight, bias, running_mean, running_var, kernel)
    stacked = h.dim() == 3
    R, B, C = h.shape if stacked else (1, *h.shape)
    flat = h.transpose(0, 1).reshape(B, R * C) if stacked else h
    y = F.batch_norm(flat, running_mean.view(R * C), running_var.view(R * C), weight.reshape(R * C),
                     bias.reshape(R * C), training=train, momentum=BN_MOMENTUM, eps=BN_EPS)
    y = F.leaky_relu(y, ENCODER_SLOPE, inplace=True)
    return y.view(B, R, C).transpose(0, 1) if stacked else y


class _BatchNormLeakyReLU(torch.autograd.Function):
    """The compiled forward and backward of batch_norm_leaky_relu (kernels/batch_norm_leaky_relu.cpp)."""

    @staticmethod
    def forward(ctx, h, weight, bias, running_mean, running_var, kernel):
        y, mean, invstd = kernel.batch_norm_leaky_relu_forward(h, weight, bias, running_mean, running_var,
                                                               BN_MOMENTUM, BN_EPS, ENCODER_SLOPE)
        ctx.kernel = kernel
        ctx.save_for_backward(h, weight, bias, mean, invstd)   # not y: the backward recomputes its sign
        return y

    @staticmethod
    def backward(ctx, grad_y):
        h, weight, bias, mean, invstd = ctx.saved_tensors
        dx, dweight, dbias = ctx.kernel.batch_norm_leaky_relu_backward(grad_y, h, weight, bias, mean, invstd,
                                                                       ENCODER_SLOPE)
        return dx, dweight.view_as(weight), dbias.view_as(weight), None, None, None


def head_rows(params: dict[str, torch.Tensor], shape: ModelShape) -> torch.Tensor:
    """The rows w_j as used in the logits: (R, K, d)."""
    return _unit_norm_where(params["head.weight"], shape.w_norm)


def beta(params: dict[str, torch.Tensor]) -> torch.Tensor:
    return params["log_beta"].exp()


def trained_beta(params: dict[str, torch.Tensor], shape: ModelShape) -> torch.Tensor:
    """beta for the loss: where fixed-beta runs are stacked with learned-beta ones, the fixed
    runs' log_beta gets an exact zero gradient, so Adam leaves it at 0 (beta = 1)."""
    b = beta(params)
    if isinstance(shape.learn_beta, tuple):
        return torch.where(_run_mask(shape.learn_beta, b.device)[:, 0, 0], b, b.detach())
    return b


def logits(params, shape: ModelShape, features: torch.Tensor) -> torch.Tensor:
    """beta * <w_j, f(x)>: (R, B, K). For evaluation; training uses linear_cross_entropy."""
    return torch.bmm(features, head_rows(params, shape).transpose(1, 2)) * beta(params)[:, None, None]


KERNEL_DIR = Path(__file__).parent / "kernels"
KERNEL_SOURCES = tuple(KERNEL_DIR / name for name in
                       ("linear_cross_entropy.cpp", "batch_norm_leaky_relu.cpp", "bindings.cpp"))
# -ffast-math (reassociation, no signed zeros, no errno) is what lets the compiler vectorise the
# reductions; it also assumes finite floats, so the kernels use no infinities or NaNs (running
# maxima start at the lowest finite float). -fno-finite-math-only instead costs 2-8 % of the
# cross-entropy's time (measured side by side) and changes its float rounding.
KERNEL_CFLAGS = ("-O3", "-march=native", "-ffast-math", "-fopenmp")
KERNEL_LDFLAGS = ("-fopenmp",)
KERNEL_BUILD_TIME = "1.5-5 min on a 2-core CPU"   # measured 81 s alone, 131-292 s beside other work; each build prints its time
_kernel_cache: dict[str, object] = {}


def cpu_kernels():
    """The compiled CPU kernels (kernels/*.cpp: the fused cross-entropy, BatchNorm + LeakyReLU), or None.

    Built on first use with torch.utils.cpp_extension (a C++ compiler and ninja; a few minutes,
    once per machine and kernel version) in a folder keyed by a digest of the sources, flags,
    torch version and CPU (``kernel_build``: ``$IDENTIFIABILITY_KERNEL_CACHE``, default
    ``~/.cache/identifiability/kernels``), under a lock, so checkouts and concurrent jobs share
    one build. Without a compiler, or with IDENTIFIABILITY_FUSED_KERNEL=0, training uses the torch
    implementations in this module (same numbers up to float32 rounding, slower on the CPU).
    """
    if "kernel" in _kernel_cache:   # asked for on every layer of every step: decided once
        return _kernel_cache["kernel"]
    if os.environ.get("IDENTIFIABILITY_FUSED_KERNEL", "1") == "0":
        _kernel_cache["kernel"] = None
    else:
        try:
            from identifiability.synthetic.kernel_build import load_extension
            # built for this CPU (-march=native): the build's digest covers the CPU's instruction
            # sets, so nodes of a cluster sharing a home folder never share a binary
            _kernel_cache["kernel"] = load_extension(
                "identifiability_cpu_kernels", KERNEL_SOURCES, KERNEL_CFLAGS, KERNEL_LDFLAGS,
                _cpu_flags(), what="the CPU kernels", expected=KERNEL_BUILD_TIME)
        except Exception as exc:   # no compiler, no ninja, build error: fall back, say so once
            warnings.warn(f"compiled CPU kernels unavailable ({type(exc).__name__}: {exc}); "
                          "using the torch implementations")
            _kernel_cache["kernel"] = None
    return _kernel_cache["kernel"]


def _kernels_for(*tensors: torch.Tensor):
    """The compiled kernels if every tensor is a float32 CPU tensor and they are available."""
    if all(t.device.type == "cpu" and t.dtype == torch.float32 for t in tensors):
        return cpu_kernels()
    return None


def _cpu_flags() -> str:
    try:
        return next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags"))
    except (OSError, StopIteration):
        import platform
        return platform.processor() or platform.machine()


class _LinearCrossEntropy(torch.autograd.Function):
    """Per-run mean of -log softmax(beta * <w_j, f>)_target, with its gradient computed in the
    same chunked pass (each chunk of logits is used while still in cache, then dropped)."""

    @staticmethod
    def forward(ctx, feats, rows, beta_, target):
        if feats.shape[-1] <= 64 and (kernel := _kernels_for(feats, rows)) is not None:
            loss, g_feats, g_rows, g_beta = kernel.linear_cross_entropy(feats, rows, beta_, target)
            ctx.save_for_backward(g_feats, g_rows, g_beta)
            return loss
        R, B, d = feats.shape
        K = rows.shape[1]
        chunk = max(MIN_CHUNK, min(B, LOGIT_CHUNK_ELEMENTS // max(R * K, 1)))
        loss = feats.new_zeros(R)
        g_feats = torch.empty_like(feats)
        g_beta = feats.new_zeros(R)
        b3 = beta_[:, None, None]
        rows_t = rows.transpose(1, 2)                                      # (R, d, K) view
        # logits in base 2 (<w_j, beta f> / ln 2): exp2 is twice as fast as exp on the CPU
        scaled = feats * (b3 / math.log(2.0))
        # one logits buffer for every chunk (a fresh multi-MB tensor per chunk costs page faults),
        # and W's gradient accumulated as (R, d, K), the orientation its products write
        buf = feats.new_empty(R * chunk * K)
        g_rows_t = feats.new_zeros(R, d, K)
        row_offset = (torch.arange(R, device=feats.device) * K)[:, None]
        flat_target = (target + row_offset).reshape(-1)
        w_target = rows.reshape(R * K, d)[flat_target].view(R, B, d)      # rows of the targets
        s_target = (feats * w_target).sum(-1)                              # <w_t, f> (R, B)
        for s in range(0, B, chunk):
            n = min(chunk, B - s)
            f = feats[:, s:s + n]
            p = torch.bmm(scaled[:, s:s + n], rows_t, out=buf[:R * n * K].view(R, n, K))   # logits
            m = p.amax(dim=-1, keepdim=True)
            # clamp: exp of very negative logits would give denormal floats, which the CPU
            # computes ~10x slower; below 2^-115 ~ 1e-35 a probability is 0 for every purpose
            p.sub_(m).clamp_(min=-115.0).exp2_()                           # unnormalised softmax
            z = p.sum(dim=-1, keepdim=True)
            loss += math.log(2.0) * (m.squeeze(-1) + z.log2().squeeze(-1)).sum(1)
            # skinny products in the orientation BLAS does fast: (d x K)(K x n), (d x n)(n x K);
            # the softmax normalisation 1/z is folded into the small factors
            pw = torch.bmm(rows_t, p.transpose(1, 2)).transpose(1, 2) / z  # E_p[w_j] (R, n, d)
            g_beta += (pw * f).sum((1, 2))
            g_feats[:, s:s + n] = pw
            g_rows_t.baddbmm_((f / z).transpose(1, 2), p)
        loss -= beta_ * s_target.sum(1)
        g_beta -= s_target.sum(1)
        g_feats.sub_(w_target).mul_(b3)
        g_rows = g_rows_t.transpose(1, 2).contiguous()
        g_rows.view(R * K, d).index_add_(0, flat_target, feats.reshape(-1, d), alpha=-1.0)
        g_rows.mul_(b3)
        ctx.save_for_backward(g_feats / B, g_rows / B, g_beta / B)
        return loss / B

    @staticmethod
    def backward(ctx, grad_loss):
        g_feats, g_rows, g_beta = ctx.saved_tensors
        g = grad_loss[:, None, None]
        return g_feats * g, g_rows * g, g_beta * grad_loss, None


def linear_cross_entropy(params, shape: ModelShape, features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-run mean cross-entropy (R,) of the logits beta * <w_j, f(x)> against ``target`` (R, B)."""
    return _LinearCrossEntropy.apply(features, head_rows(params, shape), trained_beta(params, shape), target)
