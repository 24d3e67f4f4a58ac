"""The synthetic cluster-centric data generating process (paper Sec. 4.1 and Appendix D)."""
