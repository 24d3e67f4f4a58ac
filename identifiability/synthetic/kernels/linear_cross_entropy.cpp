// Fused linear cross-entropy for the CPU: loss and gradients of
//   L_r = mean_i [ logsumexp_j(beta_r <w_rj, f_ri>) - beta_r <w_{r,t_ri}, f_ri> ]
// for R stacked runs, without materialising the (B, K) logits of the whole batch.
//
// The batch is cut into tiles of rows (one task each) and W into blocks that stay in L1 cache.
// Pass A goes block by block, so that each block of W is read once from memory for all rows of
// the tile: it computes each row's logits with an online max, exponentiates them once against
// the running max of their block, keeps these exponentials (one float per row and entry of W,
// per thread, reused between calls) with the shift of their block, and accumulates E_p[w]
// unnormalised, rescaled like the partition function whenever the running max moves (as in
// online softmax). Pass B reads the exponentials back, now that each row's log-partition is
// known, and accumulates W's gradient, rows in pairs so every entry of the gradient is loaded
// and stored once per pair: no logit or exponential is computed twice. Logits are kept in base 2
// and exponentiated with a short polynomial (relative error ~2e-7, at float32 rounding of the
// sums), which the compiler vectorises. W is stored transposed with a padded leading dimension
// so that its d columns never sit a multiple of 4 KiB apart (cache-set aliasing made K = 10240
// twice as slow per entry as K = 10000). Compiled on first use by torch.utils.cpp_extension
// (see model.py); float32 only.
#include <torch/extension.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace {

constexpr int64_t kTileRows = 8;      // batch rows per task (their exponentials: 8 K floats)
constexpr int64_t kBlock = 512;       // entries of W per block (d * 2 KiB of W in L1)
constexpr float kMinLog2 = -120.0f;   // 2^-120 ~ 1e-36: a probability of 0 for every purpose
constexpr float kLn2 = 0.69314718055994530942f;
constexpr float kLog2e = 1.44269504088896340736f;

// 2^x for x in [kMinLog2, 0]: x = n + r with r in [-1/2, 1/2], 2^r by a degree-5 polynomial
// fitted for relative error on that interval (max 2.3e-7 in float32 arithmetic), 2^n by
// writing the exponent bits.
inline float exp2_neg(float x) {
  x = std::max(x, kMinLog2);
  const float n = std::nearbyint(x);
  const float r = x - n;
  float p = 0.001301283366f;
  p = p * r + 0.009671143256f;
  p = p * r + 0.05551497266f;
  p = p * r + 0.2402222753f;
  p = p * r + 0.6931465268f;
  p = p * r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// Leading dimension of W transposed: K rounded up to 16 floats, moved off multiples of 1 KiB.
int64_t padded(int64_t K) {
  int64_t ld = (K + 15) / 16 * 16;
  if (ld % 256 == 0) ld += 16;
  return ld;
}

// One tile of n rows of one run. D > 0: the latent dimension known at compile time (loops over
// it unroll); D == 0: any d <= 64. e: n x ld floats of scratch (64-byte aligned, as are wt and
// gwt); shift: n x blocks floats.
// Writes lse2 (log2-partition per row), pw (E_p[w] per row) and adds into gwt (W's gradient).
template <int D>
void tile_pass(const float* __restrict__ f, const float* __restrict__ wt, const float* __restrict__ scaled,
               int64_t n, int64_t dd, int64_t K, int64_t ld, float* __restrict__ e, float* __restrict__ shift,
               float* __restrict__ lse2, float* __restrict__ pw, float* __restrict__ gwt) {
  constexpr int DA = D > 0 ? D : 64;
  const int64_t d = D > 0 ? D : dd;
  const int64_t blocks = (K + kBlock - 1) / kBlock;
  // pass A, block by block (W's block stays in L1 for all rows of the tile): logits, online max
  // per row, exponentials against the running max of their block; z and pw (the partition
  // function and E_p[w], unnormalised) kept relative to the running max. Maxima start at the
  // lowest finite float, not -inf: the kernels are built with -ffast-math, which assumes no
  // infinities (exp2_neg clamps the first rescale to its floor, so z and pw start from 0 alike)
  float m[kTileRows], z[kTileRows];
  for (int64_t i = 0; i < n; ++i) { m[i] = std::numeric_limits<float>::lowest(); z[i] = 0.0f; }
  for (int64_t x = 0; x < n * d; ++x) pw[x] = 0.0f;
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t k0 = b * kBlock, kb = std::min(kBlock, K - k0);
    for (int64_t i = 0; i < n; ++i) {
      const float* s = scaled + i * d;
      float* eb = e + i * ld + k0;
      float bm = std::numeric_limits<float>::lowest();
#pragma omp simd reduction(max : bm)
      for (int64_t j = 0; j < kb; ++j) {
        float l = 0.0f;
#pragma GCC unroll 32
        for (int64_t c = 0; c < d; ++c) l += s[c] * wt[c * ld + k0 + j];
        eb[j] = l;
        bm = std::max(bm, l);
      }
      const float nm = std::max(m[i], bm);
      float acc = 0.0f, pacc[DA] = {0.0f};
#pragma omp simd reduction(+ : acc, pacc[:DA])
      for (int64_t j = 0; j < kb; ++j) {
        const float x = exp2_neg(eb[j] - nm);
        eb[j] = x;
        acc += x;
#pragma GCC unroll 32
        for (int64_t c = 0; c < d; ++c) pacc[c] += x * wt[c * ld + k0 + j];
      }
      const float rescale = exp2_neg(m[i] - nm);
      z[i] = z[i] * rescale + acc;
      for (int64_t c = 0; c < d; ++c) pw[i * d + c] = pw[i * d + c] * rescale + pacc[c];
      m[i] = nm;
      shift[i * blocks + b] = nm;
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    lse2[i] = m[i] + std::log2(z[i]);
    for (int64_t c = 0; c < d; ++c) pw[i * d + c] /= z[i];
  }
  // pass B: p_ij = e_ij 2^(shift - lse); p_ij f_i into W's gradient; rows in pairs
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t k0 = b * kBlock, kb = std::min(kBlock, K - k0);
    int64_t i = 0;
    for (; i + 1 < n; i += 2) {
      const float s0 = exp2_neg(shift[i * blocks + b] - lse2[i]);
      const float s1 = exp2_neg(shift[(i + 1) * blocks + b] - lse2[i + 1]);
      float a0[DA], a1[DA];
      for (int64_t c = 0; c < d; ++c) {
        a0[c] = s0 * f[i * d + c];
        a1[c] = s1 * f[(i + 1) * d + c];
      }
      const float* e0 = e + i * ld + k0;
      const float* e1 = e + (i + 1) * ld + k0;
#pragma omp simd
      for (int64_t j = 0; j < kb; ++j) {
        const float p0 = e0[j], p1 = e1[j];
#pragma GCC unroll 32
        for (int64_t c = 0; c < d; ++c)
          gwt[c * ld + k0 + j] = std::fma(p1, a1[c], std::fma(p0, a0[c], gwt[c * ld + k0 + j]));
      }
    }
    for (; i < n; ++i) {
      const float s0 = exp2_neg(shift[i * blocks + b] - lse2[i]);
      float a0[DA];
      for (int64_t c = 0; c < d; ++c) a0[c] = s0 * f[i * d + c];
      const float* e0 = e + i * ld + k0;
#pragma omp simd
      for (int64_t j = 0; j < kb; ++j) {
        const float p0 = e0[j];
#pragma GCC unroll 32
        for (int64_t c = 0; c < d; ++c) gwt[c * ld + k0 + j] += p0 * a0[c];
      }
    }
  }
}

}  // namespace

// feats (R, B, d), rows (R, K, d), beta (R), target (R, B) -> loss (R), g_feats (R, B, d),
// g_rows (R, K, d), g_beta (R): the per-run mean loss and its gradients.
std::vector<torch::Tensor> linear_cross_entropy(torch::Tensor feats, torch::Tensor rows,
                                                torch::Tensor beta, torch::Tensor target) {
  TORCH_CHECK(feats.dtype() == torch::kFloat32 && rows.dtype() == torch::kFloat32, "float32 only");
  TORCH_CHECK(feats.size(2) <= 64, "latent dimension > 64 not supported");
  feats = feats.contiguous();
  const int64_t R = feats.size(0), B = feats.size(1), d = feats.size(2), K = rows.size(1);
  const int64_t ld = padded(K), blocks = (K + kBlock - 1) / kBlock;
  auto wt_all = torch::empty({R, d, ld}, feats.options());                // W transposed, padded
  wt_all.narrow(2, 0, K).copy_(rows.transpose(1, 2));
  beta = beta.contiguous();
  target = target.to(torch::kInt64).contiguous();
  const int64_t tiles = (B + kTileRows - 1) / kTileRows;
  const int64_t threads = at::get_num_threads();

  auto loss = torch::zeros({R, tiles}, feats.options());
  auto g_feats = torch::empty_like(feats);
  auto g_beta = torch::zeros({R, tiles}, feats.options());
  auto g_wt = torch::zeros({threads, R, d, ld}, feats.options());   // per thread, summed at the end

  const float* F = feats.data_ptr<float>();
  const float* WT = wt_all.data_ptr<float>();
  const float* BETA = beta.data_ptr<float>();
  const int64_t* T = target.data_ptr<int64_t>();
  float* GF = g_feats.data_ptr<float>();
  float* LOSS = loss.data_ptr<float>();
  float* GB = g_beta.data_ptr<float>();
  float* GWT = g_wt.data_ptr<float>();

  at::parallel_for(0, R * tiles, 1, [&](int64_t begin, int64_t end) {
    // the exponentials of a tile: kept per thread between calls (no page faults every step),
    // aligned to a cache line like W and its gradient (torch tensors), so that no vector load or
    // store straddles two lines
    thread_local std::vector<float> e_store;
    if (e_store.size() < static_cast<size_t>(kTileRows * ld + 16)) e_store.resize(kTileRows * ld + 16);
    float* e = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(e_store.data()) + 63) & ~uintptr_t(63));
    std::vector<float> shift(kTileRows * blocks), scaled(kTileRows * d), lse2(kTileRows), pw(kTileRows * d);
    float* gwt_thread = GWT + at::get_thread_num() * R * d * ld;
    for (int64_t task = begin; task < end; ++task) {
      const int64_t r = task / tiles, tile = task % tiles;
      const int64_t i0 = tile * kTileRows, n = std::min(kTileRows, B - i0);
      const float b = BETA[r];
      const float* f = F + (r * B + i0) * d;
      const float* wt = WT + r * d * ld;
      for (int64_t x = 0; x < n * d; ++x) scaled[x] = b * kLog2e * f[x];
      float* gwt = gwt_thread + r * d * ld;
#define TILE_PASS(DIM) tile_pass<DIM>(f, wt, scaled.data(), n, d, K, ld, e, shift.data(), lse2.data(), pw.data(), gwt)
      switch (d) {
        case 3: TILE_PASS(3); break;
        case 5: TILE_PASS(5); break;
        case 10: TILE_PASS(10); break;
        case 20: TILE_PASS(20); break;
        default: TILE_PASS(0);
      }
#undef TILE_PASS
      float loss_tile = 0.0f, gbeta_tile = 0.0f;
      for (int64_t i = 0; i < n; ++i) {
        const int64_t t = T[r * B + i0 + i];
        float s_t = 0.0f, pw_f = 0.0f;
        for (int64_t c = 0; c < d; ++c) {
          const float wtc = wt[c * ld + t];
          s_t += wtc * f[i * d + c];
          pw_f += pw[i * d + c] * f[i * d + c];
          GF[(r * B + i0 + i) * d + c] = b * (pw[i * d + c] - wtc) / B;
        }
        loss_tile += lse2[i] * kLn2 - b * s_t;
        gbeta_tile += pw_f - s_t;
      }
      LOSS[r * tiles + tile] = loss_tile;
      GB[r * tiles + tile] = gbeta_tile;
    }
  });

  auto g_rows = g_wt.sum(0).narrow(2, 0, K).transpose(1, 2).contiguous();   // (R, K, d): sum_i p_ij f_i
  auto flat = (target + torch::arange(R, target.options()).unsqueeze(1) * K).reshape({-1});
  g_rows.view({R * K, d}).index_add_(0, flat, feats.reshape({-1, d}), -1.0);
  g_rows.mul_(beta.view({R, 1, 1}) / static_cast<float>(B));
  return {loss.sum(1) / static_cast<float>(B), g_feats, g_rows, g_beta.sum(1) / static_cast<float>(B)};
}
