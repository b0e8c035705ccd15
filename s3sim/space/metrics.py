"""Economic-complexity metrics on location x product matrices.

Every function takes dense 2-D arrays with locations in rows and products in
columns and is pure numpy: no pandas, no loops over locations or products, so
the model can call them every simulated step (20 x 865 takes about a millisecond).

The conventions reproduce the Growth Lab's reference package ``ecomplexity``
0.5.3 to floating-point precision (its tests in ``tests/test_metrics.py`` use it
as an oracle). Where ``ecomplexity`` returns NaN for degenerate inputs (a
location that exports nothing, a product nobody exports) these functions return
defined values instead; each docstring says which.

References
----------
.. [1] Balassa, B. (1965). Trade liberalisation and "revealed" comparative
   advantage. The Manchester School, 33(2), 99-123.
.. [2] Hidalgo, C. A., Klinger, B., Barabási, A.-L. & Hausmann, R. (2007). The
   product space conditions the development of nations. Science, 317, 482-487.
.. [3] Hidalgo, C. A. & Hausmann, R. (2009). The building blocks of economic
   complexity. PNAS, 106(26), 10570-10575.
.. [4] Hausmann, R., Hidalgo, C. A., Bustos, S., Coscia, M., Simoes, A. &
   Yildirim, M. A. (2014). The Atlas of Economic Complexity. MIT Press.
.. [5] Balland, P.-A., Boschma, R., Crespo, J. & Rigby, D. L. (2019). Smart
   specialization policy in the European Union: relatedness, knowledge
   complexity and regional diversification. Regional Studies, 53(9), 1252-1268.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "DENSITY_CONVENTIONS",
    "OPPORTUNITY_WEIGHTS",
    "QUADRANT_LABELS",
    "ComplexityResult",
    "cog",
    "coi",
    "complexity",
    "density",
    "diversity",
    "eci",
    "eci_pci",
    "opportunity_score",
    "presence",
    "proximity",
    "rca",
    "related_mask",
    "relatedness_complexity_quadrant",
    "ubiquity",
    "zscore",
]

FloatArray = NDArray[np.float64]


def _as_matrix(X: ArrayLike, name: str) -> FloatArray:
    """Return ``X`` as a 2-D float array or raise ``ValueError``."""
    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array (locations x products), got shape {arr.shape}"
        )
    return arr


def rca(X: ArrayLike) -> FloatArray:
    r"""Balassa's revealed comparative advantage.

    .. math::

        RCA_{rp} = \frac{x_{rp} / \sum_{p'} x_{rp'}}
                        {\sum_{r'} x_{r'p} / \sum_{r'p'} x_{r'p'}}

    Parameters
    ----------
    X : array_like, shape (n_locations, n_products)
        Non-negative values (exports, employment, patents...).

    Returns
    -------
    numpy.ndarray
        RCA matrix of the same shape. Rows (locations) or columns (products)
        whose total is zero get RCA 0 (``ecomplexity`` drops them and reports NaN).

    Raises
    ------
    ValueError
        If ``X`` is not 2-D or contains negative, NaN or infinite values.

    Notes
    -----
    The arithmetic follows ``ecomplexity`` (share of the location divided by the
    world share of the product, world total = sum of product totals) so that the
    presence threshold ``RCA >= 1`` flips on exactly the same cells. See [1]_.

    References
    ----------
    .. [1] Balassa (1965), The Manchester School 33(2), 99-123.

    Examples
    --------
    >>> rca([[1.0, 1.0], [0.0, 2.0]])
    array([[2.        , 0.66666667],
           [0.        , 1.33333333]])
    """
    arr = _as_matrix(X, "X")
    if not np.all(np.isfinite(arr)):
        n_bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"X contains {n_bad} NaN or infinite value(s); clean or fill them first")
    if np.any(arr < 0):
        n_bad = int(np.count_nonzero(arr < 0))
        raise ValueError(f"X contains {n_bad} negative value(s); RCA needs values >= 0")
    row = arr.sum(axis=1)[:, np.newaxis]
    col = arr.sum(axis=0)[np.newaxis, :]
    total = col.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (arr / row) / (col / total)
    out[~np.isfinite(out)] = 0.0
    return out


def presence(rca_values: ArrayLike, threshold: float = 1.0) -> NDArray[np.int8]:
    r"""Binary presence (specialisation) matrix :math:`M_{rp} = [RCA_{rp} \ge t]`.

    Parameters
    ----------
    rca_values : array_like, shape (n_locations, n_products)
        RCA values, see :func:`rca`. NaN counts as absent.
    threshold : float, default 1.0
        Presence threshold ``t``.

    Returns
    -------
    numpy.ndarray of int8
        0/1 matrix of the same shape.
    """
    arr = _as_matrix(rca_values, "rca_values")
    return (np.nan_to_num(arr) >= threshold).astype(np.int8)


def diversity(M: ArrayLike) -> FloatArray:
    r"""Diversity :math:`k_{r,0} = \sum_p M_{rp}` (number of products present).

    Parameters
    ----------
    M : array_like, shape (n_locations, n_products)
        Presence matrix.

    Returns
    -------
    numpy.ndarray, shape (n_locations,)
    """
    return _as_matrix(M, "M").sum(axis=1)


def ubiquity(M: ArrayLike) -> FloatArray:
    r"""Ubiquity :math:`k_{p,0} = \sum_r M_{rp}` (number of locations specialised).

    Parameters
    ----------
    M : array_like, shape (n_locations, n_products)
        Presence matrix.

    Returns
    -------
    numpy.ndarray, shape (n_products,)
    """
    return _as_matrix(M, "M").sum(axis=0)


def proximity(M: ArrayLike) -> FloatArray:
    r"""Product proximity (Hidalgo et al. 2007).

    .. math::

        \phi_{pq} = \min\{P(M_p | M_q), P(M_q | M_p)\}
                  = \frac{C_{pq}}{\max(k_p, k_q)}, \qquad C = M^\top M

    Parameters
    ----------
    M : array_like, shape (n_locations, n_products)
        Presence matrix.

    Returns
    -------
    numpy.ndarray, shape (n_products, n_products)
        Symmetric matrix in [0, 1]. The diagonal is 1 for every product with
        ubiquity > 0 (as in ``ecomplexity``). A product with ubiquity 0 has
        proximity 0 to every product, itself included (``ecomplexity`` gives
        NaN for its whole row and column, which then turns every density into
        NaN).

    References
    ----------
    .. [1] Hidalgo et al. (2007), Science 317, 482-487.

    Examples
    --------
    The Atlas example: 17 countries export wine, 24 export grapes, 11 both,
    so :math:`\phi = 11/24`.

    >>> M = np.array([[1, 1]] * 11 + [[1, 0]] * 6 + [[0, 1]] * 13)
    >>> float(proximity(M)[0, 1]) == 11 / 24
    True
    """
    m = _as_matrix(M, "M")
    phi = m.T @ m
    k = np.diag(phi).copy()
    denom = np.maximum.outer(k, k)
    denom[denom == 0] = 1.0  # C_pq = 0 there, so phi_pq = 0
    phi /= denom
    return phi


DENSITY_CONVENTIONS: tuple[str, str] = ("python", "stata")
"""Density conventions: ``"python"`` keeps the product's own proximity in the sums (the
``ecomplexity`` Python package), ``"stata"`` leaves it out (the Growth Lab's Stata
``ecomplexity``)."""


def density(M: ArrayLike, phi: ArrayLike, convention: str = "python") -> FloatArray:
    r"""Relatedness density (Hidalgo et al. 2007).

    .. math::

        d_{rp} = \frac{\sum_q M_{rq}\,\phi_{pq}}{\sum_q \phi_{pq}}

    With ``convention="python"`` (default) the sums include :math:`q = p`
    (:math:`\phi_{pp} = 1`), as in the Python package ``ecomplexity`` 0.5.3, so a
    product a location already has counts towards its own density. With
    ``convention="stata"`` they run over :math:`q \ne p`, as in the Growth Lab's
    Stata ``ecomplexity``:

    .. math::

        d^{\text{Stata}}_{rp} = \frac{\sum_{q \ne p} M_{rq}\,\phi_{pq}}
                                     {\sum_{q \ne p} \phi_{pq}}

    For a product the location lacks, the Stata density is the higher one (only the
    denominator loses :math:`\phi_{pp} = 1`); for a product it has, the lower one (the
    numerator loses it too). The difference shrinks with the number of products; on
    the Growth Lab's test data (10 countries x 30 HS products, 1995) it reaches 0.073.

    Parameters
    ----------
    M : array_like, shape (n_locations, n_products)
        Presence matrix (or any non-negative weights).
    phi : array_like, shape (n_products, n_products)
        Proximity matrix, see :func:`proximity`.
    convention : {"python", "stata"}, default "python"
        Whether the product's own proximity :math:`\phi_{pp}` is in the sums.

    Returns
    -------
    numpy.ndarray, shape (n_locations, n_products)
        Values in [0, 1]. Products whose proximity row sums to 0 (nobody
        exports them, or, for ``"stata"``, nobody exports them together with
        another product) get density 0.

    Examples
    --------
    >>> M = np.array([[1, 0], [1, 1]])
    >>> phi = proximity(M)
    >>> density(M, phi).round(3).tolist(), density(M, phi, "stata").tolist()
    ([[0.667, 0.333], [1.0, 1.0]], [[0.0, 1.0], [1.0, 1.0]])
    """
    if convention not in DENSITY_CONVENTIONS:
        raise ValueError(f"density convention must be 'python' or 'stata', got {convention!r}")
    m = _as_matrix(M, "M")
    p = _as_matrix(phi, "phi")
    if p.shape != (m.shape[1], m.shape[1]):
        raise ValueError(f"phi must have shape {(m.shape[1], m.shape[1])}, got {p.shape}")
    if convention == "stata":
        p = p.copy()
        np.fill_diagonal(p, 0.0)
    row = p.sum(axis=1)
    safe = np.where(row > 0, row, 1.0)
    return (m @ p.T) / safe[np.newaxis, :]


def _valid_masks(m: FloatArray) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Return masks of locations with diversity > 0 and products with ubiquity > 0."""
    return m.sum(axis=1) > 0, m.sum(axis=0) > 0


def _raw_eigenvectors(m: FloatArray) -> tuple[FloatArray, FloatArray]:
    r"""Raw ``(kc, kp)`` exactly as ``ecomplexity`` builds them (no empty rows or columns).

    ``kp`` is the unit-norm eigenvector of
    :math:`\tilde M^{(p)} = D_p^{-1} M^\top D_r^{-1} M` for its second-largest
    eigenvalue and ``kc = D_r^{-1} M kp``. It is obtained from the SVD of the
    symmetric form :math:`A = D_r^{-1/2} M D_p^{-1/2}`, whose right singular
    vectors are :math:`D_p^{1/2}` times the eigenvectors (same eigenvalues
    :math:`s^2`), which is much faster than a general eigen-solver on the
    products x products matrix.
    """
    kr = m.sum(axis=1)
    kp_deg = m.sum(axis=0)
    a = m / np.sqrt(kr)[:, np.newaxis] / np.sqrt(kp_deg)[np.newaxis, :]
    _, _, vt = np.linalg.svd(a, full_matrices=False)
    kp = vt[1] / np.sqrt(kp_deg)
    kp /= np.linalg.norm(kp)
    kc = (m / kr[:, np.newaxis]) @ kp
    sign = _orientation(kr, kc, kp_deg, kp)
    return sign * kc, sign * kp


def _orientation(kr: FloatArray, kc: FloatArray, kp_deg: FloatArray, kp: FloatArray) -> float:
    """Sign making ECI correlate positively with diversity (``ecomplexity`` rule).

    When that correlation is undefined or zero (e.g. all locations equally
    diverse) fall back to PCI correlating negatively with ubiquity, then to a
    positive largest-magnitude PCI component, so the result is never NaN.
    """
    for x, y, s in ((kr, kc, 1.0), (kp_deg, kp, -1.0)):
        if np.std(x) > 0 and np.std(y) > 0:
            r = np.corrcoef(x, y)[0, 1]
            if np.isfinite(r) and abs(r) > 1e-12:
                return float(np.sign(r) * s)
    return float(np.sign(kp[np.argmax(np.abs(kp))]) or 1.0)


def _complexity_input(M: ArrayLike) -> tuple[FloatArray, np.ndarray, np.ndarray]:
    """The matrix and its usable locations/products, or a ValueError saying why not."""
    m = _as_matrix(M, "M")
    if m.shape[0] < 2:
        raise ValueError(
            f"ECI/PCI need at least 2 locations, got {m.shape[0]}: complexity is relative "
            "to other locations"
        )
    loc_ok, prod_ok = _valid_masks(m)
    if loc_ok.sum() < 2 or prod_ok.sum() < 2:
        raise ValueError(
            f"ECI/PCI need at least 2 locations and 2 products with any presence, got "
            f"{int(loc_ok.sum())} location(s) and {int(prod_ok.sum())} product(s)"
        )
    return m, loc_ok, prod_ok


def eci_pci(M: ArrayLike) -> tuple[FloatArray, FloatArray]:
    r"""Economic and product complexity indices (Hidalgo & Hausmann 2009).

    ECI is the eigenvector of :math:`\tilde M^{(r)} = D_r^{-1} M D_p^{-1} M^\top`
    and PCI that of :math:`\tilde M^{(p)} = D_p^{-1} M^\top D_r^{-1} M` for the
    second-largest eigenvalue, with :math:`D_r = \mathrm{diag}(k_{r,0})`,
    :math:`D_p = \mathrm{diag}(k_{p,0})`. Normalised exactly like the Python
    package ``ecomplexity`` 0.5.3: with :math:`k_p` the unit-norm eigenvector and
    :math:`k_r = D_r^{-1} M k_p`,

    .. math::

        ECI = \frac{k_r - \overline{k_r}}{\mathrm{sd}(k_r)}, \qquad
        PCI = \frac{k_p - \overline{k_r}}{\mathrm{sd}(k_r)}

    (population standard deviation over the locations), so ECI is standardised and
    equals the mean PCI of the products a location has. The sign is chosen so that
    ECI correlates positively with diversity.

    The Growth Lab's Stata ``ecomplexity`` divides instead by the *sample* standard
    deviation over the rows of its location x product panel (:math:`N` rows, one per
    pair, so :math:`N = L \cdot P` for a full panel). For a full panel its ECI and PCI
    are these values times :math:`\sqrt{(N-1)/N}` (0.99833 for 10 x 30); the ranking
    and the signs are the same.

    Parameters
    ----------
    M : array_like, shape (n_locations, n_products)
        Presence matrix.

    Returns
    -------
    eci : numpy.ndarray, shape (n_locations,)
        NaN for locations with diversity 0.
    pci : numpy.ndarray, shape (n_products,)
        NaN for products with ubiquity 0.

    Raises
    ------
    ValueError
        If fewer than two locations or two products have any presence (the
        second eigenvector does not exist).

    Notes
    -----
    Locations with diversity 0 and products with ubiquity 0 are removed before
    the eigen-decomposition and reported as NaN, as ``ecomplexity`` does; but
    the normalising mean and standard deviation are taken over the remaining
    locations only, so the other values stay finite (``ecomplexity`` then turns
    *every* ECI and PCI into NaN). If the location-product network is
    disconnected the second eigenvalue equals the first and the eigenvector is
    not unique; the result is then one valid choice, not necessarily the one
    ``ecomplexity`` picks.

    References
    ----------
    .. [1] Hidalgo & Hausmann (2009), PNAS 106(26), 10570-10575.
    """
    m, loc_ok, prod_ok = _complexity_input(M)
    kc, kp = _raw_eigenvectors(m[np.ix_(loc_ok, prod_ok)])
    mean, sd = kc.mean(), kc.std()
    if sd == 0:
        sd = 1.0
    eci = np.full(m.shape[0], np.nan)
    pci = np.full(m.shape[1], np.nan)
    eci[loc_ok] = (kc - mean) / sd
    pci[prod_ok] = (kp - mean) / sd
    return eci, pci


def eci(M: ArrayLike) -> FloatArray:
    r"""Economic complexity index alone, from the small locations x locations matrix.

    The same ECI as :func:`eci_pci` (agreeing to about 1e-12 whenever the second
    eigenvalue is simple, i.e. the eigenvector is unique) but computed from the
    eigen-decomposition of the Gram matrix :math:`A A^\top` (locations x locations,
    :math:`A = D_r^{-1/2} M D_p^{-1/2}`) instead of a singular value decomposition of
    the whole locations x products matrix: the product-side vector is recovered as
    :math:`A^\top u / s`, so the sign rule and normalisation are unchanged. Use it
    when locations are few and products many (a simulated year: 20 x 865). Raises
    like :func:`eci_pci`.

    Examples
    --------
    >>> M = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0], [1, 1, 1, 0]])
    >>> bool(np.allclose(eci(M), eci_pci(M)[0], atol=1e-10))
    True
    """
    m, loc_ok, prod_ok = _complexity_input(M)
    sub_m = m[np.ix_(loc_ok, prod_ok)]
    kr, kp_deg = sub_m.sum(axis=1), sub_m.sum(axis=0)
    a = sub_m / np.sqrt(kr)[:, np.newaxis] / np.sqrt(kp_deg)[np.newaxis, :]
    w, u = np.linalg.eigh(a @ a.T)  # ascending eigenvalues s^2
    v = a.T @ u[:, -2] / np.sqrt(max(w[-2], 1e-300))
    kp = v / np.sqrt(kp_deg)
    kp /= np.linalg.norm(kp)
    kc = (sub_m / kr[:, np.newaxis]) @ kp
    kc *= _orientation(kr, kc, kp_deg, kp)
    sd = kc.std()
    out = np.full(m.shape[0], np.nan)
    out[loc_ok] = (kc - kc.mean()) / (sd if sd != 0 else 1.0)
    return out


def _centred_pci(m: FloatArray, pci: ArrayLike) -> FloatArray:
    r"""PCI shifted to zero ubiquity-weighted mean; NaN (ubiquity-0 products) -> 0.

    ``ecomplexity`` computes COI/COG from the raw eigenvector :math:`k_p`, which
    is orthogonal to ubiquity (:math:`\sum_p k_{p,0} k_p = 0`, ubiquity being
    the left eigenvector for eigenvalue 1), and divides COG by sd(ECI_raw).
    Both equal applying the formulas to normalised PCI shifted this way.
    """
    p = np.asarray(pci, dtype=np.float64)
    if p.shape != (m.shape[1],):
        raise ValueError(f"pci must have shape ({m.shape[1]},), got {p.shape}")
    k = m.sum(axis=0)
    ok = np.isfinite(p) & (k > 0)
    p = np.where(ok, p, 0.0)
    weight = k[ok].sum()
    centre = (k[ok] * p[ok]).sum() / weight if weight > 0 else 0.0
    return np.where(ok, p - centre, 0.0)


def coi(M: ArrayLike, phi: ArrayLike, pci: ArrayLike,
        density_convention: str = "python") -> FloatArray:
    r"""Complexity outlook index (Hausmann et al. 2014, Atlas).

    .. math::

        COI_r = \sum_p d_{rp} (1 - M_{rp})\, \widetilde{PCI}_p

    then standardised across locations (mean 0, population sd 1) as in
    ``ecomplexity``. :math:`\widetilde{PCI}` is PCI shifted so that its
    ubiquity-weighted mean is 0; with PCI from :func:`eci_pci` this reproduces
    ``ecomplexity``, which uses the raw eigenvector (orthogonal to ubiquity).
    The density :math:`d` is :func:`density` with ``density_convention`` (the Atlas
    writes it as :math:`1 - \text{distance}`); with ``"stata"`` COI reproduces the Stata
    package up to its standardisation (see :func:`eci_pci`).

    Parameters
    ----------
    M : array_like, shape (n_locations, n_products)
        Presence matrix.
    phi : array_like, shape (n_products, n_products)
        Proximity matrix.
    pci : array_like, shape (n_products,)
        Product complexity (NaN entries are ignored).
    density_convention : {"python", "stata"}, default "python"
        See :func:`density`.

    Returns
    -------
    numpy.ndarray, shape (n_locations,)
        NaN for locations with diversity 0; standardisation uses the others.
        If all valid raw values are equal, they are returned as 0.

    References
    ----------
    .. [1] Hausmann et al. (2014), The Atlas of Economic Complexity, MIT Press.
    """
    m = _as_matrix(M, "M")
    p = _centred_pci(m, pci)
    raw = (density(m, phi, density_convention) * (1.0 - m)) @ p
    loc_ok = m.sum(axis=1) > 0
    out = np.full(m.shape[0], np.nan)
    if loc_ok.any():
        out[loc_ok] = zscore(raw[loc_ok])
    return out


def cog(M: ArrayLike, phi: ArrayLike, pci: ArrayLike) -> FloatArray:
    r"""Complexity outlook gain (Hausmann et al. 2014, Atlas).

    .. math::

        COG_{rp} = (1 - M_{rp}) \sum_q (1 - M_{rq})
                   \frac{\phi_{qp}}{\sum_{q'} \phi_{qq'}}\, \widetilde{PCI}_q

    :math:`\widetilde{PCI}` is PCI shifted to zero ubiquity-weighted mean (see
    :func:`coi`). With PCI from :func:`eci_pci` this equals ``ecomplexity``'s
    COG, which it computes from the raw eigenvector and divides by sd(ECI_raw).

    Parameters
    ----------
    M : array_like, shape (n_locations, n_products)
        Presence matrix.
    phi : array_like, shape (n_products, n_products)
        Proximity matrix.
    pci : array_like, shape (n_products,)
        Product complexity (NaN entries are ignored).

    Returns
    -------
    numpy.ndarray, shape (n_locations, n_products)
        0 where the location already has the product; products with zero
        proximity row sum contribute 0. Finite everywhere, also for locations
        with diversity 0 (``ecomplexity`` reports NaN there).

    References
    ----------
    .. [1] Hausmann et al. (2014), The Atlas of Economic Complexity, MIT Press.
    """
    m = _as_matrix(M, "M")
    ph = _as_matrix(phi, "phi")
    p = _centred_pci(m, pci)
    row = ph.sum(axis=1)
    weight = np.where(row > 0, p / np.where(row > 0, row, 1.0), 0.0)
    absent = 1.0 - m
    return absent * (absent @ (ph * weight[:, np.newaxis])) + 0.0  # no -0.0


QUADRANT_LABELS: tuple[str, str, str, str] = (
    "high relatedness / high complexity",
    "high relatedness / low complexity",
    "low relatedness / high complexity",
    "low relatedness / low complexity",
)


def relatedness_complexity_quadrant(
    density: ArrayLike, pci: ArrayLike, M: ArrayLike | None = None
) -> NDArray[np.str_]:
    """Relatedness x complexity quadrant of each location-product pair (Balland et al. 2019).

    Split rule: for each location, relatedness is "high" when its density for
    the product is strictly above that location's median density over the
    products it does *not* have (all products if ``M`` is None); complexity is
    "high" when the product's PCI is strictly above the median PCI over all
    products with finite PCI. Products with NaN PCI get complexity "low".

    Parameters
    ----------
    density : array_like, shape (n_locations, n_products)
        Relatedness density, see :func:`density`.
    pci : array_like, shape (n_products,)
        Product complexity.
    M : array_like, optional
        Presence matrix; when given, medians are over absent products only.

    Returns
    -------
    numpy.ndarray of str, shape (n_locations, n_products)
        One of :data:`QUADRANT_LABELS`. The top-right quadrant
        ("high relatedness / high complexity") holds Balland et al.'s preferred
        smart-specialisation targets.

    References
    ----------
    .. [1] Balland et al. (2019), Regional Studies 53(9), 1252-1268.
    """
    d = _as_matrix(density, "density")
    p = np.asarray(pci, dtype=np.float64)
    absent = np.ones_like(d, dtype=bool) if M is None else _as_matrix(M, "M") == 0
    all_present = ~absent.any(axis=1)  # no absent product: split on all products
    high_rel = related_mask(d, ~absent & ~all_present[:, None])
    finite = np.isfinite(p)
    med_p = np.median(p[finite]) if finite.any() else 0.0
    high_cx = np.broadcast_to(finite & (np.where(finite, p, -np.inf) > med_p), d.shape)
    idx = np.where(high_rel, 0, 2) + np.where(high_cx, 0, 1)
    return np.asarray(QUADRANT_LABELS)[idx]


OPPORTUNITY_WEIGHTS: tuple[float, float, float] = (0.5, 0.25, 0.25)
"""Default weights of density, PCI and COG in :func:`opportunity_score`."""


def zscore(x: ArrayLike) -> FloatArray:
    """Standardise along the last axis: ``(x - mean) / sd`` (population sd; sd 0 -> 0).

    The one z-score of the package (priority scores, market signal, ``z(PCI)``).

    Examples
    --------
    >>> zscore([1.0, 2.0, 3.0]).round(4).tolist()
    [-1.2247, 0.0, 1.2247]
    >>> zscore([[5.0, 5.0], [0.0, 2.0]]).tolist()
    [[0.0, 0.0], [-1.0, 1.0]]
    """
    x = np.asarray(x, dtype=float)
    mean = x.mean(axis=-1, keepdims=True)
    sd = x.std(axis=-1, keepdims=True)
    return np.divide(x - mean, sd, out=np.zeros_like(x), where=sd > 0)


def related_mask(density: ArrayLike, presence: ArrayLike) -> NDArray[np.bool_]:
    """Pairs whose density is above the location's median density among absent products.

    An entry into such a product counts as *related*: the split Balland et al. (2019)
    [5]_ use for the relatedness axis of their quadrants. A location with no absent
    product has no related pair.

    Examples
    --------
    >>> d = np.array([[0.1, 0.2, 0.3, 0.9]])
    >>> related_mask(d, np.array([[False, False, False, True]])).tolist()
    [[False, False, True, True]]
    """
    density = np.asarray(density, dtype=float)
    absent = ~np.asarray(presence, dtype=bool)
    n_absent = absent.sum(axis=1)
    # median of the absent cells per row: the two middle order statistics, selected
    # (np.partition) rather than sorted
    lo = np.full(density.shape[0], np.inf)
    hi = np.full(density.shape[0], np.inf)
    for row in np.flatnonzero(n_absent):
        k = n_absent[row]
        middle = np.partition(density[row][absent[row]], [(k - 1) // 2, k // 2])
        lo[row], hi[row] = middle[(k - 1) // 2], middle[k // 2]
    median = np.where(n_absent > 0, 0.5 * (lo + hi), np.inf)
    return density > median[:, None]


def _zscore_rows(values: FloatArray, mask: NDArray[np.bool_]) -> FloatArray:
    """Standardise each row over the masked cells (NaN elsewhere; sd 0 -> 0)."""
    n = np.maximum(mask.sum(axis=1, keepdims=True), 1)
    v = np.where(mask, values, 0.0)
    mean = v.sum(axis=1, keepdims=True) / n
    sd = np.sqrt((np.where(mask, values - mean, 0.0) ** 2).sum(axis=1, keepdims=True) / n)
    return np.where(mask, (values - mean) / np.where(sd > 0, sd, 1.0), np.nan)


def opportunity_score(
    density: ArrayLike,
    pci: ArrayLike,
    cog: ArrayLike,
    M: ArrayLike,
    weights: tuple[float, float, float] = OPPORTUNITY_WEIGHTS,
) -> FloatArray:
    r"""Atlas-style weighted score of each absent product as a diversification target.

    .. math::

        S_{rp} = w_d\, z_r(d_{rp}) + w_c\, z_r(PCI_p) + w_g\, z_r(COG_{rp})

    where :math:`z_r` standardises over the products location ``r`` does not
    have. This mirrors the Atlas' "strategic approach" scores, which weight
    feasibility (distance / density), complexity and opportunity gain; the
    default weights (0.5, 0.25, 0.25) favour feasibility and are s3sim's
    choice, not the Atlas' exact weights.

    Parameters
    ----------
    density : array_like, shape (n_locations, n_products)
    pci : array_like, shape (n_products,)
        NaN PCI counts as the lowest complexity among the absent products.
    cog : array_like, shape (n_locations, n_products)
    M : array_like, shape (n_locations, n_products)
        Presence matrix; products present get NaN.
    weights : tuple of float, default (0.5, 0.25, 0.25)
        Weights of density, PCI and COG.

    Returns
    -------
    numpy.ndarray, shape (n_locations, n_products)
        Higher is a better target; NaN where ``M`` is 1.
    """
    m = _as_matrix(M, "M")
    absent = m == 0
    p = np.asarray(pci, dtype=np.float64)
    finite = np.isfinite(p)
    p = np.where(finite, p, np.nanmin(p) if finite.any() else 0.0)
    p2 = np.broadcast_to(p, m.shape)
    wd, wc, wg = weights
    return (
        wd * _zscore_rows(_as_matrix(density, "density"), absent)
        + wc * _zscore_rows(np.array(p2), absent)
        + wg * _zscore_rows(_as_matrix(cog, "cog"), absent)
    )


@dataclass(frozen=True)
class ComplexityResult:
    """All complexity quantities for one period (locations x products).

    Attributes
    ----------
    rca, mcp, density, cog : numpy.ndarray, shape (n_locations, n_products)
    diversity, eci, coi : numpy.ndarray, shape (n_locations,)
    ubiquity, pci : numpy.ndarray, shape (n_products,)
    proximity : numpy.ndarray, shape (n_products, n_products)
    threshold : float
        RCA threshold used for ``mcp``.
    density_convention : str
        ``"python"`` or ``"stata"`` (see :func:`density`).
    """

    rca: FloatArray
    mcp: NDArray[np.int8]
    diversity: FloatArray
    ubiquity: FloatArray
    proximity: FloatArray
    density: FloatArray
    eci: FloatArray
    pci: FloatArray
    coi: FloatArray
    cog: FloatArray
    threshold: float
    density_convention: str = "python"


def complexity(
    X: ArrayLike, threshold: float = 1.0, phi: ArrayLike | None = None,
    density_convention: str = "python",
) -> ComplexityResult:
    """Compute every complexity quantity for one period.

    Parameters
    ----------
    X : array_like, shape (n_locations, n_products)
        Non-negative values.
    threshold : float, default 1.0
        RCA presence threshold.
    phi : array_like, optional
        Proximity matrix to use (e.g. a fixed world product space). By default
        it is computed from the data with :func:`proximity`.
    density_convention : {"python", "stata"}, default "python"
        Whether the product's own proximity is in the density sums (see
        :func:`density`); also used for COI.

    Returns
    -------
    ComplexityResult

    Raises
    ------
    ValueError
        On invalid values (see :func:`rca`) or fewer than two active locations
        (see :func:`eci_pci`).
    """
    r = rca(X)
    m = presence(r, threshold)
    ph = proximity(m) if phi is None else _as_matrix(phi, "phi")
    eci, pci = eci_pci(m)
    return ComplexityResult(
        rca=r,
        mcp=m,
        diversity=diversity(m),
        ubiquity=ubiquity(m),
        proximity=ph,
        density=density(m, ph, density_convention),
        eci=eci,
        pci=pci,
        coi=coi(m, ph, pci, density_convention),
        cog=cog(m, ph, pci),
        threshold=float(threshold),
        density_convention=density_convention,
    )
