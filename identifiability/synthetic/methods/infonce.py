"""InfoNCE (A. van den Oord, Y. Li and O. Vinyals 2018), in the identifiability setting of
R. S. Zimmermann et al., "Contrastive Learning Inverts the Data Generating Process", ICML 2021
(code: brendel-group/cl-ica).

For anchors x_i and their positives x_i^+ in a batch, the loss is
-log exp(beta <f(x_i), f(x_i^+)>) / sum_j exp(beta <f(x_i), f(x_j^+)>): the cross-entropy over
the batch's similarity matrix with the positives on the diagonal; beta = 1/tau, learned or fixed
(``beta``, ``beta_init``). With ``feature_norm`` the similarity is the cosine, as in cl-ica, where
latents are uniform on the sphere and z+ ~ vMF(z, kappa) (process kind ``infonce``): f∘g is then
orthogonal at the optimum, with beta = kappa.

On the cluster-centric process the positive of a sample is a second fresh sample with the same
instance label (the paper's "augmentation"). DIET is this loss with the sum over the batch
replaced by one over all N instances and f(x_j^+) by a learned row w_j (paper Sec. 3.4).
No head: W is empty and the W metrics are not defined.
"""

import torch
import torch.nn.functional as F

from identifiability.synthetic import model as M
from identifiability.synthetic.methods.base import Method


class InfoNCE(Method):
    name = "infonce"

    def draw(self, batch):
        B = batch.shared.batch_size
        anchors, positives = [], []
        for proc, gen in zip(batch.processes, batch.generators):
            labels, z, x = proc.draw(B, gen)
            _, x_pos = proc.positive(labels, z, gen)
            anchors.append(x)
            positives.append(x_pos)
        return {"x": torch.stack(anchors), "x_pos": torch.stack(positives)}

    def loss(self, batch, data):
        B = data["x"].shape[1]
        # one encoder pass over anchors and positives (BatchNorm statistics over both)
        features = self.features(batch, torch.cat([data["x"], data["x_pos"]], dim=1))
        return infonce_loss(features[:, :B], features[:, B:], M.trained_beta(batch.params, batch.shape))


def infonce_loss(anchors, positives, beta):
    """Per-run mean InfoNCE: (R, B, d) anchors and positives, beta (R,) -> (R,)."""
    R, B, _ = anchors.shape
    sim = beta[:, None, None] * torch.bmm(anchors, positives.transpose(1, 2))    # (R, B, B)
    target = torch.arange(B, device=anchors.device).repeat(R)
    return F.cross_entropy(sim.reshape(R * B, B), target, reduction="none").view(R, B).mean(1)


METHOD = InfoNCE()
