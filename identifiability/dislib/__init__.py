"""DisLib experiment family (paper Sec. 4.2, Table 4): data sets, models, training, decoding, report."""
