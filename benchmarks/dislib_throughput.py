#!/usr/bin/env python
"""DisLib training throughput (images/s) per model on this machine, and a projection of the
paper config (configs/paper.yaml: six data sets, 3 seeds, up to 100 epochs) on one GPU.

The GPU rates are *assumptions* given as flags (no GPU was available when this was written);
the CPU rates are measured here: forward + backward + Adam step at the given batch size on
random 64 x 64 inputs, after warm-up steps.

    python benchmarks/dislib_throughput.py > benchmarks/dislib_throughput.txt
"""

import argparse
import os
import platform
import time

import torch
import torch.nn.functional as F

from identifiability.dislib.datasets import SPECS
from identifiability.dislib.models import Classifier

PAPER_SIZES = {"dsprites": 737280, "shapes3d": 480000, "mpi3d_toy": 1036800, "mpi3d_real": 1036800,
               "cars3d": 17568, "smallnorb": 48600}


def measure(model_name: str, channels: int, batch: int, steps: int, warmup: int) -> float:
    torch.manual_seed(0)
    model = Classifier(model_name, channels, 64, 10)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    x, y = torch.rand(batch, channels, 64, 64), torch.randint(0, 10, (batch,))
    for i in range(warmup + steps):
        if i == warmup:
            t0 = time.perf_counter()
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return batch * steps / (time.perf_counter() - t0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--gpu-resnet-ips", type=float, default=10000.0,
                   help="ASSUMED ResNet18 64x64 training images/s on one GPU (fp32)")
    p.add_argument("--gpu-mlp-ips", type=float, default=200000.0, help="ASSUMED MLP images/s on one GPU")
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--seeds", type=int, default=3)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(f"# DisLib training throughput, torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"{args.threads} threads of {os.cpu_count()} cores, "
          f"batch {args.batch}, {args.steps} timed steps")
    rates = {}
    for model in ("mlp", "resnet18"):
        for ch in (1, 3):
            rates[model, ch] = measure(model, ch, args.batch, args.steps, warmup=1)
            print(f"cpu  {model:9s} channels={ch}: {rates[model, ch]:8.1f} images/s")
    print("\n# Projection of configs/paper.yaml (upper bound: all 100 epochs, no early stop; "
          "80% of each data set trains)")
    print(f"# GPU rates ASSUMED, not measured: resnet18 {args.gpu_resnet_ips:.0f} img/s, mlp {args.gpu_mlp_ips:.0f} img/s")
    total_gpu = total_cpu = 0.0
    for name, n in PAPER_SIZES.items():
        ch = SPECS[name].channels
        images = 0.8 * n * args.epochs * args.seeds
        gpu = images / args.gpu_resnet_ips + images / args.gpu_mlp_ips
        cpu = images / rates["resnet18", ch] + images / rates["mlp", ch]
        total_gpu, total_cpu = total_gpu + gpu, total_cpu + cpu
        print(f"{name:11s} N={n:8d}: GPU {gpu / 3600:7.1f} h   this CPU {cpu / 86400:9.1f} days")
    print(f"{'total':11s}           GPU {total_gpu / 3600:7.1f} h   this CPU {total_cpu / 86400:9.1f} days")


if __name__ == "__main__":
    main()
