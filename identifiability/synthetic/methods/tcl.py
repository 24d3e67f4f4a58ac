"""Time-contrastive learning (TCL; A. Hyvarinen and H. Morioka, "Unsupervised Feature Extraction by
Time-Contrastive Learning and Nonlinear ICA", NeurIPS 2016).

The data come in segments whose latent distribution is an exponential family modulated per
segment; TCL trains a multinomial logistic regression of the segment index from the features,
with per-segment weights and biases: -log softmax_c(beta <w_c, f(x)> + b_c)_{c(x)}. Its theory:
f recovers the sufficient statistics up to an affine map. In the cluster-centric process a class
is a segment and vMF(v_c, kappa) is an exponential family with sufficient statistic z, so f∘g
should be affine. The difference from supervised training is the per-class bias.
"""

import torch
import torch.nn.functional as F

from identifiability.synthetic import model as M
from identifiability.synthetic.methods.base import Method, draw_labelled


class TCL(Method):
    name = "tcl"

    def draw(self, batch):
        return draw_labelled(batch, "classes")

    def loss(self, batch, data):
        features = self.features(batch, data["x"])
        return class_logits_cross_entropy(batch.params, batch.shape, features, data["target"])


def class_logits_cross_entropy(params, shape, features, target):
    """Per-run mean of -log softmax_c(beta <w_c, f> + b_c)_target: (R, B, d), (R, B) -> (R,)."""
    R, B, _ = features.shape
    beta = M.trained_beta(params, shape)[:, None, None]
    logits = beta * torch.bmm(features, M.head_rows(params, shape).transpose(1, 2)) + params["head.bias"][:, None, :]
    loss = F.cross_entropy(logits.reshape(R * B, -1), target.reshape(-1), reduction="none")
    return loss.view(R, B).mean(1)


METHOD = TCL()
