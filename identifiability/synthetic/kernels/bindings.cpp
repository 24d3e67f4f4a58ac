// The Python module of the CPU kernels (one extension, built by model.cpu_kernels()).
#include <torch/extension.h>

#include <vector>

std::vector<torch::Tensor> linear_cross_entropy(torch::Tensor feats, torch::Tensor rows, torch::Tensor beta,
                                                torch::Tensor target);
std::vector<torch::Tensor> batch_norm_leaky_relu_forward(torch::Tensor x, torch::Tensor weight, torch::Tensor bias,
                                                         torch::Tensor running_mean, torch::Tensor running_var,
                                                         double momentum, double eps, double slope);
std::vector<torch::Tensor> batch_norm_leaky_relu_backward(torch::Tensor dy, torch::Tensor x, torch::Tensor weight,
                                                          torch::Tensor bias, torch::Tensor mean,
                                                          torch::Tensor invstd, double slope);

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("linear_cross_entropy", &linear_cross_entropy, "fused linear cross-entropy and its gradients (float32)");
  m.def("batch_norm_leaky_relu_forward", &batch_norm_leaky_relu_forward,
        "BatchNorm with batch statistics, then LeakyReLU (float32, (R, B, C) stacked runs or (B, C))");
  m.def("batch_norm_leaky_relu_backward", &batch_norm_leaky_relu_backward,
        "gradients of batch_norm_leaky_relu_forward");
}
