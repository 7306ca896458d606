"""The formatters and the interpolation every section of the report shares."""


def fmt_reference(reference):
    """'1M-2-d2d_pg' -> 'd2d_pg, round 2'; '1M-reference-d2d_pg' -> 'an untimed d2d_pg load'."""
    parts = reference.split("-")
    if len(parts) < 3:
        return reference
    return f"an untimed {parts[-1]} load" if parts[-2] == "reference" else f"{parts[-1]}, round {parts[-2]}"


def interpolate(points, x):
    """Linear interpolation of y at x over (x, y) points sorted by x; None outside their range."""
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x0 <= x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return None


def fmt_rate(value):
    return f"{value:,.0f}"


def fmt_ratio(value):
    return f"{value:.3f}" if value < 0.1 else f"{value:.2f}"


def verdict(ok):
    return "**PASS**" if ok else "**FAIL**"
