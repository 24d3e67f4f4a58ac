"""Generalised contrastive learning (GCL; A. Hyvarinen, H. Sasaki and R. E. Turner, "Nonlinear ICA
Using Auxiliary Variables and Generalized Contrastive Learning", AISTATS 2019).

Logistic regression tells real pairs (x, u) from pairs (x, u*) whose auxiliary variable u* is
drawn independently of x; here u is the instance label and u* the labels of the batch shuffled.
The regression function is r(x, u) = beta <w_u, f(x)> + b_u (one row of W and one bias per
label) and the loss the binary cross-entropy, real pairs labelled 1 and shuffled ones 0, averaged
over the 2B pairs. With r of the form sum_i psi_i(h_i(x), u), GCL's theory has h recover the
sources under its conditions; r here is that form's linear special case.
"""

import torch
import torch.nn.functional as F

from identifiability.synthetic import model as M
from identifiability.synthetic.methods.base import Method, draw_labelled


class GCL(Method):
    name = "gcl"

    def draw(self, batch):
        data = draw_labelled(batch, "instances")
        B = batch.shared.batch_size
        # u* for each sample: another sample's label, by a permutation of the batch per run
        perms = torch.stack([torch.randperm(B, generator=g, device=batch.device) for g in batch.generators])
        data["shuffled"] = torch.gather(data["target"], 1, perms)
        return data

    def loss(self, batch, data):
        features = self.features(batch, data["x"])
        real = pair_scores(batch.params, batch.shape, features, data["target"])
        fake = pair_scores(batch.params, batch.shape, features, data["shuffled"])
        # binary cross-entropy: real pairs -> 1, shuffled pairs -> 0
        return 0.5 * (F.softplus(-real) + F.softplus(fake)).mean(1)


def pair_scores(params, shape, features, labels):
    """r(x, u) = beta <w_u, f(x)> + b_u for every sample of every run: (R, B, d), (R, B) -> (R, B)."""
    rows = M.head_rows(params, shape)                                  # (R, K, d)
    w = torch.gather(rows, 1, labels[..., None].expand(-1, -1, rows.shape[-1]))
    b = torch.gather(params["head.bias"], 1, labels)
    return M.trained_beta(params, shape)[:, None] * (w * features).sum(-1) + b


METHOD = GCL()
