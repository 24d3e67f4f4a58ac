"""Adam as one fused kernel call per step, without ``torch.optim``.

``torch.optim.Optimizer`` imports ``torch._dynamo`` on its first use (its methods are wrapped to
keep the compiler out), which costs about 2.5 s of start-up in every training process here (a cProfile of
a default d = 5 job of 30 s; the time outside its loop went from 6.5 to 4.2 s without it). ``FusedAdam`` makes the same
call that ``torch.optim.Adam(fused=True)`` makes (``torch._fused_adam_`` after adding 1 to each
step counter), with the same arguments and the same state, so its updates are bit-identical to
torch's (``tests/test_optim.py``) and checkpoints written by either resume with the other.

Only what training here uses is supported: Adam's defaults (betas 0.9 / 0.999, eps 1e-8, no weight
decay, no AMSGrad), one learning rate for all parameters, floating-point tensors of one dtype on one
device.
"""

from __future__ import annotations

import torch


class FusedAdam:
    """Adam over ``params``; ``state[p]`` holds ``step`` (a float32 scalar tensor), ``exp_avg`` and
    ``exp_avg_sq`` like torch's, created at a parameter's first update (only parameters with a
    gradient are updated). ``param_groups[0]["lr"]`` may be changed between steps."""

    betas = (0.9, 0.999)
    eps = 1e-8

    def __init__(self, params, lr: float):
        self.params = list(params)
        if not self.params:
            raise ValueError("FusedAdam got no parameters")
        devices_dtypes = {(p.device, p.dtype) for p in self.params}
        if len(devices_dtypes) != 1 or not next(iter(devices_dtypes))[1].is_floating_point:
            raise ValueError(f"FusedAdam needs floating-point parameters of one dtype on one device; got "
                             f"{sorted(map(str, devices_dtypes))}")
        self.param_groups = [{"params": self.params, "lr": lr}]
        self.state: dict[torch.Tensor, dict[str, torch.Tensor]] = {}

    def zero_grad(self) -> None:
        """Gradients to None (torch's ``zero_grad(set_to_none=True)``)."""
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        params, grads, exp_avgs, exp_avg_sqs, steps = [], [], [], [], []
        for p in self.params:
            if p.grad is None:
                continue
            state = self.state.get(p)
            if not state:
                state = self.state[p] = {"step": torch.zeros((), dtype=torch.float32, device=p.device),
                                         "exp_avg": torch.zeros_like(p, memory_format=torch.preserve_format),
                                         "exp_avg_sq": torch.zeros_like(p, memory_format=torch.preserve_format)}
            params.append(p)
            grads.append(p.grad)
            exp_avgs.append(state["exp_avg"])
            exp_avg_sqs.append(state["exp_avg_sq"])
            steps.append(state["step"])
        if not params:
            return
        torch._foreach_add_(steps, 1)
        torch._fused_adam_(params, grads, exp_avgs, exp_avg_sqs, [], steps, amsgrad=False,
                           lr=float(self.param_groups[0]["lr"]), beta1=self.betas[0], beta2=self.betas[1],
                           weight_decay=0.0, eps=self.eps, maximize=False, grad_scale=None, found_inf=None)
