// BatchNorm (training mode, batch statistics) fused with the LeakyReLU after it, forward and
// backward, for a (B, C) float32 matrix whose columns are the channels: the encoder's hidden
// layers (one column per run and channel when runs are stacked). torch runs the two as separate
// kernels whose BatchNorm walks a (B, C) matrix column by column; here every pass streams the
// rows and updates a strip of contiguous columns, so the compiler vectorises across channels,
// and the LeakyReLU is applied (forward) and differentiated (backward) inside the same passes.
// Columns are split between threads. Statistics are two-pass (mean, then centred squares) in
// float32 like torch's CPU kernel; running statistics follow torch (unbiased variance, momentum).
#include <torch/extension.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace {

constexpr int64_t kColumnGrain = 64;   // columns per task at least (narrower strips: not worth a thread)

// One row's strip of n columns in the backward passes (restrict pointers: the loops vectorise).
inline void gradient_sums(const float* __restrict__ dy, const float* __restrict__ x, const float* __restrict__ y,
                          const float* __restrict__ mean, const float* __restrict__ invstd, int64_t n, float slope,
                          float* __restrict__ sg, float* __restrict__ sgx) {
#pragma omp simd
  for (int64_t c = 0; c < n; ++c) {
    const float g = dy[c] * (y[c] > 0.0f ? 1.0f : slope);
    sg[c] += g;
    sgx[c] += g * (x[c] - mean[c]) * invstd[c];
  }
}

inline void input_gradient(const float* __restrict__ dy, const float* __restrict__ x, const float* __restrict__ y,
                           const float* __restrict__ k, const float* __restrict__ a, const float* __restrict__ o,
                           int64_t n, float slope, float* __restrict__ dx) {
#pragma omp simd
  for (int64_t c = 0; c < n; ++c) dx[c] = k[c] * dy[c] * (y[c] > 0.0f ? 1.0f : slope) + a[c] * x[c] + o[c];
}

}  // namespace

// x (B, C), weight/bias/running_mean/running_var (C) -> y (B, C), mean (C), invstd (C);
// running_mean and running_var are updated in place.
std::vector<torch::Tensor> batch_norm_leaky_relu_forward(torch::Tensor x, torch::Tensor weight, torch::Tensor bias,
                                                         torch::Tensor running_mean, torch::Tensor running_var,
                                                         double momentum, double eps, double slope) {
  TORCH_CHECK(x.dim() == 2 && x.scalar_type() == torch::kFloat32, "x must be a float32 (B, C) matrix");
  TORCH_CHECK(running_mean.is_contiguous() && running_var.is_contiguous(), "running statistics must be contiguous");
  x = x.contiguous();
  weight = weight.contiguous();
  bias = bias.contiguous();
  const int64_t B = x.size(0), C = x.size(1);
  TORCH_CHECK(B > 1, "batch statistics need more than one row");
  auto y = torch::empty_like(x);
  auto mean = torch::empty({C}, x.options());
  auto invstd = torch::empty({C}, x.options());
  const float* X = x.data_ptr<float>();
  const float* W = weight.data_ptr<float>();
  const float* BI = bias.data_ptr<float>();
  float* Y = y.data_ptr<float>();
  float* M = mean.data_ptr<float>();
  float* IS = invstd.data_ptr<float>();
  float* RM = running_mean.data_ptr<float>();
  float* RV = running_var.data_ptr<float>();
  const float fslope = static_cast<float>(slope), feps = static_cast<float>(eps), fmom = static_cast<float>(momentum);

  // captured by value: loop bounds and constants in registers, so the loops vectorise
  at::parallel_for(0, C, kColumnGrain, [=](int64_t c0, int64_t c1) {
    const int64_t n = c1 - c0;
    std::vector<float> acc(n, 0.0f), scale(n), shift(n);
    for (int64_t b = 0; b < B; ++b) {
      const float* xb = X + b * C + c0;
#pragma omp simd
      for (int64_t c = 0; c < n; ++c) acc[c] += xb[c];
    }
    for (int64_t c = 0; c < n; ++c) {
      M[c0 + c] = acc[c] / B;
      acc[c] = 0.0f;
    }
    const float* m = M + c0;
    for (int64_t b = 0; b < B; ++b) {
      const float* xb = X + b * C + c0;
#pragma omp simd
      for (int64_t c = 0; c < n; ++c) {
        const float t = xb[c] - m[c];
        acc[c] += t * t;
      }
    }
    for (int64_t c = 0; c < n; ++c) {
      const float var = acc[c] / B;
      const float is = 1.0f / std::sqrt(var + feps);
      IS[c0 + c] = is;
      scale[c] = W[c0 + c] * is;                  // y = leaky(scale * x + shift)
      shift[c] = BI[c0 + c] - m[c] * scale[c];
      RM[c0 + c] = (1.0f - fmom) * RM[c0 + c] + fmom * m[c];
      RV[c0 + c] = (1.0f - fmom) * RV[c0 + c] + fmom * var * B / (B - 1);
    }
    for (int64_t b = 0; b < B; ++b) {
      const float* xb = X + b * C + c0;
      float* yb = Y + b * C + c0;
#pragma omp simd
      for (int64_t c = 0; c < n; ++c) {
        const float u = scale[c] * xb[c] + shift[c];
        yb[c] = std::max(u, 0.0f) + fslope * std::min(u, 0.0f);
      }
    }
  });
  return {y, mean, invstd};
}

// dy (B, C): gradient at the LeakyReLU's output; x, y: the forward's input and output; mean,
// invstd: its batch statistics -> dx (B, C), dweight (C), dbias (C).
std::vector<torch::Tensor> batch_norm_leaky_relu_backward(torch::Tensor dy, torch::Tensor x, torch::Tensor y,
                                                          torch::Tensor weight, torch::Tensor mean,
                                                          torch::Tensor invstd, double slope) {
  dy = dy.contiguous();
  x = x.contiguous();
  y = y.contiguous();
  weight = weight.contiguous();
  const int64_t B = x.size(0), C = x.size(1);
  auto dx = torch::empty_like(x);
  auto dweight = torch::empty({C}, x.options());
  auto dbias = torch::empty({C}, x.options());
  const float* DY = dy.data_ptr<float>();
  const float* X = x.data_ptr<float>();
  const float* Y = y.data_ptr<float>();
  const float* W = weight.data_ptr<float>();
  const float* M = mean.data_ptr<float>();
  const float* IS = invstd.data_ptr<float>();
  float* DX = dx.data_ptr<float>();
  float* DW = dweight.data_ptr<float>();
  float* DB = dbias.data_ptr<float>();
  const float fslope = static_cast<float>(slope);

  at::parallel_for(0, C, kColumnGrain, [=](int64_t c0, int64_t c1) {
    const int64_t n = c1 - c0;
    std::vector<float> sg(n, 0.0f), sgx(n, 0.0f), k(n), a(n), o(n);
    const float* m = M + c0;
    const float* is = IS + c0;
    // pass 1: g = dy * leaky'(u) (u > 0 exactly where y > 0); sums of g and of g * xhat
    for (int64_t b = 0; b < B; ++b)
      gradient_sums(DY + b * C + c0, X + b * C + c0, Y + b * C + c0, m, is, n, fslope, sg.data(), sgx.data());
    // dx = weight * invstd * (g - mean(g) - xhat * mean(g * xhat)) = k * g + a * x + o
    for (int64_t c = 0; c < n; ++c) {
      DB[c0 + c] = sg[c];
      DW[c0 + c] = sgx[c];
      k[c] = W[c0 + c] * is[c];
      a[c] = -k[c] * is[c] * sgx[c] / B;
      o[c] = -k[c] * sg[c] / B - a[c] * m[c];
    }
    for (int64_t b = 0; b < B; ++b)
      input_gradient(DY + b * C + c0, X + b * C + c0, Y + b * C + c0, k.data(), a.data(), o.data(), n, fslope,
                     DX + b * C + c0);
  });
  return {dx, dweight, dbias};
}
