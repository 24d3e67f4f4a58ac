// Fused linear cross-entropy for the CPU: loss and gradients of
//   L_r = mean_i [ logsumexp_j(beta_r <w_rj, f_ri>) - beta_r <w_{r,t_ri}, f_ri> ]
// for R stacked runs, without materialising the (B, K) logits. Rows of the batch are processed in
// tiles and W in blocks that stay in L1 cache: pass A finds each row's log-partition with an
// online max/sum, pass B recomputes the logits, forms the probabilities and accumulates the
// gradients in the same loop. Logits are kept in base 2 and exponentiated with a short
// polynomial (relative error ~2e-7, below float32 rounding of the sums), which the compiler
// vectorises. Compiled on first use by torch.utils.cpp_extension (see model.py); float32 only.
#include <torch/extension.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace {

constexpr int64_t kTileRows = 16;     // batch rows per task
constexpr int64_t kBlock = 512;       // entries of W (per latent dimension) per block
constexpr float kMinLog2 = -120.0f;   // 2^-120 ~ 1e-36: a probability of 0 for every purpose
constexpr float kLn2 = 0.69314718055994530942f;
constexpr float kLog2e = 1.44269504088896340736f;

// 2^x for x in [kMinLog2, 0]: x = n + r with r in [-1/2, 1/2], 2^r by its degree-6 Taylor
// polynomial, 2^n by writing the exponent bits.
inline float exp2_neg(float x) {
  x = std::max(x, kMinLog2);
  const float n = std::nearbyint(x);
  const float r = (x - n) * kLn2;
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// The work of one tile of rows for one run. D > 0: the latent dimension known at compile time
// (the loops over it unroll); D == 0: any d.
template <int D>
void tile_pass(const float* __restrict__ f, const float* __restrict__ wt, const float* __restrict__ scaled,
               int64_t n, int64_t dd, int64_t K, float* __restrict__ logits, float* __restrict__ lse2,
               float* __restrict__ pw, float* __restrict__ gwt) {
  const int64_t d = D > 0 ? D : dd;
  float m[kTileRows], z[kTileRows];
  for (int64_t i = 0; i < n; ++i) {
    m[i] = -std::numeric_limits<float>::infinity();
    z[i] = 0.0f;
  }
  // pass A: log2-partition of every row, online over the blocks of W
  for (int64_t k0 = 0; k0 < K; k0 += kBlock) {
    const int64_t kb = std::min(kBlock, K - k0);
    for (int64_t i = 0; i < n; ++i) {
      const float* s = scaled + i * d;
      float bm = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : bm)
      for (int64_t j = 0; j < kb; ++j) {
        float l = 0.0f;
#pragma GCC unroll 32
        for (int64_t c = 0; c < d; ++c) l += s[c] * wt[c * K + k0 + j];
        logits[j] = l;
        bm = std::max(bm, l);
      }
      const float nm = std::max(m[i], bm);
      float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
      for (int64_t j = 0; j < kb; ++j) acc += exp2_neg(logits[j] - nm);
      z[i] = z[i] * exp2_neg(m[i] - nm) + acc;
      m[i] = nm;
    }
  }
  for (int64_t i = 0; i < n; ++i) lse2[i] = m[i] + std::log2(z[i]);
  // pass B: probabilities; E_p[w] per row; p_ij f_i into W's gradient
  for (int64_t k0 = 0; k0 < K; k0 += kBlock) {
    const int64_t kb = std::min(kBlock, K - k0);
    for (int64_t i = 0; i < n; ++i) {
      const float* s = scaled + i * d;
      const float* fi = f + i * d;
      const float li = lse2[i];
      float acc[D > 0 ? D : 64] = {0.0f};
#pragma omp simd reduction(+ : acc[:(D > 0 ? D : 64)])
      for (int64_t j = 0; j < kb; ++j) {
        float l = 0.0f;
#pragma GCC unroll 32
        for (int64_t c = 0; c < d; ++c) l += s[c] * wt[c * K + k0 + j];
        const float p = exp2_neg(l - li);
#pragma GCC unroll 32
        for (int64_t c = 0; c < d; ++c) {
          acc[c] += p * wt[c * K + k0 + j];
          gwt[c * K + k0 + j] += p * fi[c];
        }
      }
      for (int64_t c = 0; c < d; ++c) pw[i * d + c] += acc[c];
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
  const auto wt_all = rows.transpose(1, 2).contiguous();            // (R, d, K)
  beta = beta.contiguous();
  target = target.to(torch::kInt64).contiguous();
  const int64_t R = feats.size(0), B = feats.size(1), d = feats.size(2), K = rows.size(1);
  const int64_t tiles = (B + kTileRows - 1) / kTileRows;
  const int64_t threads = at::get_num_threads();

  auto loss = torch::zeros({R, tiles}, feats.options());
  auto g_feats = torch::empty_like(feats);
  auto g_beta = torch::zeros({R, tiles}, feats.options());
  auto g_wt = torch::zeros({threads, R, d, K}, feats.options());   // per thread, summed at the end

  const float* F = feats.data_ptr<float>();
  const float* WT = wt_all.data_ptr<float>();
  const float* BETA = beta.data_ptr<float>();
  const int64_t* T = target.data_ptr<int64_t>();
  float* GF = g_feats.data_ptr<float>();
  float* LOSS = loss.data_ptr<float>();
  float* GB = g_beta.data_ptr<float>();
  float* GWT = g_wt.data_ptr<float>();

  at::parallel_for(0, R * tiles, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> logits(kBlock), scaled(kTileRows * d), lse2(kTileRows), pw(kTileRows * d);
    float* gwt_thread = GWT + at::get_thread_num() * R * d * K;
    for (int64_t task = begin; task < end; ++task) {
      const int64_t r = task / tiles, tile = task % tiles;
      const int64_t i0 = tile * kTileRows, n = std::min(kTileRows, B - i0);
      const float b = BETA[r];
      const float* f = F + (r * B + i0) * d;
      const float* wt = WT + r * d * K;
      for (int64_t x = 0; x < n * d; ++x) scaled[x] = b * kLog2e * f[x];
      std::fill(pw.begin(), pw.end(), 0.0f);
      float* gwt = gwt_thread + r * d * K;
      switch (d) {
        case 3: tile_pass<3>(f, wt, scaled.data(), n, d, K, logits.data(), lse2.data(), pw.data(), gwt); break;
        case 5: tile_pass<5>(f, wt, scaled.data(), n, d, K, logits.data(), lse2.data(), pw.data(), gwt); break;
        case 10: tile_pass<10>(f, wt, scaled.data(), n, d, K, logits.data(), lse2.data(), pw.data(), gwt); break;
        case 20: tile_pass<20>(f, wt, scaled.data(), n, d, K, logits.data(), lse2.data(), pw.data(), gwt); break;
        default: tile_pass<0>(f, wt, scaled.data(), n, d, K, logits.data(), lse2.data(), pw.data(), gwt);
      }
      float loss_tile = 0.0f, gbeta_tile = 0.0f;
      for (int64_t i = 0; i < n; ++i) {
        const int64_t t = T[r * B + i0 + i];
        float s_t = 0.0f, pw_f = 0.0f;
        for (int64_t c = 0; c < d; ++c) {
          const float wtc = wt[c * K + t];
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

  auto g_rows = g_wt.sum(0).transpose(1, 2).contiguous();          // (R, K, d): sum_i p_ij f_i
  auto flat = (target + torch::arange(R, target.options()).unsqueeze(1) * K).reshape({-1});
  g_rows.view({R * K, d}).index_add_(0, flat, feats.reshape({-1, d}), -1.0);
  g_rows.mul_(beta.view({R, 1, 1}) / static_cast<float>(B));
  return {loss.sum(1) / static_cast<float>(B), g_feats, g_rows, g_beta.sum(1) / static_cast<float>(B)};
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("linear_cross_entropy", &linear_cross_entropy, "fused linear cross-entropy (CPU, float32)");
}
