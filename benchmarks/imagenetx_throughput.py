#!/usr/bin/env python
"""Throughput of the ImageNet-X extraction stage on this machine, and the projected time of the
full extraction (46,110 images x 5 representations) on one GPU.

Measures, on real photographs shipped with scikit-image/matplotlib (no ImageNet needed):
  - JPEG decode + evaluation transform, per image on one core;
  - forward pass images/s per model (random-init weights: same cost as pretrained);
  - FLOPs per image (torch.utils.flop_counter).
The GPU projection is an estimate, not a measurement: per model, time = n_images x max(FLOPs /
assumed sustained GPU FLOP/s, decode time / loader workers). Assumptions are printed.

    python benchmarks/imagenetx_throughput.py --images 16 --threads 2 > benchmarks/imagenetx_throughput.txt
"""

import argparse
import io
import platform
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from identifiability.imagenetx import models  # noqa: E402
from identifiability.imagenetx.sample_photos import photo_paths  # noqa: E402
from identifiability.imagenetx.images import load_rgb  # noqa: E402

N_FULL = 46110
MODELS = ("resnet50_random", "vit_b_16_random", "input_projection")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--images", type=int, default=16, help="images per model (default 16)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--gpu-tflops", type=float, default=60.0,
                   help="assumed sustained GPU throughput in TFLOP/s (default 60: an A100/H100 "
                        "class card running the fp32 models with TF32 matmuls at ~40%% of peak)")
    p.add_argument("--loader-workers", type=int, default=8, help="assumed JPEG-decoding workers")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    photos = (photo_paths() * (args.images // len(photo_paths()) + 1))[:args.images]
    # Re-encode as JPEG in memory, as ImageNet's files are.
    jpegs = []
    for path in photos:
        buf = io.BytesIO()
        load_rgb(path).save(buf, format="JPEG", quality=90)
        jpegs.append(buf.getvalue())
    print(f"# ImageNet-X extraction throughput ({time.strftime('%Y-%m-%d')})")
    print(f"# CPU: {platform.processor() or platform.machine()}, torch threads {args.threads}, "
          f"torch {torch.__version__}; {args.images} images, batch {args.batch_size}")
    print(f"{'model':18s} {'decode+transform ms/img':>24s} {'forward img/s':>14s} "
          f"{'GFLOP/img':>10s} {'CPU h (46,110)':>15s} {'GPU min (proj.)':>16s}")
    total_gpu = total_cpu = 0.0
    for name in MODELS:
        rep = models.build(name, seed=0)
        t0 = time.perf_counter()
        tensors = [rep.transform(load_rgb(io.BytesIO(b))) for b in jpegs]
        decode_s = (time.perf_counter() - t0) / len(jpegs)
        batch = torch.stack(tensors)
        with torch.inference_mode():
            rep.module(batch[:2])  # warm-up
            t0 = time.perf_counter()
            for i in range(0, len(batch), args.batch_size):
                rep.module(batch[i:i + args.batch_size])
            fwd = len(batch) / (time.perf_counter() - t0)
            with FlopCounterMode(display=False) as counter:
                rep.module(batch[:1])
        gflop = counter.get_total_flops() / 1e9
        cpu_h = N_FULL * (1 / fwd + decode_s) / 3600
        gpu_s = N_FULL * max(gflop / (args.gpu_tflops * 1e3), decode_s / args.loader_workers)
        twins = 1 if name == "input_projection" else 2  # pretrained + random cost the same
        total_gpu += twins * gpu_s
        total_cpu += twins * cpu_h
        print(f"{name:18s} {decode_s * 1e3:24.1f} {fwd:14.2f} {gflop:10.2f} {cpu_h:15.1f} "
              f"{gpu_s / 60:16.1f}")
    print("# pretrained resnet50 / vit_b_16 cost the same as their random twins.")
    print(f"# full extraction, all 5 representations (46,110 images each): about {total_cpu:.0f} h "
          f"on this CPU; projected on one GPU: about {total_gpu / 60:.0f} min (assumptions: {args.gpu_tflops:g} "
          f"TFLOP/s sustained, {args.loader_workers} decoding workers at this CPU's per-core "
          f"decode speed, so JPEG decoding, not the GPU, bounds the time; more workers or "
          f"GPU decoding shorten it)")


if __name__ == "__main__":
    main()
