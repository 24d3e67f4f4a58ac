// BatchNorm (training mode, batch statistics) fused with the LeakyReLU after it, forward and
// backward, for float32 activations x of R stacked runs, (R, B, C) (or one run's (B, C)): the
// statistics of run r's channel c are over the B rows of x[r, :, c]. Taking the stacked layout the
// batched matmuls write (no transposed copy to a (B, R * C) matrix and back) keeps every tensor
// contiguous, so the matmuls around it run at full speed. torch runs BatchNorm and LeakyReLU as
// separate kernels whose BatchNorm walks a matrix column by column; here every pass streams the
// rows and updates a strip of contiguous columns of one run, so the compiler vectorises across
// channels, and the LeakyReLU is applied (forward) and differentiated (backward) inside the same
// passes: the forward reads x twice (both moments in one pass, then the output), the backward
// reads dy and x twice (the LeakyReLU's derivative recomputed from x, so y is not kept). The
// R * C (run, channel) columns are split between threads. Statistics in float32 like torch's CPU
// kernel; running statistics follow torch (unbiased variance, momentum).
#include <torch/extension.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace {

constexpr int64_t kColumnGrain = 64;   // columns per task at least (narrower strips: not worth a thread)

// One row's strip of n columns in the backward passes (restrict pointers: the loops vectorise).
// The LeakyReLU's derivative comes from the sign of its input u = scale * x + shift, recomputed
// from x (the forward's expression), so the backward reads neither y nor a mask.
inline void gradient_sums(const float* __restrict__ dy, const float* __restrict__ x, const float* __restrict__ scale,
                          const float* __restrict__ shift, const float* __restrict__ mean,
                          const float* __restrict__ invstd, int64_t n, float slope, float* __restrict__ sg,
                          float* __restrict__ sgx) {
#pragma omp simd
  for (int64_t c = 0; c < n; ++c) {
    const float g = dy[c] * (scale[c] * x[c] + shift[c] > 0.0f ? 1.0f : slope);
    sg[c] += g;
    sgx[c] += g * (x[c] - mean[c]) * invstd[c];
  }
}

inline void input_gradient(const float* __restrict__ dy, const float* __restrict__ x, const float* __restrict__ scale,
                           const float* __restrict__ shift, const float* __restrict__ k, const float* __restrict__ a,
                           const float* __restrict__ o, int64_t n, float slope, float* __restrict__ dx) {
#pragma omp simd
  for (int64_t c = 0; c < n; ++c)
    dx[c] = k[c] * dy[c] * (scale[c] * x[c] + shift[c] > 0.0f ? 1.0f : slope) + a[c] * x[c] + o[c];
}

// The (run, channel) columns [j0, j1) of R runs with C channels each, one run's part at a time:
// f(r, c0, n) gets the run, its first channel and the strip's width.
template <typename F>
inline void for_each_run_strip(int64_t j0, int64_t j1, int64_t C, const F& f) {
  for (int64_t j = j0; j < j1;) {
    const int64_t r = j / C, c0 = j - r * C, n = std::min(j1 - j, C - c0);
    f(r, c0, n);
    j += n;
  }
}

// (R, B, C) or (B, C) -> (R, B, C) sizes, checking float32 and that the per-channel tensors hold R * C values.
inline void stacked_sizes(const torch::Tensor& x, int64_t& R, int64_t& B, int64_t& C) {
  TORCH_CHECK((x.dim() == 2 || x.dim() == 3) && x.scalar_type() == torch::kFloat32,
              "x must be float32, (R, B, C) stacked runs or (B, C)");
  R = x.dim() == 3 ? x.size(0) : 1;
  B = x.size(-2);
  C = x.size(-1);
}

}  // namespace

// x (R, B, C) or (B, C); weight, bias, running_mean, running_var: R * C values (run-major) -> y
// like x, mean (R * C), invstd (R * C); running_mean and running_var are updated in place.
std::vector<torch::Tensor> batch_norm_leaky_relu_forward(torch::Tensor x, torch::Tensor weight, torch::Tensor bias,
                                                         torch::Tensor running_mean, torch::Tensor running_var,
                                                         double momentum, double eps, double slope) {
  int64_t R, B, C;
  stacked_sizes(x, R, B, C);
  TORCH_CHECK(running_mean.is_contiguous() && running_var.is_contiguous(), "running statistics must be contiguous");
  TORCH_CHECK(weight.numel() == R * C && bias.numel() == R * C && running_mean.numel() == R * C &&
                  running_var.numel() == R * C, "weight, bias and running statistics need R * C values");
  x = x.contiguous();
  weight = weight.contiguous();
  bias = bias.contiguous();
  TORCH_CHECK(B > 1, "batch statistics need more than one row");
  auto y = torch::empty_like(x);
  auto mean = torch::empty({R * C}, x.options());
  auto invstd = torch::empty({R * C}, x.options());
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
  at::parallel_for(0, R * C, kColumnGrain, [=](int64_t j0, int64_t j1) {
    for_each_run_strip(j0, j1, C, [=](int64_t r, int64_t c0, int64_t n) {
      const float* Xs = X + r * B * C + c0;   // row b of the strip: Xs + b * C
      float* Ys = Y + r * B * C + c0;
      const int64_t j = r * C + c0;           // the strip's first (run, channel) column
      // one pass for both moments, of x minus its first row (a value of the column, so the
      // moments of the difference stay of the column's spread: no cancellation in var)
      std::vector<float> k0(Xs, Xs + n), s1(n, 0.0f), s2(n, 0.0f), scale(n), shift(n);
      for (int64_t b = 0; b < B; ++b) {
        const float* xb = Xs + b * C;
#pragma omp simd
        for (int64_t c = 0; c < n; ++c) {
          const float t = xb[c] - k0[c];
          s1[c] += t;
          s2[c] += t * t;
        }
      }
      for (int64_t c = 0; c < n; ++c) {
        const float d = s1[c] / B;
        const float m = k0[c] + d;
        const float var = std::max(s2[c] / B - d * d, 0.0f);
        const float is = 1.0f / std::sqrt(var + feps);
        M[j + c] = m;
        IS[j + c] = is;
        scale[c] = W[j + c] * is;                  // y = leaky(scale * x + shift)
        shift[c] = BI[j + c] - m * scale[c];
        RM[j + c] = (1.0f - fmom) * RM[j + c] + fmom * m;
        RV[j + c] = (1.0f - fmom) * RV[j + c] + fmom * var * B / (B - 1);
      }
      for (int64_t b = 0; b < B; ++b) {
        const float* xb = Xs + b * C;
        float* yb = Ys + b * C;
#pragma omp simd
        for (int64_t c = 0; c < n; ++c) {
          const float u = scale[c] * xb[c] + shift[c];
          yb[c] = std::max(u, 0.0f) + fslope * std::min(u, 0.0f);
        }
      }
    });
  });
  return {y, mean, invstd};
}

// dy like x: gradient at the LeakyReLU's output; x, weight, bias: the forward's input and affine
// parameters; mean, invstd: its batch statistics -> dx like x, dweight (R * C), dbias (R * C).
std::vector<torch::Tensor> batch_norm_leaky_relu_backward(torch::Tensor dy, torch::Tensor x, torch::Tensor weight,
                                                          torch::Tensor bias, torch::Tensor mean,
                                                          torch::Tensor invstd, double slope) {
  int64_t R, B, C;
  stacked_sizes(x, R, B, C);
  TORCH_CHECK(dy.sizes() == x.sizes(), "dy and x must have one shape");
  TORCH_CHECK(weight.numel() == R * C && bias.numel() == R * C && mean.numel() == R * C && invstd.numel() == R * C,
              "weight, bias and the statistics need R * C values");
  dy = dy.contiguous();
  x = x.contiguous();
  weight = weight.contiguous();
  bias = bias.contiguous();
  mean = mean.contiguous();
  invstd = invstd.contiguous();
  auto dx = torch::empty_like(x);
  auto dweight = torch::empty({R * C}, x.options());
  auto dbias = torch::empty({R * C}, x.options());
  const float* DY = dy.data_ptr<float>();
  const float* X = x.data_ptr<float>();
  const float* W = weight.data_ptr<float>();
  const float* BI = bias.data_ptr<float>();
  const float* M = mean.data_ptr<float>();
  const float* IS = invstd.data_ptr<float>();
  float* DX = dx.data_ptr<float>();
  float* DW = dweight.data_ptr<float>();
  float* DB = dbias.data_ptr<float>();
  const float fslope = static_cast<float>(slope);

  at::parallel_for(0, R * C, kColumnGrain, [=](int64_t j0, int64_t j1) {
    for_each_run_strip(j0, j1, C, [=](int64_t r, int64_t c0, int64_t n) {
      const int64_t off = r * B * C + c0, j = r * C + c0;
      std::vector<float> sg(n, 0.0f), sgx(n, 0.0f), scale(n), shift(n), k(n), a(n), o(n);
      const float* m = M + j;
      const float* is = IS + j;
      for (int64_t c = 0; c < n; ++c) {          // the forward's u = scale * x + shift
        scale[c] = W[j + c] * is[c];
        shift[c] = BI[j + c] - m[c] * scale[c];
      }
      // pass 1: g = dy * leaky'(u); sums of g and of g * xhat
      for (int64_t b = 0; b < B; ++b)
        gradient_sums(DY + off + b * C, X + off + b * C, scale.data(), shift.data(), m, is, n, fslope, sg.data(),
                      sgx.data());
      // dx = weight * invstd * (g - mean(g) - xhat * mean(g * xhat)) = k * g + a * x + o
      for (int64_t c = 0; c < n; ++c) {
        DB[j + c] = sg[c];
        DW[j + c] = sgx[c];
        k[c] = scale[c];
        a[c] = -k[c] * is[c] * sgx[c] / B;
        o[c] = -k[c] * sg[c] / B - a[c] * m[c];
      }
      for (int64_t b = 0; b < B; ++b)
        input_gradient(DY + off + b * C, X + off + b * C, scale.data(), shift.data(), k.data(), a.data(), o.data(), n,
                       fslope, DX + off + b * C);
    });
  });
  return {dx, dweight, dbias};
}
