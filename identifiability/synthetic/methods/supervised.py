"""Supervised classification (paper Theorem 2): the label is the class c itself.

W has one row per class and the loss is -log softmax_c(beta <w_c, f(x)>)_{C(i)}: DIET with the
instance labels replaced by their classes (paper Sec. 3.4, DIET -> supervised).
"""

from identifiability.synthetic.methods.diet import LabelCrossEntropy


class Supervised(LabelCrossEntropy):
    name = "supervised"
    target = "classes"


METHOD = Supervised()
