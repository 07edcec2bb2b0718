"""Re-orthonormalisation of tangent bases: QR with a positive diagonal, for the stacks of small
bases of ODE spectra and the tall ones of delay spectra."""

from __future__ import annotations

import numpy as np

__all__ = ["orthonormalise", "tall_qr"]


def orthonormalise(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """QR of a stack (L, n, c) with a positive diagonal of R: (Q, log|diag R|)."""
    Qm, Rm = np.linalg.qr(M)
    diag = np.diagonal(Rm, axis1=1, axis2=2)
    return Qm * np.where(diag < 0, -1.0, 1.0)[:, None, :], np.log(np.abs(diag))


def tall_qr(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Thin QR of a stack of tall matrices (L, n, k), k << n, as CholeskyQR2 (Fukaya et al.
    2014, ScalA): two rounds of A^T A = R R^T (Cholesky), Q = A R^-T, as accurate as
    Householder for condition numbers below ~1e7 (here at most about e^growth) and much faster
    for n >> k. Returns (Q, log|diag R|); falls back on Householder if a Gram matrix is not
    positive definite."""
    Q = np.empty_like(A)
    logs = np.zeros((A.shape[0], A.shape[2]))
    try:
        for lane in range(A.shape[0]):
            a = A[lane]
            for _ in range(2):
                R = np.linalg.cholesky(a.T @ a)               # lower triangular
                a = a @ np.linalg.inv(R).T
                logs[lane] += np.log(np.diagonal(R))
            Q[lane] = a
    except np.linalg.LinAlgError:
        return orthonormalise(A)
    if not np.all(np.isfinite(logs)):
        return orthonormalise(A)
    return Q, logs
