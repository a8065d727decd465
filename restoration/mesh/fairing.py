"""Cotangent Laplacians and the fairing solve (scipy on CPU, torch sparse CG on CUDA).

Hand-written: the operators are a few lines of numpy/scipy; libigl would do the same but is not
installed, and the torch path needs its own conjugate gradient (torch has no sparse direct solver).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

# The one device helper; re-exported here for callers that imported it from fairing.
from museum.common.devices import resolve_device as resolve_device


def cotangent_laplacian(points: np.ndarray, faces: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """(C, mass): C_ij = (cot a + cot b) / 2 off the diagonal, rows summing to 0; mass is the
    barycentric area. Cotangents are clamped so slivers cannot make the system indefinite."""
    n = len(points)
    rows, cols, vals = [], [], []
    area = np.zeros(n)
    tri = points[faces]
    double_area = np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    for corner in range(3):
        i, j = faces[:, (corner + 1) % 3], faces[:, (corner + 2) % 3]
        u = points[i] - points[faces[:, corner]]
        v = points[j] - points[faces[:, corner]]
        cot = (u * v).sum(axis=1) / np.maximum(double_area, 1e-300)
        cot = np.clip(cot, 1e-3, 1e3) / 2.0
        rows += [i, j]
        cols += [j, i]
        vals += [cot, cot]
        np.add.at(area, faces[:, corner], double_area / 6.0)
    off = sp.coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    ).tocsr()
    laplacian = off - sp.diags(np.asarray(off.sum(axis=1)).ravel())
    positive = area[area > 0]
    floor = 1e-9 * (positive.mean() if len(positive) else 1.0)
    return laplacian.tocsr(), np.maximum(area, floor)


def uniform_laplacian(n: int, faces: np.ndarray) -> sp.csr_matrix:
    edges = faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    directed = sp.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    symmetric = (directed + directed.T).tocsr()
    adjacency = (symmetric > 0).astype(np.float64)  # type: ignore[operator]  # not in scipy-stubs
    return (adjacency - sp.diags(np.asarray(adjacency.sum(axis=1)).ravel())).tocsr()


def fair(
    points: np.ndarray,
    faces: np.ndarray,
    free: np.ndarray,
    *,
    solver: str = "auto",
    device: str = "auto",
    iterations: int = 4,
    order: int = 2,
) -> np.ndarray:
    """Minimise the thin-plate energy |M^-1 C x|^2 over the `free` vertices, the others fixed:
    solve (C M^-1 C)_ff x_f = -(C M^-1 C)_fc x_c. With two fixed rings around the hole this
    matches position and tangent plane at the seam. Weights are recomputed `iterations` times."""
    points = points.copy()
    free_ids = np.flatnonzero(free)
    fixed_ids = np.flatnonzero(~free)
    if len(free_ids) == 0:
        return points
    device = resolve_device(device)
    if solver == "auto":
        solver = "torch" if device.startswith("cuda") else "scipy"
    for _ in range(iterations):
        laplacian, mass = cotangent_laplacian(points, faces)
        inverse_mass = sp.diags(1.0 / mass)
        bilaplacian = laplacian
        for _ in range(order - 1):
            bilaplacian = laplacian @ inverse_mass @ bilaplacian
        bilaplacian = bilaplacian.tocsr()
        system = bilaplacian[free_ids][:, free_ids]
        rhs = -(bilaplacian[free_ids][:, fixed_ids] @ points[fixed_ids])
        points[free_ids] = solve_spd(system, rhs, points[free_ids], solver=solver, device=device)
    return points


def solve_spd(
    matrix: sp.csr_matrix | sp.csc_matrix,
    rhs: np.ndarray,
    guess: np.ndarray,
    *,
    solver: str = "scipy",
    device: str = "cpu",
    tol: float = 1e-10,
) -> np.ndarray:
    """Solve a symmetric positive definite sparse system for several right-hand sides."""
    if solver == "scipy":
        result = spsolve(matrix.tocsc(), rhs)
        return np.asarray(result).reshape(rhs.shape)
    if solver == "torch":
        return _torch_cg(matrix.tocsr(), rhs, guess, device=device, tol=tol)
    raise ValueError(f"unknown solver {solver!r} (scipy or torch)")


def _torch_cg(
    matrix: sp.csr_matrix, rhs: np.ndarray, guess: np.ndarray, *, device: str, tol: float
) -> np.ndarray:
    """Jacobi-preconditioned conjugate gradient on torch sparse CSR, all columns at once."""
    import torch

    dev = torch.device(device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
        a = torch.sparse_csr_tensor(
            torch.as_tensor(matrix.indptr, dtype=torch.int64),
            torch.as_tensor(matrix.indices, dtype=torch.int64),
            torch.as_tensor(matrix.data, dtype=torch.float64),
            size=matrix.shape,
            check_invariants=False,
        ).to(dev)
    b = torch.as_tensor(rhs, dtype=torch.float64, device=dev)
    x = torch.as_tensor(guess, dtype=torch.float64, device=dev).clone()
    inverse_diagonal = 1.0 / torch.as_tensor(matrix.diagonal(), dtype=torch.float64, device=dev)
    inverse_diagonal = inverse_diagonal[:, None]
    r = b - a @ x
    z = inverse_diagonal * r
    p = z.clone()
    rz = (r * z).sum(dim=0)
    b_norm = torch.clamp(torch.linalg.norm(b, dim=0), min=1e-300)
    for _ in range(max(200, 20 * matrix.shape[0])):
        if bool((torch.linalg.norm(r, dim=0) / b_norm <= tol).all()):
            break
        ap = a @ p
        alpha = rz / torch.clamp((p * ap).sum(dim=0), min=1e-300)
        x += alpha * p
        r -= alpha * ap
        z = inverse_diagonal * r
        rz_next = (r * z).sum(dim=0)
        p = z + (rz_next / torch.clamp(rz, min=1e-300)) * p
        rz = rz_next
    return x.cpu().numpy()
