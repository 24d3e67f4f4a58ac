"""DIET: parametric instance discrimination (Ibrahim et al. 2024; paper Theorem 1).

Each sample's label is its instance index i in [0, N); W has one row per instance and the loss is
the cross-entropy -log softmax_j(beta <w_j, f(x)>)_i over all N rows. The paper obtains it from
InfoNCE (Sec. 3.4) by summing over the whole data set instead of the batch and replacing the
anchor's embedding f(x_i) with a learned row w_i. On the CPU the cross-entropy runs in the
compiled kernel (model.linear_cross_entropy), which never forms the (B, N) logits.
"""

from identifiability.synthetic import model as M
from identifiability.synthetic.methods.base import Method, draw_labelled


class LabelCrossEntropy(Method):
    """Cross-entropy of a label over the rows of W (``target``: instances or classes)."""
    target = "instances"

    def draw(self, batch):
        return draw_labelled(batch, self.target)

    def loss(self, batch, data):
        features = self.features(batch, data["x"])
        return M.linear_cross_entropy(batch.params, batch.shape, features, data["target"])


class DIET(LabelCrossEntropy):
    name = "diet"
    target = "instances"


METHOD = DIET()
