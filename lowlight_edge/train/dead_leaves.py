"""Procedural training scenes: the "dead leaves" model, occluding discs with power-law sizes.

Dead-leaves images share the statistics that make natural photographs hard to denoise (a scale-invariant,
power-law spectrum; sharp occlusion edges; flat and textured regions side by side), and networks trained on
them restore natural photographs nearly as well as networks trained on photographs (Achddou, Gousseau and
Ladjal, "Synthetic images as a regularity prior for image restoration neural networks", SSVM 2021). They give
the bundled model unlimited, licence-free colour scenes without touching the photographs kept for
calibration, fallback selection and validation.

Rendering is vectorised: every disc is drawn at once, and each pixel takes the colour of the frontmost disc
covering it (the lowest disc index, found with `np.minimum.at`). Discs are drawn with radius-sized stencils
grouped by radius, so the cost is the summed disc area, not one Python step per disc.
"""

import numpy as np

RADIUS_EXPONENT = 3.0  # p(r) ~ r^-3: the exponent that makes the model scale-invariant
MIN_RADIUS = 2.0
DISCS_PER_PIXEL = 0.2  # enough that ~99.5% of pixels are covered; the rest take their nearest disc's colour


def power_law_radii(rng: np.random.Generator, count: int, r_min: float, r_max: float,
                    exponent: float = RADIUS_EXPONENT) -> np.ndarray:
    """Radii drawn from p(r) ~ r^-exponent on [r_min, r_max] by inverting its CDF."""
    a, b = r_min ** (1 - exponent), r_max ** (1 - exponent)
    return (a + rng.random(count) * (b - a)) ** (1 / (1 - exponent))


def leaf_colours(rng: np.random.Generator, count: int) -> np.ndarray:
    """sRGB colours [count, 3]: luminance skewed dark as in photographs, saturation from grey to vivid."""
    luminance = rng.uniform(0.03, 1.0, (count, 1)) ** 1.6
    tint = rng.normal(0.0, 1.0, (count, 3)) * rng.uniform(0.0, 0.6, (count, 1))
    return np.clip(luminance * (1.0 + tint), 0.0, 1.0).astype(np.float32)


def frontmost_disc(size: int, centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """[size, size] index of the first disc covering each pixel (len(radii) where none does)."""
    label = np.full(size * size, len(radii), np.int64)
    reach = np.ceil(radii).astype(int)
    for r in np.unique(reach):
        which = np.nonzero(reach == r)[0]
        dy, dx = (a.ravel() for a in np.mgrid[-r:r + 1, -r:r + 1])
        ys = np.floor(centres[which, :1]).astype(int) + dy  # [n, stencil]
        xs = np.floor(centres[which, 1:]).astype(int) + dx
        inside = ((ys + 0.5 - centres[which, :1]) ** 2 + (xs + 0.5 - centres[which, 1:]) ** 2
                  <= radii[which, None] ** 2) & (ys >= 0) & (ys < size) & (xs >= 0) & (xs < size)
        index = np.broadcast_to(which[:, None], ys.shape)
        np.minimum.at(label, ys[inside] * size + xs[inside], index[inside])
    return label.reshape(size, size)


def fill_uncovered(label: np.ndarray, missing: int) -> np.ndarray:
    """Pixels no disc covers take the label of the nearest covered pixel."""
    from scipy.ndimage import distance_transform_edt

    holes = label == missing
    if not holes.any():
        return label
    nearest = distance_transform_edt(holes, return_distances=False, return_indices=True)
    return label[tuple(nearest)]


def textures(rng: np.random.Generator, count: int, label: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """A multiplicative texture per pixel from its disc's parameters: flat, a grating or a shading ramp."""
    kind = rng.random(count)
    angle = rng.uniform(0, np.pi, count)
    period = np.exp(rng.uniform(np.log(2.0), np.log(20.0), count))  # 2-20 px/cycle: fabric, bark, brickwork
    amplitude = rng.uniform(0.1, 0.5, count)
    phase = rng.uniform(0, 2 * np.pi, count)
    slope = rng.uniform(0.002, 0.02, count)
    ys, xs = np.indices(label.shape, dtype=np.float32)
    along = (ys - centres[label, 0]) * np.sin(angle[label]) + (xs - centres[label, 1]) * np.cos(angle[label])
    k = kind[label]
    grating = 1.0 + amplitude[label] * np.sin(2 * np.pi * along / period[label] + phase[label])
    shading = 1.0 + slope[label] * along
    return np.where(k < 0.45, 1.0, np.where(k < 0.75, grating, shading)).astype(np.float32)


def dead_leaves(size: int, rng: np.random.Generator, r_max: float | None = None) -> np.ndarray:
    """One square dead-leaves scene, uint8 sRGB [size, size, 3]."""
    from scipy.ndimage import gaussian_filter

    r_max = r_max or size / 3
    count = int(DISCS_PER_PIXEL * size * size)
    radii = power_law_radii(rng, count, MIN_RADIUS, r_max)
    centres = rng.uniform(-r_max / 2, size + r_max / 2, (count, 2))
    label = fill_uncovered(frontmost_disc(size, centres, radii), count)
    image = leaf_colours(rng, count)[label] * textures(rng, count, label, centres)[..., None]
    sigma = rng.uniform(0.0, 1.2)  # some scenes slightly out of focus, as photographs are
    if sigma > 0.3:
        image = gaussian_filter(image, sigma=(sigma, sigma, 0))
    return np.round(np.clip(image, 0.0, 1.0) * 255).astype(np.uint8)
